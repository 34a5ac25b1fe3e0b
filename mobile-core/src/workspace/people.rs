//! The people directory the server gave at the last sync (`GET /v1/people`), kept in the
//! workspace folder, so an assignment made offline is judged by the model's rule
//! (`people::check_assignee`) as the server will judge it. Before the first directory arrives
//! the phone cannot know anyone, and leaves the judgement to the server.

use super::{Error, Result, Workspace};
use crate::store::write_atomic;
use closeloop_model::lifecycle::EventKind;
use closeloop_model::people::{Member, check_assignee};
use closeloop_model::roles::{Actor, Role, Scope, SiteRef};
use serde::{Deserialize, Serialize};

const FILE: &str = "directory.json";

/// Someone in the directory, as the server lists them: only the part of their scope that lies
/// in this user's reach, which is all the rule needs for the sites this user can act at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    #[serde(default)]
    pub grid_ids: Vec<String>,
    #[serde(default)]
    pub site_ids: Vec<String>,
}

impl DirectoryEntry {
    /// The entry as the assignment rule reads it (the directory lists active accounts only).
    fn member(&self, org_id: &str) -> Option<Member> {
        Some(Member {
            actor: Actor {
                user_id: self.user_id.clone(),
                role: Role::parse(&self.role)?,
                scope: Scope {
                    org_id: org_id.to_owned(),
                    grids: self.grid_ids.clone(),
                    sites: self.site_ids.clone(),
                },
            },
            active: true,
        })
    }
}

impl Workspace {
    /// Keeps the directory the server sent, replacing the last one.
    pub fn set_directory(&mut self, people: &[DirectoryEntry]) -> Result<()> {
        let bytes = serde_json::to_vec(people).map_err(|e| Error::Invalid {
            field: FILE.into(),
            reason: e.to_string(),
        })?;
        write_atomic(&self.root().join(FILE), &bytes)?;
        Ok(())
    }

    /// The directory of the last sync; `None` before the first.
    pub fn directory(&self) -> Option<Vec<DirectoryEntry>> {
        let bytes = std::fs::read(self.root().join(FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Where the site `site_id` lies, as this workspace holds it.
    pub fn site_ref(&self, site_id: &str) -> Result<SiteRef> {
        Ok(self
            .summary(site_id, closeloop_model::doc::DocKind::Site)?
            .site
            .clone())
    }

    /// The people this user's directory says a hazard at `site` may be assigned to.
    pub fn assignees(&self, site: &SiteRef) -> Vec<DirectoryEntry> {
        let org = &self.identity().scope.org_id;
        self.directory()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| {
                e.member(org)
                    .is_some_and(|m| check_assignee(site, &e.user_id, Some(&m)).is_ok())
            })
            .collect()
    }

    /// Refuses an assignment to someone the directory does not show able to act at `site`, by
    /// the rule the server applies (`assignee.*`).
    pub(crate) fn check_assignment(&self, site: &SiteRef, kind: &EventKind) -> Result<()> {
        let EventKind::Assigned { assignee, .. } = kind else {
            return Ok(());
        };
        let Some(dir) = self.directory() else {
            return Ok(());
        };
        let org = &self.identity().scope.org_id;
        let known = dir
            .iter()
            .find(|e| &e.user_id == assignee)
            .and_then(|e| e.member(org));
        check_assignee(site, assignee, known.as_ref())?;
        Ok(())
    }
}
