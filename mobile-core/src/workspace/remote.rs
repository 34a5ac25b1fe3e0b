//! What sync needs from a workspace: which documents changed, their changes since a point, and
//! taking in what the server sent (new changes, or its whole copy after a refusal). Every write
//! here is durable on return and keeps the document's summary (and so the lists) current.

use super::summary::{self, DocSummary, hex_heads};
use super::{Error, Identity, Result, Workspace, hex_bytes, random_hex};
use crate::store::{Received, write_atomic};
use automerge::{ActorId, AutoCommit, ChangeHash};
use closeloop_model::lifecycle::Millis;
use serde::{Deserialize, Serialize};

/// The one field of a stored summary that sync reads, whatever else the summary holds.
#[derive(Deserialize)]
struct StoredHeads {
    #[serde(default)]
    heads: Vec<String>,
}

/// The summary stored for a received document this build cannot summarise (a newer schema, say):
/// it does not parse as a [`DocSummary`], so the document is left out of lists, but it is kept and
/// still syncs.
#[derive(Serialize)]
struct Unlisted<'a> {
    heads: Vec<String>,
    unlisted: &'a str,
}

/// A document's changes to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// `save_after(since)`, or the whole saved document when nothing of it is known to be synced.
    pub bytes: Vec<u8>,
    /// The document's heads when `bytes` were taken: what the server holds once it accepts them.
    pub heads: Vec<ChangeHash>,
}

/// Summarises a received document; one that cannot be summarised is stored unlisted.
fn received_summary(doc: &mut AutoCommit, now: Millis) -> (Option<DocSummary>, Vec<u8>) {
    let unlisted = |doc: &mut AutoCommit, why: &str| {
        let u = Unlisted {
            heads: hex_heads(&doc.get_heads()),
            unlisted: why,
        };
        serde_json::to_vec(&u).unwrap_or_default()
    };
    match summary::summarise_stored(doc, now) {
        Ok(s) => match serde_json::to_vec(&s) {
            Ok(bytes) => (Some(s), bytes),
            Err(e) => (None, unlisted(doc, &e.to_string())),
        },
        Err(e) => (None, unlisted(doc, &e.to_string())),
    }
}

fn parse_heads(hex: &[String]) -> Option<Vec<ChangeHash>> {
    hex.iter().map(|h| h.parse().ok()).collect()
}

impl Workspace {
    /// Every document stored on this device, including ones left out of lists.
    pub fn doc_ids(&self) -> Vec<String> {
        self.docs.summaries().keys().cloned().collect()
    }

    /// Whether a document is stored on this device, listed or not.
    pub fn has_doc(&self, id: &str) -> bool {
        self.docs.contains(id)
    }

    /// A document's summary, if it is listed.
    pub fn doc_summary(&self, id: &str) -> Option<&DocSummary> {
        self.index.get(id)
    }

    /// A document's current heads. Read from its stored summary when that records them, so
    /// checking thousands of unchanged documents loads none of them.
    pub fn doc_heads(&mut self, id: &str) -> Result<Vec<ChangeHash>> {
        let stored = self
            .docs
            .summaries()
            .get(id)
            .and_then(|bytes| serde_json::from_slice::<StoredHeads>(bytes).ok())
            .filter(|s| !s.heads.is_empty())
            .and_then(|s| parse_heads(&s.heads));
        match stored {
            Some(heads) => Ok(heads),
            None => Ok(self.docs.get(id)?.get_heads()),
        }
    }

    /// The hashes among `hashes` that this device holds (in order).
    pub fn known_hashes(&mut self, id: &str, hashes: &[ChangeHash]) -> Result<Vec<ChangeHash>> {
        let doc = self.docs.get(id)?;
        Ok(hashes
            .iter()
            .filter(|h| doc.get_change_by_hash(h).is_some())
            .copied()
            .collect())
    }

