//! What an organisation's administrators do, once for every way in: the API's admin routes, the
//! console's administration pages and the bulk imports all call these functions, which check the
//! inputs, write in one transaction with the audit entry of the change, and tell devices and
//! event streams what changed. Non-administrators are refused before anything is read.

pub mod import;
pub mod sites;
pub mod users;

use crate::AppState;
use crate::auth::AuthUser;
use crate::db::Engine;
use crate::error::{ApiError, ApiResult};
use closeloop_model::permission::Denied;
use closeloop_model::roles::Role;
use sqlx::{Any, Transaction};

/// Refuses anyone but an administrator.
pub fn require_admin(user: &AuthUser) -> ApiResult<()> {
    if user.actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only an administrator manages people, grids and sites".into(),
        ))
    }
}

/// Starts an administrator's write. On SQLite it takes the write lock first, so the reads it
/// checks against cannot be overtaken by another writer before it writes.
pub async fn begin(state: &AppState) -> ApiResult<Transaction<'static, Any>> {
    let mut tx = state.db.pool.begin().await?;
    if state.db.engine == Engine::Sqlite {
        sqlx::query("UPDATE counters SET value = value WHERE name = 'feed'")
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}

/// A model rule's refusal of an administrator's input: `400` naming the field it concerns, the
/// rule in the message (the `Admin` surface of `docs/refusals.md`).
pub fn refused(field: &str, d: Denied) -> ApiError {
    ApiError::bad(field, format!("{} ({})", d.reason, d.rule))
}
