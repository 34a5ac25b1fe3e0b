//! The feed: change batches after a cursor, in the caller's scope, oldest first.

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::store::sql::Sql;
use sqlx::{AnyPool, Row};

/// One feed entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: i64,
    pub doc_id: String,
    pub kind: String,
    pub site_id: String,
    pub bytes: Vec<u8>,
}

/// Up to `limit` entries after `cursor`, and whether more remain.
pub async fn page(
    pool: &AnyPool,
    user: &AuthUser,
    cursor: i64,
    limit: i64,
) -> ApiResult<(Vec<Entry>, bool)> {
    let reach = user.actor.reach();
    if reach.is_empty() {
        return Ok((Vec::new(), false));
    }
    let mut q = Sql::new("SELECT seq, doc_id, kind, site_id, bytes FROM doc_changes WHERE ");
    q.push_bind("seq > ", cursor);
    q.push_bind(" AND device_id <> ", &user.device_id);
    q.push(" AND ");
    q.push_reach(&reach, "", "site_id");
    q.push(&format!(" ORDER BY seq LIMIT {}", limit + 1));
    let rows = q.fetch_all(pool).await?;
    let more = rows.len() as i64 > limit;
    let entries = rows
        .iter()
        .take(limit as usize)
        .map(|r| {
            Ok(Entry {
                seq: r.try_get("seq")?,
                doc_id: r.try_get("doc_id")?,
                kind: r.try_get("kind")?,
                site_id: r.try_get("site_id")?,
                bytes: r.try_get("bytes")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((entries, more))
}

/// The highest feed number so far.
pub async fn head(pool: &AnyPool) -> ApiResult<i64> {
    Ok(
        sqlx::query("SELECT value FROM counters WHERE name = 'feed'")
            .fetch_one(pool)
            .await?
            .try_get("value")?,
    )
}
