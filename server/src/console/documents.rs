//! The console's exports, printable site archive, PDF downloads and reports pages. Each reads
//! within the signed-in user's reach exactly as the API does (the same gathering in
//! [`crate::documents`], the same list filters); generating a report is a form with the
//! session's CSRF token. ADR 0008.

use super::Q;
use super::i18n::Tr;
use super::pages::{Chrome, ListQuery, SitesQuery, list_filter, offset, render};
use super::session::{ConsoleUser, csrf_ok};
use crate::AppState;
use crate::console::view::when;
use crate::documents::{self, Archive, rate, report_title};
use crate::error::{ApiError, ApiResult};
use crate::exports::{self, Context, Format, Source};
use crate::reports::content::ReportBody;
use crate::reports::period::Kind;
use crate::routes::IdPath;
use crate::routes::documents::{generate_for, pdf_response};
use crate::store;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

impl Chrome {
    /// The link that exports what this list page shows: its path's filters (not its page
    /// cursor) to `/console/exports/{kind}` as `format`.
    pub fn export_link(&self, kind: &str, format: &str) -> String {
        let query = self.path.split_once('?').map_or("", |(_, q)| q);
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("cursor=") && !p.starts_with("sort="))
            .collect();
        let mut out = format!("/console/exports/{kind}?format={format}");
        for p in kept {
            out.push('&');
            out.push_str(p);
        }
        out
    }
}

/// `?format=` and the list's own filters from the rest of the query. Unlike a page, an export
/// whose filters cannot be read is refused rather than widened to everything.
fn split<T: serde::de::DeserializeOwned>(uri: &axum::http::Uri) -> ApiResult<(Format, T)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or_default())
        .map_err(|_| ApiError::bad("query", "the query string could not be read"))?;
    let mut format = None;
    let mut rest = Vec::new();
    for (k, v) in pairs {
        if k == "format" {
            format = Format::parse(&v);
        } else if k != "cursor" && k != "sort" {
            rest.push((k, v));
        }
    }
    let format = format.ok_or_else(|| ApiError::bad("format", "csv or xlsx"))?;
    let rest = serde_urlencoded::to_string(rest).map_err(ApiError::internal)?;
    let q = serde_urlencoded::from_str(&rest)
        .map_err(|e| ApiError::bad("query", format!("the filters could not be read: {e}")))?;
    Ok((format, q))
}

async fn context(state: &AppState, u: &ConsoleUser) -> ApiResult<Context> {
    crate::routes::documents::context(state, &u.user, u.tr).await
}

/// `GET /console/exports/hazards?format=…&<the hazards list's filters>`.
pub async fn export_hazards(
    State(state): State<AppState>,
    u: ConsoleUser,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    let (format, q): (Format, ListQuery) = split(&uri)?;
    let source = Source::Hazards {
        reach: u.user.actor.reach(),
        filter: list_filter(&q, offset(&state)),
        cursor: None,
    };
    exports::respond(&state, source, context(&state, &u).await?, format).await
}

/// `GET /console/exports/sites?format=…&q&grid_id`.
pub async fn export_sites(
    State(state): State<AppState>,
    u: ConsoleUser,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    let (format, q): (Format, SitesQuery) = split(&uri)?;
    let reach = u.user.actor.reach();
    let grid = (!q.grid_id.is_empty()).then_some(q.grid_id.as_str());
    let needle: String = q.q.chars().take(200).collect();
    let ids = exports::sites(&state, &reach, grid, &needle).await?;
    let source = Source::Sites {
        sites: ids.into_iter(),
    };
    exports::respond(&state, source, context(&state, &u).await?, format).await
}

/// Filters of the inspections export from a site's page.
#[derive(Debug, Default, Deserialize)]
pub struct InspectionsQuery {
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub grid_id: String,
}

/// `GET /console/exports/inspections?format=…&site_id&grid_id`.
pub async fn export_inspections(
    State(state): State<AppState>,
    u: ConsoleUser,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    let (format, q): (Format, InspectionsQuery) = split(&uri)?;
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let filter =
        crate::routes::documents::inspection_filter(crate::routes::documents::InspectionQuery {
            site_id: some(&q.site_id),
            grid_id: some(&q.grid_id),
            ..Default::default()
        })?;
    let source = Source::Inspections {
        reach: u.user.actor.reach(),
        filter,
        after: None,
    };
    exports::respond(&state, source, context(&state, &u).await?, format).await
}

