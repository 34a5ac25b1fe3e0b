//! Inspections: the stored document of one, with its site's time zone.

use super::sql::Sql;
use closeloop_model::roles::Reach;
use sqlx::{AnyPool, Row};

/// The document of an inspection within `reach` and its site's time zone.
pub async fn document(
    pool: &AnyPool,
    reach: &Reach,
    id: &str,
) -> Result<Option<(Vec<u8>, i32)>, sqlx::Error> {
    let mut q = Sql::new(
        "SELECT d.bytes, s.utc_offset_minutes FROM inspections i JOIN documents d ON d.id = i.id
         LEFT JOIN sites s ON s.id = i.site_id WHERE ",
    );
    q.push_bind("i.id = ", id);
    q.push(" AND ");
    q.push_reach(reach, "i.", "site_id");
    match q.fetch_optional(pool).await? {
        Some(r) => {
            let offset: Option<i64> = r.try_get("utc_offset_minutes")?;
            Ok(Some((
                r.try_get("bytes")?,
                offset.map_or(
                    closeloop_model::doc::site::DEFAULT_UTC_OFFSET_MINUTES,
                    |o| o as i32,
                ),
            )))
        }
        None => Ok(None),
    }
}

/// The stored document `id` (any kind), for readers that have already established it is theirs.
pub async fn any_document(pool: &AnyPool, id: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let mut q = Sql::new("SELECT bytes FROM documents WHERE ");
    q.push_bind("id = ", id);
    q.fetch_optional(pool)
        .await?
        .map(|r| r.try_get("bytes"))
        .transpose()
}

/// The stored documents of `ids` (any kind), for readers that have established they are theirs.
pub async fn documents(
    pool: &AnyPool,
    ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<u8>>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut q = Sql::new("SELECT id, bytes FROM documents WHERE ");
    q.push_in("id", ids.iter());
    q.fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("bytes")?)))
        .collect()
}

/// An inspection as lists show it.
#[derive(Debug, Clone)]
pub struct InspectionRow {
    pub id: String,
    pub inspector: String,
    pub purpose: String,
    pub started_at: i64,
    pub signed_off_at: Option<i64>,
    pub items: i64,
    pub answered: i64,
    pub failed: i64,
}

/// The latest `limit` inspections of a site within `reach`, newest first.
pub async fn recent(
    pool: &AnyPool,
    reach: &Reach,
    site_id: &str,
    limit: i64,
) -> Result<Vec<InspectionRow>, sqlx::Error> {
    let mut q = Sql::new(
        "SELECT id, inspector, purpose, started_at, signed_off_at, items, answered, failed FROM inspections WHERE ",
    );
    q.push_bind("site_id = ", site_id);
    q.push(" AND ");
    q.push_reach(reach, "", "site_id");
    q.push(&format!(" ORDER BY started_at DESC LIMIT {limit}"));
    q.fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(InspectionRow {
                id: r.try_get("id")?,
                inspector: r.try_get("inspector")?,
                purpose: r.try_get("purpose")?,
                started_at: r.try_get("started_at")?,
                signed_off_at: r.try_get("signed_off_at")?,
                items: r.try_get("items")?,
                answered: r.try_get("answered")?,
                failed: r.try_get("failed")?,
            })
        })
        .collect()
}
