//! Conversions between the exported records and the core's own types, kept in one place.

use super::CoreError;
use super::types as t;
use crate::workspace::DocSummary;
use closeloop_checklists as cl;
use closeloop_model::doc::hazard::Hazard;
use closeloop_model::doc::inspection::{AnswerValue, Inspection, Outcome, PhotoRef};
use closeloop_model::lifecycle::{self, Millis, Status};
use closeloop_model::roles::{Role, Scope};

pub fn role(r: t::UserRole) -> Role {
    match r {
        t::UserRole::Inspector => Role::Inspector,
        t::UserRole::Owner => Role::Owner,
        t::UserRole::Supervisor => Role::Supervisor,
        t::UserRole::Admin => Role::Admin,
    }
}

pub fn user_role(r: Role) -> t::UserRole {
    match r {
        Role::Inspector => t::UserRole::Inspector,
        Role::Owner => t::UserRole::Owner,
        Role::Supervisor => t::UserRole::Supervisor,
        Role::Admin => t::UserRole::Admin,
    }
}

pub fn identity(u: t::UserIdentity) -> crate::workspace::Identity {
    crate::workspace::Identity {
        user_id: u.user_id,
        display_name: u.display_name,
        role: role(u.role),
        scope: Scope {
            org_id: u.org_id,
            grids: u.grid_ids,
            sites: u.site_ids,
        },
        device_id: u.device_id,
    }
}

pub fn user_identity(i: &crate::workspace::Identity) -> t::UserIdentity {
    t::UserIdentity {
        user_id: i.user_id.clone(),
        display_name: i.display_name.clone(),
        role: user_role(i.role),
        org_id: i.scope.org_id.clone(),
        grid_ids: i.scope.grids.clone(),
        site_ids: i.scope.sites.clone(),
        device_id: i.device_id.clone(),
    }
}

const SUBTYPES: [(t::SiteSubtype, cl::Subtype); 7] = [
    (t::SiteSubtype::Kindergarten, cl::Subtype::Kindergarten),
    (t::SiteSubtype::School, cl::Subtype::School),
    (t::SiteSubtype::CareHome, cl::Subtype::CareHome),
    (t::SiteSubtype::Hospital, cl::Subtype::Hospital),
    (t::SiteSubtype::Clinic, cl::Subtype::Clinic),
    (t::SiteSubtype::Ktv, cl::Subtype::Ktv),
    (t::SiteSubtype::InternetCafe, cl::Subtype::InternetCafe),
];

fn clock(field: &str, v: &Option<String>) -> Result<Option<cl::ClockTime>, CoreError> {
    match v {
        None => Ok(None),
        Some(text) => cl::ClockTime::parse(text)
            .map(Some)
            .ok_or_else(|| CoreError::InvalidInput {
                field: field.to_owned(),
                reason: format!("`{text}` is not a time of day (HH:MM, 00:00 to 23:59)"),
            }),
    }
}

pub fn profile(p: &t::SiteProfile) -> Result<cl::SiteProfile, CoreError> {
    Ok(cl::SiteProfile {
        schema_version: cl::PROFILE_SCHEMA_VERSION,
        name: None,
        jurisdiction: match p.jurisdiction {
            t::Jurisdiction::China => cl::Jurisdiction::Cn,
            t::Jurisdiction::UnitedStates => cl::Jurisdiction::Us,
        },
        premises: cl::Premises::ALL[p.premises as usize],
        floor_area_m2: p.floor_area_m2,
        storeys: p.storeys,
        building_height_m: p.building_height_m,
        below_ground: p.below_ground,
        occupants: p.occupants,
        sleepers: p.sleepers,
        public_gathering_place: p.public_gathering_place,
        key_fire_safety_unit: p.key_fire_safety_unit,
        public_institution: p.public_institution,
        gas: match p.gas {
            t::GasSupply::None => cl::GasSupply::None,
            t::GasSupply::Piped => cl::GasSupply::Piped,
            t::GasSupply::Lpg => cl::GasSupply::Lpg,
        },
        kitchen: p.kitchen,
        ebike_parking: p.ebike_parking,
        ebike_charging: p.ebike_charging,
        flammable_goods: p.flammable_goods,
        mixed_living: p.mixed_living,
        hydrants: p.hydrants,
        sprinklers: p.sprinklers,
        fire_alarm: p.fire_alarm,
        hazard_level: match p.hazard_level {
            t::HazardLevel::Light => cl::HazardLevel::Light,
            t::HazardLevel::Medium => cl::HazardLevel::Medium,
            t::HazardLevel::Severe => cl::HazardLevel::Severe,
        },
        opens_at: clock("opens_at", &p.opens_at)?,
        closes_at: clock("closes_at", &p.closes_at)?,
        subtype: p
            .subtype
            .and_then(|s| SUBTYPES.iter().find(|(a, _)| *a == s))
            .map_or(cl::Subtype::Unspecified, |(_, b)| *b),
        boarding: p.boarding,
        in_residential_building: p.in_residential_building,
        staff_dormitory: p.staff_dormitory,
        combustible_dust: p.combustible_dust,
        hot_work: p.hot_work,
        fire_control_room: p.fire_control_room,
    })
}

