//! Checks a proposed new version of a document against the old one: the rules the server applies
//! to every push, and that a client can apply before it pushes. One piece of code for both.
//!
//! The author check (is the change's actor bound to the pushing device?) needs the server's
//! records and lives there; so do the facts about placement ([`Records`]), which the server reads
//! and this module judges. Everything about content lives here.

use crate::doc::{
    self, DocError, DocKind, Header, appended, hazard, inspection, keys, raw_records, site, tasks,
};
use crate::lifecycle::{Event, EventKind, check_event_content, fold};
use crate::permission::{Action, Denied, InspectionFacts, authorize};
use crate::roles::{Actor, SiteRef};
use automerge::ReadDoc;

/// What the server's records say about where a pushed document belongs, read before the check.
/// A document's organisation, grid and site are the server's, never the device's claim.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    /// The site the document names, as the server records it (its organisation and grid), if
    /// the server has it. A site outside the pusher's reach is treated as absent.
    pub site: Option<SiteRef>,
    /// For a new site document: whether the pusher's organisation has the grid it names.
    pub grid_exists: bool,
    /// For a new inspection: the profiles the site has had (now and before, newest first), one
    /// of which its checklist must have been generated from.
    pub profiles: Vec<closeloop_checklists::SiteProfile>,
}

/// Whether `checklist` is the one the packs the server knows generate for one of the site's
/// `profiles` and its purpose: the packs it pins (id, version, content hash) must be the server's,
/// and every item, clause and reason must be what they say. A hand-made checklist, or one from
/// packs this server does not have, is refused.
pub fn check_checklist(
    checklist: &closeloop_checklists::Checklist,
    profiles: &[closeloop_checklists::SiteProfile],
) -> Result<(), Denied> {
    let packs = closeloop_checklists::builtin();
    let known = packs.pack_refs(checklist.jurisdiction);
    if let Some(p) = checklist.packs.iter().find(|p| !known.contains(p)) {
        return refuse(
            "inspection.unknown_pack",
            format!(
                "the checklist pins pack {} {} ({}), which this server does not have; update the app",
                p.id, p.version, p.content_hash
            ),
        );
    }
    if profiles
        .iter()
        .any(|profile| packs.generate(profile, checklist.purpose) == *checklist)
    {
        return Ok(());
    }
    refuse(
        "inspection.checklist_mismatch",
        "the checklist is not the one the packs generate for this site; generate it from the site's profile (GET /v1/sites/{id}/checklist)",
    )
}

/// Where a document belongs by the server's records, or why it cannot be placed. A site the
/// pusher may not see answers exactly as a site that does not exist.
pub fn placement(actor: &Actor, header: &Header, records: &Records) -> Result<SiteRef, Denied> {
    if header.kind == DocKind::Site && header.site.site_id != header.id {
        return Err(Denied {
            rule: "doc.site_id",
            reason: format!(
                "a site document's site_id is its own id ({}), not {}",
                header.id, header.site.site_id
            ),
        });
    }
    let known = records.site.as_ref().filter(|s| actor.reaches(s));
    let place = match (known, header.kind) {
        (Some(stored), _) => stored.clone(),
        (None, DocKind::Site) => {
            if !records.grid_exists
                || header.site.org_id != actor.scope.org_id
                || !actor.reaches(&header.site)
            {
                return Err(Denied {
                    rule: "placement.unknown_grid",
                    reason: format!(
                        "grid {} is not one of the grids you work in",
                        header.site.grid_id
                    ),
                });
            }
            header.site.clone()
        }
        (None, _) => {
            return Err(Denied {
                rule: "placement.unknown_site",
                reason: format!(
                    "site {} is not on the server or not in your area; sync the site first",
                    header.site.site_id
                ),
            });
        }
    };
    if place != header.site {
        return Err(Denied {
            rule: "placement.mismatch",
            reason: format!(
                "the document places itself in organisation {}, grid {}, but the server records site {} in organisation {}, grid {}",
                header.site.org_id, header.site.grid_id, place.site_id, place.org_id, place.grid_id
            ),
        });
    }
    Ok(place)
}

fn refuse(rule: &'static str, reason: impl Into<String>) -> Result<(), Denied> {
    Err(Denied {
        rule,
        reason: reason.into(),
    })
}

fn malformed(e: DocError) -> Denied {
    Denied {
        rule: "doc.malformed",
        reason: format!("the document is not valid: {e}"),
    }
}

