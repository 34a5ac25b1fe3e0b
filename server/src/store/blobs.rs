//! Photo records: who uploaded what, which photos the server holds, and who may read one.

use super::sql::Sql;
use crate::sync::projections;
use closeloop_model::roles::Reach;
use sqlx::AnyPool;

/// Whether the server holds a photo.
pub async fn stored(pool: &AnyPool, sha256: &str) -> Result<bool, sqlx::Error> {
    let mut q = Sql::new("SELECT 1 AS one FROM blobs WHERE ");
    q.push_bind("sha256 = ", sha256);
    Ok(q.fetch_optional(pool).await?.is_some())
}

/// Whether `user_id` uploaded the photo.
pub async fn uploaded_by(pool: &AnyPool, sha256: &str, user_id: &str) -> Result<bool, sqlx::Error> {
    let mut q = Sql::new("SELECT 1 AS one FROM blob_uploads WHERE ");
    q.push_bind("sha256 = ", sha256);
    q.push_bind(" AND user_id = ", user_id);
    Ok(q.fetch_optional(pool).await?.is_some())
}

/// Whether a user who uploaded nothing of it could read the photo: a document in `reach`
/// references it.
pub async fn referenced_within(
    pool: &AnyPool,
    reach: &Reach,
    sha256: &str,
) -> Result<bool, sqlx::Error> {
    let mut q =
        Sql::new("SELECT 1 AS one FROM doc_photos p JOIN documents d ON d.id = p.doc_id WHERE ");
    q.push_bind("p.sha256 = ", sha256);
    q.push(" AND ");
    q.push_reach(reach, "d.", "site_id");
    q.push(" LIMIT 1");
    Ok(q.fetch_optional(pool).await?.is_some())
}

/// Records an upload by `user_id` (and the photo, if it is new to the server), and brings the
/// evidence flag of every hazard that references it up to date, in one transaction.
pub async fn record_upload(
    pool: &AnyPool,
    sha256: &str,
    size: usize,
    org_id: &str,
    user_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    use sqlx::Row;
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO blob_uploads (sha256, user_id, uploaded_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(sha256)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO blobs (sha256, size, content_type, org_id, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING")
        .bind(sha256)
        .bind(size as i64)
        .bind("image/jpeg")
        .bind(org_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let hazards = sqlx::query("SELECT DISTINCT hazard_id FROM hazard_photos WHERE sha256 = $1")
        .bind(sha256)
        .fetch_all(&mut *tx)
        .await?;
    for h in hazards {
        let id: String = h.try_get("hazard_id")?;
        projections::refresh_evidence(&mut tx, &id)
            .await
            .map_err(sqlx::Error::Protocol)?;
    }
    tx.commit().await
}