const PREMISES: [t::PremisesType; 11] = [
    t::PremisesType::SmallShop,
    t::PremisesType::Restaurant,
    t::PremisesType::Hotel,
    t::PremisesType::EntertainmentVenue,
    t::PremisesType::Warehouse,
    t::PremisesType::FactoryWorkshop,
    t::PremisesType::HighRiseResidential,
    t::PremisesType::ResidentialCompound,
    t::PremisesType::SchoolKindergarten,
    t::PremisesType::ClinicCareHome,
    t::PremisesType::Office,
];

pub fn site_profile(p: &cl::SiteProfile) -> t::SiteProfile {
    let premises_index = cl::Premises::ALL
        .iter()
        .position(|x| *x == p.premises)
        .unwrap_or(0);
    t::SiteProfile {
        jurisdiction: match p.jurisdiction {
            cl::Jurisdiction::Cn => t::Jurisdiction::China,
            cl::Jurisdiction::Us => t::Jurisdiction::UnitedStates,
        },
        premises: PREMISES[premises_index],
        floor_area_m2: p.floor_area_m2,
        storeys: p.storeys,
        building_height_m: p.building_height_m,
        below_ground: p.below_ground,
        occupants: p.occupants,
        sleepers: p.sleepers,
        public_gathering_place: p.public_gathering_place,
        key_fire_safety_unit: p.key_fire_safety_unit,
        public_institution: p.public_institution,
        gas: match p.gas {
            cl::GasSupply::None => t::GasSupply::None,
            cl::GasSupply::Piped => t::GasSupply::Piped,
            cl::GasSupply::Lpg => t::GasSupply::Lpg,
        },
        kitchen: p.kitchen,
        ebike_parking: p.ebike_parking,
        ebike_charging: p.ebike_charging,
        flammable_goods: p.flammable_goods,
        mixed_living: p.mixed_living,
        hydrants: p.hydrants,
        sprinklers: p.sprinklers,
        fire_alarm: p.fire_alarm,
        hazard_level: match p.hazard_level {
            cl::HazardLevel::Light => t::HazardLevel::Light,
            cl::HazardLevel::Medium => t::HazardLevel::Medium,
            cl::HazardLevel::Severe => t::HazardLevel::Severe,
        },
        opens_at: p.opens_at.map(|c| c.to_string()),
        closes_at: p.closes_at.map(|c| c.to_string()),
        subtype: SUBTYPES
            .iter()
            .find(|(_, b)| *b == p.subtype)
            .map(|(a, _)| *a),
        boarding: p.boarding,
        in_residential_building: p.in_residential_building,
        staff_dormitory: p.staff_dormitory,
        combustible_dust: p.combustible_dust,
        hot_work: p.hot_work,
        fire_control_room: p.fire_control_room,
    }
}

