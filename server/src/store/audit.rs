//! The administrators' audit log: who changed what, and when. Entries are written inside the
//! transaction that makes the change, so a change and its entry commit (or fail) together.

use super::sql::Sql;
use sqlx::{Any, AnyPool, Row, Transaction};

/// One administrator's change, as it is recorded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    /// The user who made the change.
    pub actor_id: String,
    /// What was done, e.g. `deactivate_user`, `move_site`, `import_sites`.
    pub action: String,
    /// What it was done to (a user, grid or site id, or an import's file digest).
    pub target: String,
    /// The change itself: the values written, before and after where they replaced others.
    pub detail: serde_json::Value,
}

/// Records a change by `actor_id` in `org_id`, in the caller's transaction.
pub async fn record(
    tx: &mut Transaction<'_, Any>,
    org_id: &str,
    actor_id: &str,
    action: &str,
    target: &str,
    detail: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (org_id, at, actor_id, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org_id)
    .bind(crate::db::now_ms())
    .bind(actor_id)
    .bind(action)
    .bind(target)
    .bind(detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Up to `limit` entries of `org_id`, newest first, older than `before` when given, optionally
/// only those about `target`.
pub async fn page(
    pool: &AnyPool,
    org_id: &str,
    target: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let mut q = Sql::new("SELECT seq, at, actor_id, action, target, detail FROM audit_log WHERE ");
    q.push_bind("org_id = ", org_id);
    if let Some(t) = target {
        q.push_bind(" AND target = ", t);
    }
    if let Some(b) = before {
        q.push_bind(" AND seq < ", b);
    }
    q.push(&format!(" ORDER BY seq DESC LIMIT {}", limit.clamp(1, 500)));
    q.fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            let detail: String = r.try_get("detail")?;
            Ok(Entry {
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                actor_id: r.try_get("actor_id")?,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect()
}
