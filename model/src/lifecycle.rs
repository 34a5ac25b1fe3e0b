//! The hazard lifecycle: an append-only list of events folded into a derived status.
//!
//! Every replica holds the same events in the same list order once merged, so every replica derives
//! the same status. An event that is not allowed where it lands in the fold (a rectification
//! arriving after a supervisor cancelled the hazard) is kept and explained, never dropped.

mod content;

use crate::roles::Role;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use content::{
    MAX_CLAUSES, MAX_EVENT_PHOTOS, MAX_TEXT_CHARS, MAX_TITLE_CHARS, check_event_content,
};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// How serious a hazard is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    General,
    Major,
}

impl Severity {
    /// The name used in documents, queries and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::General => "general",
            Severity::Major => "major",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Severity> {
        [Severity::General, Severity::Major]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

impl From<closeloop_checklists::Severity> for Severity {
    fn from(s: closeloop_checklists::Severity) -> Self {
        match s {
            closeloop_checklists::Severity::General => Severity::General,
            closeloop_checklists::Severity::Major => Severity::Major,
        }
    }
}

/// What was found, as first reported. Immutable once written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub title: String,
    pub severity: Severity,
    /// The clauses the hazard breaches, e.g. "消防法 Art. 28".
    #[serde(default)]
    pub clauses: Vec<String>,
    /// The checklist item it was raised from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// GB 35181 element, if the failure corresponds to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gb35181: Option<String>,
    /// Suggested corrective measure.
    #[serde(default)]
    pub measure: String,
    /// Deadline for rectification, if set at discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Millis>,
}

/// One thing that happened to a hazard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Reported(Report),
    /// Who must fix it, by when, and how.
    Assigned {
        assignee: String,
        deadline: Millis,
        #[serde(default)]
        measure: String,
    },
    /// The assignee or owner says it is fixed, with after-photos.
    RectificationSubmitted,
    /// Fixed in front of the inspector (当场整改); still reviewable.
    FixedOnSpot,
    Accepted,
    Rejected {
        reason: String,
    },
    /// Judged a major fire hazard (重大火灾隐患).
    Escalated {
        reason: String,
    },
    /// A false report.
    Cancelled {
        reason: String,
    },
    Reopened {
        reason: String,
    },
    Commented,
}

impl EventKind {
    /// A stable name for the kind, used in rules and messages.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Reported(_) => "reported",
            EventKind::Assigned { .. } => "assigned",
            EventKind::RectificationSubmitted => "rectification_submitted",
            EventKind::FixedOnSpot => "fixed_on_spot",
            EventKind::Accepted => "accepted",
            EventKind::Rejected { .. } => "rejected",
            EventKind::Escalated { .. } => "escalated",
            EventKind::Cancelled { .. } => "cancelled",
            EventKind::Reopened { .. } => "reopened",
            EventKind::Commented => "commented",
        }
    }
}

/// An event as stored in the hazard document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id, chosen by the device that wrote it.
    pub id: String,
    #[serde(flatten)]
    pub kind: EventKind,
    pub by: String,
    pub role: Role,
    pub at: Millis,
    #[serde(default)]
    pub note: String,
    /// SHA-256 of the photos attached to this event.
    #[serde(default)]
    pub photos: Vec<String>,
}

/// The derived state of a hazard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Found, nobody assigned yet.
    Reported,
    /// Someone must fix it by the deadline.
    Assigned,
    /// After-photos are waiting for a supervisor.
    RectificationSubmitted,
    /// Fixed on the spot; waiting for a supervisor.
    FixedOnSpot,
    /// A supervisor rejected the rectification; back with the assignee.
    Rejected,
    /// A supervisor accepted the rectification: closed.
    Accepted,
    /// A false report.
    Cancelled,
}

impl Status {
    /// Every status, in the order a hazard usually passes through them.
    pub const ALL: [Status; 7] = [
        Status::Reported,
        Status::Assigned,
        Status::RectificationSubmitted,
        Status::FixedOnSpot,
        Status::Rejected,
        Status::Accepted,
        Status::Cancelled,
    ];