pub fn purpose(p: t::InspectionPurpose) -> cl::Purpose {
    match p {
        t::InspectionPurpose::Patrol => cl::Purpose::Patrol,
        t::InspectionPurpose::MonthlyInspection => cl::Purpose::MonthlyInspection,
        t::InspectionPurpose::SelfCheck => cl::Purpose::SelfCheck,
        t::InspectionPurpose::FullInspection => cl::Purpose::FullInspection,
    }
}

pub fn inspection_purpose(p: cl::Purpose) -> t::InspectionPurpose {
    match p {
        cl::Purpose::Patrol => t::InspectionPurpose::Patrol,
        cl::Purpose::MonthlyInspection => t::InspectionPurpose::MonthlyInspection,
        cl::Purpose::SelfCheck => t::InspectionPurpose::SelfCheck,
        cl::Purpose::FullInspection => t::InspectionPurpose::FullInspection,
    }
}

fn severity(s: cl::Severity) -> t::Severity {
    match s {
        cl::Severity::General => t::Severity::General,
        cl::Severity::Major => t::Severity::Major,
    }
}

pub fn hazard_severity(s: lifecycle::Severity) -> t::Severity {
    match s {
        lifecycle::Severity::General => t::Severity::General,
        lifecycle::Severity::Major => t::Severity::Major,
    }
}

pub fn citations(cites: &[cl::Citation], zh: bool) -> Vec<t::Citation> {
    cites
        .iter()
        .map(|c| t::Citation {
            document: if zh {
                c.title_zh.clone()
            } else {
                c.title_en.clone()
            },
            clause: c.clause.clone(),
            verified: c.verified,
        })
        .collect()
}

pub fn checklist_item(i: &cl::ChecklistItem, zh: bool) -> t::ChecklistItem {
    let (text, other) = if zh {
        (&i.text_zh, &i.text_en)
    } else {
        (&i.text_en, &i.text_zh)
    };
    t::ChecklistItem {
        id: i.id.clone(),
        text: text.clone(),
        text_other_language: other.clone(),
        frequency: if zh {
            i.frequency.label_zh()
        } else {
            i.frequency.label_en()
        }
        .to_owned(),
        answer: match &i.answer {
            cl::Answer::PassFail => t::AnswerKind::PassFail,
            cl::Answer::Count { min } => t::AnswerKind::Count { min: *min },
            cl::Answer::Measure { unit, min, max } => t::AnswerKind::Measurement {
                unit: unit.clone(),
                min: *min,
                max: *max,
            },
            cl::Answer::Date { max_age_months } => t::AnswerKind::Date {
                max_age_months: *max_age_months,
            },
        },
        requirement: i.requirement.as_ref().map(|r| {
            if zh {
                r.text_zh.clone()
            } else {
                r.text_en.clone()
            }
        }),
        photo: match i.photo {
            cl::PhotoRule::Never => t::PhotoRule::Never,
            cl::PhotoRule::OnFail => t::PhotoRule::OnFail,
            cl::PhotoRule::Always => t::PhotoRule::Always,
        },
        severity_if_failed: severity(i.on_fail.severity),
        rectify_days: i.on_fail.rectify_days,
        measure_if_failed: if zh {
            &i.on_fail.measure_zh
        } else {
            &i.on_fail.measure_en
        }
        .clone(),
        citations: citations(&i.citations, zh),
        why: i
            .why
            .iter()
            .map(|r| {
                let values: Vec<String> = r
                    .matched
                    .iter()
                    .map(|m| format!("{} = {}", m.field, m.value))
                    .collect();
                format!(
                    "{}: {} ({})",
                    r.item,
                    r.conditions.join(" and "),
                    values.join(", ")
                )
            })
            .collect(),
    }
}

pub fn checklist(c: &cl::Checklist) -> t::Checklist {
    let zh = c.jurisdiction == cl::Jurisdiction::Cn;
    t::Checklist {
        purpose: inspection_purpose(c.purpose),
        items: c.items.iter().map(|i| checklist_item(i, zh)).collect(),
        packs: c
            .packs
            .iter()
            .map(|p| format!("{} {} {}", p.id, p.version, p.content_hash))
            .collect(),
        notices: c.notices.iter().map(|n| n.text_en.clone()).collect(),
    }
}

