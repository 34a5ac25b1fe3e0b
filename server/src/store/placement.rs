//! Where a site lies, as the server records it: moving a site between grids rewrites the grid of
//! every record of the site (its documents, their feed history, the projections), so reach
//! filters, the feed and the live events all follow the move at once (ADR 0007).

use sqlx::{Any, Row, Transaction};

/// A stored document of a site: id, kind, bytes and version.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    pub id: String,
    pub kind: String,
    pub bytes: Vec<u8>,
    pub version: i64,
}

/// Every document of `site_id` in `org_id`, the site's own first.
pub async fn documents_of(
    tx: &mut Transaction<'_, Any>,
    org_id: &str,
    site_id: &str,
) -> Result<Vec<StoredDoc>, sqlx::Error> {
    sqlx::query(
        "SELECT id, kind, bytes, version FROM documents WHERE org_id = $1 AND site_id = $2
         ORDER BY CASE WHEN kind = 'site' THEN 0 ELSE 1 END, id",
    )
    .bind(org_id)
    .bind(site_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(StoredDoc {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            bytes: r.try_get("bytes")?,
            version: r.try_get("version")?,
        })
    })
    .collect()
}

/// Takes the site's projection row for the transaction (SQLite: the write lock; PostgreSQL: the
/// row, which pushes at the site read `FOR SHARE`), returning its grid. `None`: no such site.
pub async fn lock_site(
    tx: &mut Transaction<'_, Any>,
    org_id: &str,
    site_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query(
        "UPDATE sites SET grid_id = grid_id WHERE id = $1 AND org_id = $2 RETURNING grid_id",
    )
    .bind(site_id)
    .bind(org_id)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get("grid_id"))
    .transpose()
}

/// Re-grids every record of `site_id`: documents, their feed history (so a device that newly
/// reaches the site finds the whole of it in its feed), and the projections.
pub async fn regrid(
    tx: &mut Transaction<'_, Any>,
    org_id: &str,
    site_id: &str,
    grid_id: &str,
) -> Result<(), sqlx::Error> {
    for (table, site_column) in [
        ("documents", "site_id"),
        ("doc_changes", "site_id"),
        ("sites", "id"),
        ("hazards", "site_id"),
        ("inspections", "site_id"),
        ("tasks", "site_id"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET grid_id = $1 WHERE org_id = $2 AND {site_column} = $3"
        )))
        .bind(grid_id)
        .bind(org_id)
        .bind(site_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Whether `org_id` has the grid.
pub async fn grid_exists(
    tx: &mut Transaction<'_, Any>,
    org_id: &str,
    grid_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM grids WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(grid_id)
            .fetch_optional(&mut **tx)
            .await?
            .is_some(),
    )
}

/// The organisation's site codes (编号) and the sites they name.
pub async fn site_codes(
    pool: &sqlx::AnyPool,
    org_id: &str,
) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    sqlx::query("SELECT code, site_id FROM site_codes WHERE org_id = $1")
        .bind(org_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("code")?, r.try_get("site_id")?)))
        .collect()
}

/// Usernames taken in organisations other than `org_id` among `names` (usernames are unique
/// across the server).
pub async fn usernames_elsewhere(
    pool: &sqlx::AnyPool,
    org_id: &str,
    names: &[String],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let mut out = std::collections::HashSet::new();
    for chunk in names.chunks(500) {
        let mut q = super::sql::Sql::new("SELECT username FROM users WHERE ");
        q.push_bind("org_id <> ", org_id);
        q.push(" AND ");
        q.push_in("username", chunk.iter());
        for r in q.fetch_all(pool).await? {
            out.insert(r.try_get("username")?);
        }
    }
    Ok(out)
}
