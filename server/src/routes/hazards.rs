//! Hazard tracking for supervisors: filtered, sorted, paginated lists; one hazard with its
//! timeline; and the review queue. Everything is limited to the caller's scope.

use super::{IdPath, Query};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::scope;
use automerge::AutoCommit;
use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use closeloop_model::doc::hazard;
use closeloop_model::lifecycle::{HazardState, TimelineEntry};
use closeloop_model::protocol::is_id;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

/// Query parameters of `GET /v1/hazards`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HazardQuery {
    /// Comma-separated statuses.
    pub status: Option<String>,
    pub severity: Option<String>,
    pub site_id: Option<String>,
    pub grid_id: Option<String>,
    pub assignee: Option<String>,
    pub overdue: Option<bool>,
    pub major: Option<bool>,
    pub evidence_complete: Option<bool>,
    /// Reported at or after (ms).
    pub from: Option<i64>,
    /// Reported before (ms).
    pub to: Option<i64>,
    /// `reported_at` (default, newest first), `deadline` (soonest first) or `updated_at`.
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A hazard as lists show it.
#[derive(Debug, Serialize)]
pub struct HazardRow {
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
    pub overdue: bool,
    pub reported_at: Option<i64>,
    pub assigned_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub evidence_complete: bool,
    pub clauses: Vec<String>,
    pub gb35181: Option<String>,
    pub measure: String,
    pub photos: Vec<String>,
    pub links: Value,
}

/// A page of hazards.
#[derive(Debug, Serialize)]
pub struct HazardPage {
    pub items: Vec<HazardRow>,
    pub next_cursor: Option<String>,
}

const COLUMNS: &str = "id, site_id, grid_id, inspection_id, item_id, title, status, severity, assignee, deadline, reported_at, \
     assigned_at, submitted_at, closed_at, evidence_complete, clauses, gb35181, measure, updated_at";

const OPEN: &str =
    "('reported', 'assigned', 'rejected', 'rectification_submitted', 'fixed_on_spot')";

/// The photos of several hazards in one query.
async fn photos_of(
    state: &AppState,
    ids: &[String],
) -> ApiResult<std::collections::HashMap<String, Vec<String>>> {
    let mut out: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let params: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT hazard_id, sha256 FROM hazard_photos WHERE hazard_id IN ({}) ORDER BY sha256",
        params.join(", ")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id.clone());
    }
    for r in q.fetch_all(&state.db.pool).await? {
        out.entry(r.try_get("hazard_id")?)
            .or_default()
            .push(r.try_get("sha256")?);
    }
    Ok(out)
}

async fn row(state: &AppState, r: &AnyRow, now: i64) -> ApiResult<HazardRow> {
    let id: String = r.try_get("id")?;
    let status: String = r.try_get("status")?;
    let deadline: Option<i64> = r.try_get("deadline")?;
    let clauses: String = r.try_get("clauses")?;
    let photos = photos_of(state, std::slice::from_ref(&id))
        .await?
        .remove(&id)
        .unwrap_or_default();
    let inspection_id: Option<String> = r.try_get("inspection_id")?;
    let overdue = matches!(status.as_str(), "reported" | "assigned" | "rejected")
        && deadline.is_some_and(|d| now > d);
    Ok(HazardRow {
        links: serde_json::json!({
            "self": format!("/v1/hazards/{id}"),
            "timeline": format!("/v1/hazards/{id}/timeline"),
            "inspection": inspection_id.as_ref().map(|i| format!("/v1/inspections/{i}")),
            "site": format!("/v1/sites/{}", r.try_get::<String, _>("site_id")?),
            "photos": photos.iter().map(|p| format!("/v1/blobs/{p}")).collect::<Vec<_>>(),
        }),
        site_id: r.try_get("site_id")?,
        grid_id: r.try_get("grid_id")?,
        inspection_id,
        item_id: r.try_get("item_id")?,
        title: r.try_get("title")?,
        severity: r.try_get("severity")?,
        assignee: r.try_get("assignee")?,
        deadline,
        overdue,
        reported_at: r.try_get("reported_at")?,
        assigned_at: r.try_get("assigned_at")?,
        submitted_at: r.try_get("submitted_at")?,
        closed_at: r.try_get("closed_at")?,
        evidence_complete: r.try_get::<i64, _>("evidence_complete")? == 1,
        clauses: serde_json::from_str(&clauses).unwrap_or_default(),
        gb35181: r.try_get("gb35181")?,
        measure: r.try_get("measure")?,
        photos,
        status,
        id,
    })
}

/// Sort column, direction, and the cursor value of a row for it.
fn sort_of(q: &HazardQuery) -> ApiResult<(&'static str, bool)> {
    match q.sort.as_deref().unwrap_or("reported_at") {
        "reported_at" => Ok(("reported_at", true)),
        "deadline" => Ok(("deadline", false)),
        "updated_at" => Ok(("updated_at", true)),
        other => Err(ApiError::bad(
            "sort",
            format!("`{other}` is not one of reported_at, deadline, updated_at"),
        )),
    }
}

