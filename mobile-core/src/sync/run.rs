//! One sync, in the protocol's order (§3 "Order of a device's sync"): refresh the token when
//! needed, register the actor, upload photos, then push and pull until the feed has no more.
//! Progress is persisted after every step, so a sync cut off anywhere resumes where it stopped.
//! Before anything, work still made under a provisional identity is adopted (a login does that
//! too; this catches a login cut off before it finished).

use super::adopt::adopt;
use super::apply::{self, ResultsApplied};
use super::error::{Result, SyncError};
use super::plan::{self, BATCH_DOCS};
use super::quarantine::RefusedWork;
use super::session::{Conn, identity_of, with_ws};
use super::upload::upload_pending;
use super::wire::{SyncRequest, SyncResponse};
use crate::workspace::Workspace;
use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::sync::Mutex;

/// Feed entries asked for per page (the protocol's default).
pub const FEED_LIMIT: i64 = 500;

/// Where a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Uploading,
    Pushing,
    Pulling,
    Done,
}

/// Progress of a sync: `done` of `total` in the stage (`total` is 0 when unknown, as while
/// pulling, where `done` counts entries received).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: u32,
    pub total: u32,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub uploaded: u32,
    /// (sha256, why) of photos still waiting; they are tried again on the next sync.
    pub upload_failures: Vec<(String, String)>,
    /// Documents sent.
    pub pushed: u32,
    pub accepted: u32,
    /// Per document refused in this sync, its last refusal with what of it was written again
    /// and pushed (`kept`) and what is held (`held`, then listed in the quarantine); also work
    /// made before the first login that the signed-in user may not do (`by_server` false).
    pub refused: Vec<RefusedWork>,
    /// (doc id, why) of documents the server would not read as a request (too large, say); they
    /// stay unsynced on the device and are tried again on the next sync.
    pub push_failures: Vec<(String, String)>,
    /// Feed entries applied.
    pub received: u32,
    pub cursor: Option<String>,
}

/// Syncs the workspace with the server it is logged in to.
pub fn sync(ws: &Mutex<Workspace>, progress: &dyn Fn(Progress)) -> Result<Report> {
    let (root, user_id) = with_ws(ws, |w| (w.root().to_owned(), w.identity().user_id.clone()))?;
    let mut conn = Conn::open(&root, &user_id)?;
    run(ws, &mut conn, progress)
}

/// Syncs over an open connection.
pub fn run(ws: &Mutex<Workspace>, conn: &mut Conn, progress: &dyn Fn(Progress)) -> Result<Report> {
    let mut report = Report::default();
    let steps = steps(ws, conn, &mut report, progress);
    // Even when a later step failed, a user description received on a refresh is taken on.
    if let Some(user) = conn.refreshed_user.take() {
        // The server described the user afresh (new grids or sites): local rule checks follow.
        with_ws(ws, |w| {
            let identity = identity_of(&user, &w.identity().device_id)?;
            if &identity != w.identity() {
                w.set_identity(identity)?;
            }
            Ok::<_, SyncError>(())
        })??;
    }
    steps?;
    report.cursor = conn.state.cursor.clone();
    progress(Progress {
        stage: Stage::Done,
        done: 1,
        total: 1,
    });
    Ok(report)
}

fn steps(
    ws: &Mutex<Workspace>,
    conn: &mut Conn,
    report: &mut Report,
    progress: &dyn Fn(Progress),
) -> Result<()> {
    let (root, user_id, actor, blobs) = with_ws(ws, |w| {
        (
            w.root().to_owned(),
            w.identity().user_id.clone(),
            w.actor_hex().to_owned(),
            w.blobs().clone(),
        )
    })?;

    let provisional = with_ws(ws, |w| w.provisional_users(&conn.state.known_users()))?;
    report.refused = adopt(ws, &conn.state, provisional)?;

    conn.register_actor(&user_id, &actor)?;

    // Photos first, so evidence is on the server before the documents that reference it. The
    // blob store is safe to use beside the workspace, so the workspace is not locked meanwhile.
    let up = upload_pending(conn, &blobs, &|done, total| {
        progress(Progress {
            stage: Stage::Uploading,
            done,
            total,
        })
    })?;
    report.uploaded = up.uploaded;
    report.upload_failures = up.failures;

    push_pull(ws, conn, &root, report, progress)?;
    directory(ws, conn)
}

