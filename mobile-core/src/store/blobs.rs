//! Content-addressed blobs (photos, thumbnails) and the outbox of blobs not yet uploaded.
//! A blob is written once under its SHA-256; the outbox is one empty marker file per pending blob,
//! so an upload that fails is retried alone and a crash never loses the queue.

use super::{StoreError, sync_dir, write_atomic};
use std::fs;
use std::path::{Path, PathBuf};

/// The blob folder and its outbox.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
    outbox: PathBuf,
}

fn valid_hash(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl Blobs {
    /// Opens (creating if needed) the blob folders under `root`.
    pub fn open(root: &Path) -> Result<Blobs, StoreError> {
        let dir = root.join("blobs");
        let outbox = root.join("outbox");
        for d in [&dir, &outbox] {
            if !d.exists() {
                fs::create_dir_all(d)?;
                sync_dir(root)?;
            }
        }
        Ok(Blobs { dir, outbox })
    }

    /// Path of a stored blob.
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256)
    }

    /// Whether the blob is stored.
    pub fn has(&self, sha256: &str) -> bool {
        valid_hash(sha256) && self.path(sha256).exists()
    }

    /// Stores a blob under its hash (idempotent) and queues it for upload. Durable on return.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        if !valid_hash(sha256) {
            return Err(StoreError::Damaged(
                sha256.to_owned(),
                "not a SHA-256 name".to_owned(),
            ));
        }
        if !self.has(sha256) {
            write_atomic(&self.path(sha256), bytes)?;
        }
        let marker = self.outbox.join(sha256);
        if !marker.exists() {
            write_atomic(&marker, b"")?;
        }
        Ok(())
    }

    /// Reads a blob.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        if !valid_hash(sha256) {
            return Err(StoreError::Damaged(
                sha256.to_owned(),
                "not a SHA-256 name".to_owned(),
            ));
        }
        Ok(fs::read(self.path(sha256))?)
    }

    /// Blobs waiting for upload, oldest name first (deterministic).
    pub fn pending(&self) -> Result<Vec<String>, StoreError> {
        let mut out: Vec<String> = fs::read_dir(&self.outbox)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| valid_hash(n))
            .collect();
        out.sort();
        Ok(out)
    }

    /// Marks a blob uploaded. Durable on return.
    pub fn uploaded(&self, sha256: &str) -> Result<(), StoreError> {
        let marker = self.outbox.join(sha256);
        if marker.exists() {
            fs::remove_file(&marker)?;
            sync_dir(&self.outbox)?;
        }
        Ok(())
    }
}
