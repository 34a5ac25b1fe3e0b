//! Hazards as the projections hold them: filtered, sorted and paginated lists, one hazard, the
//! review queue. Every read is limited to a reach, and a page costs two queries whatever its
//! length (its rows, then all their photos).

use super::sql::Sql;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use closeloop_model::lifecycle::{Severity, Status};
use closeloop_model::roles::Reach;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

/// What a list of hazards may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct HazardFilter {
    /// Any of these statuses; empty: all.
    pub statuses: Vec<Status>,
    pub severity: Option<Severity>,
    pub site_id: Option<String>,
    pub grid_id: Option<String>,
    pub assignee: Option<String>,
    /// Raised during this inspection.
    pub inspection_id: Option<String>,
    /// Overdue at the time of the query (or, false, not overdue).
    pub overdue: Option<bool>,
    pub evidence_complete: Option<bool>,
    /// Reported at or after, and before (ms).
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest report first.
    ReportedAt,
    /// Soonest deadline first; hazards without one last.
    Deadline,
    /// Most recently changed first.
    UpdatedAt,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "reported_at" => Some(Sort::ReportedAt),
            "deadline" => Some(Sort::Deadline),
            "updated_at" => Some(Sort::UpdatedAt),
            _ => None,
        }
    }

    fn column(self) -> &'static str {
        match self {
            Sort::ReportedAt => "reported_at",
            Sort::Deadline => "deadline",
            Sort::UpdatedAt => "updated_at",
        }
    }

    fn descending(self) -> bool {
        self != Sort::Deadline
    }

    /// The value a missing deadline sorts as: after every real one.
    fn sentinel(self) -> i64 {
        if self.descending() {
            i64::MIN / 2
        } else {
            i64::MAX / 2
        }
    }
}

/// Where the next page starts: the last row's sort value and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub value: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        B64.encode(serde_json::to_vec(&(self.value, &self.id)).unwrap_or_default())
    }

    /// `None` for anything this server did not give out.
    pub fn decode(s: &str) -> Option<Cursor> {
        let bytes = B64.decode(s).ok()?;
        let (value, id) = serde_json::from_slice::<(i64, String)>(&bytes).ok()?;
        Some(Cursor { value, id })
    }
}

/// A photo of a hazard: which side of the story it is on, and whether it reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HazardPhoto {
    pub sha256: String,
    /// `before`, `after`, or empty for an earlier rectification's.
    pub side: String,
    pub present: bool,
}

/// A hazard's projection row.
#[derive(Debug, Clone)]
pub struct HazardRecord {
    pub id: String,
    pub site_id: String,
    pub grid_id: String,
    pub inspection_id: Option<String>,
    pub item_id: Option<String>,
    pub title: String,
    pub status: String,
    pub severity: String,
    pub assignee: Option<String>,
    pub deadline: Option<i64>,
    pub reported_at: Option<i64>,
    pub assigned_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub updated_at: i64,
    pub evidence_complete: bool,
    pub clauses: Vec<String>,
    pub gb35181: Option<String>,
    pub measure: String,
    pub photos: Vec<HazardPhoto>,
}

impl HazardRecord {
    /// Whether the hazard is overdue at `now`, by the model's rule.
    pub fn overdue(&self, now: i64) -> bool {
        Status::parse(&self.status).is_some_and(Status::can_be_overdue)
            && self.deadline.is_some_and(|d| now > d)
    }

    /// The photos on one side.
    pub fn side(&self, side: &str) -> Vec<String> {
        self.photos
            .iter()
            .filter(|p| p.side == side)
            .map(|p| p.sha256.clone())
            .collect()
    }

    /// Photos referenced but not on the server yet.
    pub fn missing(&self) -> Vec<String> {
        self.photos
            .iter()
            .filter(|p| !p.present)
            .map(|p| p.sha256.clone())
            .collect()
    }
}

const COLUMNS: &str = "id, site_id, grid_id, inspection_id, item_id, title, status, severity, assignee, deadline, reported_at, \
     assigned_at, submitted_at, closed_at, evidence_complete, clauses, gb35181, measure, updated_at";