/// The people directory (`GET /v1/people`), kept for offline assignment checks. A server that
/// does not serve it (older) leaves the phone's directory as it was.
fn directory(ws: &Mutex<Workspace>, conn: &mut Conn) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct People {
        people: Vec<crate::workspace::DirectoryEntry>,
    }
    let reply = conn.call(|c, t| c.get("/v1/people", t))?;
    if reply.status == 404 {
        return Ok(());
    }
    if !reply.ok() {
        return Err(reply.error());
    }
    let people: People = reply.json()?;
    with_ws(ws, |w| w.set_directory(&people.people))??;
    Ok(())
}

fn push_pull(
    ws: &Mutex<Workspace>,
    conn: &mut Conn,
    root: &Path,
    report: &mut Report,
    progress: &dyn Fn(Progress),
) -> Result<()> {
    // Documents are chosen once: each is pushed at most once per sync, and once more after a
    // refusal whose allowed pieces were written again, so edits made while it runs wait for the
    // next one and the loop always ends.
    let mut queue: VecDeque<String> = with_ws(ws, |w| plan::to_push(w, &conn.state))?.into();
    let mut retried = BTreeSet::new();
    let mut total = queue.len() as u32;
    let mut done = 0u32;
    let mut max_docs = BATCH_DOCS;
    let mut resynced = false;
    loop {
        let mut unreadable = Vec::new();
        let batch = with_ws(ws, |w| {
            plan::take_batch(w, &mut conn.state, &mut queue, max_docs, &mut unreadable)
        })?;
        done += unreadable.len() as u32;
        report.push_failures.extend(unreadable);
        let pushing = !batch.is_empty();
        if pushing && done == 0 {
            progress(Progress {
                stage: Stage::Pushing,
                done,
                total,
            });
        }
        let cursor = conn.state.cursor.clone();
        let request = SyncRequest {
            cursor: cursor.clone(),
            push: batch.iter().map(|p| p.push.clone()).collect(),
            feed_limit: Some(FEED_LIMIT),
        };
        let reply = conn.call(|c, t| c.post_json("/v1/sync", Some(t), &request))?;
        if pushing && matches!(reply.status, 400 | 413) {
            // The server read none of it. Send the documents one by one, so one that it cannot
            // take (too large, unreadable) does not hold back the others.
            if batch.len() > 1 {
                max_docs = 1;
                for p in batch.into_iter().rev() {
                    queue.push_front(p.push.doc_id);
                }
            } else {
                for p in batch {
                    report
                        .push_failures
                        .push((p.push.doc_id, reply.error().to_string()));
                    done += 1;
                }
            }
            continue;
        }
        if !reply.ok() {
            return Err(reply.error());
        }
        let answer: SyncResponse = reply.json()?;

        let ResultsApplied {
            accepted,
            refused,
            reapplied,
        } = apply::results(ws, &mut conn.state, root, &batch, &answer.results, &retried)?;
        report.pushed += batch.len() as u32;
        report.accepted += accepted;
        for work in refused {
            // A document refused again after its retry is told once, as it stands now.
            report.refused.retain(|w| w.doc_id != work.doc_id);
            report.refused.push(work);
        }
        for id in reapplied {
            if retried.insert(id.clone()) {
                queue.push_back(id);
                total += 1;
            }
        }
        done += batch.len() as u32;
        if pushing {
            progress(Progress {
                stage: Stage::Pushing,
                done,
                total,
            });
        }
        // Accepted documents are durable as synced before the feed is touched.
        conn.persist()?;

        let before = report.received;
        let fed = apply::feed(ws, &mut conn.state, &answer.feed, &|n| {
            if !pushing {
                progress(Progress {
                    stage: Stage::Pulling,
                    done: before + n,
                    total: 0,
                })
            }
        })?;
        report.received += fed.received;
        let mut more = answer.more;
        if fed.gap && !resynced {
            // Changes arrived whose history this device lacks: read the feed from the start once
            // (loading what it already has is harmless).
            conn.state.cursor = None;
            resynced = true;
            more = true;
        } else if let Some(c) = answer.cursor.clone() {
            conn.state.cursor = Some(c);
        }
        // The cursor is stored only now that every entry of its page is on disk.
        conn.persist()?;

        if queue.is_empty() && !more {
            return Ok(());
        }
        if !pushing && more && answer.feed.is_empty() && answer.cursor == cursor && !fed.gap {
            return Err(SyncError::Malformed(
                "the server says there is more but sends nothing new".into(),
            ));
        }
    }
}
