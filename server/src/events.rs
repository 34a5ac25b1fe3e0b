//! Live hazard changes for supervisors' screens. Each accepted hazard change becomes one event
//! numbered by its feed sequence. On PostgreSQL the event travels by `NOTIFY` inside the accepting
//! transaction, so every replica's listener hears it exactly when it commits, in commit order; on
//! SQLite (one process) it goes straight to this process's streams after the commit.
//!
//! A stream that falls behind, or whose listener lost its connection, replays from the database
//! everything it may have missed, so a client never silently misses a change.

use crate::AppState;
use crate::auth::AuthUser;
use crate::db::Engine;
use crate::error::ApiResult;
use crate::store::sql::Sql;
use closeloop_model::roles::SiteRef;
use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};
use std::sync::Arc;
use tokio::sync::{Mutex, broadcast};

/// The PostgreSQL channel hazard events travel on.
pub const CHANNEL: &str = "closeloop_hazards";
/// The channel that says a user's scope changed (payload: the user id), so every replica's open
/// streams of that user re-read it at once rather than at their next periodic check.
pub const SCOPES: &str = "closeloop_scopes";

/// One hazard's state after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HazardEvent {
    /// The feed number of the change; a stream's `Last-Event-ID`.
    pub seq: i64,
    pub id: String,
    pub org_id: String,
    pub grid_id: String,
    pub site_id: String,
    pub title: String,
    pub status: String,
    pub severity: String,
    pub assignee: Option<String>,
    pub deadline: Option<i64>,
    pub updated_at: i64,
}

impl HazardEvent {
    pub fn site(&self) -> SiteRef {
        SiteRef {
            org_id: self.org_id.clone(),
            grid_id: self.grid_id.clone(),
            site_id: self.site_id.clone(),
        }
    }
}

/// What a process's streams receive.
#[derive(Debug, Clone)]
pub enum Live {
    /// Shared: one event goes to every stream of the process.
    Hazard(Arc<HazardEvent>),
    /// Events may have been lost (the listener reconnected): replay from the database.
    Gap,
    /// This user's role or scope changed: their streams re-read it before sending anything more.
    Rescope(Arc<str>),
}

/// This process's fan-out to its streams.
#[derive(Debug, Clone)]
pub struct Events {
    tx: broadcast::Sender<Live>,
    /// SQLite: commit and publish under one lock, so events leave in commit order.
    order: Arc<Mutex<()>>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            tx: broadcast::channel(1024).0,
            order: Arc::new(Mutex::new(())),
        }
    }
}

impl Events {
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.tx.subscribe()
    }

    /// Hands an event to this process's streams (none listening is fine).
    pub fn publish(&self, live: Live) {
        let _ = self.tx.send(live);
    }
}

const COLUMNS: &str = "h.id, h.org_id, h.grid_id, h.site_id, h.title, h.status, h.severity, h.assignee, h.deadline, h.updated_at, d.updated_seq";