    /// The changes of a document that are not dependencies of `since`, and its heads now.
    /// Hashes of `since` that the document does not hold are ignored (a document reset after a
    /// refusal no longer holds what it had), which can only make the result larger, never hide a
    /// change.
    pub fn changes_since(&mut self, id: &str, since: &[ChangeHash]) -> Result<Outgoing> {
        let known = self.known_hashes(id, since)?;
        let doc = self.docs.get(id)?;
        let bytes = if known.is_empty() {
            doc.save()
        } else {
            doc.save_after(&known)
        };
        Ok(Outgoing {
            bytes,
            heads: doc.get_heads(),
        })
    }

    /// The whole document as saved bytes (for the quarantine).
    pub fn save_doc(&mut self, id: &str) -> Result<Vec<u8>> {
        Ok(self.docs.get(id)?.save())
    }

    /// The heads of everything in `base` (heads this document holds) together with `received`
    /// (changes that came from the server), leaving out anything else the document holds, such
    /// as local changes not yet accepted. Received changes whose dependencies are outside `base`
    /// are left out too, which errs on the side of pushing again.
    pub fn heads_with(
        &mut self,
        id: &str,
        base: &[ChangeHash],
        received: &[u8],
    ) -> Result<Vec<ChangeHash>> {
        let known = self.known_hashes(id, base)?;
        let doc = self.docs.get(id)?;
        let mut fork = doc.fork_at(&known)?;
        if !received.is_empty() {
            fork.load_incremental(received)?;
        }
        Ok(fork.get_heads())
    }

    /// Loads changes received from the server into a document, creating it if new. Durable on
    /// return; the document's summary is updated (a document this build cannot summarise is kept
    /// but left out of lists).
    pub fn apply_remote(&mut self, id: &str, bytes: &[u8]) -> Result<Received> {
        let now = self.now();
        let mut listed = None;
        let received = self.docs.apply_remote(id, bytes, |doc| {
            let (s, bytes) = received_summary(doc, now);
            listed = s;
            bytes
        })?;
        self.relist(id, listed);
        Ok(received)
    }

    /// Replaces a document by the server's whole copy, or removes it when the server has none.
    /// Returns the document's heads afterwards (empty when removed). Durable on return.
    pub fn replace_doc(&mut self, id: &str, server: Option<&[u8]>) -> Result<Vec<ChangeHash>> {
        let Some(bytes) = server else {
            self.docs.remove(id)?;
            self.index.remove(id);
            return Ok(Vec::new());
        };
        let now = self.now();
        let mut listed = None;
        self.docs.replace(id, bytes, |doc| {
            let (s, bytes) = received_summary(doc, now);
            listed = s;
            bytes
        })?;
        self.relist(id, listed);
        Ok(self.docs.get(id)?.get_heads())
    }

    fn relist(&mut self, id: &str, listed: Option<DocSummary>) {
        match listed {
            Some(s) => self.index.insert(id.to_owned(), s),
            None => self.index.remove(id),
        };
    }

    /// Takes on the identity the server gave at login (another user, or new grids or sites), and
    /// makes later local changes use that user's actor on this device. The user counts as
    /// described by a server from now on (see [`Workspace::provisional_users`]). Durable on return.
    pub fn set_identity(&mut self, identity: Identity) -> Result<()> {
        let mut meta = self.meta.clone();
        meta.described.insert(identity.user_id.clone());
        meta.actors
            .entry(identity.user_id.clone())
            .or_insert_with(|| random_hex(16));
        meta.identity = identity;
        let bytes = serde_json::to_vec_pretty(&meta).map_err(|e| Error::Invalid {
            field: "workspace.json".into(),
            reason: e.to_string(),
        })?;
        write_atomic(&self.root.join("workspace.json"), &bytes)?;
        let actor = ActorId::from(hex_bytes(&meta.actors[&meta.identity.user_id]));
        self.meta = meta;
        self.docs.set_actor(actor);
        Ok(())
    }
}
