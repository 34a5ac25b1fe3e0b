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
