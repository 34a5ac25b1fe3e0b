//! Documents the server writes itself: an administrator's sites (created, edited, moved,
//! imported). Each write is an automerge change by a fresh actor bound to the administrator and
//! the `console` device, as a decision taken in the console is ([`crate::actions`]), checked by
//! the model's push rules with the server's records, numbered in the feed and projected, inside
//! the caller's transaction, so that a whole import or a move with its audit entry commits or
//! fails as one.

use super::apply::{feed_entry, next_seq, records_of, store_document};
use super::projections;
use crate::AppState;
use crate::actions::CONSOLE_DEVICE;
use crate::auth::AuthUser;
use crate::db::{Engine, now_ms};
use crate::error::{ApiError, ApiResult};
use automerge::{ActorId, AutoCommit};
use closeloop_model::doc;
use closeloop_model::permission::Denied;
use closeloop_model::validate::check_update;
use sqlx::{Any, Transaction};

/// An administrator writing documents from the server.
#[derive(Debug, Clone)]
pub struct Writer {
    pub user: AuthUser,
    actor: ActorId,
    engine: Engine,
}

/// A document as stored, to change.
#[derive(Debug)]
pub struct Stored {
    pub doc: AutoCommit,
    pub version: i64,
    /// The heads as loaded (reading them from `doc` needs it mutable).
    heads: Vec<automerge::ChangeHash>,
}

/// Another writer changed the document between reading and writing it.
pub fn changed_meanwhile(id: &str) -> ApiError {
    ApiError::Conflict {
        code: "changed_meanwhile",
        message: format!("{id} changed while this was being written; try again"),
    }
}

impl Writer {
    /// A writer for `user` with a fresh actor bound to them and the `console` device.
    pub async fn bind(state: &AppState, user: &AuthUser) -> ApiResult<Writer> {
        let actor = ActorId::random();
        let hex = actor.to_hex_string();
        let (u, d) =
            crate::store::devices::bind(&state.db.pool, &hex, &user.actor.user_id, CONSOLE_DEVICE)
                .await?;
        if u != user.actor.user_id || d != CONSOLE_DEVICE {
            return Err(ApiError::internal("a fresh actor id was already bound"));
        }
        Ok(Writer {
            user: AuthUser {
                actor: user.actor.clone(),
                device_id: CONSOLE_DEVICE.to_owned(),
                display_name: user.display_name.clone(),
            },
            actor,
            engine: state.db.engine,
        })
    }

    /// A new, empty document written by this writer.
    pub fn new_doc(&self) -> AutoCommit {
        AutoCommit::new().with_actor(self.actor.clone())
    }

    /// A stored document, to be changed by this writer.
    pub fn load(&self, bytes: &[u8], version: i64) -> ApiResult<Stored> {
        let mut doc = AutoCommit::load(bytes)
            .map_err(ApiError::internal)?
            .with_actor(self.actor.clone());
        let heads = doc.get_heads();
        Ok(Stored {
            doc,
            version,
            heads,
        })
    }

    /// Checks `after` (a new document, or `before` changed by this writer) by the push rules
    /// with the server's records, then stores it with its feed entry and projection. `Ok(Err)`:
    /// a rule refused it and nothing was written. `Ok(Ok(false))`: nothing had changed.
    pub async fn write(
        &self,
        tx: &mut Transaction<'_, Any>,
        before: Option<&Stored>,
        after: &mut AutoCommit,
    ) -> ApiResult<Result<bool, Denied>> {
        let header = match doc::header(&*after) {
            Ok(h) => h,
            Err(e) => return Err(ApiError::internal(e)),
        };
        let records = records_of(
            tx,
            &header,
            &self.user.actor.scope.org_id,
            before.is_none(),
            self.engine,
        )
        .await?;
        if let Err(d) = check_update(
            &self.user.actor,
            &records,
            before.map(|b| &b.doc),
            &*after,
            &|_| true,
        ) {
            return Ok(Err(d));
        }
        let since = before.map(|b| b.heads.clone()).unwrap_or_default();
        let batch = after.save_after(&since);
        if before.is_some() && after.get_heads() == since {
            return Ok(Ok(false));
        }
        self.store(tx, &header, before.map(|b| b.version), after, batch)
            .await?;
        projections::update(tx, &header, after, now_ms())
            .await
            .map_err(ApiError::internal)?;
        Ok(Ok(true))
    }

    /// Stores a document and its feed entry, without any rule check: for the server's own
    /// changes that no push rule describes (a move between grids, ADR 0007).
    pub async fn store(
        &self,
        tx: &mut Transaction<'_, Any>,
        header: &doc::Header,
        version: Option<i64>,
        after: &mut AutoCommit,
        batch: Vec<u8>,
    ) -> ApiResult<()> {
        let seq = next_seq(tx).await?;
        let now = now_ms();
        let heads: Vec<String> = after.get_heads().iter().map(|h| h.to_string()).collect();
        if !store_document(tx, header, version, after.save(), &heads, seq, now).await? {
            return Err(changed_meanwhile(&header.id));
        }
        feed_entry(tx, seq, header, &self.user, batch, now).await
    }
}
