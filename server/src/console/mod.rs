//! The supervisor's console: pages served by the server binary itself, assets embedded (no CDN,
//! works on a LAN with no internet), Chinese first with English, a cookie session with CSRF
//! protection, live updates from the hazard event stream. ADR 0006.

pub mod admin;
pub mod documents;
pub mod i18n;
pub mod pages;
pub mod session;
pub mod svg;
pub mod view;

use crate::AppState;
use crate::actions::{self, Decision};
use crate::auth::password;
use crate::db::{now_ms, random_hex};
use crate::error::{ApiError, ApiResult};
use crate::routes::auth::ClientIp;
use crate::store;
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use closeloop_model::lifecycle::EventKind;
use i18n::Tr;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use session::{ConsoleUser, LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, csrf_ok, set_cookie};

/// Query parameters of a page: what cannot be read is ignored (a page never fails on a
/// hand-edited URL; it shows its defaults).
#[derive(Debug, Clone, Default)]
pub struct Q<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Q(serde_urlencoded::from_str(
            parts.uri.query().unwrap_or_default(),
        )
        .unwrap_or_default()))
    }
}

/// The console's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/") }))
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(pages::dashboard))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/lang/{lang}", get(set_lang))
        .route("/console/review", get(pages::review))
        .route("/console/hazards", get(pages::hazards))
        .route("/console/hazards/{id}", get(pages::hazard_page))
        .route("/console/hazards/{id}/decide", post(decide))
        .route("/console/sites", get(pages::sites))
        .route("/console/sites/{id}", get(pages::site_page))
        .route("/console/sites/{id}/archive", get(documents::archive_page))
        .route(
            "/console/sites/{id}/archive.pdf",
            get(documents::archive_pdf),
        )
        .route(
            "/console/hazards/{id}/notice.pdf",
            get(documents::hazard_notice),
        )
        .route(
            "/console/inspections/{id}/notice.pdf",
            get(documents::inspection_notice),
        )
        .route("/console/exports/hazards", get(documents::export_hazards))
        .route("/console/exports/sites", get(documents::export_sites))
        .route(
            "/console/exports/inspections",
            get(documents::export_inspections),
        )
        .route(
            "/console/reports",
            get(documents::reports_page).post(documents::generate),
        )
        .route("/console/reports/{id}", get(documents::report_page))
        .route(
            "/console/reports/{id}/report.pdf",
            get(documents::report_pdf),
        )
        .route("/console/photos/{sha256}", get(photo))
        .route("/console/events", get(events))
        .route("/console/assets/{name}", get(asset))
        .merge(admin::router())
}

/// The console's own content policy: its pages run its own script and styles and nothing else.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// ---------------------------------------------------------------------------------------------
// Login and logout

#[derive(Debug, Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    csrf: String,
    error: String,
    username: String,
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let csrf = random_hex(16);
    let page = LoginPage {
        tr: Tr {
            lang: session::lang(&headers),
        },
        csrf: csrf.clone(),
        error: String::new(),
        username: String::new(),
    };
    let mut res = pages::render(&page);
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, &headers, LOGIN_CSRF_COOKIE, csrf, 3600, true),
    );
    res
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

