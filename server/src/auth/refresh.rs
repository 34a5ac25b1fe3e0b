//! Rotating refresh tokens with reuse detection. A token is random, stored only as its SHA-256,
//! usable once; using it again revokes its whole family (every token descended from one login).

use crate::db::{now_ms, random_hex};
use crate::error::{ApiError, ApiResult};
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

/// A fresh refresh token and when it expires.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub expires_at: i64,
}

/// Who a used refresh token belonged to.
#[derive(Debug, Clone)]
pub struct Owner {
    pub user_id: String,
    pub device_id: String,
    pub family_id: String,
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Issues a token in `family` (a new family for a login).
pub async fn issue(
    pool: &AnyPool,
    user_id: &str,
    device_id: &str,
    family: &str,
    days: i64,
) -> ApiResult<Issued> {
    let token = format!("r1.{}", random_hex(32));
    let now = now_ms();
    let expires_at = now + days * 86_400_000;
    sqlx::query("INSERT INTO refresh_tokens (token_hash, family_id, user_id, device_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(digest(&token))
        .bind(family)
        .bind(user_id)
        .bind(device_id)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await?;
    Ok(Issued { token, expires_at })
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::Unauthorized {
        code,
        message: message.to_owned(),
    }
}

/// Consumes a token: valid once, before it expires, in a family not revoked. A second use
/// revokes the family. The use is one conditional `UPDATE`, so concurrent uses of one token are
/// decided by the database (one wins, the rest are reuse) and never fail on a lock upgrade.
pub async fn consume(pool: &AnyPool, token: &str) -> ApiResult<Owner> {
    let now = now_ms();
    let hash = digest(token);
    let won = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1
         WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1
         RETURNING family_id, user_id, device_id",
    )
    .bind(now)
    .bind(&hash)
    .fetch_optional(pool)
    .await?;
    if let Some(row) = won {
        return Ok(Owner {
            family_id: row.try_get("family_id")?,
            user_id: row.try_get("user_id")?,
            device_id: row.try_get("device_id")?,
        });
    }
    // Why not: read the row as it stands now.
    let row = sqlx::query(
        "SELECT family_id, user_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Err(unauthorized(
            "token_invalid",
            "unknown refresh token; log in again",
        ));
    };
    let family: String = row.try_get("family_id")?;
    let user: String = row.try_get("user_id")?;
    let used: Option<i64> = row.try_get("used_at")?;
    let revoked: Option<i64> = row.try_get("revoked_at")?;
    if revoked.is_some() {
        return Err(unauthorized(
            "refresh_reused",
            "this login was revoked; log in again",
        ));
    }
    if used.is_some() {
        // Someone else has (or had) this token: end the whole login.
        revoke_family(pool, &family, now).await?;
        tracing::warn!(%user, %family, "refresh token reused; family revoked");
        return Err(unauthorized(
            "refresh_reused",
            "this refresh token was already used; log in again",
        ));
    }
    Err(unauthorized(
        "refresh_expired",
        "the login has expired; log in again",
    ))
}

async fn revoke_family(pool: &AnyPool, family: &str, now: i64) -> ApiResult<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family)
    .execute(pool)
    .await?;
    Ok(())
}

/// Revokes the family of `token` (logout) if it belongs to `user_id`. Unknown tokens and other
/// users' tokens are ignored alike, so logout can neither end nor probe someone else's login.
pub async fn revoke_family_of(pool: &AnyPool, token: &str, user_id: &str) -> ApiResult<()> {
    let row =
        sqlx::query("SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2")
            .bind(digest(token))
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    if let Some(row) = row {
        let family: String = row.try_get("family_id")?;
        revoke_family(pool, &family, now_ms()).await?;
    }
    Ok(())
}
