//! Console sessions: a browser's cookie token (stored as its SHA-256) bound to a user, with its
//! CSRF token and its expiry.

use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub csrf: String,
    pub expires_at: i64,
}

/// Starts a session for `user_id` until `expires_at`.
pub async fn create(
    pool: &AnyPool,
    token: &str,
    user_id: &str,
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO console_sessions (token_hash, user_id, csrf, created_at, expires_at, seen_at) VALUES ($1, $2, $3, $4, $5, $4)")
        .bind(digest(token))
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await?;
    Ok(())
}

/// The session of `token` if it has not expired (and was seen within `idle_ms`), marking it
/// seen.
pub async fn find(
    pool: &AnyPool,
    token: &str,
    now: i64,
    idle_ms: i64,
) -> Result<Option<Session>, sqlx::Error> {
    let hash = digest(token);
    let row = sqlx::query(
        "UPDATE console_sessions SET seen_at = $1 WHERE token_hash = $2 AND expires_at > $1 AND seen_at > $3
         RETURNING user_id, csrf, expires_at",
    )
    .bind(now)
    .bind(&hash)
    .bind(now - idle_ms)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(Session {
            user_id: r.try_get("user_id")?,
            csrf: r.try_get("csrf")?,
            expires_at: r.try_get("expires_at")?,
        })
    })
    .transpose()
}

/// Ends the session of `token` (logout); nothing if there is none.
pub async fn end(pool: &AnyPool, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
        .bind(digest(token))
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets sessions that expired before `now`.
pub async fn sweep(pool: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
