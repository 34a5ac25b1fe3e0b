//! Exports, printed documents and periodic reports in the API: parse, establish the caller's
//! reach, hand over to [`crate::exports`], [`crate::documents`] and [`crate::reports`]. A site,
//! hazard, inspection or report outside the caller's reach answers exactly as one that does not
//! exist. ADR 0008.

use super::{IdPath, Query};
use crate::AppState;
use crate::auth::AuthUser;
use crate::console::i18n::Tr;
use crate::console::session::{ConsoleUser, lang};
use crate::db::now_ms;
use crate::documents;
use crate::error::{ApiError, ApiResult};
use crate::exports::{self, Context, Format, Source};
use crate::reports::{self, Trigger, content::ReportBody, period::Kind, period::Period};
use crate::store;
use crate::store::inspections::InspectionFilter;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use closeloop_model::protocol::is_id;
use closeloop_model::roles::Reach;
use serde::{Deserialize, Serialize};

/// The query string split into `format` and the list's own filters (re-encoded, so the list's
/// query type reads them exactly as the list does, unknown parameters refused).
fn split_format(uri: &Uri) -> ApiResult<(Format, String)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or_default())
        .map_err(|_| ApiError::bad("query", "the query string could not be read"))?;
    let mut format = None;
    let mut rest = Vec::new();
    for (k, v) in pairs {
        if k == "format" {
            format = Some(Format::parse(&v).ok_or_else(|| ApiError::bad("format", "csv or xlsx"))?);
        } else {
            rest.push((k, v));
        }
    }
    let format = format.ok_or_else(|| ApiError::bad("format", "csv or xlsx"))?;
    let rest = serde_urlencoded::to_string(rest).map_err(ApiError::internal)?;
    Ok((format, rest))
}

fn parse_query<T: serde::de::DeserializeOwned>(q: &str) -> ApiResult<T> {
    serde_urlencoded::from_str(q).map_err(|e| {
        let text = e.to_string();
        let field = text.split('`').nth(1).unwrap_or("query").to_owned();
        ApiError::BadRequest {
            message: format!("the query string is not valid for this call: {text}"),
            field: Some(field),
        }
    })
}

/// The context every exported row is shown with.
pub(crate) async fn context(state: &AppState, user: &AuthUser, tr: Tr) -> ApiResult<Context> {
    Ok(Context {
        tr,
        offset: state.config.console_utc_offset_minutes,
        now: now_ms(),
        grids: store::people::grids(&state.db.pool, &user.actor.scope.org_id)
            .await?
            .into_iter()
            .collect(),
    })
}

/// `GET /v1/exports/hazards?format=csv|xlsx&…`: the hazards `GET /v1/hazards` would list with
/// the same filters (`limit`, `cursor` and `sort` aside: every row, newest first).
pub async fn hazards(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    let (format, rest) = split_format(&uri)?;
    let q: super::hazards::HazardQuery = parse_query(&rest)?;
    if q.limit.is_some() || q.cursor.is_some() || q.sort.is_some() {
        return Err(ApiError::bad(
            "limit",
            "an export has every matching row: limit, cursor and sort do not apply",
        ));
    }
    let filter = super::hazards::filter_of(&q)?;
    let ctx = context(
        &state,
        &user,
        Tr {
            lang: lang(&headers),
        },
    )
    .await?;
    let source = Source::Hazards {
        reach: user.actor.reach(),
        filter,
        cursor: None,
    };
    exports::respond(&state, source, ctx, format).await
}

/// Filters of an inspections export.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectionQuery {
    pub site_id: Option<String>,
    pub grid_id: Option<String>,
    pub purpose: Option<String>,
    /// Started at or after, and before (ms).
    pub from: Option<i64>,
    pub to: Option<i64>,
}

pub(crate) fn inspection_filter(q: InspectionQuery) -> ApiResult<InspectionFilter> {
    for (field, v) in [("site_id", &q.site_id), ("grid_id", &q.grid_id)] {
        if v.as_deref().is_some_and(|v| !is_id(v)) {
            return Err(ApiError::bad(field, "not an id"));
        }
    }
    if q.purpose.as_deref().is_some_and(|p| !is_id(p)) {
        return Err(ApiError::bad("purpose", "not a purpose"));
    }
    for (field, v) in [("from", q.from), ("to", q.to)] {
        if v.is_some_and(|v| v < 0) {
            return Err(ApiError::bad(
                field,
                "a time in ms since 1970, not negative",
            ));
        }
    }
    Ok(InspectionFilter {
        site_id: q.site_id,
        grid_id: q.grid_id,
        purpose: q.purpose,
        from: q.from,
        to: q.to,
    })
}

