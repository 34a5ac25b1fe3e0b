//! The whole exported API of the phone core: [`open_workspace`] and the [`Workspace`] object.
//! Calls that touch the disk or the network, or that may wait behind a long write (a photo being
//! processed holds the workspace for a moment), are `async` (Kotlin `suspend`, Swift `async`) and
//! run off the caller's thread; every write is on disk when the call returns. The only plain calls
//! are [`Workspace::actor_id`] and [`Workspace::repairs`]; see their notes. Login, logout and sync
//! are in `remote`; refused work (list, re-apply, dismiss) in `quarantine`.

mod convert;
mod error;
mod quarantine;
mod remote;
mod types;

pub use error::CoreError;
pub use quarantine::{QuarantinedPart, QuarantinedWork};
pub use remote::{PushFailure, SyncListener, SyncProgress, SyncReport, SyncStage, UploadFailure};
pub use types::*;

use crate::workspace::{self as ws, HazardFilter, PhotoInput};
use closeloop_model::doc::DocKind;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// An open workspace: everything one user does on this phone, offline.
#[derive(uniffi::Object)]
pub struct Workspace {
    inner: Arc<Mutex<ws::Workspace>>,
    /// Taken by login, logout and sync so they run one at a time (they share `sync.json`).
    net: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Workspace")
    }
}

/// Opens the workspace in `folder` (created if needed) for the signed-in user. `utc_offset_minutes`
/// is the site's time zone (480 for China), used for due dates and deadlines.
#[uniffi::export(async_runtime = "tokio")]
pub async fn open_workspace(
    folder: String,
    user: UserIdentity,
    utc_offset_minutes: i32,
) -> Result<Arc<Workspace>, CoreError> {
    let identity = convert::identity(user);
    let inner = tokio::task::spawn_blocking(move || {
        ws::Workspace::open(&PathBuf::from(folder), identity, utc_offset_minutes)
    })
    .await
    .map_err(|e| CoreError::Storage {
        detail: e.to_string(),
    })??;
    Ok(Arc::new(Workspace {
        inner: Arc::new(Mutex::new(inner)),
        net: Arc::new(Mutex::new(())),
    }))
}

impl Workspace {
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut ws::Workspace) -> Result<T, ws::Error> + Send + 'static,
    ) -> Result<T, CoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = inner.lock().map_err(|_| CoreError::Storage {
                detail: "an earlier call failed inside the workspace; reopen it".into(),
            })?;
            f(&mut guard).map_err(CoreError::from)
        })
        .await
        .map_err(|e| CoreError::Storage {
            detail: e.to_string(),
        })?
    }

    fn with<T>(&self, f: impl FnOnce(&ws::Workspace) -> T) -> Result<T, CoreError> {
        let guard = self.inner.lock().map_err(|_| CoreError::Storage {
            detail: "an earlier call failed inside the workspace; reopen it".into(),
        })?;
        Ok(f(&guard))
    }
}

fn now() -> i64 {
    ws::system_now()
}

#[uniffi::export(async_runtime = "tokio")]
impl Workspace {
    /// What opening had to repair: torn writes cut off, damaged files set aside. Show them once.
    ///
    /// Not `async`: it copies a short list. It does wait for the workspace while another call holds
    /// it (a photo being processed, for a moment), so call it off the UI thread.
    pub fn repairs(&self) -> Result<Vec<String>, CoreError> {
        self.with(|w| w.repairs().iter().map(|r| format!("{r:?}")).collect())
    }

    /// The automerge actor id this user writes with on this device (hex), for device registration.
    ///
    /// Not `async`: it copies a short string. It does wait for the workspace while another call
    /// holds it (a photo being processed, for a moment), so call it off the UI thread.
    pub fn actor_id(&self) -> Result<String, CoreError> {
        self.with(|w| w.actor_hex().to_owned())
    }

