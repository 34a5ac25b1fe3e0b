//! `POST /v1/sync` and `POST /v1/devices/actors`.

use super::json_body;
use crate::AppState;
use crate::auth::AuthUser;
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::sync::apply::{self, Outcome};
use crate::sync::feed;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use closeloop_model::permission::Denied;
use closeloop_model::protocol::budget::{self, BudgetError};
use closeloop_model::protocol::{is_actor_id, is_id};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashSet;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncRequest {
    cursor: Option<String>,
    #[serde(default)]
    push: Vec<Push>,
    #[serde(default)]
    feed_limit: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Push {
    doc_id: String,
    changes: String,
}

#[derive(Debug, Serialize)]
struct Refusal {
    rule: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct PushResult {
    doc_id: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    heads: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<Refusal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_doc: Option<String>,
}

#[derive(Debug, Serialize)]
struct FeedEntry {
    doc_id: String,
    kind: String,
    site_id: String,
    seq: i64,
    changes: String,
}

#[derive(Debug, Serialize)]
pub struct SyncResponse {
    results: Vec<PushResult>,
    feed: Vec<FeedEntry>,
    cursor: String,
    more: bool,
}

async fn bound_actors(state: &AppState, user: &AuthUser) -> ApiResult<HashSet<String>> {
    let rows =
        sqlx::query("SELECT actor_id FROM device_actors WHERE user_id = $1 AND device_id = $2")
            .bind(&user.actor.user_id)
            .bind(&user.device_id)
            .fetch_all(&state.db.pool)
            .await?;
    rows.iter()
        .map(|r| r.try_get("actor_id").map_err(ApiError::from))
        .collect()
}

/// Pushes, then a page of the feed.
pub async fn sync(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body,
) -> ApiResult<Json<SyncResponse>> {
    // One sync at a time per user (a phone syncs serially) and a bounded number in all, taken
    // before the body is read so that waiting requests hold no body in memory.
    let _mine = state
        .syncs
        .take(
            &user.actor.user_id,
            state.config.max_syncs_per_user,
            usize::MAX,
        )
        .ok_or_else(|| ApiError::TooMany {
            message: format!(
                "at most {} syncs per user at once; wait for the one running",
                state.config.max_syncs_per_user
            ),
            retry_after: 1,
        })?;
    let _turn = state
        .sync_gate
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    let req: SyncRequest = json_body(body, state.config.max_sync_bytes, &state.config).await?;
    let cursor = match req.cursor.as_deref() {
        None => 0,
        Some(c) => closeloop_model::protocol::parse_seq(c)
            .ok_or_else(|| ApiError::bad("cursor", "not a cursor this server gave out"))?,
    };
    let limit = req.feed_limit.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad("feed_limit", "must be between 1 and 1000"));
    }
    if req.push.len() > state.config.max_sync_pushes {
        return Err(ApiError::bad(
            "push",
            format!(
                "at most {} documents per request",
                state.config.max_sync_pushes
            ),
        ));
    }
    // Read everything before writing anything: a malformed request changes nothing.
    let mut pushes = Vec::with_capacity(req.push.len());
    let mut total = budget::Measure::default();
    let mut seen = HashSet::new();
    for (i, p) in req.push.iter().enumerate() {
        let field = format!("push[{i}]");
        if !is_id(&p.doc_id) {
            return Err(ApiError::bad(
                &field,
                format!("`{}` is not a document id", p.doc_id),
            ));
        }
        if !seen.insert(p.doc_id.as_str()) {
            return Err(ApiError::bad(
                &field,
                format!("{} is pushed twice", p.doc_id),
            ));
        }
        let bytes = B64.decode(&p.changes).map_err(|e| {
            ApiError::bad(
                &field,
                format!("changes of {} are not base64: {e}", p.doc_id),
            )
        })?;
        // The budget, before anything decodes the bytes: what is not automerge is a bad
        // request; what is over a bound is that document's refusal (with the server's copy when
        // the pusher may read it, so the device can reset and keep its work in quarantine).
        let fits = match budget::check(&bytes, &state.config.sync_budget) {
            Ok(m) => {
                total.inflated_bytes += m.inflated_bytes;
                total.ops += m.ops;
                Ok(())
            }
            Err(
                e @ (BudgetError::Malformed { .. }
                | BudgetError::Checksum { .. }
                | BudgetError::ChunkType { .. }),
            ) => {
                return Err(ApiError::bad(
                    &field,
                    format!(
                        "changes of {} are not automerge changes: {e} ({})",
                        p.doc_id,
                        e.rule()
                    ),
                ));
            }
            Err(e) => Err(Denied {
                rule: e.rule(),
                reason: e.to_string(),
            }),
        };
        pushes.push((p.doc_id.clone(), bytes, fits));
    }
    if total.inflated_bytes > state.config.max_sync_request_inflated_bytes
        || total.ops > state.config.max_sync_request_ops
    {
        return Err(ApiError::TooLarge(format!(
            "the pushes of this request hold {} bytes and {} ops once decoded; a request may hold {} and {}: push fewer documents at once",
            total.inflated_bytes,
            total.ops,
            state.config.max_sync_request_inflated_bytes,
            state.config.max_sync_request_ops
        )));
    }
    let bound = bound_actors(&state, &user).await?;
    let mut results = Vec::with_capacity(pushes.len());
    for (doc_id, bytes, fits) in &pushes {
        let outcome = apply::apply(&state, &user, &bound, doc_id, bytes, fits).await?;
        results.push(match outcome {
            Outcome::Accepted { heads } => PushResult {
                doc_id: doc_id.clone(),
                status: "accepted",
                heads: Some(heads),
                refusal: None,
                server_doc: None,
            },
            Outcome::Refused {
                rule,
                reason,
                server_doc,
            } => {
                tracing::info!(user = %user.actor.user_id, doc = %doc_id, %rule, "push refused");
                state.metrics.refusal(&rule);
                PushResult {
                    doc_id: doc_id.clone(),
                    status: "refused",
                    heads: None,
                    refusal: Some(Refusal { rule, reason }),
                    server_doc: server_doc.map(|b| B64.encode(b)),
                }
            }
        });
    }
    let accepted = results.iter().filter(|r| r.status == "accepted").count();
    state.metrics.sync_batch(accepted, results.len() - accepted);
    // Every batch up to `head` is committed (feed numbers follow commit order), so an empty page
    // may move the cursor up to it.
    let head = feed::head(&state.db.pool).await?;
    let (entries, more) = feed::page(&state.db.pool, &user, cursor, limit).await?;
    let next = if more {
        entries.last().map_or(cursor, |e| e.seq)
    } else {
        entries
            .last()
            .map_or(cursor, |e| e.seq)
            .max(head)
            .max(cursor)
    };
    Ok(Json(SyncResponse {
        results,
        feed: entries
            .into_iter()
            .map(|e| FeedEntry {
                doc_id: e.doc_id,
                kind: e.kind,
                site_id: e.site_id,
                seq: e.seq,
                changes: B64.encode(e.bytes),
            })
            .collect(),
        cursor: next.to_string(),
        more,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorsRequest {
    actor_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ActorsResponse {
    actor_ids: Vec<String>,
}

/// Binds automerge actor ids to the caller's (user, device).
pub async fn register_actors(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body,
) -> ApiResult<Json<ActorsResponse>> {
    let req: ActorsRequest = json_body(body, 64 * 1024, &state.config).await?;
    if req.actor_ids.is_empty() || req.actor_ids.len() > 16 {
        return Err(ApiError::bad(
            "actor_ids",
            "give between 1 and 16 actor ids",
        ));
    }
    for a in &req.actor_ids {
        if !is_actor_id(a) {
            return Err(ApiError::bad(
                "actor_ids",
                format!("`{a}` is not a 16-byte hex actor id"),
            ));
        }
    }
    for a in &req.actor_ids {
        sqlx::query("INSERT INTO device_actors (actor_id, user_id, device_id, registered_at) VALUES ($1, $2, $3, $4) ON CONFLICT (actor_id) DO NOTHING")
            .bind(a)
            .bind(&user.actor.user_id)
            .bind(&user.device_id)
            .bind(now_ms())
            .execute(&state.db.pool)
            .await?;
        // Whoever holds it now (us, or whoever registered it first) decides.
        let r = sqlx::query("SELECT user_id, device_id FROM device_actors WHERE actor_id = $1")
            .bind(a)
            .fetch_one(&state.db.pool)
            .await?;
        let (u, d): (String, String) = (r.try_get("user_id")?, r.try_get("device_id")?);
        if u != user.actor.user_id || d != user.device_id {
            return Err(ApiError::Conflict {
                code: "actor_taken",
                message: format!("actor {a} belongs to another user or device"),
            });
        }
    }
    Ok(Json(ActorsResponse {
        actor_ids: req.actor_ids,
    }))
}
