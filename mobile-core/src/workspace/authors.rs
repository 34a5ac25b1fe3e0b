//! Whose work on this device counts as the signed-in user's. Before the first login an app opens
//! the workspace under a provisional identity (a user name typed in, no organisation yet); what is
//! made under it is the same person's work and is taken on at login. A user a server has described
//! is someone else, even on a shared phone: their work is never sent in another name.

use super::Workspace;
use std::collections::BTreeSet;

/// The users and actors whose work is re-applied or adopted in the signed-in user's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authors {
    /// Provisional users of this device: their records' `by` is rewritten for the signed-in user.
    pub provisional: BTreeSet<String>,
    /// Actor ids (hex) of those users on this device.
    pub provisional_actors: BTreeSet<String>,
    /// The provisional actors and the signed-in user's own.
    pub actors: BTreeSet<String>,
}

impl Workspace {
    /// Users this device has worked as whom no server has described, leaving out `known` (users
    /// the sync state names: registered actors, the session's user), which covers workspaces
    /// written before described users were recorded.
    pub fn provisional_users(&self, known: &BTreeSet<String>) -> BTreeSet<String> {
        self.meta
            .actors
            .keys()
            .filter(|u| !self.meta.described.contains(*u) && !known.contains(*u))
            .cloned()
            .collect()
    }

    /// The authors for the signed-in user, taking on the work of `provisional` users.
    pub fn authors(&self, provisional: BTreeSet<String>) -> Authors {
        let provisional_actors: BTreeSet<String> = provisional
            .iter()
            .filter_map(|u| self.meta.actors.get(u).cloned())
            .collect();
        let mut actors = provisional_actors.clone();
        actors.insert(self.actor_hex().to_owned());
        Authors {
            provisional,
            provisional_actors,
            actors,
        }
    }

    /// Whether every change of a document was made by `authors`, some of them under a
    /// provisional identity: work that is the signed-in user's but not yet in their name.
    pub fn made_provisionally(&mut self, id: &str, authors: &Authors) -> super::Result<bool> {
        let doc = self.docs.get(id)?;
        let changes = doc.get_changes_meta(&[]);
        let actors: BTreeSet<String> = changes.iter().map(|c| c.actor.to_hex_string()).collect();
        Ok(actors.iter().all(|a| authors.actors.contains(a))
            && actors
                .iter()
                .any(|a| authors.provisional_actors.contains(a)))
    }
}