fn record(r: &AnyRow) -> Result<HazardRecord, sqlx::Error> {
    let clauses: String = r.try_get("clauses")?;
    Ok(HazardRecord {
        id: r.try_get("id")?,
        site_id: r.try_get("site_id")?,
        grid_id: r.try_get("grid_id")?,
        inspection_id: r.try_get("inspection_id")?,
        item_id: r.try_get("item_id")?,
        title: r.try_get("title")?,
        status: r.try_get("status")?,
        severity: r.try_get("severity")?,
        assignee: r.try_get("assignee")?,
        deadline: r.try_get("deadline")?,
        reported_at: r.try_get("reported_at")?,
        assigned_at: r.try_get("assigned_at")?,
        submitted_at: r.try_get("submitted_at")?,
        closed_at: r.try_get("closed_at")?,
        updated_at: r.try_get("updated_at")?,
        evidence_complete: r.try_get::<i64, _>("evidence_complete")? == 1,
        clauses: serde_json::from_str(&clauses).unwrap_or_default(),
        gb35181: r.try_get("gb35181")?,
        measure: r.try_get("measure")?,
        photos: Vec::new(),
    })
}

/// Fills in the photos of `records` with one query.
async fn with_photos(
    pool: &AnyPool,
    mut records: Vec<HazardRecord>,
) -> Result<Vec<HazardRecord>, sqlx::Error> {
    if records.is_empty() {
        return Ok(records);
    }
    let mut q = Sql::new(
        "SELECT hp.hazard_id, hp.sha256, hp.side, CASE WHEN b.sha256 IS NULL THEN 0 ELSE 1 END AS present
         FROM hazard_photos hp LEFT JOIN blobs b ON b.sha256 = hp.sha256 WHERE ",
    );
    q.push_in("hp.hazard_id", records.iter().map(|r| r.id.as_str()));
    q.push(" ORDER BY hp.hazard_id, hp.side, hp.sha256");
    let mut by_hazard: HashMap<String, Vec<HazardPhoto>> = HashMap::new();
    for r in q.fetch_all(pool).await? {
        by_hazard
            .entry(r.try_get("hazard_id")?)
            .or_default()
            .push(HazardPhoto {
                sha256: r.try_get("sha256")?,
                side: r.try_get("side")?,
                present: r.try_get::<i64, _>("present")? == 1,
            });
    }
    for rec in &mut records {
        rec.photos = by_hazard.remove(&rec.id).unwrap_or_default();
    }
    Ok(records)
}

/// The conditions of `filter` within `reach`, after a `WHERE`.
fn push_filter(q: &mut Sql, reach: &Reach, filter: &HazardFilter, now: i64) {
    q.push_reach(reach, "", "site_id");
    if !filter.statuses.is_empty() {
        q.push(" AND ");
        q.push_in("status", filter.statuses.iter().map(|s| s.as_str()));
    }
    if let Some(sev) = filter.severity {
        q.push_bind(" AND severity = ", sev.as_str());
    }
    for (col, v) in [
        ("site_id", &filter.site_id),
        ("grid_id", &filter.grid_id),
        ("assignee", &filter.assignee),
        ("inspection_id", &filter.inspection_id),
    ] {
        if let Some(v) = v {
            q.push_bind(&format!(" AND {col} = "), v);
        }
    }
    match filter.overdue {
        Some(true) => {
            q.push(" AND ");
            q.push_overdue("", now);
        }
        Some(false) => {
            q.push(" AND NOT ");
            q.push_overdue("", now);
        }
        None => {}
    }
    if let Some(e) = filter.evidence_complete {
        q.push_bind(" AND evidence_complete = ", i64::from(e));
    }
    if let Some(f) = filter.from {
        q.push_bind(" AND reported_at >= ", f);
    }
    if let Some(t) = filter.to {
        q.push_bind(" AND reported_at < ", t);
    }
}

/// How many hazards in `reach` match `filter` (an export's size before it starts).
pub async fn count(
    pool: &AnyPool,
    reach: &Reach,
    filter: &HazardFilter,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM hazards WHERE ");
    push_filter(&mut q, reach, filter, now);
    q.fetch_one(pool).await?.try_get("n")
}