/// `POST /console/login`: the same limits as the API's login (per address, per account, the
/// password pool), then a session.
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let tr = Tr {
        lang: session::lang(&headers),
    };
    let again = |status: StatusCode, error: &str, username: String| {
        let csrf = random_hex(16);
        let mut res = pages::render(&LoginPage {
            tr,
            csrf: csrf.clone(),
            error: error.to_owned(),
            username,
        });
        *res.status_mut() = status;
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, &headers, LOGIN_CSRF_COOKIE, csrf, 3600, true),
        );
        res
    };
    let bytes = match crate::routes::read_body(body, 16 * 1024, &state.config).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(&bytes) else {
        return again(StatusCode::BAD_REQUEST, tr.s("login.failed"), String::new());
    };
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !csrf_ok(&expected, &form.csrf) {
        return again(StatusCode::FORBIDDEN, tr.s("login.expired"), form.username);
    }
    if let Err(wait) = state.throttle.address(ip) {
        let msg = format!("{} ({wait} s)", tr.s("login.throttled"));
        return again(StatusCode::TOO_MANY_REQUESTS, &msg, form.username);
    }
    if form.username.is_empty() || form.username.len() > 64 || form.password.len() > 1024 {
        return again(
            StatusCode::UNAUTHORIZED,
            tr.s("login.failed"),
            form.username,
        );
    }
    if let Err(wait) = state.throttle.account(&form.username) {
        let msg = format!("{} ({wait} s)", tr.s("login.throttled"));
        return again(StatusCode::TOO_MANY_REQUESTS, &msg, form.username);
    }
    let found = match store::people::credentials(&state.db.pool, &form.username).await {
        Ok(f) => f,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (user_id, stored) = match found {
        Some((id, hash)) => (Some(id), hash),
        None => (None, password::dummy_hash().to_owned()),
    };
    let ok = match state.passwords.verify(form.password, stored).await {
        Ok(ok) => ok,
        Err(_) => {
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                tr.s("login.throttled"),
                form.username,
            );
        }
    };
    let Some(user_id) = user_id.filter(|_| ok) else {
        return again(
            StatusCode::UNAUTHORIZED,
            tr.s("login.failed"),
            form.username,
        );
    };
    match session::start(&state, &headers, &user_id).await {
        Ok(cookie) => {
            let mut res = Redirect::to("/console/").into_response();
            res.headers_mut().append(header::SET_COOKIE, cookie);
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, &headers, LOGIN_CSRF_COOKIE, String::new(), 0, true),
            );
            res
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    u: ConsoleUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Response> {
    let bytes = crate::routes::read_body(body, 4096, &state.config).await?;
    let form: CsrfForm = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| ApiError::Forbidden("the form is not this session's".into()))?;
    if !csrf_ok(&u.csrf, &form.csrf) {
        return Err(ApiError::Forbidden("the form is not this session's".into()));
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        store::sessions::end(&state.db.pool, &token).await?;
    }
    let mut res = Redirect::to("/console/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, &headers, SESSION_COOKIE, String::new(), 0, true),
    );
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
struct Back {
    back: Option<String>,
}

/// Only the console's own pages are places to come back to (never another site).
fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with("/console") && !b.starts_with("//") && !b.contains('\\') => {
            b.to_owned()
        }
        _ => "/console/".to_owned(),
    }
}

async fn set_lang(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    headers: HeaderMap,
    Q(q): Q<Back>,
) -> Response {
    let lang = i18n::Lang::parse(&lang).unwrap_or(i18n::Lang::Zh);
    let code = if lang == i18n::Lang::Zh { "zh" } else { "en" };
    let mut res = Redirect::to(&safe_back(q.back.as_deref())).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            &state,
            &headers,
            session::LANG_COOKIE,
            code.to_owned(),
            365 * 86_400,
            false,
        ),
    );
    res
}

// ---------------------------------------------------------------------------------------------
// Decisions

#[derive(Debug, Deserialize)]
struct DecideForm {
    csrf: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    assignee: String,
    /// A date (YYYY-MM-DD): the end of that day in the console's zone.
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    back: Option<String>,
}

fn decision_of(f: &DecideForm, offset: i32) -> Result<Decision, String> {
    let reason = f.reason.trim().to_owned();
    let needs_reason = |kind: fn(String) -> EventKind| {
        if reason.is_empty() {
            Err("reason".to_owned())
        } else {
            Ok(kind(reason.clone()))
        }
    };
    let kind = match f.kind.as_str() {
        "accepted" => EventKind::Accepted,
        "commented" => {
            if f.note.trim().is_empty() {
                return Err("note".into());
            }
            EventKind::Commented
        }
        "rejected" => needs_reason(|reason| EventKind::Rejected { reason })?,
        "escalated" => needs_reason(|reason| EventKind::Escalated { reason })?,
        "cancelled" => needs_reason(|reason| EventKind::Cancelled { reason })?,
        "reopened" => needs_reason(|reason| EventKind::Reopened { reason })?,
        "assigned" => {
            let day = closeloop_model::calendar::Date::parse(&f.deadline)
                .ok_or_else(|| "deadline".to_owned())?;
            if f.assignee.is_empty() {
                return Err("assignee".into());
            }
            EventKind::Assigned {
                assignee: f.assignee.clone(),
                deadline: day.start_millis(offset) + 86_400_000 - 1,
                measure: f.measure.trim().to_owned(),
            }
        }
        _ => return Err("type".into()),
    };
    Ok(Decision {
        kind,
        note: f.note.trim().to_owned(),
        photos: Vec::new(),
    })
}

