//! Who someone is: their role and the part of the organisation they may see and change.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A user's role. One per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Grid worker (网格员): inspects sites in their grids and raises hazards.
    Inspector,
    /// Site owner or manager: self-checks and rectifies their own sites' hazards.
    Owner,
    /// Reviews rectifications, accepts, rejects, cancels and reopens hazards.
    Supervisor,
    /// Manages the organisation, its grids, sites and people.
    Admin,
}

impl Role {
    /// The name used in tokens and documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Inspector => "inspector",
            Role::Owner => "owner",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// Parses the name used in tokens and documents.
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Inspector, Role::Owner, Role::Supervisor, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a site sits in the organisation: organisation → grid → site.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SiteRef {
    pub org_id: String,
    pub grid_id: String,
    pub site_id: String,
}

/// The grids and sites a user is given, as the server records them. What they mean depends on the
/// role: [`Actor::reach`] is the one reading of it, for writing and for seeing alike.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scope {
    pub org_id: String,
    #[serde(default)]
    pub grids: Vec<String>,
    #[serde(default)]
    pub sites: Vec<String>,
}

/// The part of an organisation a user may see and act in: the one scope rule. Every check of
/// "may this user see or change things at this site" (the permission rules, the server's SQL
/// filters, photo reads, live events, the feed, the phone's "has my area grown") derives from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reach {
    /// Every grid and site of the organisation.
    Organisation { org_id: String },
    /// Only sites in these grids, and these sites. Both empty: nothing at all.
    Areas {
        org_id: String,
        grids: Vec<String>,
        sites: Vec<String>,
    },
}

impl Reach {
    /// The organisation the reach lies in.
    pub fn org_id(&self) -> &str {
        match self {
            Reach::Organisation { org_id } | Reach::Areas { org_id, .. } => org_id,
        }
    }

    /// Whether `site` lies within reach.
    pub fn covers(&self, site: &SiteRef) -> bool {
        match self {
            Reach::Organisation { org_id } => *org_id == site.org_id,
            Reach::Areas {
                org_id,
                grids,
                sites,
            } => {
                *org_id == site.org_id
                    && (grids.contains(&site.grid_id) || sites.contains(&site.site_id))
            }
        }
    }

    /// Whether nothing at all lies within reach.
    pub fn is_empty(&self) -> bool {
        matches!(self, Reach::Areas { grids, sites, .. } if grids.is_empty() && sites.is_empty())
    }

    /// Whether everything within `other` is within `self` too (so a device that synced for
    /// `self` has nothing to fetch again for `other`).
    pub fn includes(&self, other: &Reach) -> bool {
        if self.org_id() != other.org_id() {
            return other.is_empty();
        }
        match (self, other) {
            (Reach::Organisation { .. }, _) => true,
            (Reach::Areas { .. }, Reach::Organisation { .. }) => false,
            (
                Reach::Areas { grids, sites, .. },
                Reach::Areas {
                    grids: g2,
                    sites: s2,
                    ..
                },
            ) => g2.iter().all(|g| grids.contains(g)) && s2.iter().all(|s| sites.contains(s)),
        }
    }
}

/// Why a scope cannot be given to a user of some role. `rule` is stable; `field` names the list
/// at fault (`grid_ids` or `site_ids`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeError {
    pub rule: &'static str,
    pub field: &'static str,
    pub reason: String,
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.reason, self.rule)
    }
}

impl std::error::Error for ScopeError {}

/// Most grids or sites one user may be given; a district has far fewer.
pub const MAX_SCOPE_ENTRIES: usize = 1000;

impl Scope {
    /// Whether this list of grids and sites may be given to a user of `role`: no repeats, no
    /// grids for owners (an owner works on named sites), at least one site for an owner and at
    /// least one grid or site for an inspector (an inspector with none would see nothing and be
    /// able to do nothing). Supervisors and admins with neither reach the whole organisation.
    /// Whether the ids exist in the organisation is for the caller, who holds the records.
    pub fn check(&self, role: Role) -> Result<(), ScopeError> {
        let bad = |rule, field, reason: String| {
            Err(ScopeError {
                rule,
                field,
                reason,
            })
        };
        for (field, list) in [("grid_ids", &self.grids), ("site_ids", &self.sites)] {
            if list.len() > MAX_SCOPE_ENTRIES {
                return bad(
                    "scope.too_many",
                    field,
                    format!("at most {MAX_SCOPE_ENTRIES} entries"),
                );
            }
            let mut seen = std::collections::BTreeSet::new();
            if let Some(dup) = list.iter().find(|id| !seen.insert(id.as_str())) {
                return bad("scope.duplicate", field, format!("`{dup}` is listed twice"));
            }
        }
        match role {
            Role::Owner if !self.grids.is_empty() => bad(
                "scope.owner_grids",
                "grid_ids",
                "an owner is given sites, not grids".into(),
            ),
            Role::Owner if self.sites.is_empty() => bad(
                "scope.owner_sites",
                "site_ids",
                "an owner needs at least one site".into(),
            ),
            Role::Inspector if self.grids.is_empty() && self.sites.is_empty() => bad(
                "scope.inspector_empty",
                "grid_ids",
                "an inspector needs at least one grid or site".into(),
            ),
            _ => Ok(()),
        }
    }
}