#[derive(Debug, Template)]
#[template(path = "archive.html")]
pub struct ArchivePage {
    pub chrome: Chrome,
    pub a: Archive,
}

/// `GET /console/sites/{id}/archive`: the archive as a printable page.
pub async fn archive_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let a = documents::archive(&state, &u, &id).await?;
    let mut chrome = Chrome::new(&u, "sites", format!("/console/sites/{id}/archive"));
    chrome.live = false;
    Ok(render(&ArchivePage { chrome, a }))
}

/// `GET /console/sites/{id}/archive.pdf`.
pub async fn archive_pdf(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let a = documents::archive(&state, &u, &id).await?;
    let pdf = documents::archive_pdf(&state, a, u.tr).await?;
    Ok(pdf_response(pdf, &format!("archive-{id}.pdf")))
}

/// `GET /console/hazards/{id}/notice.pdf`.
pub async fn hazard_notice(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let n = documents::notice(&state, &u, Some(&id), None).await?;
    let pdf = documents::notice_pdf(&state, n, u.tr).await?;
    Ok(pdf_response(pdf, &format!("notice-{id}.pdf")))
}

/// `GET /console/inspections/{id}/notice.pdf`.
pub async fn inspection_notice(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let n = documents::notice(&state, &u, None, Some(&id)).await?;
    let pdf = documents::notice_pdf(&state, n, u.tr).await?;
    Ok(pdf_response(pdf, &format!("notice-{id}.pdf")))
}

/// A report as the list shows it.
#[derive(Debug, Clone)]
pub struct ReportRowView {
    pub id: String,
    pub title: String,
    pub kind_label: String,
    pub scope: String,
    pub period: String,
    pub generated: String,
    pub trigger_label: String,
    pub partial: bool,
}

/// A grid the user may generate a report for.
#[derive(Debug, Clone)]
pub struct ScopeOpt {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Template)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    pub chrome: Chrome,
    pub items: Vec<ReportRowView>,
    pub scopes: Vec<ScopeOpt>,
    pub kinds: Vec<ScopeOpt>,
    pub today: String,
    pub error: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportsQuery {
    #[serde(default)]
    pub error: String,
}