    /// Creates a site and its recurring task plan.
    pub async fn create_site(&self, site: NewSite) -> Result<Site, CoreError> {
        let location = match (site.latitude, site.longitude) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            _ => {
                return Err(CoreError::InvalidInput {
                    field: "location".into(),
                    reason: "give both latitude and longitude, or neither".into(),
                });
            }
        };
        let profile = convert::profile(&site.profile)?;
        self.run(move |w| {
            let id = w.create_site(&site.grid_id, &site.name, &site.address, location, profile)?;
            let s = w.site(&id)?;
            Ok(site_record(&s))
        })
        .await
    }

    /// The people a hazard at `site_id` may be assigned to (its owners and the inspectors who work
    /// there), by the rule the server applies, from the directory the last sync fetched; empty
    /// before the first sync. An assignment to anyone else is refused with an `assignee.*` rule.
    pub async fn assignees(&self, site_id: String) -> Result<Vec<Assignee>, CoreError> {
        self.run(move |w| {
            let site = w.site_ref(&site_id)?;
            Ok(w.assignees(&site)
                .into_iter()
                .map(|e| Assignee {
                    user_id: e.user_id,
                    display_name: e.display_name,
                    role: e.role,
                })
                .collect())
        })
        .await
    }

    /// Every site in this workspace.
    pub async fn sites(&self) -> Result<Vec<SiteSummary>, CoreError> {
        self.run(|w| {
            Ok(w.summaries()
                .filter(|s| s.kind == DocKind::Site)
                .map(|s| SiteSummary {
                    id: s.id.clone(),
                    grid_id: s.site.grid_id.clone(),
                    name: s.title.clone(),
                })
                .collect())
        })
        .await
    }

    /// One site.
    pub async fn site(&self, site_id: String) -> Result<Site, CoreError> {
        self.run(move |w| Ok(site_record(&w.site(&site_id)?))).await
    }

    /// Changes a site's profile; its task plan is regenerated.
    pub async fn update_site_profile(
        &self,
        site_id: String,
        profile: SiteProfile,
    ) -> Result<(), CoreError> {
        let profile = convert::profile(&profile)?;
        self.run(move |w| w.update_profile(&site_id, profile)).await
    }

    /// The checklist the regulations require for a site, with why each item applies.
    pub async fn checklist(
        &self,
        site_id: String,
        purpose: InspectionPurpose,
    ) -> Result<Checklist, CoreError> {
        self.run(move |w| {
            Ok(convert::checklist(
                &w.checklist(&site_id, convert::purpose(purpose))?,
            ))
        })
        .await
    }

    /// Starts an inspection; returns its id.
    pub async fn start_inspection(
        &self,
        site_id: String,
        purpose: InspectionPurpose,
    ) -> Result<String, CoreError> {
        self.run(move |w| w.start_inspection(&site_id, convert::purpose(purpose)))
            .await
    }

    /// An inspection with every item and its current answer.
    pub async fn inspection(&self, inspection_id: String) -> Result<Inspection, CoreError> {
        self.run(move |w| {
            let i = w.inspection(&inspection_id)?;
            let offset = w.site_offset(&i.header.site.site_id);
            Ok(convert::inspection(&i, offset))
        })
        .await
    }

    /// The ids of a site's inspections, newest first (open one with [`Workspace::inspection`]).
    pub async fn inspection_ids(&self, site_id: String) -> Result<Vec<String>, CoreError> {
        self.run(move |w| {
            Ok(w.inspections(Some(&site_id))
                .into_iter()
                .map(|s| s.id)
                .collect())
        })
        .await
    }

    /// Answers an item. A count, measurement or date is judged against the item's requirement.
    pub async fn answer_item(
        &self,
        inspection_id: String,
        item_id: String,
        answer: Answer,
        note: String,
    ) -> Result<AnswerOutcome, CoreError> {
        self.run(move |w| {
            Ok(convert::outcome(w.answer(
                &inspection_id,
                &item_id,
                convert::answer(answer),
                &note,
            )?))
        })
        .await
    }

    /// Attaches the photo at `path` (JPEG or PNG) to an inspection, optionally to one item. The
    /// photo is oriented, resized, stripped of metadata and queued for upload.
    pub async fn attach_photo(
        &self,
        inspection_id: String,
        item_id: Option<String>,
        path: String,
    ) -> Result<Photo, CoreError> {
        self.run(move |w| {
            let p = w.attach_photo(
                &inspection_id,
                item_id.as_deref(),
                &PhotoInput::File(path.into()),
            )?;
            Ok(convert::photo(&p))
        })
        .await
    }

    /// Signs an inspection off. It can no longer be changed.
    pub async fn sign_off(&self, inspection_id: String, note: String) -> Result<(), CoreError> {
        self.run(move |w| w.sign_off(&inspection_id, &note)).await
    }

    /// Raises a hazard from a failed item, pre-filled with its clause, severity, deadline and
    /// measure. `photo_paths` are extra "before" photos.
    pub async fn raise_hazard(
        &self,
        inspection_id: String,
        item_id: String,
        note: String,
        photo_paths: Vec<String>,
    ) -> Result<HazardDetail, CoreError> {
        self.run(move |w| {
            let photos = convert::photo_files(photo_paths);
            let id = w.raise_hazard_from_item(&inspection_id, &item_id, &note, &photos)?;
            Ok(convert::hazard_detail(&w.hazard(&id)?, now()))
        })
        .await
    }

    /// Hazards matching `query`, most urgent first.
    pub async fn hazards(&self, query: HazardQuery) -> Result<Vec<HazardSummary>, CoreError> {
        let filter = HazardFilter {
            site_id: query.site_id,
            statuses: query
                .statuses
                .into_iter()
                .map(convert::status_back)
                .collect(),
            open_only: query.open_only,
            overdue_only: query.overdue_only,
            assigned_to_me: query.assigned_to_me,
        };
        self.run(move |w| {
            Ok(w.hazards(&filter)
                .iter()
                .map(|s| convert::hazard_summary(s, now()))
                .collect())
        })
        .await
    }

    /// A hazard with its full timeline.
    pub async fn hazard(&self, hazard_id: String) -> Result<HazardDetail, CoreError> {
        self.run(move |w| Ok(convert::hazard_detail(&w.hazard(&hazard_id)?, now())))
            .await
    }

    /// Takes a step in a hazard's life (assign, fix on the spot, submit a rectification with
    /// after-photos, accept, reject…). Refused with a reason if the role or state does not allow it.
    pub async fn act_on_hazard(
        &self,
        hazard_id: String,
        action: HazardAction,
        note: String,
        photo_paths: Vec<String>,
    ) -> Result<HazardDetail, CoreError> {
        self.run(move |w| {
            let photos = convert::photo_files(photo_paths);
            w.hazard_event(&hazard_id, convert::action(action), &note, &photos)?;
            Ok(convert::hazard_detail(&w.hazard(&hazard_id)?, now()))
        })
        .await
    }

    /// Self-check tasks not yet done in their current period, soonest due first.
    pub async fn due_tasks(&self, site_id: Option<String>) -> Result<Vec<Task>, CoreError> {
        self.run(move |w| {
            let due = w.due_tasks(site_id.as_deref())?;
            Ok(due.iter().map(convert::task).collect())
        })
        .await
    }

    /// Records a self-check task as done, optionally with the inspection it was done with.
    pub async fn complete_task(
        &self,
        site_id: String,
        task_id: String,
        inspection_id: Option<String>,
        note: String,
    ) -> Result<(), CoreError> {
        self.run(move |w| w.complete_task(&site_id, &task_id, inspection_id.as_deref(), &note))
            .await
    }

    /// Photos and thumbnails waiting to be uploaded.
    pub async fn pending_uploads(&self) -> Result<u32, CoreError> {
        self.run(|w| Ok(w.blobs().pending()?.len() as u32)).await
    }
}

fn site_record(s: &closeloop_model::doc::site::Site) -> Site {
    Site {
        id: s.header.id.clone(),
        grid_id: s.header.site.grid_id.clone(),
        name: s.name.clone(),
        address: s.address.clone(),
        latitude: s.location.map(|l| l.0),
        longitude: s.location.map(|l| l.1),
        profile: convert::site_profile(&s.profile),
    }
}
