//! Work that did not go through, kept visible: before a refused document is reset to the
//! server's copy (or work made before the first login is rewritten for the user who signed in),
//! the device's whole version is saved under `quarantine/refused/` with the rule and the reason,
//! and what of it was written again (`kept`) and what not (`held`), so the user can see what did
//! not go through and nothing is dropped silently.
//!
//! Each entry is two files: `<name>.automerge` (the document as it was on the device) and
//! `<name>.json` (what was refused and why), written in that order, each atomically, so a listed
//! entry always has its bytes. `<name>`, the entry's id, is the document id and a hash of its
//! heads: a refusal of the same version again (after a crash before the reset) rewrites the same
//! entry. An entry leaves the list only by being moved, never deleted: to `quarantine/dismissed/`
//! when the user dismisses it, to `quarantine/resolved/` once nothing of it is held any more.

use crate::store::{StoreError, sync_dir, write_atomic};
use crate::workspace::Part;
use automerge::ChangeHash;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};

/// One refused version of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedWork {
    /// The entry's id (its file name without extension), for re-applying or dismissing it.
    #[serde(default)]
    pub id: String,
    pub doc_id: String,
    /// site, inspection, hazard or task plan; empty if the document could not be read.
    #[serde(default)]
    pub kind: String,
    /// The document's title as the lists showed it.
    #[serde(default)]
    pub title: String,
    /// The rule the server applied (stable id), and its reason for people.
    pub rule: String,
    pub reason: String,
    /// When the refusal arrived, ms since the epoch.
    pub at: i64,
    /// The refused version's heads (hex).
    pub heads: Vec<String>,
    /// The file beside this entry that holds the refused version.
    pub file: String,
    /// Whether the server refused this version; `false` when the phone held it back itself
    /// (work made before the first login that the user who signed in may not do).
    #[serde(default = "by_server_default")]
    pub by_server: bool,
    /// Pieces of the version written again since (they go with the next push).
    #[serde(default)]
    pub kept: Vec<Part>,
    /// Pieces still not written, each with the rule and reason that stop it.
    #[serde(default)]
    pub held: Vec<Part>,
}

/// Entries written before the phone held anything back itself were all the server's refusals.
fn by_server_default() -> bool {
    true
}

/// Where an entry goes when it leaves the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetAside {
    /// The user chose to leave it.
    Dismissed,
    /// Nothing of it is held any more.
    Resolved,
}

impl SetAside {
    fn folder(self) -> &'static str {
        match self {
            SetAside::Dismissed => "dismissed",
            SetAside::Resolved => "resolved",
        }
    }
}

fn quarantine_dir(root: &Path, folder: &str) -> PathBuf {
    root.join("quarantine").join(folder)
}

fn dir(root: &Path) -> PathBuf {
    quarantine_dir(root, "refused")
}

fn ensure(root: &Path, d: &Path) -> Result<(), StoreError> {
    if !d.exists() {
        fs::create_dir_all(d)?;
        sync_dir(&root.join("quarantine"))?;
        sync_dir(root)?;
    }
    Ok(())
}

/// Whether `id` can name an entry: a document id, a dot, 16 hex digits (never a path).
fn valid_entry_id(id: &str) -> bool {
    let Some((doc, hash)) = id.rsplit_once('.') else {
        return false;
    };
    closeloop_model::protocol::is_id(doc)
        && hash.len() == 16
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

fn entry_name(doc_id: &str, heads: &[ChangeHash]) -> String {
    let mut sorted: Vec<String> = heads.iter().map(ToString::to_string).collect();
    sorted.sort();
    let digest = Sha256::digest(sorted.join(",").as_bytes());
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{doc_id}.{short}")
}

/// Keeps a refused version: `bytes` are the whole document as it was on the device, `heads` its
/// heads. Fills in `work.heads` and `work.file`. Durable on return.
pub fn keep(
    root: &Path,
    mut work: RefusedWork,
    heads: &[ChangeHash],
    bytes: &[u8],
) -> Result<RefusedWork, StoreError> {
    let d = dir(root);
    ensure(root, &d)?;
    let name = entry_name(&work.doc_id, heads);
    work.id = name.clone();
    work.file = format!("{name}.automerge");
    write_atomic(&d.join(&work.file), bytes)?;
    work.heads = heads.iter().map(ToString::to_string).collect();
    work.heads.sort();
    update(root, &work)?;
    Ok(work)
}

/// Rewrites a listed entry's description (after some of it was written again). Durable on return.
pub fn update(root: &Path, work: &RefusedWork) -> Result<(), StoreError> {
    let json = serde_json::to_vec_pretty(work)
        .map_err(|e| StoreError::Damaged(work.id.clone(), e.to_string()))?;
    write_atomic(&dir(root).join(format!("{}.json", work.id)), &json)?;
    Ok(())
}

/// The listed entry with this id, if there is one.
pub fn find(root: &Path, id: &str) -> Result<Option<RefusedWork>, StoreError> {
    if !valid_entry_id(id) {
        return Ok(None);
    }
    Ok(list(root)?.into_iter().find(|w| w.id == id))
}

/// Moves an entry out of the list, description first (so it is never listed without its bytes),
/// into `quarantine/dismissed/` or `quarantine/resolved/`, where it stays for support. An entry of
/// the same name already there (the same version set aside before) is replaced. Durable on return.
pub fn set_aside(root: &Path, work: &RefusedWork, to: SetAside) -> Result<(), StoreError> {
    let from = dir(root);
    let target = quarantine_dir(root, to.folder());
    ensure(root, &target)?;
    update(root, work)?;
    for name in [format!("{}.json", work.id), work.file.clone()] {
        match fs::rename(from.join(&name), target.join(&name)) {
            Ok(()) => {}
            // Moved already, by a set-aside a crash cut short.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    sync_dir(&target)?;
    sync_dir(&from)?;
    Ok(())
}

/// Every refused version kept on this device, newest first.
pub fn list(root: &Path) -> Result<Vec<RefusedWork>, StoreError> {
    let d = dir(root);
    let entries = match fs::read_dir(&d) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        // An entry that cannot be read is skipped, not fatal: the list is for people, and its
        // bytes stay on disk for support.
        if let Ok(mut w) = fs::read(e.path())
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<RefusedWork>(&b).map_err(|e| e.to_string()))
        {
            // Entries written before ids were stored are named by their file.
            if w.id.is_empty() {
                w.id = name.trim_end_matches(".json").to_owned();
            }
            out.push(w);
        }
    }
    out.sort_by(|a, b| b.at.cmp(&a.at).then(a.doc_id.cmp(&b.doc_id)));
    Ok(out)
}

/// The saved bytes of a refused version.
pub fn bytes(root: &Path, work: &RefusedWork) -> Result<Vec<u8>, StoreError> {
    Ok(fs::read(dir(root).join(&work.file))?)
}