fn from_row(r: &sqlx::any::AnyRow) -> Result<HazardEvent, sqlx::Error> {
    Ok(HazardEvent {
        seq: r.try_get("updated_seq")?,
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        grid_id: r.try_get("grid_id")?,
        site_id: r.try_get("site_id")?,
        title: r.try_get("title")?,
        status: r.try_get("status")?,
        severity: r.try_get("severity")?,
        assignee: r.try_get("assignee")?,
        deadline: r.try_get("deadline")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Commits `tx`, which accepted a change to hazard `hazard_id` (if any), and sends its event.
pub async fn commit(
    state: &AppState,
    mut tx: Transaction<'_, Any>,
    hazard_id: Option<&str>,
) -> ApiResult<()> {
    let Some(id) = hazard_id else {
        tx.commit().await?;
        return Ok(());
    };
    let mut q = Sql::new(&format!(
        "SELECT {COLUMNS} FROM hazards h JOIN documents d ON d.id = h.id WHERE "
    ));
    q.push_bind("h.id = ", id);
    let row = q.query().fetch_one(&mut *tx).await?;
    let mut event = from_row(&row)?;
    // A NOTIFY payload is at most 8000 bytes; a title is for a glance, the detail is one GET away.
    if let Some((cut, _)) = event.title.char_indices().nth(200) {
        event.title.truncate(cut);
    }
    match state.db.engine {
        Engine::Postgres => {
            let payload =
                serde_json::to_string(&event).map_err(crate::error::ApiError::internal)?;
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Engine::Sqlite => {
            let _ordered = state.events.order.lock().await;
            tx.commit().await?;
            state.events.publish(Live::Hazard(Arc::new(event)));
        }
    }
    Ok(())
}

/// Commits a transaction that changed `user_id`'s scope and tells every replica's streams. On
/// PostgreSQL the notice travels with the commit; a reconnecting listener announces a gap, after
/// which streams replay under the scope they re-read at their next check.
pub async fn commit_rescope(
    state: &AppState,
    mut tx: Transaction<'_, Any>,
    user_id: &str,
) -> ApiResult<()> {
    match state.db.engine {
        Engine::Postgres => {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(SCOPES)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Engine::Sqlite => {
            tx.commit().await?;
            state.events.publish(Live::Rescope(user_id.into()));
        }
    }
    Ok(())
}

/// Commits a transaction that changed the placement of `hazard_ids` (a site moved between grids)
/// and the scopes of `rescoped` users, and tells every replica's streams: each hazard's state as
/// committed, under its new grid, and each user's streams to re-read their scope.
pub async fn commit_many(
    state: &AppState,
    mut tx: Transaction<'_, Any>,
    hazard_ids: &[String],
    rescoped: &[String],
) -> ApiResult<()> {
    let mut events = Vec::new();
    for chunk in hazard_ids.chunks(500) {
        let mut q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM hazards h JOIN documents d ON d.id = h.id WHERE "
        ));
        q.push_in("h.id", chunk.iter());
        for row in q.query().fetch_all(&mut *tx).await? {
            let mut event = from_row(&row)?;
            if let Some((cut, _)) = event.title.char_indices().nth(200) {
                event.title.truncate(cut);
            }
            events.push(event);
        }
    }
    events.sort_by_key(|e| e.seq);
    match state.db.engine {
        Engine::Postgres => {
            for event in &events {
                let payload =
                    serde_json::to_string(event).map_err(crate::error::ApiError::internal)?;
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(payload)
                    .execute(&mut *tx)
                    .await?;
            }
            for user in rescoped {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(SCOPES)
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Engine::Sqlite => {
            let _ordered = state.events.order.lock().await;
            tx.commit().await?;
            for event in events {
                state.events.publish(Live::Hazard(Arc::new(event)));
            }
            for user in rescoped {
                state.events.publish(Live::Rescope(user.as_str().into()));
            }
        }
    }
    Ok(())
}

/// Up to `limit` hazards in `user`'s scope changed after feed number `after`, oldest change first.
pub async fn replay(
    state: &AppState,
    user: &AuthUser,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<HazardEvent>> {
    let reach = user.actor.reach();
    if reach.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(&format!(
        "SELECT {COLUMNS} FROM hazards h JOIN documents d ON d.id = h.id WHERE d.kind = 'hazard' AND "
    ));
    q.push_bind("d.updated_seq > ", after);
    q.push(" AND ");
    q.push_reach(&reach, "h.", "site_id");
    q.push(&format!(" ORDER BY d.updated_seq LIMIT {limit}"));
    let rows = q.fetch_all(&state.db.pool).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// PostgreSQL: forwards every replica's hazard notifications to this process's streams, for as
/// long as the process runs. Reconnects by itself; a reconnect is announced as a [`Live::Gap`].
pub async fn listen(url: String, events: Events) {
    use sqlx::postgres::PgListener;
    loop {
        let mut listener = match PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "event listener cannot connect; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen_all([CHANNEL, SCOPES]).await {
            tracing::warn!(error = %e, "event listener cannot LISTEN; retrying");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            continue;
        }
        // Anything committed while we were not listening is found by the streams' replay.
        events.publish(Live::Gap);
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) if n.channel() == SCOPES => {
                    events.publish(Live::Rescope(n.payload().into()));
                }
                Ok(Some(n)) => match serde_json::from_str::<HazardEvent>(n.payload()) {
                    Ok(e) => events.publish(Live::Hazard(Arc::new(e))),
                    Err(e) => tracing::warn!(error = %e, "unreadable hazard notification"),
                },
                // The connection dropped; the next call reconnects and re-listens.
                Ok(None) => events.publish(Live::Gap),
                Err(e) => {
                    tracing::warn!(error = %e, "event listener failed; reconnecting");
                    break;
                }
            }
        }
    }
}
