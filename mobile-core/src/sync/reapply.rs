//! Acting on refused work: writing again what is still allowed (at once after a refusal, or when
//! the user asks), and dismissing an entry. Both keep the refused version on disk; nothing of it
//! is ever deleted.

use super::quarantine::{self, RefusedWork, SetAside};
use super::state::SyncState;
use crate::store::StoreError;
use crate::workspace::{Authors, Error, Onto, Part, Result, Workspace};
use std::path::Path;

/// The entry after an attempt: listed while something is held, set aside as resolved once
/// nothing is.
fn settle(root: &Path, work: &RefusedWork) -> Result<()> {
    if work.held.is_empty() {
        quarantine::set_aside(root, work, SetAside::Resolved)?;
    } else {
        quarantine::update(root, work)?;
    }
    Ok(())
}

/// A version that cannot be read at all is held whole.
fn unreadable(work: &RefusedWork, why: String) -> Part {
    Part {
        kind: "document".into(),
        id: work.doc_id.clone(),
        label: format!("this version of {} {}", work.kind, work.title),
        rule: "doc.malformed".into(),
        reason: why,
    }
}

/// After the server refused `work` (saved in quarantine, the document reset to the server's
/// copy): writes again the pieces of the refused version `bytes` that the model's rules still
/// allow on top of that copy, and records in the entry what was kept and what is held. With
/// `retry` (the server refused a version whose pieces had all been written again this way),
/// nothing is written and every piece is held: the server knows something the phone does not.
/// Returns the entry and whether the document changed (and so has changes to push).
pub fn after_refusal(
    ws: &mut Workspace,
    mut work: RefusedWork,
    bytes: &[u8],
    authors: &Authors,
    retry: bool,
) -> Result<(RefusedWork, bool)> {
    let root = ws.root().to_owned();
    let onto = if ws.has_doc(&work.doc_id) {
        Onto::Local
    } else {
        Onto::Nothing
    };
    let rebuilt = match ws.rebuild(&work.doc_id, bytes, onto, authors) {
        Ok(r) => r,
        Err(Error::Store(StoreError::Damaged(_, why))) => {
            work.held = vec![unreadable(&work, why)];
            quarantine::update(&root, &work)?;
            return Ok((work, false));
        }
        Err(e) => return Err(e),
    };
    if retry {
        let (rule, reason) = (work.rule.clone(), work.reason.clone());
        work.held = rebuilt
            .kept
            .into_iter()
            .map(|p| p.held(&rule, reason.clone()))
            .chain(rebuilt.held)
            .collect();
        quarantine::update(&root, &work)?;
        return Ok((work, false));
    }
    work.kept = rebuilt.kept.clone();
    work.held = rebuilt.held.clone();
    let changed = !work.kept.is_empty();
    ws.write_rebuilt(rebuilt)?;
    settle(&root, &work)?;
    Ok((work, changed))
}

/// The authors for the signed-in user on this device: their own work and that of provisional
/// identities no server knows.
pub fn authors_of(ws: &Workspace) -> Result<Authors> {
    let (state, _) = SyncState::load(ws.root())?;
    Ok(ws.authors(ws.provisional_users(&state.known_users())))
}

fn entry(root: &Path, entry_id: &str) -> Result<RefusedWork> {
    quarantine::find(root, entry_id)?.ok_or_else(|| Error::NotFound {
        what: "quarantined work",
        id: entry_id.to_owned(),
    })
}

/// Writes again what is still allowed of a listed entry, on top of the document as the device
/// holds it now (or as a new document when it holds none), for the next sync to push. Pieces
/// already there are left alone; the entry records what was kept and what is still held, and
/// leaves the list once nothing is held. Returns the entry as it is now.
pub fn reapply(ws: &mut Workspace, entry_id: &str) -> Result<RefusedWork> {
    let root = ws.root().to_owned();
    let mut work = entry(&root, entry_id)?;
    let bytes = quarantine::bytes(&root, &work)?;
    let authors = authors_of(ws)?;
    let onto = if ws.has_doc(&work.doc_id) {
        Onto::Local
    } else {
        Onto::Nothing
    };
    let rebuilt = match ws.rebuild(&work.doc_id, &bytes, onto, &authors) {
        Ok(r) => r,
        Err(Error::Store(StoreError::Damaged(_, why))) => {
            work.held = vec![unreadable(&work, why)];
            quarantine::update(&root, &work)?;
            return Ok(work);
        }
        Err(e) => return Err(e),
    };
    work.kept.extend(rebuilt.kept.iter().cloned());
    work.held = rebuilt.held.clone();
    ws.write_rebuilt(rebuilt)?;
    settle(&root, &work)?;
    Ok(work)
}

/// Takes a listed entry out of the list at the user's request; it stays on disk under
/// `quarantine/dismissed/`. Returns the entry as it was.
pub fn dismiss(root: &Path, entry_id: &str) -> Result<RefusedWork> {
    let work = entry(root, entry_id)?;
    quarantine::set_aside(root, &work, SetAside::Dismissed)?;
    Ok(work)
}
