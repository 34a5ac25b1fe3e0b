//! The logic behind the exported API, in plain Rust: a workspace folder on the phone, the signed-in
//! user, and every operation they can do offline. Each operation checks the shared permission and
//! lifecycle rules before it writes anything, and returns only once its change is on disk.

mod authors;
mod error;
mod hazards;
mod inspections;
mod people;
mod reapply;
mod remote;
mod sites;
mod summary;
mod tasks;

pub use authors::Authors;
pub use error::{Error, Result};
pub use hazards::{HazardFilter, NewHazard, is_overdue};
pub use inspections::PhotoInput;
pub use people::DirectoryEntry;
pub use reapply::{FOREIGN_RULE, Onto, Part, Rebuilt};
pub use remote::Outgoing;
pub use summary::DocSummary;
pub use tasks::SiteTask;

use crate::photo::PhotoConfig;
use crate::store::{Blobs, DocStore, FolderLock, Repair, write_atomic};
use automerge::{ActorId, AutoCommit};
use closeloop_checklists::PackSet;
use closeloop_model::doc::{DocKind, Header};
use closeloop_model::lifecycle::Millis;
use closeloop_model::permission::{Action, authorize};
use closeloop_model::roles::{Actor, Role, Scope, SiteRef};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The signed-in user, as the server described them at login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
    pub device_id: String,
}

/// What the workspace folder remembers about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    version: u32,
    identity: Identity,
    /// One automerge actor per user on this device, so every change names who made it.
    actors: BTreeMap<String, String>,
    utc_offset_minutes: i32,
    /// Users a server has described at login; any other user of this device is a provisional
    /// identity, whose work is taken on by the next user to sign in.
    #[serde(default)]
    described: BTreeSet<String>,
}

/// Where the time comes from; tests replace it.
pub type Clock = Box<dyn Fn() -> Millis + Send>;

/// Milliseconds since the epoch, from the system clock.
pub fn system_now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