/// `GET /v1/hazards`.
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<HazardQuery>,
) -> ApiResult<Json<HazardPage>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad("limit", "between 1 and 500"));
    }
    for (field, v) in [("from", q.from), ("to", q.to)] {
        if v.is_some_and(|v| v < 0) {
            return Err(ApiError::bad(
                field,
                "a time in ms since 1970, not negative",
            ));
        }
    }
    for (field, v) in [
        ("site_id", &q.site_id),
        ("grid_id", &q.grid_id),
        ("assignee", &q.assignee),
    ] {
        if v.as_deref().is_some_and(|v| !is_id(v)) {
            return Err(ApiError::bad(field, "not an id"));
        }
    }
    let (column, descending) = sort_of(&q)?;
    let scope = scope::filter(&user, 1, "");
    if scope.nothing {
        return Ok(Json(HazardPage {
            items: vec![],
            next_cursor: None,
        }));
    }
    let mut binds: Vec<Value> = scope
        .binds
        .iter()
        .map(|b| Value::String(b.clone()))
        .collect();
    let mut sql = format!("SELECT {COLUMNS} FROM hazards WHERE {}", scope.sql);
    let param = |v: Value, binds: &mut Vec<Value>| {
        binds.push(v);
        format!("${}", binds.len())
    };
    if let Some(statuses) = &q.status {
        let list: Vec<String> = statuses.split(',').map(str::to_owned).collect();
        let known = [
            "reported",
            "assigned",
            "rectification_submitted",
            "fixed_on_spot",
            "rejected",
            "accepted",
            "cancelled",
        ];
        if let Some(bad) = list.iter().find(|s| !known.contains(&s.as_str())) {
            return Err(ApiError::bad("status", format!("`{bad}` is not a status")));
        }
        let ps: Vec<String> = list
            .into_iter()
            .map(|s| param(Value::String(s), &mut binds))
            .collect();
        sql.push_str(&format!(" AND status IN ({})", ps.join(", ")));
    }
    if let Some(sev) = &q.severity {
        if sev != "general" && sev != "major" {
            return Err(ApiError::bad("severity", "general or major"));
        }
        sql.push_str(&format!(
            " AND severity = {}",
            param(Value::String(sev.clone()), &mut binds)
        ));
    }
    if q.major == Some(true) {
        sql.push_str(" AND severity = 'major'");
    }
    for (col, v) in [
        ("site_id", &q.site_id),
        ("grid_id", &q.grid_id),
        ("assignee", &q.assignee),
    ] {
        if let Some(v) = v {
            sql.push_str(&format!(
                " AND {col} = {}",
                param(Value::String(v.clone()), &mut binds)
            ));
        }
    }
    let now = now_ms();
    if let Some(o) = q.overdue {
        let p = param(Value::from(now), &mut binds);
        sql.push_str(&if o {
            format!(" AND status IN ('reported', 'assigned', 'rejected') AND deadline IS NOT NULL AND deadline < {p}")
        } else {
            format!(" AND NOT (status IN ('reported', 'assigned', 'rejected') AND deadline IS NOT NULL AND deadline < {p})")
        });
    }
    if let Some(e) = q.evidence_complete {
        sql.push_str(&format!(" AND evidence_complete = {}", i64::from(e)));
    }
    if let Some(f) = q.from {
        sql.push_str(&format!(
            " AND reported_at >= {}",
            param(Value::from(f), &mut binds)
        ));
    }
    if let Some(t) = q.to {
        sql.push_str(&format!(
            " AND reported_at < {}",
            param(Value::from(t), &mut binds)
        ));
    }
    // Sorting on a bare column lets the index order the rows; only deadlines can be missing, and
    // they sort last.
    let sentinel = if descending {
        i64::MIN / 2
    } else {
        i64::MAX / 2
    };
    let key = if column == "deadline" {
        format!("COALESCE(deadline, {sentinel})")
    } else {
        sql.push_str(&format!(" AND {column} IS NOT NULL"));
        column.to_owned()
    };
    // Keyset pagination: (sort value, id) after the cursor's.
    if let Some(c) = &q.cursor {
        let decoded = B64
            .decode(c)
            .ok()
            .and_then(|b| serde_json::from_slice::<(i64, String)>(&b).ok())
            .ok_or_else(|| ApiError::bad("cursor", "not a cursor this server gave out"))?;
        let (v, id) = (
            param(Value::from(decoded.0), &mut binds),
            param(Value::String(decoded.1), &mut binds),
        );
        let op = if descending { "<" } else { ">" };
        sql.push_str(&format!(
            " AND ({key} {op} {v} OR ({key} = {v} AND id > {id}))"
        ));
    }
    let dir = if descending { "DESC" } else { "ASC" };
    sql.push_str(&format!(
        " ORDER BY {key} {dir}, id ASC LIMIT {}",
        limit + 1
    ));
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for b in &binds {
        query = match b {
            Value::String(s) => query.bind(s.clone()),
            Value::Number(n) => query.bind(n.as_i64().unwrap_or_default()),
            _ => query,
        };
    }
    let rows = query.fetch_all(&state.db.pool).await?;
    let more = rows.len() as i64 > limit;
    let mut items = Vec::new();
    for r in rows.iter().take(limit as usize) {
        items.push(row(&state, r, now).await?);
    }
    let next_cursor =
        if more {
            let last = &rows[limit as usize - 1];
            let v: Option<i64> = last.try_get(column)?;
            let id: String = last.try_get("id")?;
            Some(B64.encode(
                serde_json::to_vec(&(v.unwrap_or(sentinel), id)).map_err(ApiError::internal)?,
            ))
        } else {
            None
        };
    Ok(Json(HazardPage { items, next_cursor }))
}

