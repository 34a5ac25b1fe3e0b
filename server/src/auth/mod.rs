//! Authentication: passwords, access tokens, refresh tokens, and the authenticated user as an
//! extractor that loads the user's current scope from the database on every request.

pub mod jwt;
pub mod password;
pub mod refresh;
pub mod verifier;

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use closeloop_model::roles::{Actor, Role, Scope};
use sqlx::{AnyPool, Row};

/// The caller, authenticated.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub actor: Actor,
    pub device_id: String,
    pub display_name: String,
}

/// Loads a user's role and scope as the server records them now. A deactivated account has
/// none: every access token, console session and event stream of it ends at its next request.
pub async fn load_actor(
    pool: &AnyPool,
    user_id: &str,
) -> Result<Option<(Actor, String)>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT org_id, role, display_name FROM users WHERE id = $1 AND deactivated_at IS NULL",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let role_text: String = row.try_get("role")?;
    let Some(role) = Role::parse(&role_text) else {
        return Ok(None);
    };
    let grids: Vec<String> =
        sqlx::query("SELECT grid_id FROM user_grids WHERE user_id = $1 ORDER BY grid_id")
            .bind(user_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| r.try_get("grid_id"))
            .collect::<Result<_, _>>()?;
    let sites: Vec<String> =
        sqlx::query("SELECT site_id FROM user_sites WHERE user_id = $1 ORDER BY site_id")
            .bind(user_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| r.try_get("site_id"))
            .collect::<Result<_, _>>()?;
    let actor = Actor {
        user_id: user_id.to_owned(),
        role,
        scope: Scope {
            org_id: row.try_get("org_id")?,
            grids,
            sites,
        },
    };
    Ok(Some((actor, row.try_get("display_name")?)))
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized {
                code: "token_invalid",
                message: "an access token is required".into(),
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or(ApiError::Unauthorized {
                code: "token_invalid",
                message: "use `Authorization: Bearer <token>`".into(),
            })?;
        let claims = state.keys.verify(token).map_err(|e| match e {
            jwt::TokenError::Expired => ApiError::Unauthorized {
                code: "token_expired",
                message: "the access token has expired; refresh it".into(),
            },
            jwt::TokenError::Invalid => ApiError::Unauthorized {
                code: "token_invalid",
                message: "the access token is not valid".into(),
            },
        })?;
        let (actor, display_name) =
            load_actor(&state.db.pool, &claims.sub)
                .await?
                .ok_or(ApiError::Unauthorized {
                    code: "token_invalid",
                    message: "the user no longer exists".into(),
                })?;
        Ok(AuthUser {
            actor,
            device_id: claims.did,
            display_name,
        })
    }
}
