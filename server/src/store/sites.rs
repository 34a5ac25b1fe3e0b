//! Sites as the projections hold them, and what their grades are made of, fetched for many sites
//! at once: open and overdue hazards per site in one grouped query, the last inspection per site
//! in another, every task plan in a third, whatever the number of sites.

use super::sql::Sql;
use automerge::AutoCommit;
use closeloop_checklists::SiteProfile;
use closeloop_model::doc::tasks::{self, TaskPlanDoc};
use closeloop_model::lifecycle::Status;
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

/// The counts of every site in `sites`, in two queries.
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
    let mut q = Sql::new("SELECT site_id, SUM(CASE WHEN ");
    q.push_statuses("status", Status::is_open);
    q.push(" AND severity = 'general' THEN 1 ELSE 0 END) AS open_general, SUM(CASE WHEN ");
    q.push_statuses("status", Status::is_open);
    q.push(" AND severity = 'major' THEN 1 ELSE 0 END) AS open_major, SUM(CASE WHEN ");
    q.push_overdue("", now);
    q.push(" THEN 1 ELSE 0 END) AS overdue FROM hazards WHERE ");
    q.push_in("site_id", ids());
    q.push(" GROUP BY site_id");
    for r in q.fetch_all(pool).await? {
        let c = out.entry(r.try_get("site_id")?).or_default();
        c.open_general = r.try_get::<Option<i64>, _>("open_general")?.unwrap_or(0);
        c.open_major = r.try_get::<Option<i64>, _>("open_major")?.unwrap_or(0);
        c.overdue = r.try_get::<Option<i64>, _>("overdue")?.unwrap_or(0);
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

/// The task plan of every site in `sites` (by its conventional id and its placement both: a
/// plan document some other site named `tasks-<this site>` is not this site's), in one query.
pub async fn plans(
    pool: &AnyPool,
    sites: &[SiteRecord],
) -> Result<HashMap<String, TaskPlanDoc>, sqlx::Error> {
    let mut out = HashMap::new();
    if sites.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new(
        "SELECT site_id, bytes FROM documents WHERE kind = 'task_plan' AND id = 'tasks-' || site_id AND ",
    );
    q.push_in("site_id", sites.iter().map(|s| s.id.as_str()));
    for r in q.fetch_all(pool).await? {
        let bytes: Vec<u8> = r.try_get("bytes")?;
        let plan = AutoCommit::load(&bytes)
            .ok()
            .and_then(|d| tasks::read(&d).ok());
        if let Some(p) = plan {
            out.insert(r.try_get("site_id")?, p);
        }
    }
    Ok(out)
}
