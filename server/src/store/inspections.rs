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

/// What a list of inspections may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    pub site_id: Option<String>,
    pub grid_id: Option<String>,
    pub purpose: Option<String>,
    /// Started at or after, and before (ms).
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// An inspection row of a list, with where it was.
#[derive(Debug, Clone)]
pub struct ListedInspection {
    pub site_id: String,
    pub grid_id: String,
    pub row: InspectionRow,
}

fn push_inspection_filter(q: &mut Sql, reach: &Reach, f: &InspectionFilter) {
    q.push_reach(reach, "", "site_id");
    for (col, v) in [
        ("site_id", &f.site_id),
        ("grid_id", &f.grid_id),
        ("purpose", &f.purpose),
    ] {
        if let Some(v) = v {
            q.push_bind(&format!(" AND {col} = "), v);
        }
    }
    if let Some(t) = f.from {
        q.push_bind(" AND started_at >= ", t);
    }
    if let Some(t) = f.to {
        q.push_bind(" AND started_at < ", t);
    }
}

/// How many inspections in `reach` match `f`.
pub async fn count(
    pool: &AnyPool,
    reach: &Reach,
    f: &InspectionFilter,
) -> Result<i64, sqlx::Error> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM inspections WHERE ");
    push_inspection_filter(&mut q, reach, f);
    q.fetch_one(pool).await?.try_get("n")
}

/// Up to `limit` inspections in `reach` matching `f`, newest first, after `after` (the last
/// row's `(started_at, id)`).
pub async fn page(
    pool: &AnyPool,
    reach: &Reach,
    f: &InspectionFilter,
    limit: i64,
    after: Option<&(i64, String)>,
) -> Result<Vec<ListedInspection>, sqlx::Error> {
    let mut q = Sql::new(
        "SELECT id, site_id, grid_id, inspector, purpose, started_at, signed_off_at, items, answered, failed FROM inspections WHERE ",
    );
    push_inspection_filter(&mut q, reach, f);
    if let Some((at, id)) = after {
        let v = q.bind(*at);
        let i = q.bind(id);
        q.push(&format!(
            " AND (started_at < {v} OR (started_at = {v} AND id > {i}))"
        ));
    }
    q.push(&format!(" ORDER BY started_at DESC, id ASC LIMIT {limit}"));
    q.fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ListedInspection {
                site_id: r.try_get("site_id")?,
                grid_id: r.try_get("grid_id")?,
                row: InspectionRow {
                    id: r.try_get("id")?,
                    inspector: r.try_get("inspector")?,
                    purpose: r.try_get("purpose")?,
                    started_at: r.try_get("started_at")?,
                    signed_off_at: r.try_get("signed_off_at")?,
                    items: r.try_get("items")?,
                    answered: r.try_get("answered")?,
                    failed: r.try_get("failed")?,
                },
            })
        })
        .collect()
}
