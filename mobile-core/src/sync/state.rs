//! What the device remembers between syncs, in `sync.json` beside `workspace.json`: the server,
//! the session's tokens, the feed cursor, which actors are registered, and per document the heads
//! known to be on the server. Written whole with [`write_atomic`] after every step, so after a
//! crash it is the state after some completed step, never a mix.
//!
//! Every field errs on the safe side when it is stale: old `synced` heads only make a document be
//! pushed again (the server drops changes it has), an old cursor only makes a feed page come
//! again (loading changes twice is harmless), a lost file only costs a login and a full resync.

use crate::store::{StoreError, quarantine, write_atomic};
use automerge::ChangeHash;
use closeloop_model::roles::{Actor, Reach, Role, Scope};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The file name under the workspace folder.
pub const FILE: &str = "sync.json";

/// The tokens of a logged-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: String,
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub refresh_expires_at: i64,
}

/// Who the feed was last read for; when this grows the device reads the feed from the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedScope {
    pub user_id: String,
    pub role: String,
    pub org_id: String,
    pub grids: BTreeSet<String>,
    pub sites: BTreeSet<String>,
}

impl FeedScope {
    /// Where this user reaches, by the model's one reach rule; an unknown role reaches nothing.
    fn reach(&self) -> Reach {
        match Role::parse(&self.role) {
            Some(role) => Actor {
                user_id: self.user_id.clone(),
                role,
                scope: Scope {
                    org_id: self.org_id.clone(),
                    grids: self.grids.iter().cloned().collect(),
                    sites: self.sites.iter().cloned().collect(),
                },
            }
            .reach(),
            None => Reach::Areas {
                org_id: self.org_id.clone(),
                grids: Vec::new(),
                sites: Vec::new(),
            },
        }
    }

    /// Whether `next` may see documents that `self` did not (so history must be fetched again).
    pub fn grows_into(&self, next: &FeedScope) -> bool {
        self.user_id != next.user_id || !self.reach().includes(&next.reach())
    }
}

/// Everything sync persists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    pub version: u32,
    /// The server this device syncs with, normalised.
    #[serde(default)]
    pub server_url: Option<String>,
    #[serde(default)]
    pub session: Option<Session>,
    #[serde(default)]
    pub scope: Option<FeedScope>,
    /// The cursor of the last feed page applied; `None` before the first.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Actors registered with the server, by user.
    #[serde(default)]
    pub registered: BTreeMap<String, BTreeSet<String>>,
    /// Per document, heads (hex) whose whole history the server is known to hold.
    #[serde(default)]
    pub synced: BTreeMap<String, Vec<String>>,
}

impl SyncState {
    /// A fresh state for a server.
    pub fn for_server(url: &str) -> SyncState {
        SyncState {
            version: 1,
            server_url: Some(url.to_owned()),
            ..SyncState::default()
        }
    }

    fn path(root: &Path) -> PathBuf {
        root.join(FILE)
    }