async fn visible(state: &AppState, user: &AuthUser, id: &str) -> ApiResult<AnyRow> {
    let scope = scope::filter(user, 2, "");
    let sql = format!(
        "SELECT {COLUMNS} FROM hazards WHERE id = $1 AND {}",
        scope.sql
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id.to_owned());
    for b in &scope.binds {
        q = q.bind(b.clone());
    }
    q.fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("hazard {id}")))
}

/// A hazard with its whole timeline.
#[derive(Debug, Serialize)]
pub struct HazardDetail {
    #[serde(flatten)]
    pub hazard: HazardRow,
    pub timeline: Vec<TimelineView>,
}

/// One line of a timeline with the time the server received the event (the event's own `at` is
/// the device's clock).
#[derive(Debug, Serialize)]
pub struct TimelineView {
    #[serde(flatten)]
    pub entry: TimelineEntry,
    pub received_at: Option<i64>,
}

async fn state_of(state: &AppState, id: &str) -> ApiResult<HazardState> {
    let row = sqlx::query("SELECT bytes FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    let bytes: Vec<u8> = row
        .ok_or_else(|| ApiError::NotFound(format!("hazard document {id}")))?
        .try_get("bytes")?;
    let doc = AutoCommit::load(&bytes).map_err(ApiError::internal)?;
    Ok(hazard::read(&doc).map_err(ApiError::internal)?.state())
}

async fn timeline_of(state: &AppState, id: &str) -> ApiResult<Vec<TimelineView>> {
    let received: std::collections::HashMap<String, i64> =
        sqlx::query("SELECT event_id, received_at FROM event_receipts WHERE doc_id = $1")
            .bind(id)
            .fetch_all(&state.db.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("event_id")?, r.try_get("received_at")?)))
            .collect::<Result<_, sqlx::Error>>()?;
    Ok(state_of(state, id)
        .await?
        .timeline
        .into_iter()
        .map(|entry| TimelineView {
            received_at: received.get(&entry.event.id).copied(),
            entry,
        })
        .collect())
}

/// `GET /v1/hazards/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<HazardDetail>> {
    let r = visible(&state, &user, &id).await?;
    let hazard = row(&state, &r, now_ms()).await?;
    Ok(Json(HazardDetail {
        timeline: timeline_of(&state, &id).await?,
        hazard,
    }))
}

/// `GET /v1/hazards/{id}/timeline`: every event with who, role, when, what, photos, and the
/// events that were not applied with their reason.
pub async fn timeline(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<TimelineView>>> {
    visible(&state, &user, &id).await?;
    Ok(Json(timeline_of(&state, &id).await?))
}

/// One entry of the review queue.
#[derive(Debug, Serialize)]
pub struct ReviewItem {
    #[serde(flatten)]
    pub hazard: HazardRow,
    pub before_photos: Vec<String>,
    pub after_photos: Vec<String>,
    /// Photos referenced but not yet on the server: acceptance waits for them.
    pub missing_evidence: Vec<String>,
}

/// `GET /v1/review-queue`: rectifications waiting for a supervisor, oldest first.
pub async fn review_queue(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Vec<ReviewItem>>> {
    let scope = scope::filter(&user, 1, "");
    if scope.nothing {
        return Ok(Json(vec![]));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM hazards WHERE {} AND status IN ('rectification_submitted', 'fixed_on_spot') ORDER BY submitted_at ASC, id ASC LIMIT 50",
        scope.sql
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in &scope.binds {
        q = q.bind(b.clone());
    }
    let rows = q.fetch_all(&state.db.pool).await?;
    let now = now_ms();
    let mut out = Vec::new();
    for r in &rows {
        let hazard = row(&state, r, now).await?;
        // A projection always has its document; if one ever does not, list it without photos.
        let s = match state_of(&state, &hazard.id).await {
            Ok(s) => s,
            Err(ApiError::NotFound(_)) => closeloop_model::lifecycle::fold(&[]),
            Err(e) => return Err(e),
        };
        let mut missing = Vec::new();
        for p in s.all_photos() {
            if sqlx::query("SELECT 1 AS one FROM blobs WHERE sha256 = $1")
                .bind(&p)
                .fetch_optional(&state.db.pool)
                .await?
                .is_none()
            {
                missing.push(p);
            }
        }
        out.push(ReviewItem {
            before_photos: s.before_photos,
            after_photos: s.after_photos,
            missing_evidence: missing,
            hazard,
        });
    }
    Ok(Json(out))
}

/// Statuses that still need work or review.
pub fn open_statuses() -> &'static str {
    OPEN
}
