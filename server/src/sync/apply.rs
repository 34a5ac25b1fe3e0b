//! Accepting or refusing one pushed document: author check, the shared rule check, then the
//! document, its feed entry and its projection in one transaction.

use super::projections;
use crate::AppState;
use crate::auth::AuthUser;
use crate::db::{Engine, now_ms};
use crate::error::{ApiError, ApiResult};
use automerge::{AutoCommit, Change, ReadDoc};
use closeloop_model::doc::{self, DocKind, hazard};
use closeloop_model::validate::check_update;
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

async fn next_seq(tx: &mut Transaction<'_, Any>) -> ApiResult<i64> {
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
    let mut out = HashSet::new();
    for sha in wanted {
        if sqlx::query("SELECT 1 AS one FROM blobs WHERE sha256 = $1")
            .bind(sha)
            .fetch_optional(&mut **tx)
            .await?
            .is_some()
        {
            out.insert(sha.clone());
        }
    }
    Ok(out)
}

/// Applies one document's pushed changes for `user`, retrying when another writer got there first.
pub async fn apply(
    state: &AppState,
    user: &AuthUser,
    bound: &HashSet<String>,
    doc_id: &str,
    changes: &[u8],
) -> ApiResult<Outcome> {
    for _ in 0..8 {
        if let Some(outcome) = attempt(state, user, bound, doc_id, changes).await? {
            return Ok(outcome);
        }
        state.metrics.write_conflict();
    }
    Err(ApiError::internal(format!(
        "document {doc_id} kept changing under the push"
    )))
}

/// `None` when a concurrent writer changed the document first (try again).
async fn attempt(
    state: &AppState,
    user: &AuthUser,
    bound: &HashSet<String>,
    doc_id: &str,
    changes: &[u8],
) -> ApiResult<Option<Outcome>> {
    let mut tx = state.db.pool.begin().await?;
    // SQLite: take the write lock first, so two writers never deadlock upgrading a read lock.
    let early_seq = if state.db.engine == Engine::Sqlite {
        Some(next_seq(&mut tx).await?)
    } else {
        None
    };
    let row = sqlx::query("SELECT bytes, version FROM documents WHERE id = $1")
        .bind(doc_id)
        .fetch_optional(&mut *tx)
        .await?;
    let (mut before, version) = match row {
        Some(r) => {
            let bytes: Vec<u8> = r.try_get("bytes")?;
            (
                Some(AutoCommit::load(&bytes).map_err(ApiError::internal)?),
                Some(r.try_get::<i64, _>("version")?),
            )
        }
        None => (None, None),
    };
    let mut after = match &before {
        Some(b) => AutoCommit::load(&b.clone().save()).map_err(ApiError::internal)?,
        None => AutoCommit::new(),
    };
    if let Err(e) = after.load_incremental(changes) {
        return Ok(Some(refused(
            "sync.bad_changes",
            format!("the changes could not be loaded: {e}"),
            &mut before,
        )));
    }
    if !after.get_missing_deps(&[]).is_empty() {
        return Ok(Some(refused(
            "sync.missing_dependencies",
            "the push depends on changes the server does not have; send the whole document",
            &mut before,
        )));
    }
    // `x.get_changes_added(y)` is what `y` has that `x` lacks.
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
    let wanted = if header.kind == DocKind::Hazard {
        hazard::read(&after)
            .map(|h| h.state().all_photos())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let present = present_blobs(&mut tx, &wanted).await?;
    if let Err(denied) = check_update(&user.actor, before.as_ref(), &after, &|sha| {
        present.contains(sha)
    }) {
        return Ok(Some(refused(denied.rule, denied.reason, &mut before)));
    }

    let seq = match early_seq {
        Some(s) => s,
        None => next_seq(&mut tx).await?,
    };
    let now = now_ms();
    let heads = heads_of(&mut after);
    let bytes = after.save();
    let written = match version {
        Some(v) => sqlx::query("UPDATE documents SET bytes = $1, heads = $2, version = version + 1, updated_seq = $3, updated_at = $4 WHERE id = $5 AND version = $6")
            .bind(bytes)
            .bind(heads.join(","))
            .bind(seq)
            .bind(now)
            .bind(doc_id)
            .bind(v)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        None => sqlx::query(
            "INSERT INTO documents (id, kind, org_id, grid_id, site_id, bytes, heads, version, updated_seq, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9) ON CONFLICT (id) DO NOTHING",
        )
        .bind(doc_id)
        .bind(header.kind.as_str())
        .bind(&header.site.org_id)
        .bind(&header.site.grid_id)
        .bind(&header.site.site_id)
        .bind(bytes)
        .bind(heads.join(","))
        .bind(seq)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected(),
    };
    if written == 0 {
        // Someone else wrote this document since we read it: start again from theirs.
        tx.rollback().await?;
        return Ok(None);
    }
    let batch: Vec<u8> = new_changes
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    sqlx::query(
        "INSERT INTO doc_changes (seq, doc_id, kind, org_id, grid_id, site_id, user_id, device_id, bytes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(seq)
    .bind(doc_id)
    .bind(header.kind.as_str())
    .bind(&header.site.org_id)
    .bind(&header.site.grid_id)
    .bind(&header.site.site_id)
    .bind(&user.actor.user_id)
    .bind(&user.device_id)
    .bind(batch)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    projections::update(&mut tx, &header, &after, now)
        .await
        .map_err(ApiError::internal)?;
    let hazard = (header.kind == DocKind::Hazard).then_some(doc_id);
    crate::events::commit(state, tx, hazard).await?;
    Ok(Some(Outcome::Accepted { heads }))
}