pub fn answer(a: t::Answer) -> AnswerValue {
    match a {
        t::Answer::Pass => AnswerValue::Pass,
        t::Answer::Fail => AnswerValue::Fail,
        t::Answer::NotApplicable => AnswerValue::NotApplicable,
        t::Answer::Count { value } => AnswerValue::Count { value },
        t::Answer::Measurement { value } => AnswerValue::Measure { value },
        t::Answer::Date { value } => AnswerValue::Date { value },
    }
}

pub fn answer_back(a: &AnswerValue) -> t::Answer {
    match a {
        AnswerValue::Pass => t::Answer::Pass,
        AnswerValue::Fail => t::Answer::Fail,
        AnswerValue::NotApplicable => t::Answer::NotApplicable,
        AnswerValue::Count { value } => t::Answer::Count { value: *value },
        AnswerValue::Measure { value } => t::Answer::Measurement { value: *value },
        AnswerValue::Date { value } => t::Answer::Date {
            value: value.clone(),
        },
    }
}

pub fn outcome(o: Outcome) -> t::AnswerOutcome {
    match o {
        Outcome::Pass => t::AnswerOutcome::Pass,
        Outcome::Fail { reason } => t::AnswerOutcome::Fail { reason },
        Outcome::NotApplicable => t::AnswerOutcome::NotApplicable,
    }
}

pub fn photo(p: &PhotoRef) -> t::Photo {
    t::Photo {
        sha256: p.sha256.clone(),
        thumbnail_sha256: p.thumb_sha256.clone(),
        width: p.width,
        height: p.height,
        item_id: p.item_id.clone(),
        taken_at: p.taken_at.clone(),
        latitude: p.gps.map(|g| g.0),
        longitude: p.gps.map(|g| g.1),
    }
}

/// An inspection with each item's outcome as the model judges it (on the answer's day, in the
/// site's time zone `utc_offset_minutes`), as the server does.
pub fn inspection(i: &Inspection, utc_offset_minutes: i32) -> t::Inspection {
    let zh = i.checklist.jurisdiction == cl::Jurisdiction::Cn;
    let current = i.current_answers();
    let items: Vec<t::InspectionItem> = i
        .outcomes(utc_offset_minutes)
        .into_iter()
        .map(|(item, judged)| {
            let a = current.get(item.id.as_str());
            t::InspectionItem {
                item: checklist_item(item, zh),
                answer: a.map(|a| answer_back(&a.value)),
                outcome: judged.map(outcome),
                note: a.map(|a| a.note.clone()).unwrap_or_default(),
                photos: i
                    .photos
                    .iter()
                    .filter(|p| p.item_id.as_deref() == Some(item.id.as_str()))
                    .map(photo)
                    .collect(),
            }
        })
        .collect();
    t::Inspection {
        id: i.header.id.clone(),
        site_id: i.header.site.site_id.clone(),
        inspector: i.inspector.clone(),
        purpose: inspection_purpose(i.purpose),
        started_at: i.started_at,
        signed_off_at: i.signed_off.as_ref().map(|s| s.at),
        unanswered: items.iter().filter(|x| x.answer.is_none()).count() as u32,
        items,
    }
}

pub fn status(s: Status) -> t::HazardStatus {
    match s {
        Status::Reported => t::HazardStatus::Reported,
        Status::Assigned => t::HazardStatus::Assigned,
        Status::RectificationSubmitted => t::HazardStatus::RectificationSubmitted,
        Status::FixedOnSpot => t::HazardStatus::FixedOnSpot,
        Status::Rejected => t::HazardStatus::Rejected,
        Status::Accepted => t::HazardStatus::Accepted,
        Status::Cancelled => t::HazardStatus::Cancelled,
    }
}

pub fn status_back(s: t::HazardStatus) -> Status {
    match s {
        t::HazardStatus::Reported => Status::Reported,
        t::HazardStatus::Assigned => Status::Assigned,
        t::HazardStatus::RectificationSubmitted => Status::RectificationSubmitted,
        t::HazardStatus::FixedOnSpot => Status::FixedOnSpot,
        t::HazardStatus::Rejected => Status::Rejected,
        t::HazardStatus::Accepted => Status::Accepted,
        t::HazardStatus::Cancelled => Status::Cancelled,
    }
}

