//! Who may do what: the one function both the phone and the server ask.
//!
//! The phone asks before writing, so an honest user is told at once; the server asks again for
//! every change it receives, so nobody else can get round it.

use crate::lifecycle::{EventKind, HazardState};
use crate::roles::{Actor, Role, SiteRef};
use closeloop_checklists::Purpose;
use serde::Serialize;
use std::fmt;

/// What is known about an inspection when deciding who may change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionFacts {
    /// The user who started it.
    pub inspector: String,
    pub purpose: Purpose,
    pub signed_off: bool,
}

/// Something a user wants to do to a site's documents.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Create a site or change its profile.
    EditSite,
    StartInspection {
        purpose: Purpose,
    },
    /// Answer items, attach photos, add notes.
    EditInspection {
        inspection: &'a InspectionFacts,
    },
    SignOff {
        inspection: &'a InspectionFacts,
    },
    /// A supervisor's comment, allowed after sign-off.
    CommentInspection {
        inspection: &'a InspectionFacts,
    },
    /// Append an event to a hazard in `hazard`'s current state.
    HazardEvent {
        kind: &'a EventKind,
        hazard: &'a HazardState,
    },
    /// Record a recurring self-check as done.
    CompleteTask,
    /// Regenerate the site's task plan.
    EditTaskPlan,
}

/// Why an action was refused. `rule` is stable, for clients and logs; `reason` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denied {
    pub rule: &'static str,
    pub reason: String,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason, self.rule)
    }
}

impl std::error::Error for Denied {}

fn deny(rule: &'static str, reason: impl Into<String>) -> Result<(), Denied> {
    Err(Denied {
        rule,
        reason: reason.into(),
    })
}

fn role_in(actor: &Actor, roles: &[Role], rule: &'static str, what: &str) -> Result<(), Denied> {
    if roles.contains(&actor.role) {
        return Ok(());
    }
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    deny(
        rule,
        format!(
            "{what} is for {}; you are {}",
            names.join(" or "),
            actor.role
        ),
    )
}

/// May `actor` do `action` on the documents of `site`?
pub fn authorize(actor: &Actor, site: &SiteRef, action: &Action<'_>) -> Result<(), Denied> {
    use Role::*;
    if !actor.reaches(site) {
        return deny(
            "scope.site",
            format!("site {} is outside your area", site.site_id),
        );
    }
    match action {
        Action::EditSite => role_in(
            actor,
            &[Inspector, Supervisor, Admin],
            "site.edit",
            "editing a site",
        ),
        Action::StartInspection { purpose } => {
            if *purpose == Purpose::SelfCheck {
                role_in(
                    actor,
                    &[Owner, Inspector, Supervisor],
                    "inspection.start",
                    "a self-check",
                )
            } else {
                role_in(
                    actor,
                    &[Inspector, Supervisor],
                    "inspection.start",
                    "an inspection",
                )
            }
        }
        Action::EditInspection { inspection } | Action::SignOff { inspection } => {
            if inspection.signed_off {
                return deny(
                    "inspection.signed_off",
                    "the inspection is signed off and can no longer be changed",
                );
            }
            if inspection.inspector != actor.user_id {
                return deny(
                    "inspection.not_yours",
                    format!(
                        "only {} who started this inspection can change it",
                        inspection.inspector
                    ),
                );
            }
            Ok(())
        }
        Action::CommentInspection { .. } => role_in(
            actor,
            &[Supervisor],
            "inspection.comment",
            "commenting on an inspection",
        ),
        Action::HazardEvent { kind, hazard } => hazard_event(actor, kind, hazard),
        Action::CompleteTask => role_in(
            actor,
            &[Owner, Inspector],
            "task.complete",
            "completing a self-check task",
        ),
        Action::EditTaskPlan => role_in(
            actor,
            &[Inspector, Supervisor, Admin],
            "task_plan.edit",
            "changing the task plan",
        ),
    }
}

