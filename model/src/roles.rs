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

/// The part of an organisation a user works in. An empty `grids` list with no `sites` means the
/// whole organisation (supervisors and admins); owners list their sites.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scope {
    pub org_id: String,
    #[serde(default)]
    pub grids: Vec<String>,
    #[serde(default)]
    pub sites: Vec<String>,
}

impl Scope {
    /// Whether the scope includes `site`.
    pub fn covers(&self, site: &SiteRef) -> bool {
        if self.org_id != site.org_id {
            return false;
        }
        if self.grids.is_empty() && self.sites.is_empty() {
            return true;
        }
        self.grids.contains(&site.grid_id) || self.sites.contains(&site.site_id)
    }
}

/// The person doing something, as the permission rules see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    pub scope: Scope,
}
