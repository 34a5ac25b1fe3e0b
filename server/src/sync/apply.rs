//! Accepting or refusing one pushed document: author check, the shared rule check, then the
//! document, its feed entry and its projection in one transaction.

use super::projections;
use crate::AppState;
use crate::auth::AuthUser;
use crate::db::{Engine, now_ms};
use crate::error::{ApiError, ApiResult};
use automerge::{AutoCommit, Change, ReadDoc};
use closeloop_model::doc::{self, DocKind, Header, hazard};
use closeloop_model::permission::Denied;
use closeloop_model::roles::SiteRef;
use closeloop_model::validate::{Records, check_update};
use sqlx::{Any, Row, Transaction};
use std::collections::HashSet;

/// What happened to one pushed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted {
        heads: Vec<String>,
    },
    Refused {
        rule: String,
        reason: String,
        server_doc: Option<Vec<u8>>,
    },
}

fn heads_of(doc: &mut AutoCommit) -> Vec<String> {
    doc.get_heads().iter().map(|h| h.to_string()).collect()
}

fn refused(rule: &str, reason: impl Into<String>, before: &mut Option<AutoCommit>) -> Outcome {
    Outcome::Refused {
        rule: rule.to_owned(),
        reason: reason.into(),
        server_doc: before.as_mut().map(AutoCommit::save),
    }
}

/// The next feed number, taken inside the writing transaction (its row lock orders commits).
pub(crate) async fn next_seq(tx: &mut Transaction<'_, Any>) -> ApiResult<i64> {
    let row =
        sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'feed' RETURNING value")
            .fetch_one(&mut **tx)
            .await?;
    Ok(row.try_get("value")?)
}

async fn present_blobs(
    tx: &mut Transaction<'_, Any>,
    wanted: &[String],
) -> ApiResult<HashSet<String>> {
    if wanted.is_empty() {
        return Ok(HashSet::new());
    }
    let mut q = crate::store::sql::Sql::new("SELECT sha256 FROM blobs WHERE ");
    q.push_in("sha256", wanted.iter());
    let rows = q.query().fetch_all(&mut **tx).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("sha256"))
        .collect::<Result<_, _>>()?)
}

fn stored_place(r: &sqlx::any::AnyRow) -> ApiResult<SiteRef> {
    Ok(SiteRef {
        org_id: r.try_get("org_id")?,
        grid_id: r.try_get("grid_id")?,
        site_id: r.try_get("site_id")?,
    })
}

/// The profiles a site has had ([`doc::site::profile_history`] of the stored document).
async fn site_profiles(
    tx: &mut Transaction<'_, Any>,
    site_id: &str,
) -> ApiResult<Vec<closeloop_checklists::SiteProfile>> {
    let row = sqlx::query("SELECT bytes FROM documents WHERE id = $1 AND kind = 'site'")
        .bind(site_id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let mut stored =
        AutoCommit::load(&row.try_get::<Vec<u8>, _>("bytes")?).map_err(ApiError::internal)?;
    Ok(doc::site::profile_history(&mut stored))
}

/// What the server's records say of the site a document names (see [`Records`]).
pub(crate) async fn records_of(
    tx: &mut Transaction<'_, Any>,
    header: &Header,
    org_id: &str,
    new_doc: bool,
    engine: Engine,
) -> ApiResult<Records> {
    // On PostgreSQL the site's row is held shared until the push commits, so an administrator's
    // move of the site (which updates the row first) waits for the push or the push for the move,
    // and neither writes under the grid the other replaced (ADR 0007). SQLite writers are
    // serialised already.
    let lock = if engine == Engine::Postgres {
        " FOR SHARE"
    } else {
        ""
    };
    let site = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id AS site_id, org_id, grid_id FROM sites WHERE id = $1{lock}"
    )))
    .bind(&header.site.site_id)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| stored_place(&r))
    .transpose()?;
    let grid_exists = header.kind == DocKind::Site
        && site.is_none()
        && sqlx::query("SELECT 1 AS one FROM grids WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(&header.site.grid_id)
            .fetch_optional(&mut **tx)
            .await?
            .is_some();
    // Only a new inspection's checklist is checked (it never changes afterwards), and only
    // against a site the pusher may reach (placement refuses the rest first).
    let profiles = if new_doc && header.kind == DocKind::Inspection && site.is_some() {
        site_profiles(tx, &header.site.site_id).await?
    } else {
        Vec::new()
    };
    Ok(Records {
        site,
        grid_exists,
        profiles,
    })
}

/// Applies one document's pushed changes for `user`, retrying when another writer got there first.
///
/// `fits` is the verdict of the payload budget (checked by the caller before anything decoded
/// the bytes); a push over it is refused here, where the pusher's right to the server's copy is
/// known, and is never loaded.
pub async fn apply(
    state: &AppState,
    user: &AuthUser,
    bound: &HashSet<String>,
    doc_id: &str,
    changes: &[u8],
    fits: &Result<(), Denied>,
) -> ApiResult<Outcome> {
    for _ in 0..8 {
        if let Some(outcome) = attempt(state, user, bound, doc_id, changes, fits).await? {
            return Ok(outcome);
        }
        state.metrics.write_conflict();
    }
    Err(ApiError::internal(format!(
        "document {doc_id} kept changing under the push"
    )))
}

