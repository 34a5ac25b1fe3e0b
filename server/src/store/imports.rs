//! Files a console administrator checked in a dry run, kept for the import that follows so the
//! browser need not send them twice: for that user, in that organisation, for an hour, once.

use crate::db::{now_ms, random_hex};
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

const KEPT_MS: i64 = 3_600_000;

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Keeps `bytes` for `user_id`; returns the token that takes them back. Files older than an
/// hour are dropped on the way.
pub async fn keep(
    pool: &AnyPool,
    org_id: &str,
    user_id: &str,
    kind: &str,
    bytes: &[u8],
) -> Result<String, sqlx::Error> {
    let now = now_ms();
    sqlx::query("DELETE FROM import_uploads WHERE created_at < $1")
        .bind(now - KEPT_MS)
        .execute(pool)
        .await?;
    let token = random_hex(16);
    sqlx::query(
        "INSERT INTO import_uploads (token_hash, org_id, user_id, kind, format, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(hash(&token))
    .bind(org_id)
    .bind(user_id)
    .bind(kind)
    .bind(if bytes.starts_with(b"PK") { "xlsx" } else { "csv" })
    .bind(bytes.to_vec())
    .bind(now)
    .execute(pool)
    .await?;
    Ok(token)
}

/// Takes back (and forgets) the file `token` names, if it is this user's and under an hour old:
/// its kind and bytes.
pub async fn take(
    pool: &AnyPool,
    org_id: &str,
    user_id: &str,
    token: &str,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    let row = sqlx::query(
        "DELETE FROM import_uploads WHERE token_hash = $1 AND org_id = $2 AND user_id = $3 AND created_at >= $4 RETURNING kind, bytes",
    )
    .bind(hash(token))
    .bind(org_id)
    .bind(user_id)
    .bind(now_ms() - KEPT_MS)
    .fetch_optional(pool)
    .await?;
    row.map(|r| Ok((r.try_get("kind")?, r.try_get("bytes")?)))
        .transpose()
}
