//! The crash-safe local store: one append-only log per document, blobs, and the upload outbox.
//!
//! When a call that writes returns `Ok`, its bytes are on disk (`fdatasync` before returning;
//! new files are renamed into place and their folder synced). A crash can only leave a torn last
//! record, which was never acknowledged: it is cut off on open and reported. A damaged file
//! elsewhere is reported and moved to `quarantine/`; the rest of the workspace keeps working.

mod blobs;
mod docs;
mod log;

pub use blobs::Blobs;
pub use docs::{DocStore, Received};
pub use log::{DocLog, LoadedDoc, Record, RecordKind};

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Something the store found wrong and dealt with while opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// A torn record at the end of a log (a write the app never acknowledged) was cut off.
    TornTail { doc: String, dropped_bytes: u64 },
    /// A log was damaged before its end; the readable prefix was kept and the file quarantined.
    Damaged {
        doc: String,
        kept_records: usize,
        detail: String,
        quarantined: PathBuf,
    },
    /// A file that is not a document log was moved aside.
    Unreadable {
        file: PathBuf,
        detail: String,
        quarantined: PathBuf,
    },
}

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("disk: {0}")]
    Io(#[from] io::Error),
    #[error("the workspace is open in another process")]
    Locked,
    #[error("document {0} is damaged: {1}")]
    Damaged(String, String),
}

/// Writes `bytes` to `path` so that after return the file exists with exactly these bytes, or
/// (after a crash) does not exist at all.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        io::Write::write_all(&mut f, bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(dir)
}

/// Makes a rename or creation in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Moves a damaged file into `quarantine/` under a unique name, keeping it for support.
pub fn quarantine(root: &Path, file: &Path) -> io::Result<PathBuf> {
    let qdir = root.join("quarantine");
    fs::create_dir_all(&qdir)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut n = 0;
    let target = loop {
        let candidate = qdir.join(format!("{name}.{n}"));
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
    };
    fs::rename(file, &target)?;
    sync_dir(&qdir)?;
    if let Some(parent) = file.parent() {
        sync_dir(parent)?;
    }
    Ok(target)
}

/// An exclusive lock on a workspace folder, held while it is open.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

impl FolderLock {
    /// Takes the lock, or fails at once if another process holds it.
    pub fn take(root: &Path) -> Result<FolderLock, StoreError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(root.join("workspace.lock"))?;
        match file.try_lock() {
            Ok(()) => Ok(FolderLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked),
            Err(fs::TryLockError::Error(e)) => Err(StoreError::Io(e)),
        }
    }
}