    /// Reads the state. A missing file is a device that never synced. A damaged file is moved to
    /// `quarantine/` (its path is returned) and sync starts afresh, which costs a login and a full
    /// resync but loses nothing the user did.
    pub fn load(root: &Path) -> Result<(SyncState, Option<PathBuf>), StoreError> {
        let path = Self::path(root);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((SyncState::default(), None));
            }
            Err(e) => return Err(e.into()),
        };
        match serde_json::from_slice::<SyncState>(&bytes) {
            Ok(s) => Ok((s, None)),
            Err(_) => {
                let moved = quarantine(root, &path)?;
                Ok((SyncState::default(), Some(moved)))
            }
        }
    }

    /// Writes the state. On return it is on disk; a crash during the write leaves the previous one.
    pub fn save(&self, root: &Path) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(self)
            .map_err(|e| StoreError::Damaged(FILE.to_owned(), e.to_string()))?;
        write_atomic(&Self::path(root), &bytes)?;
        Ok(())
    }

    /// The heads of `doc` known to be on the server (empty if none, or if unreadable: then the
    /// whole document is pushed, which is harmless).
    pub fn synced_heads(&self, doc: &str) -> Vec<ChangeHash> {
        self.synced
            .get(doc)
            .and_then(|hex| {
                hex.iter()
                    .map(|h| h.parse().ok())
                    .collect::<Option<Vec<_>>>()
            })
            .unwrap_or_default()
    }

    /// Records heads of `doc` whose history the server holds.
    pub fn set_synced(&mut self, doc: &str, heads: &[ChangeHash]) {
        if heads.is_empty() {
            self.synced.remove(doc);
        } else {
            let mut hex: Vec<String> = heads.iter().map(ToString::to_string).collect();
            hex.sort();
            self.synced.insert(doc.to_owned(), hex);
        }
    }

    /// Users this state knows a server has: those with registered actors and the session's.
    pub fn known_users(&self) -> BTreeSet<String> {
        let mut users: BTreeSet<String> = self.registered.keys().cloned().collect();
        if let Some(s) = &self.session {
            users.insert(s.user_id.clone());
        }
        users
    }

    /// Whether `actor` is registered for `user`.
    pub fn is_registered(&self, user: &str, actor: &str) -> bool {
        self.registered
            .get(user)
            .is_some_and(|actors| actors.contains(actor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: u8) -> ChangeHash {
        ChangeHash([n; 32])
    }

    fn sample() -> SyncState {
        let mut s = SyncState::for_server("http://127.0.0.1:8080");
        s.session = Some(Session {
            user_id: "u-wang".into(),
            access_token: "a".into(),
            access_expires_at: 10,
            refresh_token: "r".into(),
            refresh_expires_at: 20,
        });
        s.cursor = Some("1240".into());
        s.registered
            .entry("u-wang".into())
            .or_default()
            .insert("a3f1".into());
        s.set_synced("hzd-1", &[hash(2), hash(1)]);
        s
    }

    #[test]
    fn the_state_survives_a_restart() {
        let dir = tempfile::tempdir().expect("tmp");
        let s = sample();
        s.save(dir.path()).expect("save");
        let (back, moved) = SyncState::load(dir.path()).expect("load");
        assert_eq!(back, s);
        assert!(moved.is_none());
        assert_eq!(back.synced_heads("hzd-1"), vec![hash(1), hash(2)]);
        assert!(back.is_registered("u-wang", "a3f1"));
        assert!(!back.is_registered("u-li", "a3f1"));
    }

    #[test]
    fn a_write_cut_short_leaves_the_previous_state() {
        let dir = tempfile::tempdir().expect("tmp");
        let s = sample();
        s.save(dir.path()).expect("save");
        // A crash during the next save leaves only its temporary file behind.
        let mut next = s.clone();
        next.cursor = Some("9999".into());
        let half = serde_json::to_vec(&next).expect("json");
        std::fs::write(
            dir.path()
                .join(format!(".{FILE}.{}.tmp", std::process::id())),
            &half[..half.len() / 2],
        )
        .expect("write");
        let (back, _) = SyncState::load(dir.path()).expect("load");
        assert_eq!(back.cursor.as_deref(), Some("1240"));
        // And the next save goes through in spite of the leftover.
        next.save(dir.path()).expect("save again");
        assert_eq!(
            SyncState::load(dir.path())
                .expect("load")
                .0
                .cursor
                .as_deref(),
            Some("9999")
        );
    }

    #[test]
    fn a_damaged_file_is_set_aside_and_sync_starts_afresh() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join(FILE), b"{\"version\": 1, \"cursor\": ").expect("write");
        let (back, moved) = SyncState::load(dir.path()).expect("load");
        assert_eq!(back, SyncState::default());
        let moved = moved.expect("quarantined");
        assert!(moved.starts_with(dir.path().join("quarantine")));
        assert!(!dir.path().join(FILE).exists());
    }

    #[test]
    fn unreadable_heads_mean_push_everything() {
        let mut s = SyncState::default();
        s.synced.insert("d".into(), vec!["zz".into()]);
        assert!(s.synced_heads("d").is_empty());
        s.set_synced("d", &[]);
        assert!(!s.synced.contains_key("d"));
    }

    #[test]
    fn feed_scope_growth() {
        let scope = |role: &str, grids: &[&str], sites: &[&str]| FeedScope {
            user_id: "u".into(),
            role: role.into(),
            org_id: "org-1".into(),
            grids: grids.iter().map(|g| g.to_string()).collect(),
            sites: sites.iter().map(|g| g.to_string()).collect(),
        };
        let g1 = scope("inspector", &["grid-1"], &[]);
        assert!(!g1.grows_into(&g1.clone()));
        assert!(!scope("inspector", &["grid-1", "grid-2"], &[]).grows_into(&g1));
        assert!(g1.grows_into(&scope("inspector", &["grid-1", "grid-2"], &[])));
        assert!(!g1.grows_into(&scope("supervisor", &["grid-1"], &[])));
        assert!(
            g1.grows_into(&scope("supervisor", &[], &[])),
            "to the whole org"
        );
        assert!(
            !g1.grows_into(&scope("inspector", &[], &[])),
            "an inspector with nothing reaches nothing"
        );
        assert!(!scope("admin", &[], &[]).grows_into(&scope("admin", &["grid-1"], &[])));
    }
}
