//! `POST /v1/sync` and `POST /v1/devices/actors`.

use super::json_body;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::store::devices;
use crate::sync::apply::{self, Outcome};
use crate::sync::feed;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use closeloop_model::permission::Denied;
use closeloop_model::protocol::budget::{self, BudgetError};
use closeloop_model::protocol::wire::{
    self, ActorIds, FeedEntry, PushResult, PushStatus, Refusal, SyncRequest, SyncResponse,
};
use closeloop_model::protocol::{is_actor_id, is_id};
use std::collections::HashSet;

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
        let bytes = wire::decode(&p.changes).map_err(|e| {
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
    let bound = devices::bound(&state.db.pool, &user.actor.user_id, &user.device_id).await?;
    let mut results = Vec::with_capacity(pushes.len());
    for (doc_id, bytes, fits) in &pushes {
        let outcome = apply::apply(&state, &user, &bound, doc_id, bytes, fits).await?;
        results.push(match outcome {
            Outcome::Accepted { heads } => PushResult {
                doc_id: doc_id.clone(),
                status: PushStatus::Accepted,
                heads,
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
                    status: PushStatus::Refused,
                    heads: Vec::new(),
                    refusal: Some(Refusal { rule, reason }),
                    server_doc: server_doc.map(|b| wire::encode(&b)),
                }
            }
        });
    }
    let accepted = results
        .iter()
        .filter(|r| r.status == PushStatus::Accepted)
        .count();
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
                changes: wire::encode(&e.bytes),
            })
            .collect(),
        cursor: Some(next.to_string()),
        more,
    }))
}

/// Binds automerge actor ids to the caller's (user, device).
pub async fn register_actors(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body,
) -> ApiResult<Json<ActorIds>> {
    let req: ActorIds = json_body(body, 64 * 1024, &state.config).await?;
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
        // Whoever holds it now (us, or whoever registered it first) decides.
        let (u, d) = devices::bind(&state.db.pool, a, &user.actor.user_id, &user.device_id).await?;
        if u != user.actor.user_id || d != user.device_id {
            return Err(ApiError::Conflict {
                code: "actor_taken",
                message: format!("actor {a} belongs to another user or device"),
            });
        }
    }
    Ok(Json(ActorIds {
        actor_ids: req.actor_ids,
    }))
}