/// Up to `limit` hazards in `reach` matching `filter`, in `sort` order after `cursor`, and the
/// cursor of the page after, if any.
pub async fn page(
    pool: &AnyPool,
    reach: &Reach,
    filter: &HazardFilter,
    sort: Sort,
    limit: i64,
    cursor: Option<&Cursor>,
    now: i64,
) -> Result<(Vec<HazardRecord>, Option<Cursor>), sqlx::Error> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM hazards WHERE "));
    push_filter(&mut q, reach, filter, now);
    // Sorting on a bare column lets the index order the rows; only deadlines can be missing, and
    // they sort last.
    let column = sort.column();
    let key = if sort == Sort::Deadline {
        format!("COALESCE(deadline, {})", sort.sentinel())
    } else {
        q.push(&format!(" AND {column} IS NOT NULL"));
        column.to_owned()
    };
    if let Some(c) = cursor {
        let op = if sort.descending() { "<" } else { ">" };
        let v = q.bind(c.value);
        let id = q.bind(&c.id);
        q.push(&format!(
            " AND ({key} {op} {v} OR ({key} = {v} AND id > {id}))"
        ));
    }
    let dir = if sort.descending() { "DESC" } else { "ASC" };
    q.push(&format!(
        " ORDER BY {key} {dir}, id ASC LIMIT {}",
        limit + 1
    ));
    let rows = q.fetch_all(pool).await?;
    let more = rows.len() as i64 > limit;
    let records: Vec<HazardRecord> = rows
        .iter()
        .take(limit as usize)
        .map(record)
        .collect::<Result<_, _>>()?;
    let next = if more {
        records.last().map(|last| Cursor {
            value: match sort {
                Sort::ReportedAt => last.reported_at.unwrap_or(sort.sentinel()),
                Sort::Deadline => last.deadline.unwrap_or(sort.sentinel()),
                Sort::UpdatedAt => last.updated_at,
            },
            id: last.id.clone(),
        })
    } else {
        None
    };
    Ok((with_photos(pool, records).await?, next))
}

/// One hazard, if it exists within `reach` (the same answer, `None`, when it exists outside).
pub async fn get(
    pool: &AnyPool,
    reach: &Reach,
    id: &str,
) -> Result<Option<HazardRecord>, sqlx::Error> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM hazards WHERE "));
    q.push_bind("id = ", id);
    q.push(" AND ");
    q.push_reach(reach, "", "site_id");
    match q.fetch_optional(pool).await? {
        Some(r) => Ok(with_photos(pool, vec![record(&r)?]).await?.pop()),
        None => Ok(None),
    }
}

/// Hazards waiting for a supervisor in `reach`, oldest submission first: a page of `limit` after
/// `after` (the last page's last `(submitted_at, id)`), and whether more wait.
pub async fn review_queue(
    pool: &AnyPool,
    reach: &Reach,
    limit: i64,
    after: Option<&Cursor>,
) -> Result<(Vec<HazardRecord>, Option<Cursor>), sqlx::Error> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM hazards WHERE "));
    q.push_reach(reach, "", "site_id");
    q.push(" AND ");
    q.push_statuses("status", Status::awaits_review);
    let key = "COALESCE(submitted_at, 0)";
    if let Some(c) = after {
        let v = q.bind(c.value);
        let id = q.bind(&c.id);
        q.push(&format!(
            " AND ({key} > {v} OR ({key} = {v} AND id > {id}))"
        ));
    }
    q.push(&format!(" ORDER BY {key} ASC, id ASC LIMIT {}", limit + 1));
    let rows = q.fetch_all(pool).await?;
    let more = rows.len() as i64 > limit;
    let records: Vec<HazardRecord> = rows
        .iter()
        .take(limit as usize)
        .map(record)
        .collect::<Result<_, _>>()?;
    let next = more.then(|| records.last()).flatten().map(|r| Cursor {
        value: r.submitted_at.unwrap_or(0),
        id: r.id.clone(),
    });
    Ok((with_photos(pool, records).await?, next))
}

/// When the server received each event of a hazard, by event id.
pub async fn receipts(pool: &AnyPool, id: &str) -> Result<HashMap<String, i64>, sqlx::Error> {
    let mut q = Sql::new("SELECT event_id, received_at FROM event_receipts WHERE ");
    q.push_bind("doc_id = ", id);
    q.fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("event_id")?, r.try_get("received_at")?)))
        .collect()
}
