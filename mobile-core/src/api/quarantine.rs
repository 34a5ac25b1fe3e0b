//! The exported quarantine: work that did not go through, kept on the device, and what the user
//! can do with it. Every entry names the rule that stopped it and why; the user re-applies what
//! is still allowed or dismisses the entry. Nothing is ever deleted: a dismissed or settled entry
//! stays on disk for support.

use super::{CoreError, Workspace};
use crate::sync::quarantine::{self, RefusedWork};
use crate::sync::reapply;
use crate::workspace::Part;

/// One piece of a quarantined version of a document: a record it added (an answer, a photo, a
/// comment, a hazard event, a task completion, the sign-off), the site's details, a regenerated
/// task plan, or the document itself when it was new.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuarantinedPart {
    /// `document`, `site_details`, `task_plan`, `answer`, `photo`, `comment`, `sign_off`,
    /// `event` or `completion`.
    pub kind: String,
    /// The record's id (a photo's SHA-256), or the document id for document-wide pieces.
    pub id: String,
    /// What it is, for people ("event accepted", "answer to fire-law.exits-clear: fail").
    pub label: String,
    /// For a held piece, the stable id of the rule that stops it; empty for a kept one.
    pub rule: String,
    /// For a held piece, why, for the user; empty for a kept one.
    pub reason: String,
}

/// A version of a document that did not go through as it was. The document itself holds the
/// server's copy (or nothing, if the server has none) plus whatever of this version was written
/// again (`kept`); the version is saved on the device for as long as the entry exists.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuarantinedWork {
    /// The entry's id, for [`Workspace::reapply_quarantined`] and
    /// [`Workspace::dismiss_quarantined`].
    pub entry_id: String,
    /// The document the version is of.
    pub doc_id: String,
    /// site, inspection, hazard or task plan.
    pub kind: String,
    /// The document's title as lists showed it.
    pub title: String,
    /// Stable id of the rule that refused it, for logs and support.
    pub rule: String,
    /// Why, for the user.
    pub reason: String,
    /// When it was refused (ms since the epoch).
    pub at: i64,
    /// True when the server refused it; false when the phone held it back at login (work done
    /// before the first login that the user who signed in may not do).
    pub by_server: bool,
    /// Pieces written again on top of the server's copy; they go (or went) with a sync.
    pub kept: Vec<QuarantinedPart>,
    /// Pieces not written, each with its own rule and reason. Empty on an entry the list no
    /// longer shows (nothing of it is held).
    pub held: Vec<QuarantinedPart>,
}

fn part(p: Part) -> QuarantinedPart {
    QuarantinedPart {
        kind: p.kind,
        id: p.id,
        label: p.label,
        rule: p.rule,
        reason: p.reason,
    }
}

pub(super) fn quarantined_work(w: RefusedWork) -> QuarantinedWork {
    QuarantinedWork {
        entry_id: w.id,
        doc_id: w.doc_id,
        kind: w.kind,
        title: w.title,
        rule: w.rule,
        reason: w.reason,
        at: w.at,
        by_server: w.by_server,
        kept: w.kept.into_iter().map(part).collect(),
        held: w.held.into_iter().map(part).collect(),
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Workspace {
    /// Work that did not go through and still has something held, newest first: show each with
    /// its rule and reason, and let the user re-apply or dismiss it.
    pub async fn quarantined(&self) -> Result<Vec<QuarantinedWork>, CoreError> {
        self.run(|w| {
            Ok(quarantine::list(w.root())?
                .into_iter()
                .map(quarantined_work)
                .collect())
        })
        .await
    }

    /// Writes again, on top of the document as the phone holds it now (or as a new document when
    /// it holds none), every held piece of the entry that the rules allow now: after the user
    /// was given the grid, say, or once the photos an acceptance needs are on the server. They
    /// go with the next sync. Pieces the document already has are left alone. Returns the entry
    /// as it is now: `held` lists what is still stopped and why; when it is empty the entry has
    /// left [`Workspace::quarantined`]. `NotFound` for an entry that is not listed.
    pub async fn reapply_quarantined(
        &self,
        entry_id: String,
    ) -> Result<QuarantinedWork, CoreError> {
        self.run(move |w| Ok(quarantined_work(reapply::reapply(w, &entry_id)?)))
            .await
    }

    /// Takes an entry out of [`Workspace::quarantined`] at the user's request, without writing
    /// anything of it. It is kept on the phone for support, never deleted. `NotFound` for an
    /// entry that is not listed.
    pub async fn dismiss_quarantined(&self, entry_id: String) -> Result<(), CoreError> {
        self.run(move |w| {
            let root = w.root().to_owned();
            reapply::dismiss(&root, &entry_id).map(|_| ())
        })
        .await
    }
}
