//! People as the rules see them: who may be made responsible for fixing a hazard at a site, and
//! the facilities a site names responsible persons for.
//!
//! The server judges assignments with the users it records; the phone with the directory it
//! fetched at its last sync (`GET /v1/people`). Both ask [`check_assignee`], so an honest phone
//! refuses the assignment the server would refuse, by the same rule.

use crate::doc::{DocKind, hazard};
use crate::lifecycle::EventKind;
use crate::permission::Denied;
use crate::roles::{Actor, Role, SiteRef};
use automerge::ReadDoc;
use serde::{Deserialize, Serialize};

/// A user as the assignment rule needs them: their role and scope, and whether the account is
/// active (a deactivated account keeps its history and its name but can no longer act).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub actor: Actor,
    pub active: bool,
}

/// The roles that can be made responsible for fixing a hazard: the site's owners and the
/// inspectors who work there. Supervisors and administrators judge the work; they do not do it.
pub const ASSIGNABLE_ROLES: [Role; 2] = [Role::Owner, Role::Inspector];

fn deny(rule: &'static str, reason: String) -> Result<(), Denied> {
    Err(Denied { rule, reason })
}

/// May `assignee` be made responsible for a hazard at `site`? `known` is what the checker holds
/// about that user id: the server's record, or the phone's directory entry. A user of another
/// organisation is answered exactly as one that does not exist.
pub fn check_assignee(
    site: &SiteRef,
    assignee: &str,
    known: Option<&Member>,
) -> Result<(), Denied> {
    let Some(m) =
        known.filter(|m| m.actor.scope.org_id == site.org_id && m.actor.user_id == assignee)
    else {
        return deny(
            "assignee.unknown",
            format!("`{assignee}` is not a user of this organisation"),
        );
    };
    if !m.active {
        return deny(
            "assignee.inactive",
            format!("{assignee}'s account is deactivated; choose someone else"),
        );
    }
    if !ASSIGNABLE_ROLES.contains(&m.actor.role) || !m.actor.reaches(site) {
        return deny(
            "assignee.cannot_act",
            format!(
                "{assignee} ({}) cannot act on site {}: a hazard goes to one of the site's owners or an inspector who works there",
                m.actor.role, site.site_id
            ),
        );
    }
    Ok(())
}

/// The people of `members` who may be made responsible for a hazard at `site`, in their order.
pub fn assignable<'a>(site: &SiteRef, members: &'a [Member]) -> Vec<&'a Member> {
    members
        .iter()
        .filter(|m| check_assignee(site, &m.actor.user_id, Some(m)).is_ok())
        .collect()
}

/// What part of a site a responsible person answers for (消防安全责任人 for the whole site, a
/// kitchen manager, whoever keeps the e-bike charging area…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facility {
    /// The whole site (消防安全责任人).
    WholeSite,
    Kitchen,
    Gas,
    Ebike,
    /// Hydrants, sprinklers, alarms and the fire control room.
    FireSystems,
    Storage,
    /// Rooms where people sleep.
    Accommodation,
}

impl Facility {
    pub const ALL: [Facility; 7] = [
        Facility::WholeSite,
        Facility::Kitchen,
        Facility::Gas,
        Facility::Ebike,
        Facility::FireSystems,
        Facility::Storage,
        Facility::Accommodation,
    ];