/// `GET /console/reports`: the reports in reach, and a form to generate one.
pub async fn reports_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    Q(q): Q<ReportsQuery>,
) -> ApiResult<Response> {
    let pool = &state.db.pool;
    let tr = u.tr;
    let off = offset(&state);
    let reach = u.user.actor.reach();
    let grids = store::people::grids(pool, &u.user.actor.scope.org_id).await?;
    let rows = store::reports::list(pool, &reach, None, None, 100, 0).await?;
    let mut items = Vec::new();
    for r in &rows {
        let Ok(b) = serde_json::from_str::<ReportBody>(&r.body) else {
            continue;
        };
        items.push(ReportRowView {
            id: r.id.clone(),
            title: report_title(&b, &tr),
            kind_label: tr.of("report_kind", &r.kind),
            scope: b.scope_name.clone(),
            period: format!(
                "{} — {}",
                when(r.period_start, off),
                when(r.period_end, off)
            ),
            generated: when(r.generated_at, off),
            trigger_label: tr.of("report_trigger", &r.trigger),
            partial: r.partial,
        });
    }
    let mut scopes = Vec::new();
    if crate::routes::documents::may_report(&reach, None) {
        scopes.push(ScopeOpt {
            value: String::new(),
            label: tr.s("report.district").to_owned(),
        });
    }
    for (id, name) in grids {
        if crate::routes::documents::may_report(&reach, Some(&id)) {
            scopes.push(ScopeOpt {
                value: id,
                label: name,
            });
        }
    }
    let kinds = Kind::ALL
        .iter()
        .map(|k| ScopeOpt {
            value: k.as_str().to_owned(),
            label: tr.of("report_kind", k.as_str()),
        })
        .collect();
    let mut chrome = Chrome::new(&u, "reports", "/console/reports".into());
    chrome.live = false;
    Ok(render(&ReportsPage {
        chrome,
        items,
        scopes,
        kinds,
        today: closeloop_model::calendar::Date::at(crate::db::now_ms(), off).to_string(),
        error: q.error.chars().take(300).collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub grid_id: String,
    #[serde(default)]
    pub date: String,
}

/// `POST /console/reports`: generates a report now and shows it.
pub async fn generate(
    State(state): State<AppState>,
    u: ConsoleUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Response> {
    let bytes = crate::routes::read_body(body, 4096, &state.config).await?;
    let form: GenerateForm = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| ApiError::bad("form", format!("the form could not be read: {e}")))?;
    let given = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(form.csrf.as_str());
    if !csrf_ok(&u.csrf, given) {
        return Err(ApiError::Forbidden(
            "the form is not this session's; reload the page".into(),
        ));
    }
    match generate_for(
        &state,
        &u.user,
        &form.kind,
        Some(&form.date),
        Some(&form.grid_id),
    )
    .await
    {
        Ok(row) => Ok(Redirect::to(&format!("/console/reports/{}", row.id)).into_response()),
        Err(e @ (ApiError::BadRequest { .. } | ApiError::Forbidden(_))) => Ok(Redirect::to(
            &format!("/console/reports?error={}", urlencode(&e.to_string())),
        )
        .into_response()),
        Err(e) => Err(e),
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("e", s)])
        .map(|v| v.trim_start_matches("e=").to_owned())
        .unwrap_or_default()
}

/// One line of a report's table.
#[derive(Debug, Clone)]
pub struct FigureLine {
    pub name: String,
    pub found: i64,
    pub closed: i64,
    pub rate: String,
    pub overdue: i64,
    pub colours: Vec<u32>,
}

#[derive(Debug, Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub chrome: Chrome,
    pub id: String,
    pub title: String,
    pub period: String,
    pub generated: String,
    pub partial: bool,
    pub total: FigureLine,
    pub median: String,
    pub major_open: i64,
    pub inspections: i64,
    pub colour_labels: Vec<(String, String)>,
    pub grids: Vec<FigureLine>,
    pub worst: Vec<(String, String, String, String, u32, i64, i64)>,
}

fn line(name: String, f: &crate::reports::content::Figures) -> FigureLine {
    FigureLine {
        name,
        found: f.found,
        closed: f.closed,
        rate: rate(f.closure_rate),
        overdue: f.overdue,
        colours: ["red", "orange", "yellow", "blue"]
            .iter()
            .map(|c| f.sites_by_colour.get(*c).copied().unwrap_or(0))
            .collect(),
    }
}

/// `GET /console/reports/{id}`.
pub async fn report_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let row = store::reports::get(&state.db.pool, &u.user.actor.reach(), &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("report {id}")))?;
    let b: ReportBody = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
    let tr: Tr = u.tr;
    let off = offset(&state);
    let mut chrome = Chrome::new(&u, "reports", format!("/console/reports/{id}"));
    chrome.live = false;
    Ok(render(&ReportPage {
        title: report_title(&b, &tr),
        period: format!("{} — {}", when(b.from, off), when(b.to, off)),
        generated: when(b.generated_at, off),
        partial: b.partial,
        total: line(tr.s("report.totals").to_owned(), &b.totals),
        median: super::pages::hours(b.totals.median_hours_to_close, &tr),
        major_open: b.totals.major_open,
        inspections: b.totals.inspections,
        colour_labels: ["red", "orange", "yellow", "blue"]
            .iter()
            .map(|c| ((*c).to_owned(), tr.of("grade", c)))
            .collect(),
        grids: b
            .grids
            .iter()
            .map(|g| line(g.name.clone(), &g.figures))
            .collect(),
        worst: b
            .worst_sites
            .iter()
            .map(|s| {
                (
                    s.site_id.clone(),
                    s.name.clone(),
                    s.grade.as_str().to_owned(),
                    tr.of("grade", s.grade.as_str()),
                    s.points,
                    s.open,
                    s.overdue,
                )
            })
            .collect(),
        id,
        chrome,
    }))
}

/// `GET /console/reports/{id}/report.pdf`.
pub async fn report_pdf(
    State(state): State<AppState>,
    u: ConsoleUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = store::reports::get(&state.db.pool, &u.user.actor.reach(), &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("report {id}")))?;
    let b: ReportBody = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
    let pdf = documents::report_pdf(&state, b, u.tr).await?;
    Ok(pdf_response(pdf, &format!("report-{id}.pdf")))
}
