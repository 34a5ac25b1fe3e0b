//! Hazard tracking for supervisors: filtered, sorted, paginated lists; one hazard with its
//! timeline; and the review queue. Everything is limited to the caller's reach; the queries are
//! `store::hazards`.

use super::{IdPath, Query};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::store::hazards::{self as store, Cursor, HazardFilter, HazardRecord, Sort};
use crate::store::inspections::any_document;
use automerge::AutoCommit;
use axum::Json;
use axum::extract::State;
use closeloop_model::doc::hazard;
use closeloop_model::lifecycle::{Severity, Status, TimelineEntry};
use closeloop_model::protocol::is_id;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

impl HazardRow {
    fn new(r: &HazardRecord, now: i64) -> HazardRow {
        let photos: Vec<String> = r.photos.iter().map(|p| p.sha256.clone()).collect();
        HazardRow {
            links: serde_json::json!({
                "self": format!("/v1/hazards/{}", r.id),
                "timeline": format!("/v1/hazards/{}/timeline", r.id),
                "inspection": r.inspection_id.as_ref().map(|i| format!("/v1/inspections/{i}")),
                "site": format!("/v1/sites/{}", r.site_id),
                "photos": photos.iter().map(|p| format!("/v1/blobs/{p}")).collect::<Vec<_>>(),
            }),
            id: r.id.clone(),
            site_id: r.site_id.clone(),
            grid_id: r.grid_id.clone(),
            inspection_id: r.inspection_id.clone(),
            item_id: r.item_id.clone(),
            title: r.title.clone(),
            status: r.status.clone(),
            severity: r.severity.clone(),
            assignee: r.assignee.clone(),
            deadline: r.deadline,
            overdue: r.overdue(now),
            reported_at: r.reported_at,
            assigned_at: r.assigned_at,
            submitted_at: r.submitted_at,
            closed_at: r.closed_at,
            evidence_complete: r.evidence_complete,
            clauses: r.clauses.clone(),
            gb35181: r.gb35181.clone(),
            measure: r.measure.clone(),
            photos,
        }
    }
}

/// A page of hazards.
#[derive(Debug, Serialize)]
pub struct HazardPage {
    pub items: Vec<HazardRow>,
    pub next_cursor: Option<String>,
}

/// The filter a query asks for, or the parameter at fault.
pub(crate) fn filter_of(q: &HazardQuery) -> ApiResult<HazardFilter> {
    let statuses = match &q.status {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|s| {
                Status::parse(s)
                    .ok_or_else(|| ApiError::bad("status", format!("`{s}` is not a status")))
            })
            .collect::<ApiResult<_>>()?,
    };
    let severity = match (&q.severity, q.major) {
        (Some(s), _) => {
            Some(Severity::parse(s).ok_or_else(|| ApiError::bad("severity", "general or major"))?)
        }
        (None, Some(true)) => Some(Severity::Major),
        (None, _) => None,
    };
    if q.major == Some(true) && severity != Some(Severity::Major) {
        return Err(ApiError::bad(
            "major",
            "major=true and severity=general ask for nothing",
        ));
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
    Ok(HazardFilter {
        statuses,
        severity,
        site_id: q.site_id.clone(),
        grid_id: q.grid_id.clone(),
        assignee: q.assignee.clone(),
        inspection_id: None,
        overdue: q.overdue,
        evidence_complete: q.evidence_complete,
        from: q.from,
        to: q.to,
    })
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
    let sort = match q.sort.as_deref() {
        None => Sort::ReportedAt,
        Some(s) => Sort::parse(s).ok_or_else(|| {
            ApiError::bad(
                "sort",
                format!("`{s}` is not one of reported_at, deadline, updated_at"),
            )
        })?,
    };
    let filter = filter_of(&q)?;
    let cursor = match &q.cursor {
        Some(c) => Some(
            Cursor::decode(c)
                .ok_or_else(|| ApiError::bad("cursor", "not a cursor this server gave out"))?,
        ),
        None => None,
    };
    let now = now_ms();
    let (records, next) = store::page(
        &state.db.pool,
        &user.actor.reach(),
        &filter,
        sort,
        limit,
        cursor.as_ref(),
        now,
    )
    .await?;
    Ok(Json(HazardPage {
        items: records.iter().map(|r| HazardRow::new(r, now)).collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}

async fn visible(state: &AppState, user: &AuthUser, id: &str) -> ApiResult<HazardRecord> {
    store::get(&state.db.pool, &user.actor.reach(), id)
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

/// The timeline of a hazard the caller may see (established before this is called).
async fn timeline_of(state: &AppState, id: &str) -> ApiResult<Vec<TimelineView>> {
    let bytes = any_document(&state.db.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("hazard {id}")))?;
    let doc = AutoCommit::load(&bytes).map_err(ApiError::internal)?;
    let received = store::receipts(&state.db.pool, id).await?;
    Ok(hazard::read(&doc)
        .map_err(ApiError::internal)?
        .state()
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
    Ok(Json(HazardDetail {
        timeline: timeline_of(&state, &id).await?,
        hazard: HazardRow::new(&r, now_ms()),
    }))
}

/// `POST /v1/hazards/{id}/actions`: a decision (assign, accept, reject, cancel, escalate,
/// reopen, comment) written by the server as the caller, under the same rules as a push; answers
/// the hazard afterwards.
pub async fn act(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    body: axum::body::Body,
) -> ApiResult<Json<HazardDetail>> {
    let decision: crate::actions::Decision =
        super::json_body(body, 64 * 1024, &state.config).await?;
    crate::actions::decide(&state, &user, &id, decision).await?;
    let r = visible(&state, &user, &id).await?;
    Ok(Json(HazardDetail {
        timeline: timeline_of(&state, &id).await?,
        hazard: HazardRow::new(&r, now_ms()),
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

/// Query of `GET /v1/review-queue`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// `GET /v1/review-queue`: rectifications waiting for a supervisor, oldest first, 50 to a page
/// (`limit` up to 200); the `X-Next-Cursor` header, when present, fetches the next page.
pub async fn review_queue(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<QueueQuery>,
) -> ApiResult<([(axum::http::HeaderName, String); 1], Json<Vec<ReviewItem>>)> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad("limit", "between 1 and 200"));
    }
    let cursor = match &q.cursor {
        Some(c) => Some(
            Cursor::decode(c)
                .ok_or_else(|| ApiError::bad("cursor", "not a cursor this server gave out"))?,
        ),
        None => None,
    };
    let (records, next) =
        store::review_queue(&state.db.pool, &user.actor.reach(), limit, cursor.as_ref()).await?;
    let now = now_ms();
    let items = records
        .iter()
        .map(|r| ReviewItem {
            before_photos: r.side("before"),
            after_photos: r.side("after"),
            missing_evidence: r.missing(),
            hazard: HazardRow::new(r, now),
        })
        .collect();
    Ok((
        [(
            axum::http::HeaderName::from_static("x-next-cursor"),
            next.map(|c| c.encode()).unwrap_or_default(),
        )],
        Json(items),
    ))
}
