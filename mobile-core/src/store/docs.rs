//! All documents of a workspace: listed from their logs' summaries on open, loaded into automerge
//! only when used, and persisted change by change.

use super::log::{COMPACT_AFTER, DocLog, RecordKind, ensure_dir, last_summary};
use super::{Repair, StoreError, quarantine, sync_dir};
use automerge::{ActorId, AutoCommit, AutomergeError, ChangeHash};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

struct Loaded {
    doc: AutoCommit,
    log: DocLog,
    /// Heads already on disk: what the next record must follow.
    persisted: Vec<ChangeHash>,
}

/// The documents of one workspace.
pub struct DocStore {
    root: PathBuf,
    dir: PathBuf,
    actor: ActorId,
    summaries: BTreeMap<String, Vec<u8>>,
    loaded: BTreeMap<String, Loaded>,
    repairs: Vec<Repair>,
}

impl std::fmt::Debug for DocStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocStore")
            .field("dir", &self.dir)
            .field("documents", &self.summaries.len())
            .field("loaded", &self.loaded.len())
            .finish()
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl DocStore {
    /// Lists every document under `root/docs`, repairing torn tails and quarantining damage.
    pub fn open(root: &Path, actor: ActorId) -> Result<DocStore, StoreError> {
        let dir = root.join("docs");
        ensure_dir(&dir)?;
        let mut store = DocStore {
            root: root.to_owned(),
            dir,
            actor,
            summaries: BTreeMap::new(),
            loaded: BTreeMap::new(),
            repairs: Vec::new(),
        };
        let mut names: Vec<PathBuf> = fs::read_dir(&store.dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        for path in names {
            let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                continue;
            };
            if name.starts_with('.') && name.ends_with(".tmp") {
                // A file being written when the app died: never acknowledged.
                fs::remove_file(&path)?;
                continue;
            }
            let Some(id) = name.strip_suffix(".log").filter(|id| valid_id(id)) else {
                let quarantined = quarantine(&store.root, &path)?;
                store.repairs.push(Repair::Unreadable {
                    file: path.clone(),
                    detail: "not a document log".to_owned(),
                    quarantined,
                });
                continue;
            };
            store.list_one(id, &path)?;
        }
        Ok(store)
    }

    fn list_one(&mut self, id: &str, path: &Path) -> Result<(), StoreError> {
        let data = fs::read(path)?;
        match last_summary(&data) {
            Ok((Some(summary), false)) => {
                self.summaries.insert(id.to_owned(), summary);
            }
            Ok((_, _)) => match DocLog::open(&self.root, path, id) {
                Ok((_, loaded)) => {
                    if let Some(summary) = loaded.summary() {
                        self.summaries.insert(id.to_owned(), summary.to_vec());
                    }
                    self.repairs.extend(loaded.repair);
                }
                Err(StoreError::Damaged(_, detail)) => self.quarantine_file(path, detail)?,
                Err(e) => return Err(e),
            },
            Err(detail) => self.quarantine_file(path, detail)?,
        }
        Ok(())
    }

    fn quarantine_file(&mut self, path: &Path, detail: String) -> Result<(), StoreError> {
        let quarantined = quarantine(&self.root, path)?;
        self.repairs.push(Repair::Unreadable {
            file: path.to_owned(),
            detail,
            quarantined,
        });
        Ok(())
    }

    /// What opening had to repair.
    pub fn repairs(&self) -> &[Repair] {
        &self.repairs
    }

    /// Every document's latest summary, by id.
    pub fn summaries(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.summaries
    }

    /// Whether a document exists.
    pub fn contains(&self, id: &str) -> bool {
        self.summaries.contains_key(id)
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.log"))
    }

    /// Stores a new document. Durable on return.
    pub fn create(
        &mut self,
        id: &str,
        mut doc: AutoCommit,
        summary: Vec<u8>,
    ) -> Result<(), StoreError> {
        if !valid_id(id) {
            return Err(StoreError::Damaged(
                id.to_owned(),
                "invalid document id".to_owned(),
            ));
        }
        doc.set_actor(self.actor.clone());
        let snapshot = doc.save();
        let log = DocLog::create(&self.path(id), &summary, &snapshot)?;
        let persisted = doc.get_heads();
        self.summaries.insert(id.to_owned(), summary);
        self.loaded.insert(
            id.to_owned(),
            Loaded {
                doc,
                log,
                persisted,
            },
        );
        Ok(())
    }

    /// The document, loaded from its log if needed.
    pub fn get(&mut self, id: &str) -> Result<&mut AutoCommit, StoreError> {
        if !self.loaded.contains_key(id) {
            if !self.summaries.contains_key(id) {
                return Err(StoreError::Damaged(
                    id.to_owned(),
                    "no such document".to_owned(),
                ));
            }
            let (log, loaded) = DocLog::open(&self.root, &self.path(id), id)?;
            self.repairs.extend(loaded.repair);
            let mut records = loaded.records.into_iter();
            let first = records
                .next()
                .ok_or_else(|| StoreError::Damaged(id.to_owned(), "empty log".to_owned()))?;
            let damaged = |e: AutomergeError| StoreError::Damaged(id.to_owned(), e.to_string());
            let mut doc = AutoCommit::load(&first.bytes).map_err(damaged)?;
            for r in records {
                doc.load_incremental(&r.bytes).map_err(damaged)?;
            }
            doc.set_actor(self.actor.clone());
            let persisted = doc.get_heads();
            self.loaded.insert(
                id.to_owned(),
                Loaded {
                    doc,
                    log,
                    persisted,
                },
            );
        }
        Ok(&mut self
            .loaded
            .get_mut(id)
            .ok_or_else(|| StoreError::Damaged(id.to_owned(), "not loaded".to_owned()))?
            .doc)
    }

    /// Persists the document's changes since it was last persisted, with its new summary. Durable
    /// on return. If writing fails, the in-memory copy is dropped so it reloads from disk.
    pub fn commit(&mut self, id: &str, summary: Vec<u8>) -> Result<(), StoreError> {
        let Some(entry) = self.loaded.get_mut(id) else {
            return Err(StoreError::Damaged(id.to_owned(), "not loaded".to_owned()));
        };
        let heads = entry.doc.get_heads();
        if heads == entry.persisted {
            return Ok(());
        }
        let result = if entry.log.since_snapshot >= COMPACT_AFTER {
            let snapshot = entry.doc.save();
            entry.log.compact(&summary, &snapshot)
        } else {
            let changes = entry.doc.save_after(&entry.persisted);
            entry.log.append(RecordKind::Changes, &summary, &changes)
        };
        match result {
            Ok(()) => {
                entry.persisted = heads;
                self.summaries.insert(id.to_owned(), summary);
                Ok(())
            }
            Err(e) => {
                self.loaded.remove(id);
                Err(e)
            }
        }
    }

    /// Forgets the in-memory copy (e.g. after a failed edit), so the next use reloads from disk.
    pub fn discard(&mut self, id: &str) {
        self.loaded.remove(id);
    }

    /// Sets the actor that later local changes are written with (another user signed in on this
    /// device). Documents already loaded switch too.
    pub fn set_actor(&mut self, actor: ActorId) {
        for entry in self.loaded.values_mut() {
            entry.doc.set_actor(actor.clone());
        }
        self.actor = actor;
    }

    /// Loads changes received from elsewhere (the server's feed) into a document, creating the
    /// document from them if it is new. `summarise` gives the summary to store with the result.
    /// Durable on return. If the bytes cannot be read nothing is written.
    ///
    /// Changes whose dependencies this device does not have cannot be applied: for a new document
    /// nothing is created, for an existing one they wait in memory only. Both are reported as
    /// [`Received::gap`] so the caller can fetch the missing history.
    pub fn apply_remote(
        &mut self,
        id: &str,
        bytes: &[u8],
        summarise: impl FnOnce(&mut AutoCommit) -> Vec<u8>,
    ) -> Result<Received, StoreError> {
        let damaged = |e: AutomergeError| StoreError::Damaged(id.to_owned(), e.to_string());
        admit(id, bytes)?;
        if !self.contains(id) {
            let mut doc = match guarded(id, || AutoCommit::load(bytes))? {
                Ok(doc) => doc,
                Err(AutomergeError::MissingDeps) => {
                    return Ok(Received {
                        created: false,
                        gap: true,
                    });
                }
                Err(e) => return Err(damaged(e)),
            };
            let summary = summarise(&mut doc);
            self.create(id, doc, summary)?;
            return Ok(Received {
                created: true,
                gap: false,
            });
        }
        let doc = self.get(id)?;
        let loaded =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.load_incremental(bytes)))
                .unwrap_or_else(|_| Err(AutomergeError::Fail));
        if let Err(e) = loaded {
            // A half-applied load must not reach disk: reload the last durable state instead.
            self.discard(id);
            return Err(damaged(e));
        }
        let gap = !doc.get_missing_deps(&[]).is_empty();
        let summary = summarise(doc);
        self.commit(id, summary)?;
        Ok(Received {
            created: false,
            gap,
        })
    }

    /// Replaces a document by a whole saved document (the server's copy after a refusal).
    /// Atomic: after a crash the log holds either the old document or the new one, never a mix.
    /// Durable on return.
    pub fn replace(
        &mut self,
        id: &str,
        bytes: &[u8],
        summarise: impl FnOnce(&mut AutoCommit) -> Vec<u8>,
    ) -> Result<(), StoreError> {
        if !valid_id(id) {
            return Err(StoreError::Damaged(
                id.to_owned(),
                "invalid document id".to_owned(),
            ));
        }
        admit(id, bytes)?;
        let mut doc = guarded(id, || AutoCommit::load(bytes))?
            .map_err(|e| StoreError::Damaged(id.to_owned(), e.to_string()))?;
        let summary = summarise(&mut doc);
        // `create` writes the new log beside the old one and renames it into place.
        self.loaded.remove(id);
        self.create(id, doc, summary)
    }

    /// Removes a document from this device (the server has no copy of a refused new document).
    /// Durable on return.
    pub fn remove(&mut self, id: &str) -> Result<(), StoreError> {
        self.loaded.remove(id);
        match fs::remove_file(self.path(id)) {
            Ok(()) => sync_dir(&self.dir)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        self.summaries.remove(id);
        Ok(())
    }
}

/// What loading received changes did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// The document was new on this device and was created.
    pub created: bool,
    /// Some changes depend on history this device does not have; they were not applied.
    pub gap: bool,
}

/// Refuses bytes from the network that do not fit the protocol's payload budget, before
/// automerge decodes anything: the phone trusts its server, but not so far that a compromised
/// or broken one could exhaust it with one feed entry.
fn admit(id: &str, bytes: &[u8]) -> Result<(), StoreError> {
    use closeloop_model::protocol::budget;
    budget::check(bytes, &budget::Limits::default())
        .map(|_| ())
        .map_err(|e| StoreError::Damaged(id.to_owned(), format!("{e} ({})", e.rule())))
}

/// Runs an automerge call on received bytes, turning a panic inside automerge (0.12 asserts on
/// some inputs no budget can see) into a damaged-document error.
fn guarded<T>(
    id: &str,
    f: impl FnOnce() -> Result<T, AutomergeError>,
) -> Result<Result<T, AutomergeError>, StoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        StoreError::Damaged(
            id.to_owned(),
            "automerge could not apply the bytes".to_owned(),
        )
    })
}
