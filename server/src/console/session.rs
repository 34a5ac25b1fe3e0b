//! Browser sessions: an HttpOnly, SameSite=Lax cookie (Secure behind TLS) naming a server-side
//! session, its CSRF token required on every state-changing request, expiry after a working day
//! or two idle hours, logout. The extractor loads the user's current role and scope on every
//! request, exactly as a bearer token's user.

use super::i18n::{Lang, Tr};
use crate::AppState;
use crate::auth::{AuthUser, load_actor};
use crate::db::{now_ms, random_hex};
use crate::error::ApiError;
use crate::store::sessions;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

pub const SESSION_COOKIE: &str = "cl_session";
pub const LANG_COOKIE: &str = "cl_lang";
/// The double-submit token of the login form (there is no session yet to hold one).
pub const LOGIN_CSRF_COOKIE: &str = "cl_login_csrf";

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| cookie::Cookie::parse(c.trim().to_owned()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// Whether cookies must be `Secure`: configured, or the request came through a trusted proxy
/// over TLS.
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.console_secure_cookies
        || (state.config.trust_forwarded_for
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.eq_ignore_ascii_case("https")))
}

/// A `Set-Cookie` value.
pub fn set_cookie(
    state: &AppState,
    headers: &HeaderMap,
    name: &'static str,
    value: String,
    max_age_seconds: i64,
    http_only: bool,
) -> HeaderValue {
    let mut c = cookie::Cookie::build((name, value))
        .path("/")
        .http_only(http_only)
        .same_site(cookie::SameSite::Lax)
        .secure(secure(state, headers))
        .max_age(cookie::time::Duration::seconds(max_age_seconds))
        .build();
    if max_age_seconds <= 0 {
        c.make_removal();
    }
    HeaderValue::from_str(&c.to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// The language of this request.
pub fn lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .unwrap_or_else(|| {
            Lang::from_accept(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

/// Starts a session for `user_id`; the `Set-Cookie` to send.
pub async fn start(
    state: &AppState,
    headers: &HeaderMap,
    user_id: &str,
) -> Result<HeaderValue, ApiError> {
    let token = random_hex(32);
    let now = now_ms();
    let hours = state.config.console_session_hours;
    sessions::create(
        &state.db.pool,
        &token,
        user_id,
        &random_hex(16),
        now,
        now + hours * 3_600_000,
    )
    .await?;
    Ok(set_cookie(
        state,
        headers,
        SESSION_COOKIE,
        token,
        hours * 3600,
        true,
    ))
}

/// The signed-in browser user, with the session's CSRF token and the request's language.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    pub user: AuthUser,
    pub csrf: String,
    pub tr: Tr,
}

/// No usable session: pages send the browser to the login page, scripts get a 401.
#[derive(Debug)]
pub struct SignIn {
    json: bool,
}

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        if self.json {
            ApiError::Unauthorized {
                code: "session_expired",
                message: "sign in again".into(),
            }
            .into_response()
        } else {
            Redirect::to("/console/login").into_response()
        }
    }
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let json = parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/json") || a.contains("text/event-stream"));
        let sign_in = || SignIn { json }.into_response();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(sign_in());
        };
        let idle = state.config.console_idle_minutes * 60_000;
        let session = sessions::find(&state.db.pool, &token, now_ms(), idle)
            .await
            .map_err(|e| ApiError::from(e).into_response())?;
        let Some(session) = session else {
            return Err(sign_in());
        };
        let Some((actor, display_name)) = load_actor(&state.db.pool, &session.user_id)
            .await
            .map_err(|e| ApiError::from(e).into_response())?
        else {
            return Err(sign_in());
        };
        Ok(ConsoleUser {
            user: AuthUser {
                actor,
                device_id: crate::actions::CONSOLE_DEVICE.to_owned(),
                display_name,
            },
            csrf: session.csrf,
            tr: Tr {
                lang: lang(&parts.headers),
            },
        })
    }
}

/// Whether `given` is the session's CSRF token, compared in constant time.
pub fn csrf_ok(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}