/// An open workspace.
pub struct Workspace {
    root: PathBuf,
    _lock: FolderLock,
    meta: Meta,
    docs: DocStore,
    blobs: Blobs,
    index: BTreeMap<String, DocSummary>,
    packs: &'static PackSet,
    clock: Clock,
    photo: PhotoConfig,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("root", &self.root)
            .field("docs", &self.docs)
            .finish()
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS generator only fails on systems we do not run on; fall back to the clock then.
    if getrandom::fill(&mut buf).is_err() {
        let t = system_now().to_le_bytes();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = t[i % t.len()] ^ (i as u8).wrapping_mul(31);
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl Workspace {
    /// Opens (or creates) the workspace at `root` for `identity`, with the shipped packs.
    pub fn open(root: &Path, identity: Identity, utc_offset_minutes: i32) -> Result<Workspace> {
        Self::open_with_clock(root, identity, utc_offset_minutes, Box::new(system_now))
    }

    /// As [`Workspace::open`], with a clock of the caller's.
    pub fn open_with_clock(
        root: &Path,
        identity: Identity,
        utc_offset_minutes: i32,
        clock: Clock,
    ) -> Result<Workspace> {
        std::fs::create_dir_all(root)?;
        let lock = FolderLock::take(root)?;
        let meta_path = root.join("workspace.json");
        let mut meta = match std::fs::read(&meta_path) {
            Ok(bytes) => serde_json::from_slice::<Meta>(&bytes).map_err(|e| Error::Invalid {
                field: "workspace.json".into(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Meta {
                version: 1,
                identity: identity.clone(),
                actors: BTreeMap::new(),
                utc_offset_minutes,
                described: BTreeSet::new(),
            },
            Err(e) => return Err(e.into()),
        };
        let changed = meta.identity != identity
            || meta.utc_offset_minutes != utc_offset_minutes
            || !meta.actors.contains_key(&identity.user_id)
            || !meta_path.exists();
        meta.identity = identity.clone();
        meta.utc_offset_minutes = utc_offset_minutes;
        meta.actors
            .entry(identity.user_id.clone())
            .or_insert_with(|| random_hex(16));
        if changed {
            write_atomic(
                &meta_path,
                &serde_json::to_vec_pretty(&meta).map_err(|e| Error::Invalid {
                    field: "workspace.json".into(),
                    reason: e.to_string(),
                })?,
            )?;
        }
        let actor = ActorId::from(hex_bytes(&meta.actors[&identity.user_id]));
        let docs = DocStore::open(root, actor)?;
        let blobs = Blobs::open(root)?;
        let mut index = BTreeMap::new();
        for (id, bytes) in docs.summaries() {
            // A summary this build cannot read (written by a newer app) is left out of lists but the
            // document itself is kept and still syncs.
            if let Ok(s) = serde_json::from_slice::<DocSummary>(bytes) {
                index.insert(id.clone(), s);
            }
        }
        Ok(Workspace {
            root: root.to_owned(),
            _lock: lock,
            meta,
            docs,
            blobs,
            index,
            packs: closeloop_checklists::builtin(),
            clock,
            photo: PhotoConfig::default(),
        })
    }

    /// The identity stored in a workspace folder (the last user who signed in there), if any.
    pub fn stored_identity(root: &Path) -> Option<Identity> {
        let bytes = std::fs::read(root.join("workspace.json")).ok()?;
        serde_json::from_slice::<Meta>(&bytes)
            .ok()
            .map(|m| m.identity)
    }

    /// The folder the workspace lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The signed-in user.
    pub fn identity(&self) -> &Identity {
        &self.meta.identity
    }

    /// The automerge actor id this user writes with on this device, hex.
    pub fn actor_hex(&self) -> &str {
        &self.meta.actors[&self.meta.identity.user_id]
    }

    /// What opening had to repair (torn writes cut off, damaged files quarantined).
    pub fn repairs(&self) -> &[Repair] {
        self.docs.repairs()
    }

    /// Photo settings for attachments.
    pub fn set_photo_config(&mut self, cfg: PhotoConfig) {
        self.photo = cfg;
    }

    /// Every document summary.
    pub fn summaries(&self) -> impl Iterator<Item = &DocSummary> {
        self.index.values()
    }

    /// The blob store (photos and the upload outbox).
    pub fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    pub(crate) fn now(&self) -> Millis {
        (self.clock)()
    }

    /// The workspace's time zone: where the phone is, used for sites it creates.
    pub(crate) fn offset(&self) -> i32 {
        self.meta.utc_offset_minutes
    }

    /// A site's time zone, as its document states it: dates, deadlines and periods at a site are
    /// the site's, the same on every phone and on the server. The workspace's own zone only for a
    /// site this phone does not hold.
    pub(crate) fn site_offset(&mut self, site_id: &str) -> i32 {
        match self.site(site_id) {
            Ok(site) => site.utc_offset(),
            Err(_) => self.offset(),
        }
    }

    pub(crate) fn actor(&self) -> Actor {
        let id = &self.meta.identity;
        Actor {
            user_id: id.user_id.clone(),
            role: id.role,
            scope: id.scope.clone(),
        }
    }

    pub(crate) fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}-{:011x}{}", self.now().max(0), random_hex(8))
    }

    pub(crate) fn check(&self, site: &SiteRef, action: &Action<'_>) -> Result<()> {
        authorize(&self.actor(), site, action)?;
        Ok(())
    }

    pub(crate) fn summary(&self, id: &str, kind: DocKind) -> Result<&DocSummary> {
        self.index
            .get(id)
            .filter(|s| s.kind == kind)
            .ok_or_else(|| Error::NotFound {
                what: kind_name(kind),
                id: id.to_owned(),
            })
    }

    /// An empty document written with this user's actor. Its first change (the header) must
    /// carry the actor the server has bound to this device, or the server refuses the document.
    pub(crate) fn new_doc(&self) -> AutoCommit {
        AutoCommit::new().with_actor(ActorId::from(hex_bytes(self.actor_hex())))
    }

    /// Stores a new document. Durable on return.
    pub(crate) fn create_doc(&mut self, header: &Header, mut doc: AutoCommit) -> Result<()> {
        let summary = summary::summarise_stored(&mut doc, self.now())?;
        let bytes = serde_json::to_vec(&summary).map_err(|e| Error::Invalid {
            field: "summary".into(),
            reason: e.to_string(),
        })?;
        self.docs.create(&header.id, doc, bytes)?;
        self.index.insert(header.id.clone(), summary);
        Ok(())
    }

    /// Reads a document through a typed view.
    pub(crate) fn read_doc<T>(
        &mut self,
        id: &str,
        read: impl FnOnce(&AutoCommit) -> Result<T, closeloop_model::doc::DocError>,
    ) -> Result<T> {
        let doc = self.docs.get(id)?;
        Ok(read(doc)?)
    }

    /// Changes a document and persists the change. If `edit` fails, nothing is written and the
    /// in-memory copy is rolled back.
    pub(crate) fn edit_doc<T>(
        &mut self,
        id: &str,
        edit: impl FnOnce(&mut AutoCommit) -> Result<T>,
    ) -> Result<T> {
        let now = self.now();
        let doc = self.docs.get(id)?;
        let out = match edit(doc) {
            Ok(out) => out,
            Err(e) => {
                doc.rollback();
                return Err(e);
            }
        };
        let summary = match summary::summarise_stored(doc, now) {
            Ok(s) => s,
            Err(e) => {
                self.docs.discard(id);
                return Err(e.into());
            }
        };
        let bytes = serde_json::to_vec(&summary).map_err(|e| Error::Invalid {
            field: "summary".into(),
            reason: e.to_string(),
        })?;
        self.docs.commit(id, bytes)?;
        self.index.insert(id.to_owned(), summary);
        Ok(out)
    }
}

pub(crate) fn kind_name(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Site => "site",
        DocKind::Inspection => "inspection",
        DocKind::Hazard => "hazard",
        DocKind::TaskPlan => "task plan",
    }
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}