fn hazard_event(actor: &Actor, kind: &EventKind, hazard: &HazardState) -> Result<(), Denied> {
    use Role::*;
    match kind {
        EventKind::Reported(_) => role_in(
            actor,
            &[Inspector, Owner, Supervisor],
            "hazard.report",
            "reporting a hazard",
        ),
        EventKind::Assigned { .. } => role_in(
            actor,
            &[Inspector, Supervisor],
            "hazard.assign",
            "assigning a hazard",
        ),
        EventKind::FixedOnSpot => role_in(
            actor,
            &[Inspector, Owner, Supervisor],
            "hazard.fix_on_spot",
            "recording a fix on the spot",
        ),
        EventKind::RectificationSubmitted => {
            let is_assignee = hazard.assignee.as_deref() == Some(actor.user_id.as_str());
            if is_assignee || actor.role == Owner {
                Ok(())
            } else {
                deny(
                    "hazard.rectify.assignee_or_owner",
                    "only the assignee or the site's owner submits a rectification",
                )
            }
        }
        EventKind::Accepted => role_in(
            actor,
            &[Supervisor],
            "hazard.accept.supervisor_only",
            "accepting a rectification",
        ),
        EventKind::Rejected { .. } => role_in(
            actor,
            &[Supervisor],
            "hazard.reject.supervisor_only",
            "rejecting a rectification",
        ),
        EventKind::Cancelled { .. } => role_in(
            actor,
            &[Supervisor],
            "hazard.cancel.supervisor_only",
            "cancelling a hazard",
        ),
        EventKind::Reopened { .. } => role_in(
            actor,
            &[Supervisor],
            "hazard.reopen.supervisor_only",
            "reopening a hazard",
        ),
        EventKind::Escalated { .. } => role_in(
            actor,
            &[Inspector, Supervisor],
            "hazard.escalate",
            "escalating a hazard",
        ),
        EventKind::Commented => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::fold;
    use crate::roles::Scope;

    fn site() -> SiteRef {
        SiteRef {
            org_id: "org".into(),
            grid_id: "g1".into(),
            site_id: "s1".into(),
        }
    }

    fn actor(user: &str, role: Role, grids: &[&str], sites: &[&str]) -> Actor {
        Actor {
            user_id: user.into(),
            role,
            scope: Scope {
                org_id: "org".into(),
                grids: grids.iter().map(|s| s.to_string()).collect(),
                sites: sites.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    #[test]
    fn only_supervisors_accept() {
        let state = fold(&[]);
        let kind = EventKind::Accepted;
        let action = Action::HazardEvent {
            kind: &kind,
            hazard: &state,
        };
        let owner = actor("o", Role::Owner, &[], &["s1"]);
        let err = authorize(&owner, &site(), &action).expect_err("owner refused");
        assert_eq!(err.rule, "hazard.accept.supervisor_only");
        assert_eq!(
            err.reason,
            "accepting a rectification is for supervisor; you are owner"
        );
        assert!(authorize(&actor("s", Role::Supervisor, &[], &[]), &site(), &action).is_ok());
    }

    #[test]
    fn scope_is_checked_first() {
        let other_grid = actor("i", Role::Inspector, &["g2"], &[]);
        let err = authorize(&other_grid, &site(), &Action::EditSite).expect_err("refused");
        assert_eq!(err.rule, "scope.site");
        let mut other_org = actor("s", Role::Supervisor, &[], &[]);
        other_org.scope.org_id = "org2".into();
        assert_eq!(
            authorize(&other_org, &site(), &Action::EditSite)
                .expect_err("refused")
                .rule,
            "scope.site"
        );
    }

    #[test]
    fn signed_off_inspections_are_frozen_except_for_supervisor_comments() {
        let facts = InspectionFacts {
            inspector: "i".into(),
            purpose: Purpose::FullInspection,
            signed_off: true,
        };
        let inspector = actor("i", Role::Inspector, &["g1"], &[]);
        let err = authorize(
            &inspector,
            &site(),
            &Action::EditInspection { inspection: &facts },
        )
        .expect_err("frozen");
        assert_eq!(err.rule, "inspection.signed_off");
        let sup = actor("s", Role::Supervisor, &[], &[]);
        assert!(
            authorize(
                &sup,
                &site(),
                &Action::CommentInspection { inspection: &facts }
            )
            .is_ok()
        );
    }

    #[test]
    fn another_inspectors_inspection_is_not_yours() {
        let facts = InspectionFacts {
            inspector: "i".into(),
            purpose: Purpose::Patrol,
            signed_off: false,
        };
        let other = actor("j", Role::Inspector, &["g1"], &[]);
        let err = authorize(
            &other,
            &site(),
            &Action::EditInspection { inspection: &facts },
        )
        .expect_err("refused");
        assert_eq!(err.rule, "inspection.not_yours");
    }

    #[test]
    fn owners_self_check_but_do_not_inspect() {
        let owner = actor("o", Role::Owner, &[], &["s1"]);
        assert!(
            authorize(
                &owner,
                &site(),
                &Action::StartInspection {
                    purpose: Purpose::SelfCheck
                }
            )
            .is_ok()
        );
        let err = authorize(
            &owner,
            &site(),
            &Action::StartInspection {
                purpose: Purpose::FullInspection,
            },
        )
        .expect_err("refused");
        assert_eq!(err.rule, "inspection.start");
    }

    #[test]
    fn rectification_is_for_the_assignee_or_owner() {
        use crate::lifecycle::{Event, Report, Severity};
        let state = fold(&[
            Event {
                id: "1".into(),
                kind: EventKind::Reported(Report {
                    title: "t".into(),
                    severity: Severity::General,
                    clauses: vec![],
                    item_id: None,
                    gb35181: None,
                    measure: String::new(),
                    deadline: None,
                }),
                by: "i".into(),
                role: Role::Inspector,
                at: 1,
                note: String::new(),
                photos: vec![],
            },
            Event {
                id: "2".into(),
                kind: EventKind::Assigned {
                    assignee: "worker".into(),
                    deadline: 10,
                    measure: String::new(),
                },
                by: "i".into(),
                role: Role::Inspector,
                at: 2,
                note: String::new(),
                photos: vec![],
            },
        ]);
        let kind = EventKind::RectificationSubmitted;
        let action = Action::HazardEvent {
            kind: &kind,
            hazard: &state,
        };
        assert!(
            authorize(
                &actor("worker", Role::Inspector, &["g1"], &[]),
                &site(),
                &action
            )
            .is_ok()
        );
        assert!(authorize(&actor("o", Role::Owner, &[], &["s1"]), &site(), &action).is_ok());
        let err = authorize(&actor("j", Role::Inspector, &["g1"], &[]), &site(), &action)
            .expect_err("refused");
        assert_eq!(err.rule, "hazard.rectify.assignee_or_owner");
    }
}