/// `GET /v1/exports/inspections?format=csv|xlsx&site_id&grid_id&purpose&from&to`.
pub async fn inspections(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    let (format, rest) = split_format(&uri)?;
    let filter = inspection_filter(parse_query(&rest)?)?;
    let ctx = context(
        &state,
        &user,
        Tr {
            lang: lang(&headers),
        },
    )
    .await?;
    let source = Source::Inspections {
        reach: user.actor.reach(),
        filter,
        after: None,
    };
    exports::respond(&state, source, ctx, format).await
}

/// Filters of a sites export: the sites list's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteQuery {
    pub grid_id: Option<String>,
    /// Part of the name or address.
    pub q: Option<String>,
}

/// `GET /v1/exports/sites?format=csv|xlsx&grid_id&q`.
pub async fn sites(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    let (format, rest) = split_format(&uri)?;
    let q: SiteQuery = parse_query(&rest)?;
    if q.grid_id.as_deref().is_some_and(|g| !is_id(g)) {
        return Err(ApiError::bad("grid_id", "not an id"));
    }
    if q.q.as_deref().is_some_and(|s| s.chars().count() > 200) {
        return Err(ApiError::bad("q", "at most 200 characters"));
    }
    let reach = user.actor.reach();
    let ids = exports::sites(
        &state,
        &reach,
        q.grid_id.as_deref(),
        q.q.as_deref().unwrap_or_default(),
    )
    .await?;
    let ctx = context(
        &state,
        &user,
        Tr {
            lang: lang(&headers),
        },
    )
    .await?;
    exports::respond(
        &state,
        Source::Sites {
            sites: ids.into_iter(),
        },
        ctx,
        format,
    )
    .await
}

/// A PDF download.
pub(crate) fn pdf_response(bytes: Vec<u8>, name: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

fn as_console(user: AuthUser, headers: &HeaderMap) -> ConsoleUser {
    ConsoleUser {
        user,
        csrf: String::new(),
        tr: Tr {
            lang: lang(headers),
        },
    }
}

/// `GET /v1/sites/{id}/archive.pdf`: the site's archive (一企一档).
pub async fn archive_pdf(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let u = as_console(user, &headers);
    let a = documents::archive(&state, &u, &id).await?;
    let pdf = documents::archive_pdf(&state, a, u.tr).await?;
    Ok(pdf_response(pdf, &format!("archive-{id}.pdf")))
}

/// `GET /v1/hazards/{id}/notice.pdf`: the rectification notice (整改通知书) of one hazard.
pub async fn hazard_notice_pdf(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let u = as_console(user, &headers);
    let n = documents::notice(&state, &u, Some(&id), None).await?;
    let pdf = documents::notice_pdf(&state, n, u.tr).await?;
    Ok(pdf_response(pdf, &format!("notice-{id}.pdf")))
}

/// `GET /v1/inspections/{id}/notice.pdf`: the notice of every hazard an inspection raised.
pub async fn inspection_notice_pdf(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let u = as_console(user, &headers);
    let n = documents::notice(&state, &u, None, Some(&id)).await?;
    let pdf = documents::notice_pdf(&state, n, u.tr).await?;
    Ok(pdf_response(pdf, &format!("notice-{id}.pdf")))
}

/// A stored report as the list shows it.
#[derive(Debug, Serialize)]
pub struct ReportItem {
    pub id: String,
    pub kind: String,
    /// `None`: the district.
    pub grid_id: Option<String>,
    pub period_start: i64,
    pub period_end: i64,
    pub generated_at: i64,
    pub trigger: String,
    pub partial: bool,
    pub links: serde_json::Value,
}

impl ReportItem {
    fn of(r: &store::reports::ReportRow) -> ReportItem {
        ReportItem {
            id: r.id.clone(),
            kind: r.kind.clone(),
            grid_id: (!r.grid_id.is_empty()).then(|| r.grid_id.clone()),
            period_start: r.period_start,
            period_end: r.period_end,
            generated_at: r.generated_at,
            trigger: r.trigger.clone(),
            partial: r.partial,
            links: serde_json::json!({
                "self": format!("/v1/reports/{}", r.id),
                "pdf": format!("/v1/reports/{}/report.pdf", r.id),
            }),
        }
    }
}

/// Filters of the reports list.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    pub kind: Option<String>,
    /// A grid's reports; `district` for the district's.
    pub grid_id: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct ReportList {
    pub items: Vec<ReportItem>,
}

/// `GET /v1/reports`: the reports the caller may read, newest period first.
pub async fn list_reports(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Json<ReportList>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad("limit", "between 1 and 200"));
    }
    let offset = q.offset.unwrap_or(0);
    if !(0..=100_000).contains(&offset) {
        return Err(ApiError::bad("offset", "between 0 and 100000"));
    }
    if let Some(k) = &q.kind
        && Kind::parse(k).is_none()
    {
        return Err(ApiError::bad("kind", "daily, weekly or monthly"));
    }
    let grid = match q.grid_id.as_deref() {
        Some("district") => Some(""),
        Some(g) if is_id(g) => Some(g),
        Some(_) => return Err(ApiError::bad("grid_id", "a grid id or `district`")),
        None => None,
    };
    let rows = store::reports::list(
        &state.db.pool,
        &user.actor.reach(),
        q.kind.as_deref(),
        grid,
        limit,
        offset,
    )
    .await?;
    Ok(Json(ReportList {
        items: rows.iter().map(ReportItem::of).collect(),
    }))
}

