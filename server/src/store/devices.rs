//! Automerge actors bound to (user, device): the author check of every push.

use crate::db::now_ms;
use sqlx::{AnyPool, Row};
use std::collections::HashSet;

/// The actors bound to this user's device.
pub async fn bound(
    pool: &AnyPool,
    user_id: &str,
    device_id: &str,
) -> Result<HashSet<String>, sqlx::Error> {
    sqlx::query("SELECT actor_id FROM device_actors WHERE user_id = $1 AND device_id = $2")
        .bind(user_id)
        .bind(device_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| r.try_get("actor_id"))
        .collect()
}

/// Binds `actor` to (user, device) unless someone has it; returns who holds it now.
pub async fn bind(
    pool: &AnyPool,
    actor: &str,
    user_id: &str,
    device_id: &str,
) -> Result<(String, String), sqlx::Error> {
    sqlx::query("INSERT INTO device_actors (actor_id, user_id, device_id, registered_at) VALUES ($1, $2, $3, $4) ON CONFLICT (actor_id) DO NOTHING")
        .bind(actor)
        .bind(user_id)
        .bind(device_id)
        .bind(now_ms())
        .execute(pool)
        .await?;
    let r = sqlx::query("SELECT user_id, device_id FROM device_actors WHERE actor_id = $1")
        .bind(actor)
        .fetch_one(pool)
        .await?;
    Ok((r.try_get("user_id")?, r.try_get("device_id")?))
}
