//! Taking in a sync answer: first the result of each pushed document, then the feed page.
//!
//! `synced` heads only ever name changes the server is known to hold: what was pushed and
//! accepted (the heads taken with the push, not the document's heads when the answer arrives,
//! since the user may have edited meanwhile), the server's own heads when this device has them,
//! and changes that came from the feed. A local change is never counted as synced unless it was
//! part of an accepted push. The workspace is locked per document, not for the whole answer, so
//! the app stays usable while a page is applied.
//!
//! A refusal refuses only what broke a rule: once the document is reset to the server's copy,
//! the refused version's pieces that the model still allows are written again on top of it
//! (`reapply::after_refusal`), and only the others stay in the quarantine.

use super::error::{Result, SyncError};
use super::plan::{Planned, same_heads};
use super::quarantine::{self, RefusedWork};
use super::reapply;
use super::session::with_ws;
use super::state::SyncState;
use super::wire::{self, FeedEntry, PushResult, PushStatus};
use crate::workspace::{Authors, Workspace, kind_name};
use automerge::ChangeHash;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

/// What the results of one answer did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultsApplied {
    pub accepted: u32,
    pub refused: Vec<RefusedWork>,
    /// Refused documents that got pieces written again: they have changes to push.
    pub reapplied: Vec<String>,
}

/// What a feed page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedApplied {
    pub received: u32,
    /// Some changes depend on history this device never received (its scope grew without it
    /// knowing): the feed must be read again from the start.
    pub gap: bool,
}

fn parse_heads(hex: &[String]) -> Option<Vec<ChangeHash>> {
    hex.iter().map(|h| h.parse().ok()).collect()
}

/// Heads the server holds for an accepted document. When this device has every change the
/// server's heads name, those heads are exact: they cover the push if the server really took it,
/// and if they do not (a server that answers `accepted` without storing the changes), the changes
/// stay unsynced and go again rather than being lost. When the server names changes this device
/// has not received yet, the heads taken with the push are used.
fn accepted_heads(ws: &mut Workspace, p: &Planned, server: &[String]) -> Result<Vec<ChangeHash>> {
    let id = &p.push.doc_id;
    let Some(server) = parse_heads(server).filter(|h| !h.is_empty()) else {
        return Ok(p.heads.clone());
    };
    if ws.known_hashes(id, &server)?.len() == server.len() {
        Ok(server)
    } else {
        Ok(p.heads.clone())
    }
}

/// Saves the device's version in the quarantine, resets the document to the server's copy (or
/// removes it when the server has none), then writes again what of the version is still allowed
/// (nothing with `retry`). Returns the entry, the heads of the server's copy, and whether
/// anything was written again.
fn refuse(
    ws: &mut Workspace,
    root: &Path,
    r: &PushResult,
    server_doc: Option<&[u8]>,
    authors: &Authors,
    retry: bool,
) -> Result<(RefusedWork, Vec<ChangeHash>, bool)> {
    let id = &r.doc_id;
    let (rule, reason) = match &r.refusal {
        Some(f) => (f.rule.clone(), f.reason.clone()),
        None => (
            "unknown".to_owned(),
            "the server refused this change".to_owned(),
        ),
    };
    let (kind, title) = ws
        .doc_summary(id)
        .map(|s| (kind_name(s.kind).to_owned(), s.title.clone()))
        .unwrap_or_default();
    let work = RefusedWork {
        id: String::new(),
        doc_id: id.clone(),
        kind,
        title,
        rule,
        reason,
        at: ws.now(),
        heads: Vec::new(),
        file: String::new(),
        by_server: true,
        kept: Vec::new(),
        held: Vec::new(),
    };
    if !ws.has_doc(id) {
        let after = ws.replace_doc(id, server_doc)?;
        return Ok((work, after, false));
    }
    // The quarantine is durable before the document is touched: a crash between the two leaves
    // the work twice (quarantine and document), never nowhere.
    let heads = ws.doc_heads(id)?;
    let bytes = ws.save_doc(id)?;
    let kept = quarantine::keep(root, work, &heads, &bytes)?;
    let after = ws.replace_doc(id, server_doc)?;
    let (work, changed) = reapply::after_refusal(ws, kept, &bytes, authors, retry)?;
    Ok((work, after, changed))
}

/// Applies the per-document results of an answer to the documents pushed in `sent`. Updates
/// `synced` in `state`; the caller persists it. A refusal of a document in `retried` (pushed
/// again after its allowed pieces were written again) writes nothing again.
pub fn results(
    ws: &Mutex<Workspace>,
    state: &mut SyncState,
    root: &Path,
    sent: &[Planned],
    results: &[PushResult],
    retried: &BTreeSet<String>,
) -> Result<ResultsApplied> {
    let mut out = ResultsApplied::default();
    let known = state.known_users();
    let authors = with_ws(ws, |w| w.authors(w.provisional_users(&known)))?;
    for r in results {
        // A result for a document not sent in this request says nothing about this device's
        // changes; one missing for a sent document leaves it to be pushed again.
        let Some(p) = sent.iter().find(|p| p.push.doc_id == r.doc_id) else {
            continue;
        };
        match r.status {
            PushStatus::Accepted => {
                let heads = with_ws(ws, |w| accepted_heads(w, p, &r.heads))??;
                state.set_synced(&r.doc_id, &heads);
                out.accepted += 1;
            }
            PushStatus::Refused => {
                let server_doc = match &r.server_doc {
                    Some(b) => Some(wire::decode_field(b, "server_doc")?),
                    None => None,
                };
                let retry = retried.contains(&r.doc_id);
                let (work, heads, changed) = with_ws(ws, |w| {
                    refuse(w, root, r, server_doc.as_deref(), &authors, retry)
                })??;
                state.set_synced(&r.doc_id, &heads);
                if changed {
                    out.reapplied.push(r.doc_id.clone());
                }
                out.refused.push(work);
            }
        }
    }
    Ok(out)
}

/// Loads one feed entry and updates the document's synced heads.
fn feed_one(ws: &mut Workspace, state: &mut SyncState, id: &str, bytes: &[u8]) -> Result<bool> {
    let synced = state.synced_heads(id);
    // Without local changes since the last sync, everything the document holds after loading
    // came from the server; with them, only the synced part and the received changes count.
    let clean = ws.has_doc(id) && same_heads(&ws.doc_heads(id)?, &synced);
    let got = ws.apply_remote(id, bytes).map_err(|e| match e {
        crate::workspace::Error::Store(crate::store::StoreError::Damaged(_, why)) => {
            SyncError::Malformed(format!(
                "the feed's changes for {id} cannot be loaded: {why}"
            ))
        }
        other => other.into(),
    })?;
    if got.created || clean {
        state.set_synced(id, &ws.doc_heads(id)?);
    } else if ws.has_doc(id) {
        let heads = ws.heads_with(id, &synced, bytes)?;
        state.set_synced(id, &heads);
    }
    Ok(got.gap)
}

/// Applies a feed page, oldest entry first. Each document is durable as soon as it is loaded;
/// the caller stores the page's cursor (and `state`) once the whole page is in.
pub fn feed(
    ws: &Mutex<Workspace>,
    state: &mut SyncState,
    entries: &[FeedEntry],
    progress: &dyn Fn(u32),
) -> Result<FeedApplied> {
    let mut out = FeedApplied::default();
    for e in entries {
        let bytes = wire::decode_field(&e.changes, "feed changes")?;
        let gap = with_ws(ws, |w| feed_one(w, state, &e.doc_id, &bytes))??;
        out.gap |= gap;
        out.received += 1;
        progress(out.received);
    }
    Ok(out)
}
