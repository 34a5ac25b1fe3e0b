//! What the console's pages show, shaped for the templates: times in the console's zone, labels
//! in the request's language, and the decisions the rules offer this user on this hazard.

use super::i18n::Tr;
use crate::auth::AuthUser;
use crate::store::hazards::HazardRecord;
use closeloop_model::calendar::Date;
use closeloop_model::lifecycle::{EventKind, HazardState, Status, check_transition};
use closeloop_model::permission::{Action, authorize};
use closeloop_model::roles::SiteRef;
use std::collections::HashMap;

/// `2026-12-01 14:05` in the zone `offset` minutes east of UTC.
pub fn when(ms: i64, offset: i32) -> String {
    let d = Date::at(ms, offset);
    let minutes = (ms - d.start_millis(offset)).div_euclid(60_000);
    format!("{d} {:02}:{:02}", minutes / 60, minutes % 60)
}

/// [`when`] for an optional time, `—` without one.
pub fn when_opt(ms: Option<i64>, offset: i32) -> String {
    ms.map_or_else(|| "—".to_owned(), |m| when(m, offset))
}

/// A hazard as a row of a list or a card of the review queue.
#[derive(Debug, Clone)]
pub struct HazardCard {
    pub id: String,
    pub title: String,
    pub site_id: String,
    pub site_name: String,
    pub grid_id: String,
    pub status: String,
    pub status_label: String,
    pub severity: String,
    pub severity_label: String,
    pub assignee: String,
    pub deadline: String,
    pub overdue: bool,
    pub reported: String,
    pub submitted: String,
    pub clauses: Vec<String>,
    pub measure: String,
    pub item_id: String,
    pub inspection_id: String,
    pub before: Vec<String>,
    pub after: Vec<String>,
    pub missing: Vec<String>,
}

impl HazardCard {
    pub fn new(
        r: &HazardRecord,
        tr: &Tr,
        sites: &HashMap<String, String>,
        people: &HashMap<String, String>,
        now: i64,
        offset: i32,
    ) -> HazardCard {
        HazardCard {
            id: r.id.clone(),
            title: r.title.clone(),
            site_id: r.site_id.clone(),
            site_name: sites.get(&r.site_id).cloned().unwrap_or(r.site_id.clone()),
            grid_id: r.grid_id.clone(),
            status_label: tr.of("status", &r.status),
            status: r.status.clone(),
            severity_label: tr.of("severity", &r.severity),
            severity: r.severity.clone(),
            assignee: r
                .assignee
                .as_ref()
                .map(|a| people.get(a).cloned().unwrap_or(a.clone()))
                .unwrap_or_default(),
            deadline: when_opt(r.deadline, offset),
            overdue: r.overdue(now),
            reported: when_opt(r.reported_at, offset),
            submitted: when_opt(r.submitted_at, offset),
            clauses: r.clauses.clone(),
            measure: r.measure.clone(),
            item_id: r.item_id.clone().unwrap_or_default(),
            inspection_id: r.inspection_id.clone().unwrap_or_default(),
            before: r.side("before"),
            after: r.side("after"),
            missing: r.missing(),
        }
    }
}

/// One line of a timeline as the console shows it.
#[derive(Debug, Clone)]
pub struct TimelineLine {
    pub kind_label: String,
    pub who: String,
    pub role_label: String,
    pub at: String,
    pub received: String,
    pub text: String,
    pub photos: Vec<String>,
    pub status_after: String,
    pub not_applied: String,
}

/// The timeline of `state`, names and times resolved.
pub fn timeline(
    state: &HazardState,
    tr: &Tr,
    people: &HashMap<String, String>,
    received: &HashMap<String, i64>,
    offset: i32,
) -> Vec<TimelineLine> {
    state
        .timeline
        .iter()
        .map(|t| {
            let e = &t.event;
            let text = match &e.kind {
                EventKind::Reported(r) => r.title.clone(),
                EventKind::Assigned {
                    assignee, deadline, ..
                } => format!(
                    "→ {} ({} {})",
                    people.get(assignee).cloned().unwrap_or(assignee.clone()),
                    tr.s("hazard.deadline"),
                    when(*deadline, offset)
                ),
                EventKind::Rejected { reason }
                | EventKind::Escalated { reason }
                | EventKind::Cancelled { reason }
                | EventKind::Reopened { reason } => reason.clone(),
                _ => String::new(),
            };
            TimelineLine {
                kind_label: tr.of("event", e.kind.name()),
                who: people.get(&e.by).cloned().unwrap_or(e.by.clone()),
                role_label: tr.of("role", e.role.as_str()),
                at: when(e.at, offset),
                received: received
                    .get(&e.id)
                    .map(|r| when(*r, offset))
                    .unwrap_or_default(),
                text: if e.note.is_empty() {
                    text
                } else if text.is_empty() {
                    e.note.clone()
                } else {
                    format!("{text} · {}", e.note)
                },
                photos: e.photos.clone(),
                status_after: t
                    .status_after
                    .map(|s| tr.of("status", s.as_str()))
                    .unwrap_or_default(),
                not_applied: t
                    .not_applied
                    .as_ref()
                    .map(|n| n.reason.clone())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Which decisions the rules let `user` take on a hazard in `state` at `site`, by event type:
/// the console offers exactly these (the server checks again when one is taken).
pub fn offered(user: &AuthUser, site: &SiteRef, state: &HazardState) -> Vec<&'static str> {
    let probes = [
        EventKind::Assigned {
            assignee: "x".into(),
            deadline: 0,
            measure: String::new(),
        },
        EventKind::Accepted,
        EventKind::Rejected { reason: "x".into() },
        EventKind::Escalated { reason: "x".into() },
        EventKind::Cancelled { reason: "x".into() },
        EventKind::Reopened { reason: "x".into() },
        EventKind::Commented,
    ];
    probes
        .iter()
        .filter(|k| {
            authorize(
                &user.actor,
                site,
                &Action::HazardEvent {
                    kind: k,
                    hazard: state,
                },
            )
            .is_ok()
                && check_transition(state, k).is_ok()
        })
        .map(|k| k.name())
        .collect()
}

/// The statuses, for filters.
pub fn statuses(tr: &Tr) -> Vec<(&'static str, String)> {
    Status::ALL
        .iter()
        .map(|s| (s.as_str(), tr.of("status", s.as_str())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_consoles_zone() {
        // 2026-12-01 06:05 UTC is 14:05 in UTC+8.
        let ms = Date {
            year: 2026,
            month: 12,
            day: 1,
        }
        .start_millis(0)
            + (6 * 60 + 5) * 60_000;
        assert_eq!(when(ms, 480), "2026-12-01 14:05");
        assert_eq!(when(ms, 0), "2026-12-01 06:05");
        assert_eq!(when_opt(None, 0), "—");
    }
}