/// Loads `stored` (the server's saved document, if any) and the pushed `changes` into one
/// document, strictly: a chunk automerge cannot read is an error rather than silently skipped,
/// and a panic inside automerge (0.12 asserts on some inputs the budget cannot see, such as an
/// actor's sequence numbers skipping ahead) is an error too, never a crashed request.
fn load_strict(stored: Option<&[u8]>, changes: &[u8]) -> Result<AutoCommit, String> {
    let bytes = match stored {
        Some(s) => [s, changes].concat(),
        None => changes.to_vec(),
    };
    let opts = automerge::LoadOptions::new()
        .on_partial_load(automerge::OnPartialLoad::Error)
        .verification_mode(automerge::VerificationMode::Check);
    // Nothing outlives a panic here but the error: the half-built document is dropped.
    let load = std::panic::AssertUnwindSafe(|| AutoCommit::load_with_options(&bytes, opts));
    match std::panic::catch_unwind(load) {
        Ok(Ok(doc)) => Ok(doc),
        Ok(Err(automerge::AutomergeError::MissingDeps)) => Err(MISSING_DEPS.into()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("automerge could not apply them".into()),
    }
}

const MISSING_DEPS: &str = "missing dependencies";

/// `None` when a concurrent writer changed the document first (try again).
async fn attempt(
    state: &AppState,
    user: &AuthUser,
    bound: &HashSet<String>,
    doc_id: &str,
    changes: &[u8],
    fits: &Result<(), Denied>,
) -> ApiResult<Option<Outcome>> {
    let mut tx = state.db.pool.begin().await?;
    // SQLite: take the write lock first, so two writers never deadlock upgrading a read lock.
    let early_seq = if state.db.engine == Engine::Sqlite {
        Some(next_seq(&mut tx).await?)
    } else {
        None
    };
    let row =
        sqlx::query("SELECT bytes, version, org_id, grid_id, site_id FROM documents WHERE id = $1")
            .bind(doc_id)
            .fetch_optional(&mut *tx)
            .await?;
    // Authorise before revealing: a stored document the pusher may not see is treated exactly as
    // one that does not exist (no copy in a refusal, the same rules); only a push that would
    // create it learns the id is taken.
    let mut taken = false;
    let (stored, version) = match row {
        Some(r) if user.actor.reaches(&stored_place(&r)?) => (
            Some(r.try_get::<Vec<u8>, _>("bytes")?),
            Some(r.try_get::<i64, _>("version")?),
        ),
        Some(_) => {
            taken = true;
            (None, None)
        }
        None => (None, None),
    };
    let mut before = match &stored {
        Some(bytes) => Some(AutoCommit::load(bytes).map_err(ApiError::internal)?),
        None => None,
    };
    if let Err(denied) = fits {
        return Ok(Some(refused(
            denied.rule,
            denied.reason.clone(),
            &mut before,
        )));
    }
    let mut after = match load_strict(stored.as_deref(), changes) {
        Ok(doc) => doc,
        Err(e) if e == MISSING_DEPS => {
            return Ok(Some(refused(
                "sync.missing_dependencies",
                "the push depends on changes the server does not have; send the whole document",
                &mut before,
            )));
        }
        Err(e) => {
            return Ok(Some(refused(
                "sync.bad_changes",
                format!("the changes could not be loaded: {e}"),
                &mut before,
            )));
        }
    };
    if !after.get_missing_deps(&[]).is_empty() {
        return Ok(Some(refused(
            "sync.missing_dependencies",
            "the push depends on changes the server does not have; send the whole document",
            &mut before,
        )));
    }
    let new_changes: Vec<Change> = match before.as_mut() {
        Some(b) => b.get_changes_added(&mut after),
        None => after.get_changes(&[]),
    };
    if new_changes.is_empty() {
        let heads = before.as_mut().map(heads_of).unwrap_or_default();
        return Ok(Some(Outcome::Accepted { heads }));
    }
    for c in &new_changes {
        let actor = c.actor_id().to_hex_string();
        if !bound.contains(&actor) {
            return Ok(Some(refused(
                "sync.actor_not_bound",
                format!("change by actor {actor}, which is not registered to this device"),
                &mut before,
            )));
        }
    }
    let header = match doc::header(&after) {
        Ok(h) => h,
        Err(e) => {
            return Ok(Some(refused(
                "doc.malformed",
                format!("the document is not valid: {e}"),
                &mut before,
            )));
        }
    };
    if header.id != doc_id {
        return Ok(Some(refused(
            "doc.id_mismatch",
            format!("the document says it is {}, not {doc_id}", header.id),
            &mut before,
        )));
    }
    // A hazard is read and folded once here, for the evidence gate, its projection and its
    // receipts (the rule check folds each new event's prior state itself).
    let parsed = (header.kind == DocKind::Hazard)
        .then(|| hazard::read(&after).ok())
        .flatten()
        .map(|h| {
            let s = h.state();
            (h, s)
        });
    let wanted = parsed
        .as_ref()
        .map(|(_, s)| s.all_photos())
        .unwrap_or_default();
    let present = present_blobs(&mut tx, &wanted).await?;
    let records = records_of(
        &mut tx,
        &header,
        &user.actor.scope.org_id,
        before.is_none(),
        state.db.engine,
    )
    .await?;
    if let Err(denied) = check_update(&user.actor, &records, before.as_ref(), &after, &|sha| {
        present.contains(sha)
    }) {
        return Ok(Some(refused(denied.rule, denied.reason, &mut before)));
    }
    // Assignments name people: judged by the model's rule against the accounts as stored now.
    let assignees = closeloop_model::people::new_assignees(before.as_ref(), &after);
    if !assignees.is_empty() {
        let members =
            crate::store::accounts::members(&mut tx, &user.actor.scope.org_id, &assignees).await?;
        if let Err(denied) =
            closeloop_model::people::check_new_assignments(before.as_ref(), &after, &|id| {
                members.get(id).cloned()
            })
        {
            return Ok(Some(refused(denied.rule, denied.reason, &mut before)));
        }
    }
    if taken {
        return Ok(Some(refused(
            "doc.id_taken",
            format!("the id {doc_id} is already in use; give the new document another id"),
            &mut before,
        )));
    }

    let seq = match early_seq {
        Some(s) => s,
        None => next_seq(&mut tx).await?,
    };
    let now = now_ms();
    let heads = heads_of(&mut after);
    let bytes = after.save();
    if bytes.len() > state.config.max_document_bytes {
        return Ok(Some(refused(
            "sync.document_too_large",
            format!(
                "the document would grow to {} bytes; the server keeps documents up to {} bytes",
                bytes.len(),
                state.config.max_document_bytes
            ),
            &mut before,
        )));
    }
    let written = store_document(&mut tx, &header, version, bytes, &heads, seq, now).await?;
    if !written {
        // Someone else wrote this document since we read it: start again from theirs.
        tx.rollback().await?;
        return Ok(None);
    }
    let batch: Vec<u8> = new_changes
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    feed_entry(&mut tx, seq, &header, user, batch, now).await?;
    match &parsed {
        Some((hz, s)) => {
            projections::project_hazard(&mut tx, &header, hz, s, now)
                .await
                .map_err(ApiError::internal)?;
            let old: HashSet<String> = match &before {
                Some(b) => hazard::read(b)
                    .map(|h| h.events.into_iter().map(|e| e.id).collect())
                    .unwrap_or_default(),
                None => HashSet::new(),
            };
            let added: Vec<String> = hz
                .events
                .iter()
                .map(|e| e.id.clone())
                .filter(|id| !old.contains(id))
                .collect();
            projections::receipts(
                &mut tx,
                doc_id,
                &added,
                seq,
                &user.actor.user_id,
                &user.device_id,
                now,
            )
            .await
            .map_err(ApiError::internal)?;
        }
        None => projections::update(&mut tx, &header, &after, now)
            .await
            .map_err(ApiError::internal)?,
    }
    let hazard = (header.kind == DocKind::Hazard).then_some(doc_id);
    crate::events::commit(state, tx, hazard).await?;
    Ok(Some(Outcome::Accepted { heads }))
}

/// Writes a document's new state: inserted when `version` is `None`, else updated if it is still
/// at `version`. `false`: another writer got there first (start again from theirs).
pub(crate) async fn store_document(
    tx: &mut Transaction<'_, Any>,
    header: &Header,
    version: Option<i64>,
    bytes: Vec<u8>,
    heads: &[String],
    seq: i64,
    now: i64,
) -> ApiResult<bool> {
    let written = match version {
        Some(v) => sqlx::query("UPDATE documents SET bytes = $1, heads = $2, version = version + 1, updated_seq = $3, updated_at = $4 WHERE id = $5 AND version = $6")
            .bind(bytes)
            .bind(heads.join(","))
            .bind(seq)
            .bind(now)
            .bind(&header.id)
            .bind(v)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
        None => sqlx::query(
            "INSERT INTO documents (id, kind, org_id, grid_id, site_id, bytes, heads, version, updated_seq, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&header.id)
        .bind(header.kind.as_str())
        .bind(&header.site.org_id)
        .bind(&header.site.grid_id)
        .bind(&header.site.site_id)
        .bind(bytes)
        .bind(heads.join(","))
        .bind(seq)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected(),
    };
    Ok(written > 0)
}

/// The feed's entry for one accepted batch of changes to the document `header` names, written
/// by `user` from their device.
pub(crate) async fn feed_entry(
    tx: &mut Transaction<'_, Any>,
    seq: i64,
    header: &Header,
    user: &AuthUser,
    batch: Vec<u8>,
    now: i64,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO doc_changes (seq, doc_id, kind, org_id, grid_id, site_id, user_id, device_id, bytes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(seq)
    .bind(&header.id)
    .bind(header.kind.as_str())
    .bind(&header.site.org_id)
    .bind(&header.site.grid_id)
    .bind(&header.site.site_id)
    .bind(&user.actor.user_id)
    .bind(&user.device_id)
    .bind(batch)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
