//! `GET /v1/hazard-events`: a server-sent event stream of hazard changes in the caller's scope.
//! Each event's id is its feed number; a client that reconnects with `Last-Event-ID` (or
//! `?after=`) first gets every hazard that changed since, then live changes.

use super::Query;
use crate::AppState;
use crate::auth::{AuthUser, load_actor};
use crate::error::{ApiError, ApiResult};
use crate::events::{HazardEvent, Live, replay};
use crate::sync::feed;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};

/// How many replayed hazards are read from the database at a time.
const REPLAY_PAGE: i64 = 200;
/// How often a stream re-reads its user's role and scope (removed users stop receiving).
const RECHECK: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Resume after this feed number (as `Last-Event-ID`).
    pub after: Option<i64>,
}

struct Feed {
    state: AppState,
    user: AuthUser,
    rx: broadcast::Receiver<Live>,
    last: i64,
    pending: VecDeque<HazardEvent>,
    replay: bool,
    recheck: tokio::time::Interval,
    /// This stream's place among the user's and the server's; given back when the stream ends.
    _slot: crate::slots::Slot,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.state.metrics.event_stream(-1);
    }
}

/// The next hazard change the stream should send; `None` ends the stream.
async fn next(f: &mut Feed) -> Option<Arc<HazardEvent>> {
    loop {
        if let Some(e) = f.pending.pop_front() {
            f.last = f.last.max(e.seq);
            return Some(Arc::new(e));
        }
        if f.replay {
            match replay(&f.state, &f.user, f.last, REPLAY_PAGE).await {
                Ok(page) => {
                    f.replay = page.len() as i64 == REPLAY_PAGE;
                    f.pending = page.into();
                    continue;
                }
                Err(e) => {
                    // Ending lets the client reconnect with Last-Event-ID; nothing is skipped.
                    tracing::warn!(error = %e, "event replay failed; ending the stream");
                    return None;
                }
            }
        }
        tokio::select! {
            _ = f.state.shutdown.wait() => return None,
            _ = f.recheck.tick() => match load_actor(&f.state.db.pool, &f.user.actor.user_id).await {
                Ok(Some((actor, _))) => f.user.actor = actor,
                _ => return None,
            },
            r = f.rx.recv() => match r {
                Ok(Live::Hazard(e)) => {
                    if e.seq > f.last && f.user.actor.reaches(&e.site()) {
                        f.last = e.seq;
                        return Some(e);
                    }
                }
                Ok(Live::Gap) | Err(RecvError::Lagged(_)) => f.replay = true,
                Ok(Live::Rescope(user)) if *user == *f.user.actor.user_id => {
                    match load_actor(&f.state.db.pool, &f.user.actor.user_id).await {
                        Ok(Some((actor, _))) => f.user.actor = actor,
                        _ => return None,
                    }
                }
                Ok(Live::Rescope(_)) => {}
                Err(RecvError::Closed) => return None,
            },
        }
    }
}

/// `GET /v1/hazard-events`.
pub async fn stream(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    if q.after.is_some_and(|n| n < 0) {
        return Err(ApiError::bad("after", "must not be negative"));
    }
    let resume = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(closeloop_model::protocol::parse_seq)
                .ok_or_else(|| {
                    ApiError::bad("Last-Event-ID", "not an event id this server sent")
                })?,
        ),
        None => q.after,
    };
    if resume.is_some_and(|n| n < 0) {
        return Err(ApiError::bad("after", "must not be negative"));
    }
    let slot = state
        .streams
        .take(
            &user.actor.user_id,
            state.config.max_event_streams_per_user,
            state.config.max_event_streams,
        )
        .ok_or_else(|| ApiError::TooMany {
            message: format!(
                "at most {} live streams per user (and {} in all) may be open; close one",
                state.config.max_event_streams_per_user, state.config.max_event_streams
            ),
            retry_after: 5,
        })?;
    // Subscribe before reading the head, so nothing committed in between is missed.
    let rx = state.events.subscribe();
    let last = match resume {
        Some(n) => n,
        None => feed::head(&state.db.pool).await?,
    };
    state.metrics.event_stream(1);
    let feed = Feed {
        rx,
        last,
        pending: VecDeque::new(),
        replay: resume.is_some(),
        recheck: tokio::time::interval_at(tokio::time::Instant::now() + RECHECK, RECHECK),
        _slot: slot,
        user,
        state,
    };
    let ready = Event::default()
        .event("ready")
        .data(format!("{{\"after\":{last}}}"));
    let hazards = futures_util::stream::unfold(feed, |mut f| async move {
        let h = next(&mut f).await?;
        let event = Event::default()
            .id(h.seq.to_string())
            .event("hazard")
            .json_data(&*h)
            .unwrap_or_else(|_| Event::default().comment("unserialisable event"));
        Some((Ok::<_, Infallible>(event), f))
    });
    let events = futures_util::stream::once(async move { Ok(ready) }).chain(hazards);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