pub fn hazard_summary(s: &DocSummary, now: Millis) -> t::HazardSummary {
    t::HazardSummary {
        id: s.id.clone(),
        site_id: s.site.site_id.clone(),
        title: s.title.clone(),
        status: s.hazard_status().map(status),
        severity: hazard_severity(s.severity.unwrap_or(lifecycle::Severity::General)),
        deadline: s.deadline,
        assignee: s.assignee.clone(),
        overdue: crate::workspace::is_overdue(s, now),
    }
}

pub fn hazard_detail(h: &Hazard, now: Millis) -> t::HazardDetail {
    let s = h.state();
    let report = s.report.clone();
    t::HazardDetail {
        summary: t::HazardSummary {
            id: h.header.id.clone(),
            site_id: h.header.site.site_id.clone(),
            title: report.as_ref().map(|r| r.title.clone()).unwrap_or_default(),
            status: s.status.map(status),
            severity: hazard_severity(s.severity),
            deadline: s.deadline,
            assignee: s.assignee.clone(),
            overdue: s.is_overdue(now),
        },
        inspection_id: h.inspection_id.clone(),
        item_id: report.as_ref().and_then(|r| r.item_id.clone()),
        clauses: report
            .as_ref()
            .map(|r| r.clauses.clone())
            .unwrap_or_default(),
        gb35181_element: report.as_ref().and_then(|r| r.gb35181.clone()),
        measure: s.measure.clone(),
        before_photos: s.before_photos.clone(),
        after_photos: s.after_photos.clone(),
        timeline: s
            .timeline
            .iter()
            .map(|e| t::TimelineEntry {
                event_id: e.event.id.clone(),
                kind: e.event.kind.name().to_owned(),
                by: e.event.by.clone(),
                role: user_role(e.event.role),
                at: e.event.at,
                note: e.event.note.clone(),
                photos: e.event.photos.clone(),
                not_applied: e.not_applied.as_ref().map(|n| n.reason.clone()),
                status_after: e.status_after.map(status),
            })
            .collect(),
    }
}

pub fn action(a: t::HazardAction) -> lifecycle::EventKind {
    use lifecycle::EventKind as K;
    match a {
        t::HazardAction::Assign {
            assignee,
            deadline,
            measure,
        } => K::Assigned {
            assignee,
            deadline,
            measure,
        },
        t::HazardAction::FixOnSpot => K::FixedOnSpot,
        t::HazardAction::SubmitRectification => K::RectificationSubmitted,
        t::HazardAction::Accept => K::Accepted,
        t::HazardAction::Reject { reason } => K::Rejected { reason },
        t::HazardAction::Escalate { reason } => K::Escalated { reason },
        t::HazardAction::Cancel { reason } => K::Cancelled { reason },
        t::HazardAction::Reopen { reason } => K::Reopened { reason },
        t::HazardAction::Comment => K::Commented,
    }
}

pub fn task(st: &crate::workspace::SiteTask) -> t::Task {
    let zh = st.jurisdiction == cl::Jurisdiction::Cn;
    let s = &st.status;
    t::Task {
        site_id: st.site_id.clone(),
        task_id: s.task.id.clone(),
        title: if zh {
            &s.task.title_zh
        } else {
            &s.task.title_en
        }
        .clone(),
        frequency: if zh {
            s.task.frequency.label_zh()
        } else {
            s.task.frequency.label_en()
        }
        .to_owned(),
        done: s.done,
        due_by: s.period_end,
        last_done: s.last_done,
        item_ids: s.task.items.clone(),
        citations: citations(&s.task.citations, zh),
    }
}

/// Photo files the app passes by path.
pub fn photo_files(paths: Vec<String>) -> Vec<crate::workspace::PhotoInput> {
    paths
        .into_iter()
        .map(|p| crate::workspace::PhotoInput::File(p.into()))
        .collect()
}
