//! Sites as the projections hold them, and what their grades are made of, fetched for many sites
//! at once: open and overdue hazards per site in one grouped query, the last inspection per site
//! in another, every task plan in a third, whatever the number of sites.

use super::sql::Sql;
use closeloop_checklists::{Frequency, SiteProfile};
use closeloop_model::doc::tasks;
use closeloop_model::lifecycle::{Severity, Status};
use closeloop_model::roles::Reach;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

/// A site's projection row.
#[derive(Debug, Clone)]
pub struct SiteRecord {
    pub id: String,
    pub grid_id: String,
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub profile: SiteProfile,
    pub utc_offset_minutes: i32,
}

/// A latitude/longitude box.
#[derive(Debug, Clone, Copy)]
pub struct Bbox {
    pub lat: (f64, f64),
    pub lon: (f64, f64),
}

fn record(r: &AnyRow) -> Result<SiteRecord, sqlx::Error> {
    let profile: String = r.try_get("profile")?;
    Ok(SiteRecord {
        id: r.try_get("id")?,
        grid_id: r.try_get("grid_id")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        lat: r.try_get("lat")?,
        lon: r.try_get("lon")?,
        profile: serde_json::from_str(&profile).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        utc_offset_minutes: r.try_get::<i64, _>("utc_offset_minutes")? as i32,
    })
}

const COLUMNS: &str = "id, grid_id, name, address, lat, lon, profile, utc_offset_minutes";

/// Sites in `reach`, optionally in one grid and inside a box, by id.
pub async fn list(
    pool: &AnyPool,
    reach: &Reach,
    grid_id: Option<&str>,
    bbox: Option<Bbox>,
) -> Result<Vec<SiteRecord>, sqlx::Error> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM sites WHERE "));
    q.push_reach(reach, "", "id");
    if let Some(g) = grid_id {
        q.push_bind(" AND grid_id = ", g);
    }
    if let Some(b) = bbox {
        q.push(" AND lat IS NOT NULL");
        q.push_bind(" AND lat >= ", b.lat.0);
        q.push_bind(" AND lat <= ", b.lat.1);
        q.push_bind(" AND lon >= ", b.lon.0);
        q.push_bind(" AND lon <= ", b.lon.1);
    }
    q.push(" ORDER BY id");
    q.fetch_all(pool).await?.iter().map(record).collect()
}

/// One site, if it lies within `reach`.
pub async fn get(
    pool: &AnyPool,
    reach: &Reach,
    id: &str,
) -> Result<Option<SiteRecord>, sqlx::Error> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM sites WHERE "));
    q.push_bind("id = ", id);
    q.push(" AND ");
    q.push_reach(reach, "", "id");
    q.fetch_optional(pool)
        .await?
        .as_ref()
        .map(record)
        .transpose()
}

/// What a site's live grade counts, from its hazards and inspections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SiteCounts {
    pub open_general: i64,
    pub open_major: i64,
    pub overdue: i64,
    pub last_inspection_at: Option<i64>,
}

/// The counts of every site in `sites`, in two queries: hazards grouped by site, status and
/// severity (with how many are past their deadline), read from an index alone, then judged by
/// the model's lifecycle (open, overdue) here rather than in SQL.
pub async fn counts(
    pool: &AnyPool,
    sites: &[SiteRecord],
    now: i64,
) -> Result<HashMap<String, SiteCounts>, sqlx::Error> {
    let mut out: HashMap<String, SiteCounts> = HashMap::new();
    if sites.is_empty() {
        return Ok(out);
    }
    let ids = || sites.iter().map(|s| s.id.as_str());
    let mut q =
        Sql::new("SELECT site_id, status, severity, COUNT(*) AS n, SUM(CASE WHEN deadline < ");
    let p = q.bind(now);
    q.push(&p);
    q.push(" THEN 1 ELSE 0 END) AS late FROM hazards WHERE ");
    q.push_in("site_id", ids());
    q.push(" GROUP BY site_id, status, severity");
    for r in q.fetch_all(pool).await? {
        let Some(status) = Status::parse(&r.try_get::<String, _>("status")?) else {
            continue;
        };
        let c = out.entry(r.try_get("site_id")?).or_default();
        let n: i64 = r.try_get("n")?;
        let late: i64 = r.try_get::<Option<i64>, _>("late")?.unwrap_or(0);
        if status.is_open() {
            if r.try_get::<String, _>("severity")? == Severity::Major.as_str() {
                c.open_major += n;
            } else {
                c.open_general += n;
            }
        }
        if status.can_be_overdue() {
            c.overdue += late;
        }
    }
    let mut q = Sql::new("SELECT site_id, MAX(started_at) AS t FROM inspections WHERE ");
    q.push_in("site_id", ids());
    q.push(" GROUP BY site_id");
    for r in q.fetch_all(pool).await? {
        out.entry(r.try_get("site_id")?)
            .or_default()
            .last_inspection_at = r.try_get("t")?;
    }
    Ok(out)
}

/// A site's self-check plan as its projection holds it: tasks and their completions.
#[derive(Debug, Clone, Default)]
pub struct PlanRows {
    pub tasks: Vec<(String, Frequency)>,
    pub completions: Vec<(String, i64)>,
}

impl PlanRows {
    /// Tasks done on time and due over [from, to): the model's compliance rule.
    pub fn compliance(&self, from: i64, to: i64, offset: i32) -> (u32, u32) {
        let tasks: Vec<(&str, Frequency)> =
            self.tasks.iter().map(|(id, f)| (id.as_str(), *f)).collect();
        let done: Vec<(&str, i64)> = self
            .completions
            .iter()
            .map(|(id, at)| (id.as_str(), *at))
            .collect();
        tasks::compliance_of(&tasks, &done, from, to, offset)
    }
}

/// The self-check plans of every site in `sites` from the projections, in two queries, with
/// the completions since `since`.
pub async fn plans(
    pool: &AnyPool,
    sites: &[SiteRecord],
    since: i64,
) -> Result<HashMap<String, PlanRows>, sqlx::Error> {
    let mut out: HashMap<String, PlanRows> = HashMap::new();
    if sites.is_empty() {
        return Ok(out);
    }
    let ids = || sites.iter().map(|s| s.id.as_str());
    let mut q = Sql::new("SELECT site_id, task_id, frequency FROM tasks WHERE ");
    q.push_in("site_id", ids());
    for r in q.fetch_all(pool).await? {
        let freq: String = r.try_get("frequency")?;
        let Ok(f) = serde_json::from_value::<Frequency>(serde_json::Value::String(freq)) else {
            continue;
        };
        out.entry(r.try_get("site_id")?)
            .or_default()
            .tasks
            .push((r.try_get("task_id")?, f));
    }
    let mut q = Sql::new("SELECT site_id, task_id, at FROM task_completions WHERE ");
    q.push_in("site_id", ids());
    q.push_bind(" AND at >= ", since);
    for r in q.fetch_all(pool).await? {
        out.entry(r.try_get("site_id")?)
            .or_default()
            .completions
            .push((r.try_get("task_id")?, r.try_get("at")?));
    }
    Ok(out)
}

/// The names of sites by id.
pub async fn names(pool: &AnyPool, ids: &[String]) -> Result<HashMap<String, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Sql::new("SELECT id, name FROM sites WHERE ");
    q.push_in("id", ids.iter());
    q.fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}