/// What to generate.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    pub kind: String,
    /// A day of the period, `YYYY-MM-DD` in the organisation's zone; default today.
    pub date: Option<String>,
    /// `None`: the district.
    pub grid_id: Option<String>,
}

/// A stored report with its figures.
#[derive(Debug, Serialize)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub item: ReportItem,
    pub body: ReportBody,
}

/// Whether `reach` may generate and read the report of `grid` (`None`: the district): the
/// district needs the organisation's whole reach, a grid a reach over that grid.
pub(crate) fn may_report(reach: &Reach, grid: Option<&str>) -> bool {
    match (reach, grid) {
        (Reach::Organisation { .. }, _) => true,
        (Reach::Areas { grids, .. }, Some(g)) => grids.iter().any(|x| x == g),
        (Reach::Areas { .. }, None) => false,
    }
}

/// Generates a report on demand for `user`, answering its stored row.
pub(crate) async fn generate_for(
    state: &AppState,
    user: &AuthUser,
    kind: &str,
    date: Option<&str>,
    grid: Option<&str>,
) -> ApiResult<store::reports::ReportRow> {
    let kind =
        Kind::parse(kind).ok_or_else(|| ApiError::bad("kind", "daily, weekly or monthly"))?;
    let offset = state.config.console_utc_offset_minutes;
    let period = match date {
        None | Some("") => Period::containing(kind, now_ms(), offset),
        Some(d) => Period::of_date(kind, d, offset)
            .ok_or_else(|| ApiError::bad("date", "a day as YYYY-MM-DD"))?,
    };
    if period.start > now_ms() {
        return Err(ApiError::bad("date", "a period that has begun"));
    }
    let grid = grid.filter(|g| !g.is_empty());
    if grid.is_some_and(|g| !is_id(g)) {
        return Err(ApiError::bad("grid_id", "not an id"));
    }
    let reach = user.actor.reach();
    if !may_report(&reach, grid) {
        return Err(match grid {
            Some(g) => ApiError::NotFound(format!("grid {g}")),
            None => ApiError::Forbidden("the district's report needs the whole district".into()),
        });
    }
    let (id, _) = reports::generate(
        state,
        &user.actor.scope.org_id,
        grid,
        period,
        Trigger::Demand,
        Some(&user.actor.user_id),
    )
    .await?;
    store::reports::get(&state.db.pool, &reach, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("report {id}")))
}

fn detail_of(r: &store::reports::ReportRow) -> ApiResult<ReportDetail> {
    Ok(ReportDetail {
        item: ReportItem::of(r),
        body: serde_json::from_str(&r.body).map_err(ApiError::internal)?,
    })
}

/// `POST /v1/reports`: generates (or regenerates) a report now.
pub async fn generate(
    State(state): State<AppState>,
    user: AuthUser,
    body: axum::body::Body,
) -> ApiResult<(axum::http::StatusCode, Json<ReportDetail>)> {
    let b: GenerateBody = super::json_body(body, 4096, &state.config).await?;
    let row = generate_for(
        &state,
        &user,
        &b.kind,
        b.date.as_deref(),
        b.grid_id.as_deref(),
    )
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(detail_of(&row)?)))
}

/// `GET /v1/reports/{id}`.
pub async fn report(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<ReportDetail>> {
    let row = store::reports::get(&state.db.pool, &user.actor.reach(), &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("report {id}")))?;
    Ok(Json(detail_of(&row)?))
}

/// `GET /v1/reports/{id}/report.pdf`.
pub async fn report_pdf(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let row = store::reports::get(&state.db.pool, &user.actor.reach(), &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("report {id}")))?;
    let body: ReportBody = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
    let tr = Tr {
        lang: lang(&headers),
    };
    let pdf = documents::report_pdf(&state, body, tr).await?;
    Ok(pdf_response(pdf, &format!("report-{id}.pdf")))
}
