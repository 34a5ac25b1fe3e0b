//! Login, refresh, logout and "who am I".

use super::json_body;
use crate::AppState;
use crate::auth::jwt::Claims;
use crate::auth::{AuthUser, load_actor, password, refresh};
use crate::db::{now_ms, random_hex};
use crate::error::{ApiError, ApiResult};
use crate::store::people;
use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use closeloop_model::protocol::wire::{LoginRequest, RefreshRequest, TokenPair, UserInfo};
use closeloop_model::roles::Actor;

/// Refresh tokens are `r1.` and 64 hex digits; anything far longer is no token at all.
fn check_refresh(r: &RefreshRequest) -> ApiResult<()> {
    if r.refresh_token.len() > 1024 {
        return Err(ApiError::bad("refresh_token", "not a refresh token"));
    }
    Ok(())
}

/// The user as the device should remember them.
fn user_info(actor: &Actor, display_name: String) -> UserInfo {
    UserInfo {
        user_id: actor.user_id.clone(),
        display_name,
        role: actor.role.as_str().to_owned(),
        org_id: actor.scope.org_id.clone(),
        grid_ids: actor.scope.grids.clone(),
        site_ids: actor.scope.sites.clone(),
    }
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
        nbf: now,
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
        user: Some(user_info(&actor, display_name)),
    })
}

/// The client's address, for the per-address limits (see [`crate::serve::client_ip`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(crate::serve::client_ip(
            parts,
            state.config.trust_forwarded_for,
        )))
    }
}

fn throttled(what: &str, retry_after: u64) -> ApiError {
    ApiError::TooMany {
        message: format!("too many {what}; try again in {retry_after} s"),
        retry_after,
    }
}

/// One login or refresh attempt from `ip`, within its address's limit.
fn per_address(state: &AppState, ip: Option<std::net::IpAddr>) -> ApiResult<()> {
    state
        .throttle
        .address(ip)
        .map_err(|s| throttled("login attempts from your address", s))
}

/// `POST /v1/auth/login`.
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Body,
) -> ApiResult<Json<TokenPair>> {
    per_address(&state, ip)?;
    let req: LoginRequest = json_body(body, 16 * 1024, &state.config).await?;
    if !valid_device(&req.device_id) {
        return Err(ApiError::bad(
            "device_id",
            "a device id is 1–128 letters, digits, `-`, `_` or `.`",
        ));
    }
    if req.username.is_empty() || req.username.len() > 64 || req.password.len() > 1024 {
        // No account has such a name or password; answered as any wrong login, without a hash.
        return Err(ApiError::Unauthorized {
            code: "invalid_credentials",
            message: "wrong username or password".into(),
        });
    }
    state
        .throttle
        .account(&req.username)
        .map_err(|s| throttled("login attempts for this account", s))?;
    let (user_id, stored) = match people::credentials(&state.db.pool, &req.username).await? {
        Some((id, hash)) => (Some(id), hash),
        None => (None, password::dummy_hash().to_owned()),
    };
    // Verify even for unknown users, so timing does not tell which usernames exist.
    let ok = state
        .passwords
        .verify(req.password.clone(), stored)
        .await
        .map_err(|_| throttled("logins at once", 1))?;
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
pub async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Body,
) -> ApiResult<Json<TokenPair>> {
    per_address(&state, ip)?;
    let req: RefreshRequest = json_body(body, 16 * 1024, &state.config).await?;
    check_refresh(&req)?;
    let owner = refresh::consume(&state.db.pool, &req.refresh_token).await?;
    Ok(Json(
        pair(&state, &owner.user_id, &owner.device_id, &owner.family_id).await?,
    ))
}

/// `POST /v1/auth/logout`: ends the login the refresh token belongs to, if it is the caller's.
/// Someone else's token, or an unknown one, is answered the same way and changes nothing.
pub async fn logout(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body,
) -> ApiResult<StatusCode> {
    let req: RefreshRequest = json_body(body, 16 * 1024, &state.config).await?;
    check_refresh(&req)?;
    refresh::revoke_family_of(&state.db.pool, &req.refresh_token, &user.actor.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/me`.
pub async fn me(user: AuthUser) -> Json<UserInfo> {
    Json(user_info(&user.actor, user.display_name))
}