/// May `actor` turn `before` (absent for a new document) into `after`, given what the server's
/// `records` say of its site? `blob_present` says whether the server holds a photo, for the
/// completeness gate on acceptance.
pub fn check_update<B: ReadDoc, A: ReadDoc>(
    actor: &Actor,
    records: &Records,
    before: Option<&B>,
    after: &A,
    blob_present: &dyn Fn(&str) -> bool,
) -> Result<(), Denied> {
    let header = doc::header(after).map_err(malformed)?;
    let old_header = match before {
        Some(b) => Some(doc::header(b).map_err(malformed)?),
        None => None,
    };
    if let Some(old) = &old_header
        && old != &header
    {
        return refuse(
            "doc.header_changed",
            "a document's kind, id, organisation, grid and site never change",
        );
    }
    placement(actor, &header, records)?;
    // Keys the schema does not know would let a document carry anything; a key already stored
    // (by an older version) is left alone.
    let known = header.kind.root_keys();
    if let Some(stray) = after.keys(automerge::ROOT).find(|k| {
        !known.contains(&k.as_str())
            && before.is_none_or(|b| b.get(automerge::ROOT, k.as_str()).ok().flatten().is_none())
    }) {
        return refuse(
            "doc.unknown_key",
            format!("a {} document has no key `{stray}`", header.kind),
        );
    }
    match header.kind {
        DocKind::Site => check_site(actor, &header, before, after),
        DocKind::Inspection => check_inspection(actor, &header, records, before, after),
        DocKind::Hazard => check_hazard(actor, &header, before, after, blob_present),
        DocKind::TaskPlan => check_tasks(actor, &header, before, after),
    }
}

fn check_site<B: ReadDoc, A: ReadDoc>(
    actor: &Actor,
    h: &Header,
    before: Option<&B>,
    after: &A,
) -> Result<(), Denied> {
    let new = site::read(after).map_err(malformed)?;
    if new.name.trim().is_empty() || new.name.chars().count() > 200 {
        return refuse("site.name", "a site's name is 1 to 200 characters");
    }
    if let Some((lat, lon)) = new.location
        && !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
    {
        return refuse(
            "site.location",
            format!("({lat}, {lon}) is not a place on Earth"),
        );
    }
    match before {
        None => authorize(actor, &h.site, &Action::EditSite),
        Some(b) => {
            let old = site::read(b).map_err(malformed)?;
            if old != new {
                authorize(actor, &h.site, &Action::EditSite)
            } else {
                Ok(())
            }
        }
    }
}

/// New records of an append-only list, or a refusal if old ones were changed or removed.
fn added<B: ReadDoc, A: ReadDoc>(
    before: Option<&B>,
    after: &A,
    key: &'static str,
) -> Result<Vec<String>, Denied> {
    let old = match before {
        Some(b) => raw_records(b, key).map_err(malformed)?,
        None => Vec::new(),
    };
    let new = raw_records(after, key).map_err(malformed)?;
    match appended(&old, &new) {
        Some(added) => Ok(added.into_iter().cloned().collect()),
        None => Err(Denied {
            rule: "doc.append_only",
            reason: format!("records in `{key}` can be added, never changed or removed"),
        }),
    }
}

fn by_of(record: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(record)
        .ok()?
        .get("by")?
        .as_str()
        .map(str::to_owned)
}

fn own_records(actor: &Actor, records: &[String], what: &str) -> Result<(), Denied> {
    for r in records {
        if by_of(r).as_deref() != Some(actor.user_id.as_str()) {
            return refuse(
                "doc.author_mismatch",
                format!("a new {what} must be written by you ({})", actor.user_id),
            );
        }
    }
    Ok(())
}

/// A new answer is to an item of the inspection's checklist, of the kind the item takes, and
/// judged by the item's rule ([`inspection::ItemAnswer::outcome`], the phone's own check). A
/// date is refused as in the future only if it is after the answer's day everywhere on Earth
/// (UTC+14), since the phone judged it in the site's zone.
fn check_answer(insp: &inspection::Inspection, text: &str) -> Result<(), Denied> {
    let a: inspection::ItemAnswer = serde_json::from_str(text).map_err(|e| Denied {
        rule: "doc.malformed",
        reason: format!("an answer record: {e}"),
    })?;
    let Some(item) = insp.checklist.items.iter().find(|i| i.id == a.item_id) else {
        return refuse(
            "inspection.unknown_item",
            format!(
                "`{}` is not an item of this inspection's checklist",
                a.item_id
            ),
        );
    };
    const LATEST_ZONE: i32 = 14 * 60;
    a.outcome(item, LATEST_ZONE)
        .map(|_| ())
        .map_err(|e| Denied {
            rule: "inspection.answer",
            reason: e.to_string(),
        })
}

