//! Stored periodic reports and the grade history of sites. A report belongs to an organisation
//! and to one grid, or to the whole district (`grid_id` empty); who may read it is the reach
//! rule on grids: an organisation-wide reach reads all, a reach of grids reads those grids'
//! reports, and nothing else reads any.

use super::sql::Sql;
use closeloop_model::roles::Reach;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

/// A stored report: what it covers, and its body as generated (JSON).
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub id: String,
    pub org_id: String,
    /// Empty for the district.
    pub grid_id: String,
    pub kind: String,
    pub period_start: i64,
    pub period_end: i64,
    pub generated_at: i64,
    pub trigger: String,
    pub generated_by: Option<String>,
    pub partial: bool,
    pub body: String,
}

const COLUMNS: &str = "id, org_id, grid_id, kind, period_start, period_end, generated_at, trigger_kind, generated_by, partial, body";

fn row(r: &AnyRow) -> Result<ReportRow, sqlx::Error> {
    Ok(ReportRow {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        grid_id: r.try_get("grid_id")?,
        kind: r.try_get("kind")?,
        period_start: r.try_get("period_start")?,
        period_end: r.try_get("period_end")?,
        generated_at: r.try_get("generated_at")?,
        trigger: r.try_get("trigger_kind")?,
        generated_by: r.try_get("generated_by")?,
        partial: r.try_get::<i64, _>("partial")? == 1,
        body: r.try_get("body")?,
    })
}

/// The reach rule on a table of reports: the organisation's, and for a reach of areas only
/// its grids' (a reach of sites alone reads none: a report counts other sites too).
fn push_report_reach(q: &mut Sql, reach: &Reach) {
    if reach.is_empty() {
        q.push("1 = 0");
        return;
    }
    q.push_bind("org_id = ", reach.org_id());
    if let Reach::Areas { grids, .. } = reach {
        q.push(" AND ");
        q.push_in("grid_id", grids.iter());
    }
}

/// Stores `r`, replacing the report of the same scope and period; answers the id kept.
pub async fn save(pool: &AnyPool, r: &ReportRow) -> Result<String, sqlx::Error> {
    let kept: String = sqlx::query_scalar(
        "INSERT INTO reports (id, org_id, grid_id, kind, period_start, period_end, generated_at, trigger_kind, generated_by, partial, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (org_id, grid_id, kind, period_start) DO UPDATE SET period_end = excluded.period_end,
             generated_at = excluded.generated_at, trigger_kind = excluded.trigger_kind,
             generated_by = excluded.generated_by, partial = excluded.partial, body = excluded.body
         RETURNING id",
    )
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.grid_id)
    .bind(&r.kind)
    .bind(r.period_start)
    .bind(r.period_end)
    .bind(r.generated_at)
    .bind(&r.trigger)
    .bind(&r.generated_by)
    .bind(i64::from(r.partial))
    .bind(&r.body)
    .fetch_one(pool)
    .await?;
    Ok(kept)
}

/// Whether a complete (not partial) report of this scope and period is stored.
pub async fn complete_exists(
    pool: &AnyPool,
    org_id: &str,
    grid_id: &str,
    kind: &str,
    period_start: i64,
) -> Result<bool, sqlx::Error> {
    let mut q = Sql::new("SELECT partial FROM reports WHERE ");
    q.push_bind("org_id = ", org_id);
    q.push_bind(" AND grid_id = ", grid_id);
    q.push_bind(" AND kind = ", kind);
    q.push_bind(" AND period_start = ", period_start);
    Ok(match q.fetch_optional(pool).await? {
        Some(r) => r.try_get::<i64, _>("partial")? == 0,
        None => false,
    })
}

/// Reports in `reach`, newest period first (then district before grids), `limit` of them after
/// `offset`; optionally of one kind or one grid (`""`: the district).
pub async fn list(
    pool: &AnyPool,
    reach: &Reach,
    kind: Option<&str>,
    grid_id: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM reports WHERE "));
    push_report_reach(&mut q, reach);
    if let Some(k) = kind {
        q.push_bind(" AND kind = ", k);
    }
    if let Some(g) = grid_id {
        q.push_bind(" AND grid_id = ", g);
    }
    q.push(&format!(
        " ORDER BY period_start DESC, kind ASC, grid_id ASC LIMIT {limit} OFFSET {offset}"
    ));
    q.fetch_all(pool).await?.iter().map(row).collect()
}

/// One report, if it is in `reach` (the same `None` as one that does not exist).
pub async fn get(
    pool: &AnyPool,
    reach: &Reach,
    id: &str,
) -> Result<Option<ReportRow>, sqlx::Error> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM reports WHERE "));
    q.push_bind("id = ", id);
    q.push(" AND ");
    push_report_reach(&mut q, reach);
    q.fetch_optional(pool).await?.as_ref().map(row).transpose()
}

/// Every organisation's id, for the schedule.
pub async fn orgs(pool: &AnyPool) -> Result<Vec<String>, sqlx::Error> {
    Sql::new("SELECT id FROM orgs ORDER BY id")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect()
}

/// A site's grade at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct GradeMark {
    pub site_id: String,
    pub at: i64,
    pub grade: String,
    pub points: i64,
}

/// Records the grades of `marks` whose grade differs from the last one recorded for their site
/// (a history of changes, not of every run); answers how many were recorded.
pub async fn record_grades(
    pool: &AnyPool,
    org_id: &str,
    marks: &[GradeMark],
) -> Result<usize, sqlx::Error> {
    let mut last: HashMap<String, String> = HashMap::new();
    for chunk in marks.chunks(500) {
        let mut q = Sql::new("SELECT site_id, grade, at FROM site_grades WHERE ");
        q.push_in("site_id", chunk.iter().map(|m| m.site_id.as_str()));
        q.push(" ORDER BY at ASC");
        for r in q.fetch_all(pool).await? {
            last.insert(r.try_get("site_id")?, r.try_get("grade")?);
        }
    }
    let changed: Vec<&GradeMark> = marks
        .iter()
        .filter(|m| last.get(&m.site_id) != Some(&m.grade))
        .collect();
    let mut tx = pool.begin().await?;
    for m in &changed {
        sqlx::query(
            "INSERT INTO site_grades (site_id, org_id, at, grade, points) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&m.site_id)
        .bind(org_id)
        .bind(m.at)
        .bind(&m.grade)
        .bind(m.points)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(changed.len())
}

/// A site's recorded grades, newest first, at most `limit` (the caller has established the site
/// is in reach).
pub async fn grade_history(
    pool: &AnyPool,
    site_id: &str,
    limit: i64,
) -> Result<Vec<GradeMark>, sqlx::Error> {
    let mut q = Sql::new("SELECT site_id, at, grade, points FROM site_grades WHERE ");
    q.push_bind("site_id = ", site_id);
    q.push(&format!(" ORDER BY at DESC LIMIT {limit}"));
    q.fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(GradeMark {
                site_id: r.try_get("site_id")?,
                at: r.try_get("at")?,
                grade: r.try_get("grade")?,
                points: r.try_get("points")?,
            })
        })
        .collect()
}

/// An organisation's name.
pub async fn org_name(pool: &AnyPool, org_id: &str) -> Result<Option<String>, sqlx::Error> {
    let mut q = Sql::new("SELECT name FROM orgs WHERE ");
    q.push_bind("id = ", org_id);
    q.fetch_optional(pool)
        .await?
        .map(|r| r.try_get("name"))
        .transpose()
}