/// `POST /console/hazards/{id}/decide`: a form (or a script's fetch) taking a decision through
/// [`actions::decide`]. Forms come back to `back` with the outcome; scripts get JSON.
async fn decide(
    State(state): State<AppState>,
    u: ConsoleUser,
    crate::routes::IdPath(id): crate::routes::IdPath,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Response> {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    let bytes = crate::routes::read_body(body, 64 * 1024, &state.config).await?;
    let form: DecideForm = serde_urlencoded::from_bytes(&bytes)
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
    let back = safe_back(form.back.as_deref());
    let tr = u.tr;
    let outcome = match decision_of(&form, state.config.console_utc_offset_minutes) {
        Ok(d) => actions::decide(&state, &u.user, &id, d).await,
        Err(field) => Err(ApiError::bad(&field, tr.s("decide.missing"))),
    };
    let sep = if back.contains('?') { '&' } else { '?' };
    match outcome {
        Ok(()) if wants_json => Ok(axum::Json(serde_json::json!({"ok": true})).into_response()),
        Ok(()) => {
            Ok(Redirect::to(&format!("{back}{sep}done={}", urlencode(&form.kind))).into_response())
        }
        Err(e) if wants_json => Err(e),
        Err(ApiError::NotFound(m)) => Err(ApiError::NotFound(m)),
        Err(e) => Ok(
            Redirect::to(&format!("{back}{sep}refused={}", urlencode(&e.to_string())))
                .into_response(),
        ),
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|e| e.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Photos, events, assets

async fn photo(
    State(state): State<AppState>,
    u: ConsoleUser,
    Path(sha256): Path<String>,
) -> ApiResult<Response> {
    crate::routes::blobs::get(State(state), u.user, Path(sha256)).await
}

async fn events(
    State(state): State<AppState>,
    u: ConsoleUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let stream = crate::routes::events::stream(
        State(state),
        u.user,
        headers,
        crate::routes::Query(crate::routes::events::StreamQuery { after: None }),
    )
    .await?;
    Ok(stream.into_response())
}

const CSS: &str = include_str!("../../console/console.css");
const JS: &str = include_str!("../../console/console.js");

async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return ApiError::NotFound(format!("asset {name}")).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

/// Stops stale sessions piling up: removes expired ones every hour.
pub fn sweep_sessions(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = store::sessions::sweep(&state.db.pool, now_ms()).await {
                tracing::warn!(error = %e, "sweeping console sessions failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coming_back_goes_only_to_the_console() {
        assert_eq!(safe_back(Some("/console/review")), "/console/review");
        assert_eq!(safe_back(Some("https://evil.example/")), "/console/");
        assert_eq!(safe_back(Some("//evil.example/console")), "/console/");
        assert_eq!(safe_back(Some("/console\\@evil")), "/console/");
        assert_eq!(safe_back(None), "/console/");
    }

    #[test]
    fn a_form_becomes_the_decision_it_names() {
        let f = |kind: &str, reason: &str| DecideForm {
            csrf: String::new(),
            kind: kind.into(),
            reason: reason.into(),
            note: String::new(),
            assignee: "u-1".into(),
            deadline: "2026-12-08".into(),
            measure: String::new(),
            back: None,
        };
        assert!(matches!(
            decision_of(&f("rejected", "模糊"), 480).map(|d| d.kind),
            Ok(EventKind::Rejected { .. })
        ));
        assert_eq!(
            decision_of(&f("rejected", "  "), 480).err().as_deref(),
            Some("reason")
        );
        match decision_of(&f("assigned", ""), 480).map(|d| d.kind) {
            Ok(EventKind::Assigned { deadline, .. }) => {
                let end = closeloop_model::calendar::Date::parse("2026-12-09")
                    .expect("date")
                    .start_millis(480)
                    - 1;
                assert_eq!(deadline, end, "the end of that day in UTC+8");
            }
            other => panic!("{other:?}"),
        }
        assert!(decision_of(&f("reported", ""), 480).is_err());
    }
}