/// The person doing something, as the permission rules see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    pub scope: Scope,
}

impl Actor {
    /// Where this actor may see and act: the one reading of a role and a scope. Owners reach
    /// their sites only; inspectors their grids and sites; supervisors and admins their grids and
    /// sites when they are given any, else the whole organisation.
    pub fn reach(&self) -> Reach {
        let org_id = self.scope.org_id.clone();
        let areas = |grids: Vec<String>| Reach::Areas {
            org_id: org_id.clone(),
            grids,
            sites: self.scope.sites.clone(),
        };
        match self.role {
            // Grids never widen an owner, even if a record somehow holds one.
            Role::Owner => areas(Vec::new()),
            Role::Inspector => areas(self.scope.grids.clone()),
            Role::Supervisor | Role::Admin
                if self.scope.grids.is_empty() && self.scope.sites.is_empty() =>
            {
                Reach::Organisation { org_id }
            }
            Role::Supervisor | Role::Admin => areas(self.scope.grids.clone()),
        }
    }

    /// Whether `site` is within this actor's reach.
    pub fn reaches(&self, site: &SiteRef) -> bool {
        self.reach().covers(site)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, grids: &[&str], sites: &[&str]) -> Actor {
        Actor {
            user_id: "u".into(),
            role,
            scope: Scope {
                org_id: "org".into(),
                grids: grids.iter().map(|s| s.to_string()).collect(),
                sites: sites.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    fn at(grid: &str, site: &str) -> SiteRef {
        SiteRef {
            org_id: "org".into(),
            grid_id: grid.into(),
            site_id: site.into(),
        }
    }

    /// The disagreements the adversarial review found between writing and seeing are gone: both
    /// are this one reading.
    #[test]
    fn one_reach_per_role_and_scope() {
        // An inspector with no grids reaches nothing (he could once write anywhere).
        let lost = actor(Role::Inspector, &[], &[]);
        assert!(lost.reach().is_empty());
        assert!(!lost.reaches(&at("g1", "s1")));
        // A supervisor given only sites reaches only those sites (she once saw everything).
        let sup = actor(Role::Supervisor, &[], &["s1"]);
        assert!(sup.reaches(&at("g1", "s1")));
        assert!(!sup.reaches(&at("g1", "s2")));
        // A supervisor with nothing listed reaches the whole organisation, and no other.
        let all = actor(Role::Supervisor, &[], &[]);
        assert!(all.reaches(&at("g9", "s9")));
        assert!(!all.reaches(&SiteRef {
            org_id: "org2".into(),
            ..at("g9", "s9")
        }));
        // An owner is never widened by a grid.
        let owner = actor(Role::Owner, &["g1"], &["s1"]);
        assert!(owner.reaches(&at("g1", "s1")));
        assert!(!owner.reaches(&at("g1", "s2")));
        // An inspector's grids and sites both count.
        let insp = actor(Role::Inspector, &["g1"], &["s5"]);
        assert!(insp.reaches(&at("g1", "s2")));
        assert!(insp.reaches(&at("g3", "s5")));
        assert!(!insp.reaches(&at("g3", "s6")));
    }

    #[test]
    fn reach_includes_what_it_covers() {
        let org = actor(Role::Admin, &[], &[]).reach();
        let g1 = actor(Role::Inspector, &["g1"], &[]).reach();
        let g12 = actor(Role::Inspector, &["g1", "g2"], &[]).reach();
        assert!(org.includes(&g1));
        assert!(g12.includes(&g1));
        assert!(!g1.includes(&g12));
        assert!(!g1.includes(&org));
        let elsewhere = Actor {
            scope: Scope {
                org_id: "org2".into(),
                ..Scope::default()
            },
            ..actor(Role::Admin, &[], &[])
        };
        assert!(!org.includes(&elsewhere.reach()));
    }

    #[test]
    fn scopes_are_checked_against_the_role() {
        let s = |grids: &[&str], sites: &[&str]| Scope {
            org_id: "org".into(),
            grids: grids.iter().map(|s| s.to_string()).collect(),
            sites: sites.iter().map(|s| s.to_string()).collect(),
        };
        let rule = |r: Result<(), ScopeError>| r.expect_err("refused").rule;
        assert_eq!(
            rule(s(&[], &["a", "a"]).check(Role::Owner)),
            "scope.duplicate"
        );
        assert_eq!(
            rule(s(&["g", "g"], &[]).check(Role::Supervisor)),
            "scope.duplicate"
        );
        assert_eq!(
            rule(s(&["g"], &["a"]).check(Role::Owner)),
            "scope.owner_grids"
        );
        assert_eq!(rule(s(&[], &[]).check(Role::Owner)), "scope.owner_sites");
        assert_eq!(
            rule(s(&[], &[]).check(Role::Inspector)),
            "scope.inspector_empty"
        );
        assert_eq!(s(&[], &[]).check(Role::Supervisor), Ok(()));
        assert_eq!(s(&["g"], &["a"]).check(Role::Inspector), Ok(()));
    }
}