    /// Still needs work or review.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Accepted | Status::Cancelled)
    }

    /// Waiting for a supervisor's decision.
    pub fn awaits_review(self) -> bool {
        matches!(self, Status::RectificationSubmitted | Status::FixedOnSpot)
    }

    /// Whether a hazard in this status is overdue once its deadline passes: open and with
    /// someone who must act (a hazard waiting for review is the supervisor's, not late).
    pub fn can_be_overdue(self) -> bool {
        self.is_open() && !self.awaits_review()
    }

    /// The statuses for which `keep` holds (for queries: open ones, those awaiting review…).
    pub fn where_(keep: fn(Status) -> bool) -> Vec<Status> {
        Status::ALL.into_iter().filter(|s| keep(*s)).collect()
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The name used in documents, queries and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reported => "reported",
            Status::Assigned => "assigned",
            Status::RectificationSubmitted => "rectification_submitted",
            Status::FixedOnSpot => "fixed_on_spot",
            Status::Rejected => "rejected",
            Status::Accepted => "accepted",
            Status::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an event did not change the hazard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotApplied {
    /// Stable rule id, e.g. `lifecycle.closed`.
    pub rule: String,
    pub reason: String,
}

/// One line of a hazard's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub event: Event,
    /// The status after this event.
    pub status_after: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applied: Option<NotApplied>,
}

/// Everything derived from a hazard's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HazardState {
    /// `None` until a valid report is folded in.
    pub status: Option<Status>,
    pub report: Option<Report>,
    pub severity: Severity,
    pub assignee: Option<String>,
    pub deadline: Option<Millis>,
    pub measure: String,
    pub reported_at: Option<Millis>,
    pub assigned_at: Option<Millis>,
    pub submitted_at: Option<Millis>,
    pub closed_at: Option<Millis>,
    /// Photos of the report (before) and of the latest rectification (after).
    pub before_photos: Vec<String>,
    pub after_photos: Vec<String>,
    pub timeline: Vec<TimelineEntry>,
}

impl HazardState {
    fn empty() -> Self {
        HazardState {
            status: None,
            report: None,
            severity: Severity::General,
            assignee: None,
            deadline: None,
            measure: String::new(),
            reported_at: None,
            assigned_at: None,
            submitted_at: None,
            closed_at: None,
            before_photos: Vec::new(),
            after_photos: Vec::new(),
            timeline: Vec::new(),
        }
    }

    /// Open and past its deadline at `now`. Derived, never stored.
    pub fn is_overdue(&self, now: Millis) -> bool {
        let open = self.status.is_some_and(Status::can_be_overdue);
        open && self.deadline.is_some_and(|d| now > d)
    }

    /// Every photo any event references.
    pub fn all_photos(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in &self.timeline {
            for p in &e.event.photos {
                if !out.contains(p) {
                    out.push(p.clone());
                }
            }
        }
        out
    }
}

fn not_applied(rule: &str, reason: String) -> NotApplied {
    NotApplied {
        rule: rule.to_owned(),
        reason,
    }
}

/// Folds events, in list order, into the hazard's state. Never panics, whatever the events.
pub fn fold(events: &[Event]) -> HazardState {
    let mut s = HazardState::empty();
    for e in events {
        let outcome = apply(&mut s, e);
        s.timeline.push(TimelineEntry {
            event: e.clone(),
            status_after: s.status,
            not_applied: outcome.err(),
        });
    }
    s
}

/// Whether `kind` may be applied to a hazard in `state` (status rules only, not roles).
pub fn check_transition(state: &HazardState, kind: &EventKind) -> Result<(), NotApplied> {
    let mut probe = state.clone();
    probe.timeline.clear();
    let event = Event {
        id: String::new(),
        kind: kind.clone(),
        by: String::new(),
        role: Role::Supervisor,
        at: 0,
        note: String::new(),
        photos: Vec::new(),
    };
    apply(&mut probe, &event)
}

/// " by USER at TIME" of the last applied event, to say when the hazard reached its state.
fn when(s: &HazardState) -> String {
    s.timeline
        .iter()
        .rev()
        .find(|t| t.not_applied.is_none())
        .map_or(String::new(), |t| {
            format!(" by {} at {}", t.event.by, t.event.at)
        })
}

