//! Login, refresh, logout and "who am I".

use super::json_body;
use crate::AppState;
use crate::auth::jwt::Claims;
use crate::auth::{AuthUser, load_actor, password, refresh};
use crate::db::{now_ms, random_hex};
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use closeloop_model::roles::Actor;
use serde::{Deserialize, Serialize};
use sqlx::Row;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    username: String,
    password: String,
    device_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshRequest {
    refresh_token: String,
}

/// The user as the device should remember them.
#[derive(Debug, Serialize)]
pub struct UserInfo {
    user_id: String,
    display_name: String,
    role: String,
    org_id: String,
    grid_ids: Vec<String>,
    site_ids: Vec<String>,
}

impl UserInfo {
    fn new(actor: &Actor, display_name: String) -> Self {
        UserInfo {
            user_id: actor.user_id.clone(),
            display_name,
            role: actor.role.as_str().to_owned(),
            org_id: actor.scope.org_id.clone(),
            grid_ids: actor.scope.grids.clone(),
            site_ids: actor.scope.sites.clone(),
        }
    }
}

/// Tokens and the user.
#[derive(Debug, Serialize)]
pub struct TokenPair {
    access_token: String,
    access_expires_at: i64,
    refresh_token: String,
    refresh_expires_at: i64,
    user: UserInfo,
}

fn valid_device(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

async fn pair(
    state: &AppState,
    user_id: &str,
    device_id: &str,
    family: &str,
) -> ApiResult<TokenPair> {
    let (actor, display_name) =
        load_actor(&state.db.pool, user_id)
            .await?
            .ok_or(ApiError::Unauthorized {
                code: "invalid_credentials",
                message: "the user no longer exists".into(),
            })?;
    let now = now_ms() / 1000;
    let exp = now + state.config.access_token_seconds;
    let claims = Claims {
        sub: actor.user_id.clone(),
        did: device_id.to_owned(),
        org: actor.scope.org_id.clone(),
        role: actor.role.as_str().to_owned(),
        iss: state.config.jwt_issuer.clone(),
        iat: now,
        exp,
    };
    let access_token = state.keys.issue(&claims).map_err(ApiError::internal)?;
    let r = refresh::issue(
        &state.db.pool,
        user_id,
        device_id,
        family,
        state.config.refresh_token_days,
    )
    .await?;
    Ok(TokenPair {
        access_token,
        access_expires_at: exp * 1000,
        refresh_token: r.token,
        refresh_expires_at: r.expires_at,
        user: UserInfo::new(&actor, display_name),
    })
}

/// `POST /v1/auth/login`.
pub async fn login(State(state): State<AppState>, body: Body) -> ApiResult<Json<TokenPair>> {
    let req: LoginRequest = json_body(body, 16 * 1024).await?;
    if !valid_device(&req.device_id) {
        return Err(ApiError::bad(
            "device_id",
            "a device id is 1–128 letters, digits, `-`, `_` or `.`",
        ));
    }
    let row = sqlx::query("SELECT id, password_hash FROM users WHERE username = $1")
        .bind(&req.username)
        .fetch_optional(&state.db.pool)
        .await?;
    let (user_id, stored) = match &row {
        Some(r) => (
            Some(r.try_get::<String, _>("id")?),
            r.try_get::<String, _>("password_hash")?,
        ),
        None => (None, password::dummy_hash().to_owned()),
    };
    // Verify even for unknown users, so timing does not tell which usernames exist.
    let ok = state.passwords.verify(req.password.clone(), stored).await;
    let Some(user_id) = user_id.filter(|_| ok) else {
        return Err(ApiError::Unauthorized {
            code: "invalid_credentials",
            message: "wrong username or password".into(),
        });
    };
    Ok(Json(
        pair(&state, &user_id, &req.device_id, &random_hex(16)).await?,
    ))
}

/// `POST /v1/auth/refresh`.
pub async fn refresh(State(state): State<AppState>, body: Body) -> ApiResult<Json<TokenPair>> {
    let req: RefreshRequest = json_body(body, 16 * 1024).await?;
    let owner = refresh::consume(&state.db.pool, &req.refresh_token).await?;
    Ok(Json(
        pair(&state, &owner.user_id, &owner.device_id, &owner.family_id).await?,
    ))
}

/// `POST /v1/auth/logout`.
pub async fn logout(
    State(state): State<AppState>,
    _user: AuthUser,
    body: Body,
) -> ApiResult<StatusCode> {
    let req: RefreshRequest = json_body(body, 16 * 1024).await?;
    refresh::revoke_family_of(&state.db.pool, &req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/me`.
pub async fn me(user: AuthUser) -> Json<UserInfo> {
    Json(UserInfo::new(&user.actor, user.display_name))
}