fn check_inspection<B: ReadDoc, A: ReadDoc>(
    actor: &Actor,
    h: &Header,
    records: &Records,
    before: Option<&B>,
    after: &A,
) -> Result<(), Denied> {
    let answers = added(before, after, keys::ANSWERS)?;
    let photos = added(before, after, keys::PHOTOS)?;
    let comments = added(before, after, keys::COMMENTS)?;
    let new = inspection::read(after).map_err(malformed)?;
    let old = match before {
        Some(b) => Some(inspection::read(b).map_err(malformed)?),
        None => None,
    };
    let facts = match &old {
        None => {
            authorize(
                actor,
                &h.site,
                &Action::StartInspection {
                    purpose: new.purpose,
                },
            )?;
            if new.inspector != actor.user_id {
                return refuse(
                    "inspection.not_yours",
                    "an inspection is started in your own name",
                );
            }
            if new.checklist.purpose != new.purpose {
                return refuse(
                    "inspection.checklist_mismatch",
                    "the checklist is for another purpose than the inspection",
                );
            }
            check_checklist(&new.checklist, &records.profiles)?;
            InspectionFacts {
                inspector: new.inspector.clone(),
                purpose: new.purpose,
                signed_off: false,
            }
        }
        Some(o) => {
            if o.inspector != new.inspector
                || o.purpose != new.purpose
                || o.started_at != new.started_at
                || o.checklist != new.checklist
            {
                return refuse(
                    "inspection.immutable",
                    "an inspection's inspector, purpose, start and checklist never change",
                );
            }
            InspectionFacts {
                inspector: o.inspector.clone(),
                purpose: o.purpose,
                signed_off: o.signed_off.is_some(),
            }
        }
    };
    if !answers.is_empty() || !photos.is_empty() {
        authorize(
            actor,
            &h.site,
            &Action::EditInspection { inspection: &facts },
        )?;
        own_records(actor, &answers, "answer")?;
        own_records(actor, &photos, "photo")?;
        for a in &answers {
            check_answer(&new, a)?;
        }
        for p in &photos {
            let named = serde_json::from_str::<inspection::PhotoRef>(p).is_ok_and(|p| {
                crate::protocol::is_sha256(&p.sha256) && crate::protocol::is_sha256(&p.thumb_sha256)
            });
            if !named {
                return refuse(
                    "inspection.photo_ref",
                    "a photo record names its photo and thumbnail by SHA-256",
                );
            }
        }
    }
    let old_sign = old.as_ref().and_then(|o| o.signed_off.clone());
    match (&old_sign, &new.signed_off) {
        (None, Some(s)) => {
            authorize(actor, &h.site, &Action::SignOff { inspection: &facts })?;
            if s.by != actor.user_id {
                return refuse("doc.author_mismatch", "you sign off in your own name");
            }
        }
        (a, b) if a != b => {
            return refuse(
                "inspection.signed_off",
                "a sign-off cannot be changed or withdrawn",
            );
        }
        _ => {}
    }
    if !comments.is_empty() {
        authorize(
            actor,
            &h.site,
            &Action::CommentInspection { inspection: &facts },
        )?;
        own_records(actor, &comments, "comment")?;
    }
    Ok(())
}

fn check_hazard<B: ReadDoc, A: ReadDoc>(
    actor: &Actor,
    h: &Header,
    before: Option<&B>,
    after: &A,
    blob_present: &dyn Fn(&str) -> bool,
) -> Result<(), Denied> {
    added(before, after, keys::EVENTS)?;
    let new = hazard::read(after).map_err(malformed)?;
    let old_ids: Vec<String> = match before {
        Some(b) => hazard::read(b)
            .map_err(malformed)?
            .events
            .into_iter()
            .map(|e| e.id)
            .collect(),
        None => Vec::new(),
    };
    if before.is_none()
        && !matches!(
            new.events.first().map(|e| &e.kind),
            Some(EventKind::Reported(_))
        )
    {
        return refuse("hazard.first_event", "a hazard starts with its report");
    }
    for (i, e) in new.events.iter().enumerate() {
        if old_ids.contains(&e.id) {
            continue;
        }
        check_event(actor, h, &new.events[..i], e, blob_present)?;
    }
    Ok(())
}

fn check_event(
    actor: &Actor,
    h: &Header,
    prior: &[Event],
    e: &Event,
    blob_present: &dyn Fn(&str) -> bool,
) -> Result<(), Denied> {
    check_event_content(e)?;
    if e.by != actor.user_id || e.role != actor.role {
        return refuse(
            "doc.author_mismatch",
            format!(
                "an event must be written in your own name and role ({}, {})",
                actor.user_id, actor.role
            ),
        );
    }
    let state = fold(prior);
    authorize(
        actor,
        &h.site,
        &Action::HazardEvent {
            kind: &e.kind,
            hazard: &state,
        },
    )?;
    if matches!(e.kind, EventKind::Accepted) {
        let missing: Vec<String> = state
            .all_photos()
            .into_iter()
            .filter(|p| !blob_present(p))
            .collect();
        if !missing.is_empty() {
            return refuse(
                "evidence.incomplete",
                format!(
                    "{} photo(s) of this hazard have not reached the server yet: {}",
                    missing.len(),
                    missing.join(", ")
                ),
            );
        }
    }
    Ok(())
}

fn check_tasks<B: ReadDoc, A: ReadDoc>(
    actor: &Actor,
    h: &Header,
    before: Option<&B>,
    after: &A,
) -> Result<(), Denied> {
    let completions = added(before, after, keys::COMPLETIONS)?;
    let new = tasks::read(after).map_err(malformed)?;
    match before {
        None => authorize(actor, &h.site, &Action::EditTaskPlan)?,
        Some(b) => {
            let old = tasks::read(b).map_err(malformed)?;
            if old.plan != new.plan || old.generated_at != new.generated_at {
                authorize(actor, &h.site, &Action::EditTaskPlan)?;
            }
        }
    }
    if !completions.is_empty() {
        authorize(actor, &h.site, &Action::CompleteTask)?;
        own_records(actor, &completions, "completion")?;
    }
    Ok(())
}
