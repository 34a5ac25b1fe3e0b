//! Taking on the work done on this device before the first login. An app opens the workspace
//! under a provisional identity (a user name, no organisation) until the server says who the
//! user is; what was made meanwhile is that user's work, but written in a name and an
//! organisation the server does not know, under an actor it never registered. Nothing of it was
//! ever on the server, so each such document is rebuilt as a fresh automerge document under the
//! same id, in the user's name and organisation, by the user's registered actor, keeping only
//! what the model's rules let the user do. What they may not do (an owner's inspection, a site
//! in a grid they do not work in) is kept in the quarantine with its rule, never dropped.

use super::error::Result;
use super::quarantine::{self, RefusedWork};
use super::session::with_ws;
use super::state::SyncState;
use crate::workspace::{Authors, Onto, Workspace, kind_name};
use closeloop_model::doc::DocKind;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

/// Documents never synced whose every change was made by `authors`, some under a provisional
/// identity; sites first, since every other document takes its place from its site.
fn candidates(w: &mut Workspace, state: &SyncState, authors: &Authors) -> Vec<String> {
    let mut ids: Vec<String> = w
        .doc_ids()
        .into_iter()
        .filter(|id| !state.synced.contains_key(id))
        // One that cannot be read is left as it is; sync reports it.
        .filter(|id| w.made_provisionally(id, authors).unwrap_or(false))
        .collect();
    let is_site =
        |w: &Workspace, id: &String| w.doc_summary(id).is_some_and(|s| s.kind == DocKind::Site);
    ids.sort_by_key(|id| !is_site(w, id));
    ids
}

/// Rebuilds one document for the signed-in user. What is held is quarantined, durably, before
/// the document is replaced (or removed, when the document itself is held).
fn adopt_one(
    w: &mut Workspace,
    root: &Path,
    id: &str,
    authors: &Authors,
    held_sites: &BTreeMap<String, (String, String)>,
) -> Result<Option<RefusedWork>> {
    let bytes = w.save_doc(id)?;
    let heads = w.doc_heads(id)?;
    let (kind, title, site_id) = w
        .doc_summary(id)
        .map(|s| {
            (
                kind_name(s.kind).to_owned(),
                s.title.clone(),
                s.site.site_id.clone(),
            )
        })
        .unwrap_or_default();
    let mut rebuilt = w.rebuild(id, &bytes, Onto::Nothing, authors)?;
    if let Some((rule, why)) = held_sites.get(&site_id).filter(|_| site_id != id) {
        // "Not on the server, sync the site first" would send the user the wrong way: the site
        // is held right here, and why is what matters.
        for p in rebuilt
            .held
            .iter_mut()
            .filter(|p| p.rule == "placement.unknown_site")
        {
            p.rule = rule.clone();
            p.reason = format!("its site could not be taken on: {why}");
        }
    }
    let Some(first) = rebuilt.held.first() else {
        w.write_rebuilt(rebuilt)?;
        return Ok(None);
    };
    let (rule, reason) = (first.rule.clone(), first.reason.clone());
    let work = RefusedWork {
        id: String::new(),
        doc_id: id.to_owned(),
        kind,
        title,
        rule,
        reason,
        at: w.now(),
        heads: Vec::new(),
        file: String::new(),
        by_server: false,
        kept: rebuilt.kept.clone(),
        held: rebuilt.held.clone(),
    };
    let kept = quarantine::keep(root, work, &heads, &bytes)?;
    w.write_rebuilt(rebuilt)?;
    Ok(Some(kept))
}

/// Adopts for the signed-in user every never-synced document made on this device by the
/// `provisional` users alone (or with the signed-in user). Returns the entries of what was held.
pub fn adopt(
    ws: &Mutex<Workspace>,
    state: &SyncState,
    provisional: BTreeSet<String>,
) -> Result<Vec<RefusedWork>> {
    if provisional.is_empty() {
        return Ok(Vec::new());
    }
    let (root, authors, ids) = with_ws(ws, |w| {
        let authors = w.authors(provisional);
        let ids = candidates(w, state, &authors);
        (w.root().to_owned(), authors, ids)
    })?;
    let mut held_sites = BTreeMap::new();
    let mut out = Vec::new();
    for id in ids {
        let held = with_ws(ws, |w| adopt_one(w, &root, &id, &authors, &held_sites))??;
        if let Some(work) = held {
            let site_held = work.kind == "site" && work.held.iter().any(|p| p.kind == "document");
            if site_held {
                held_sites.insert(id, (work.rule.clone(), work.reason.clone()));
            }
            out.push(work);
        }
    }
    Ok(out)
}