fn apply(s: &mut HazardState, e: &Event) -> Result<(), NotApplied> {
    let Some(status) = s.status else {
        return match &e.kind {
            EventKind::Reported(report) => {
                s.status = Some(Status::Reported);
                s.severity = report.severity;
                s.measure = report.measure.clone();
                s.deadline = report.deadline;
                s.report = Some(report.clone());
                s.reported_at = Some(e.at);
                s.before_photos = e.photos.clone();
                Ok(())
            }
            other => Err(not_applied(
                "lifecycle.not_reported",
                format!(
                    "not applied: `{}` before the hazard was reported",
                    other.name()
                ),
            )),
        };
    };
    let closed = |what: &str| {
        Err(not_applied(
            "lifecycle.closed",
            format!("not applied: hazard was {what}{}", when(s)),
        ))
    };
    let wrong = |name: &str| {
        Err(not_applied(
            "lifecycle.wrong_state",
            format!("not applied: `{name}` is not possible while the hazard is {status}"),
        ))
    };
    match (&e.kind, status) {
        (EventKind::Commented, _) => Ok(()),
        (EventKind::Reported(_), _) => Err(not_applied(
            "lifecycle.already_reported",
            "not applied: the hazard was already reported".to_owned(),
        )),
        (_, Status::Cancelled) if !matches!(e.kind, EventKind::Reopened { .. }) => {
            closed("cancelled")
        }
        (_, Status::Accepted) if !matches!(e.kind, EventKind::Reopened { .. }) => {
            closed("accepted and closed")
        }
        (
            EventKind::Assigned {
                assignee,
                deadline,
                measure,
            },
            Status::Reported | Status::Assigned | Status::Rejected,
        ) => {
            s.status = Some(Status::Assigned);
            s.assignee = Some(assignee.clone());
            s.deadline = Some(*deadline);
            if !measure.is_empty() {
                s.measure = measure.clone();
            }
            s.assigned_at = Some(e.at);
            Ok(())
        }
        (EventKind::RectificationSubmitted, Status::Assigned | Status::Rejected) => {
            s.status = Some(Status::RectificationSubmitted);
            s.submitted_at = Some(e.at);
            s.after_photos = e.photos.clone();
            Ok(())
        }
        (EventKind::FixedOnSpot, Status::Reported | Status::Assigned) => {
            s.status = Some(Status::FixedOnSpot);
            s.submitted_at = Some(e.at);
            s.after_photos = e.photos.clone();
            Ok(())
        }
        (EventKind::Accepted, Status::RectificationSubmitted | Status::FixedOnSpot) => {
            s.status = Some(Status::Accepted);
            s.closed_at = Some(e.at);
            Ok(())
        }
        (EventKind::Rejected { .. }, Status::RectificationSubmitted | Status::FixedOnSpot) => {
            s.status = Some(Status::Rejected);
            Ok(())
        }
        (EventKind::Escalated { .. }, _) => {
            if s.severity == Severity::Major {
                return Err(not_applied(
                    "lifecycle.already_major",
                    "not applied: the hazard is already major".to_owned(),
                ));
            }
            s.severity = Severity::Major;
            Ok(())
        }
        (EventKind::Cancelled { .. }, _) => {
            s.status = Some(Status::Cancelled);
            s.closed_at = Some(e.at);
            Ok(())
        }
        (EventKind::Reopened { .. }, Status::Accepted | Status::Cancelled) => {
            s.status = Some(if s.assignee.is_some() {
                Status::Assigned
            } else {
                Status::Reported
            });
            s.closed_at = None;
            Ok(())
        }
        (kind, _) => wrong(kind.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn ev(id: &str, kind: EventKind, by: &str, role: Role, at: Millis) -> Event {
        Event {
            id: id.to_owned(),
            kind,
            by: by.to_owned(),
            role,
            at,
            note: String::new(),
            photos: Vec::new(),
        }
    }

    fn report() -> EventKind {
        EventKind::Reported(Report {
            title: "Exit blocked".into(),
            severity: Severity::General,
            clauses: vec!["消防法 Art. 28".into()],
            item_id: Some("fire-law.exits-clear".into()),
            gb35181: Some("7.3.3".into()),
            measure: "Clear it".into(),
            deadline: None,
        })
    }

    #[test]
    fn the_full_loop_closes_the_hazard() {
        let events = vec![
            ev("1", report(), "ins", Role::Inspector, 10),
            ev(
                "2",
                EventKind::Assigned {
                    assignee: "own".into(),
                    deadline: 100,
                    measure: String::new(),
                },
                "ins",
                Role::Inspector,
                11,
            ),
            ev(
                "3",
                EventKind::RectificationSubmitted,
                "own",
                Role::Owner,
                50,
            ),
            ev("4", EventKind::Accepted, "sup", Role::Supervisor, 60),
        ];
        let s = fold(&events);
        assert_eq!(s.status, Some(Status::Accepted));
        assert_eq!(s.closed_at, Some(60));
        assert!(s.timeline.iter().all(|t| t.not_applied.is_none()));
        assert!(!s.is_overdue(1_000));
    }

    #[test]
    fn a_rectification_after_cancellation_is_kept_and_explained() {
        let events = vec![
            ev("1", report(), "ins", Role::Inspector, 10),
            ev(
                "2",
                EventKind::Assigned {
                    assignee: "own".into(),
                    deadline: 100,
                    measure: String::new(),
                },
                "ins",
                Role::Inspector,
                11,
            ),
            ev(
                "3",
                EventKind::Cancelled {
                    reason: "duplicate".into(),
                },
                "sup",
                Role::Supervisor,
                20,
            ),
            ev(
                "4",
                EventKind::RectificationSubmitted,
                "own",
                Role::Owner,
                30,
            ),
        ];
        let s = fold(&events);
        assert_eq!(s.status, Some(Status::Cancelled));
        assert_eq!(s.timeline.len(), 4);
        let last = s.timeline[3].not_applied.as_ref().expect("not applied");
        assert_eq!(last.rule, "lifecycle.closed");
        assert_eq!(
            last.reason,
            "not applied: hazard was cancelled by sup at 20"
        );
    }

    #[test]
    fn rejection_sends_it_back_and_overdue_is_derived() {
        let events = vec![
            ev("1", report(), "ins", Role::Inspector, 10),
            ev(
                "2",
                EventKind::Assigned {
                    assignee: "own".into(),
                    deadline: 100,
                    measure: String::new(),
                },
                "ins",
                Role::Inspector,
                11,
            ),
            ev(
                "3",
                EventKind::RectificationSubmitted,
                "own",
                Role::Owner,
                50,
            ),
            ev(
                "4",
                EventKind::Rejected {
                    reason: "still blocked".into(),
                },
                "sup",
                Role::Supervisor,
                60,
            ),
        ];
        let s = fold(&events);
        assert_eq!(s.status, Some(Status::Rejected));
        assert!(!s.is_overdue(99));
        assert!(s.is_overdue(101));
    }

    #[test]
    fn escalation_makes_it_major_once() {
        let events = vec![
            ev("1", report(), "ins", Role::Inspector, 10),
            ev(
                "2",
                EventKind::Escalated {
                    reason: "7.3.3 ×3".into(),
                },
                "ins",
                Role::Inspector,
                11,
            ),
            ev(
                "3",
                EventKind::Escalated {
                    reason: "again".into(),
                },
                "sup",
                Role::Supervisor,
                12,
            ),
        ];
        let s = fold(&events);
        assert_eq!(s.severity, Severity::Major);
        assert_eq!(
            s.timeline[2].not_applied.as_ref().map(|n| n.rule.as_str()),
            Some("lifecycle.already_major")
        );
    }

    #[test]
    fn reopen_returns_to_the_assignee() {
        let events = vec![
            ev("1", report(), "ins", Role::Inspector, 10),
            ev("2", EventKind::FixedOnSpot, "ins", Role::Inspector, 11),
            ev("3", EventKind::Accepted, "sup", Role::Supervisor, 12),
            ev(
                "4",
                EventKind::Reopened {
                    reason: "back again".into(),
                },
                "sup",
                Role::Supervisor,
                13,
            ),
        ];
        let s = fold(&events);
        assert_eq!(s.status, Some(Status::Reported));
        assert_eq!(s.closed_at, None);
    }

    #[test]
    fn events_before_the_report_are_not_applied() {
        let s = fold(&[ev("1", EventKind::Accepted, "sup", Role::Supervisor, 1)]);
        assert_eq!(s.status, None);
        assert_eq!(
            s.timeline[0].not_applied.as_ref().map(|n| n.rule.as_str()),
            Some("lifecycle.not_reported")
        );
    }

    #[test]
    fn events_round_trip_through_json() {
        let e = ev("1", report(), "ins", Role::Inspector, 10);
        let json = serde_json::to_string(&e).expect("serialises");
        assert!(json.contains("\"type\":\"reported\""), "{json}");
        let back: Event = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, e);
    }
}
