//! The exported sync surface: log in and out, and sync with progress. Login, logout and sync take
//! turns (one at a time per workspace); the workspace stays usable for everything else while
//! they run. Refused work is in `quarantine`.

use super::quarantine::{QuarantinedWork, quarantined_work};
use super::{CoreError, UserIdentity, Workspace, convert};
use crate::sync::{self, Progress, Report, Stage};
use std::sync::{Arc, PoisonError};

/// Where a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncStage {
    /// Photos are being uploaded, one by one.
    Uploading,
    /// Changed documents are being sent.
    Pushing,
    /// Changes by others are being received.
    Pulling,
    /// Finished.
    Done,
}

/// How far a sync has got: `done` of `total` in `stage`. While pulling, `total` is 0 (the
/// server does not say how much is left) and `done` counts changes received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncProgress {
    pub stage: SyncStage,
    pub done: u32,
    pub total: u32,
}

/// Receives a sync's progress. Called on a background thread; keep it quick (post to the UI).
#[uniffi::export(foreign)]
pub trait SyncListener: Send + Sync {
    /// One step further.
    fn on_progress(&self, progress: SyncProgress);
}

/// A photo that could not be uploaded this time; it stays queued and is tried alone next time.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UploadFailure {
    pub sha256: String,
    pub reason: String,
}

/// A document the server would not read (too large, say); it stays unsynced on the device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PushFailure {
    pub doc_id: String,
    pub reason: String,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Photos and thumbnails uploaded.
    pub uploaded: u32,
    pub upload_failures: Vec<UploadFailure>,
    /// Documents sent.
    pub pushed: u32,
    /// Documents the server accepted.
    pub accepted: u32,
    /// Documents refused in this sync, once each, as they stand after it: what of the refused
    /// version was sent again (`kept`) and what is held (`held`). Those with anything held are in
    /// [`Workspace::quarantined`]. Also lists work made before the first login that the user may
    /// not do (`by_server` false).
    pub refused: Vec<QuarantinedWork>,
    pub push_failures: Vec<PushFailure>,
    /// Changes by others received.
    pub received: u32,
    /// The feed position now reached (for support).
    pub cursor: Option<String>,
}

fn progress(p: Progress) -> SyncProgress {
    SyncProgress {
        stage: match p.stage {
            Stage::Uploading => SyncStage::Uploading,
            Stage::Pushing => SyncStage::Pushing,
            Stage::Pulling => SyncStage::Pulling,
            Stage::Done => SyncStage::Done,
        },
        done: p.done,
        total: p.total,
    }
}

fn report(r: Report) -> SyncReport {
    SyncReport {
        uploaded: r.uploaded,
        upload_failures: r
            .upload_failures
            .into_iter()
            .map(|(sha256, reason)| UploadFailure { sha256, reason })
            .collect(),
        pushed: r.pushed,
        accepted: r.accepted,
        refused: r.refused.into_iter().map(quarantined_work).collect(),
        push_failures: r
            .push_failures
            .into_iter()
            .map(|(doc_id, reason)| PushFailure { doc_id, reason })
            .collect(),
        received: r.received,
        cursor: r.cursor,
    }
}

impl Workspace {
    /// Runs a login, logout or sync on a blocking thread, one at a time.
    async fn net<T: Send + 'static>(
        &self,
        f: impl FnOnce(&std::sync::Mutex<crate::workspace::Workspace>) -> Result<T, sync::SyncError>
        + Send
        + 'static,
    ) -> Result<T, CoreError> {
        let inner = self.inner.clone();
        let turn = self.net.clone();
        tokio::task::spawn_blocking(move || {
            // The guard protects no data, only the order of calls: a panic in an earlier call
            // leaves nothing to repair.
            let _turn = turn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&inner).map_err(CoreError::from)
        })
        .await
        .map_err(|e| CoreError::Storage {
            detail: e.to_string(),
        })?
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Workspace {
    /// Logs in to the Closeloop server at `server_url` (`https://…`, or `http://` on a test
    /// network) and returns the user as the server describes them. The workspace takes on that
    /// identity (role, grids, sites) for its rule checks; keep it to pass to `open_workspace`
    /// next time. A wrong username or password is `InvalidInput` on `password`.
    ///
    /// Work done on this phone before (under the identity the workspace was opened with, never
    /// synced) is taken on for this user: rewritten in their name and organisation, ready for
    /// the next sync. What this user may not do (a site in a grid they do not work in, an
    /// inspection their role cannot start) is not dropped: it is in [`Workspace::quarantined`]
    /// with the rule and reason, so call that after logging in.
    pub async fn login(
        &self,
        server_url: String,
        username: String,
        password: String,
    ) -> Result<UserIdentity, CoreError> {
        let identity = self
            .net(move |ws| sync::login(ws, &server_url, &username, &password))
            .await?;
        Ok(convert::user_identity(&identity))
    }

    /// Logs out: the session's tokens are forgotten on this device at once and the server is
    /// asked to revoke them (best effort: offline, they simply expire). Offline work, photos
    /// waiting for upload and sync progress stay.
    pub async fn logout(&self) -> Result<(), CoreError> {
        let root = self.with(|w| w.root().to_owned())?;
        self.net(move |_| sync::logout(&root)).await
    }

    /// Syncs with the server: uploads waiting photos one by one, sends changed documents and
    /// receives others' changes, reporting progress to `listener`. Safe to cut off at any point
    /// (no network, app killed): the next sync resumes without redoing finished work.
    /// `LoginRequired` means the session ended: log in, then sync again; nothing is lost.
    /// `Network` means try later. Refused changes do not fail the sync: a refusal refuses only
    /// what broke a rule. The document is reset to the server's copy, the user's other changes
    /// to it that are still allowed are sent again in the same sync, and only the refused pieces
    /// stay, in [`Workspace::quarantined`]; the report lists every refusal.
    pub async fn sync(&self, listener: Arc<dyn SyncListener>) -> Result<SyncReport, CoreError> {
        let r = self
            .net(move |ws| sync::sync(ws, &|p| listener.on_progress(progress(p))))
            .await?;
        Ok(report(r))
    }
}