    /// The name used in the API, files and the console.
    pub fn as_str(self) -> &'static str {
        match self {
            Facility::WholeSite => "whole_site",
            Facility::Kitchen => "kitchen",
            Facility::Gas => "gas",
            Facility::Ebike => "ebike",
            Facility::FireSystems => "fire_systems",
            Facility::Storage => "storage",
            Facility::Accommodation => "accommodation",
        }
    }

    pub fn parse(s: &str) -> Option<Facility> {
        Facility::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// The assignees named by the `assigned` events `after` adds to a hazard document (none for any
/// other kind), in order, each once: the users whose records the checker must look up.
pub fn new_assignees<B: ReadDoc, A: ReadDoc>(before: Option<&B>, after: &A) -> Vec<String> {
    let Ok(new) = hazard::read(after) else {
        return Vec::new();
    };
    let old: Vec<String> = before
        .and_then(|b| hazard::read(b).ok())
        .map(|h| h.events.into_iter().map(|e| e.id).collect())
        .unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for e in new.events.iter().filter(|e| !old.contains(&e.id)) {
        if let EventKind::Assigned { assignee, .. } = &e.kind
            && !out.contains(assignee)
        {
            out.push(assignee.clone());
        }
    }
    out
}

/// Every assignment `after` adds to a hazard document must pass [`check_assignee`] with what
/// `known` holds of the assignee. The server calls it on every push beside
/// [`crate::validate::check_update`]; the phone asks [`check_assignee`] before writing.
pub fn check_new_assignments<B: ReadDoc, A: ReadDoc>(
    before: Option<&B>,
    after: &A,
    known: &dyn Fn(&str) -> Option<Member>,
) -> Result<(), Denied> {
    let Ok(header) = crate::doc::header(after) else {
        return Ok(());
    };
    if header.kind != DocKind::Hazard {
        return Ok(());
    }
    for a in new_assignees(before, after) {
        check_assignee(&header.site, &a, known(&a).as_ref())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Scope;

    fn member(id: &str, role: Role, grids: &[&str], sites: &[&str], active: bool) -> Member {
        Member {
            actor: Actor {
                user_id: id.into(),
                role,
                scope: Scope {
                    org_id: "org".into(),
                    grids: grids.iter().map(|s| s.to_string()).collect(),
                    sites: sites.iter().map(|s| s.to_string()).collect(),
                },
            },
            active,
        }
    }

    fn site() -> SiteRef {
        SiteRef {
            org_id: "org".into(),
            grid_id: "g1".into(),
            site_id: "s1".into(),
        }
    }

    fn rule(r: Result<(), Denied>) -> &'static str {
        r.expect_err("refused").rule
    }

    #[test]
    fn an_assignee_exists_is_active_and_works_at_the_site() {
        let owner = member("zhang", Role::Owner, &[], &["s1"], true);
        let inspector = member("wang", Role::Inspector, &["g1"], &[], true);
        assert_eq!(check_assignee(&site(), "zhang", Some(&owner)), Ok(()));
        assert_eq!(check_assignee(&site(), "wang", Some(&inspector)), Ok(()));
        assert_eq!(
            rule(check_assignee(&site(), "ghost", None)),
            "assignee.unknown"
        );
        // A record for another id is not this user's.
        assert_eq!(
            rule(check_assignee(&site(), "ghost", Some(&owner))),
            "assignee.unknown"
        );
        let mut elsewhere = owner.clone();
        elsewhere.actor.scope.org_id = "org2".into();
        assert_eq!(
            rule(check_assignee(&site(), "zhang", Some(&elsewhere))),
            "assignee.unknown",
            "another organisation's user is answered as one that does not exist"
        );
        let gone = member("zhang", Role::Owner, &[], &["s1"], false);
        assert_eq!(
            rule(check_assignee(&site(), "zhang", Some(&gone))),
            "assignee.inactive"
        );
        let other_shop = member("zhang", Role::Owner, &[], &["s2"], true);
        assert_eq!(
            rule(check_assignee(&site(), "zhang", Some(&other_shop))),
            "assignee.cannot_act"
        );
        let other_grid = member("wang", Role::Inspector, &["g2"], &[], true);
        assert_eq!(
            rule(check_assignee(&site(), "wang", Some(&other_grid))),
            "assignee.cannot_act"
        );
        let boss = member("li", Role::Supervisor, &[], &[], true);
        assert_eq!(
            rule(check_assignee(&site(), "li", Some(&boss))),
            "assignee.cannot_act",
            "supervisors judge the work; they are not given it"
        );
        let all = [owner, inspector, boss, other_grid];
        let ids: Vec<&str> = assignable(&site(), &all)
            .iter()
            .map(|m| m.actor.user_id.as_str())
            .collect();
        assert_eq!(ids, ["zhang", "wang"]);
    }

    #[test]
    fn only_the_assignments_a_push_adds_are_checked() {
        use crate::doc::Header;
        use crate::lifecycle::{Event, Report, Severity};
        let ev = |id: &str, kind: EventKind| Event {
            id: id.into(),
            kind,
            by: "wang".into(),
            role: Role::Inspector,
            at: 1,
            note: String::new(),
            photos: vec![],
        };
        let assign = |who: &str| EventKind::Assigned {
            assignee: who.into(),
            deadline: 10,
            measure: String::new(),
        };
        let mut before = automerge::AutoCommit::new();
        let header = Header {
            kind: DocKind::Hazard,
            id: "h".into(),
            site: site(),
        };
        let report = EventKind::Reported(Report {
            title: "t".into(),
            severity: Severity::General,
            clauses: vec![],
            item_id: None,
            gb35181: None,
            measure: String::new(),
            deadline: None,
        });
        hazard::create(&mut before, &header, None, &ev("e0", report)).expect("create");
        // An assignment already stored to someone since deactivated is history, not checked.
        hazard::append_event(&mut before, &ev("e1", assign("gone"))).expect("old");
        let mut after = before.fork();
        hazard::append_event(&mut after, &ev("e2", assign("zhang"))).expect("new");
        assert_eq!(new_assignees(Some(&before), &after), ["zhang"]);
        let zhang = member("zhang", Role::Owner, &[], &["s1"], true);
        let known = |id: &str| (id == "zhang").then(|| zhang.clone());
        assert_eq!(check_new_assignments(Some(&before), &after, &known), Ok(()));
        let nobody = |_: &str| None;
        assert_eq!(
            rule(check_new_assignments(Some(&before), &after, &nobody)),
            "assignee.unknown"
        );
        assert_eq!(
            new_assignees::<automerge::AutoCommit, _>(None, &after),
            ["gone", "zhang"]
        );
    }

    #[test]
    fn facilities_read_back_their_names() {
        for f in Facility::ALL {
            assert_eq!(Facility::parse(f.as_str()), Some(f));
        }
        assert_eq!(Facility::parse("roof"), None);
    }
}
