//! Work the server refused, kept visible: before a refused document is reset to the server's
//! copy, the device's whole version is saved under `quarantine/refused/` with the rule and the
//! reason, so the user can see what did not go through and nothing is dropped silently.
//!
//! Each entry is two files: `<name>.automerge` (the document as it was on the device) and
//! `<name>.json` (what was refused and why), written in that order, each atomically, so a listed
//! entry always has its bytes. `<name>` is the document id and a hash of its heads: a refusal of
//! the same version again (after a crash before the reset) rewrites the same entry.

use crate::store::{StoreError, sync_dir, write_atomic};
use automerge::ChangeHash;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};

/// One refused version of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedWork {
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
}

fn dir(root: &Path) -> PathBuf {
    root.join("quarantine").join("refused")
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
    if !d.exists() {
        fs::create_dir_all(&d)?;
        sync_dir(&root.join("quarantine"))?;
        sync_dir(root)?;
    }
    let name = entry_name(&work.doc_id, heads);
    work.file = format!("{name}.automerge");
    write_atomic(&d.join(&work.file), bytes)?;
    work.heads = heads.iter().map(ToString::to_string).collect();
    work.heads.sort();
    let json = serde_json::to_vec_pretty(&work)
        .map_err(|e| StoreError::Damaged(name.clone(), e.to_string()))?;
    write_atomic(&d.join(format!("{name}.json")), &json)?;
    Ok(work)
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
        if let Ok(w) = fs::read(e.path())
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<RefusedWork>(&b).map_err(|e| e.to_string()))
        {
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
