//! Managing an organisation: grids, users and who may see which grids and sites.

use super::json_body;
use crate::AppState;
use crate::auth::{AuthUser, password};
use crate::db::{now_ms, random_hex};
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use closeloop_model::roles::Role;
use serde::{Deserialize, Serialize};
use sqlx::{AnyPool, Row};

fn admin(user: &AuthUser) -> ApiResult<()> {
    if user.actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only an administrator manages users and grids".into(),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGrid {
    id: String,
    name: String,
}

/// `POST /v1/admin/grids`.
pub async fn create_grid(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let g: NewGrid = json_body(body, 16 * 1024).await?;
    if g.id.is_empty()
        || g.id.len() > 64
        || !g
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::bad(
            "id",
            "a grid id is 1–64 letters, digits, `-` or `_`",
        ));
    }
    sqlx::query(
        "INSERT INTO grids (id, org_id, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&g.id)
    .bind(&user.actor.scope.org_id)
    .bind(&g.name)
    .execute(&state.db.pool)
    .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    username: String,
    password: String,
    display_name: String,
    role: String,
    #[serde(default)]
    grid_ids: Vec<String>,
    #[serde(default)]
    site_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Created {
    user_id: String,
}

/// Creates a user in `org_id`; used by the API and the demo.
pub async fn insert_user(pool: &AnyPool, org_id: &str, u: &NewUser) -> ApiResult<String> {
    if Role::parse(&u.role).is_none() {
        return Err(ApiError::bad(
            "role",
            "one of inspector, owner, supervisor, admin",
        ));
    }
    if u.username.trim().is_empty() || u.username.len() > 64 {
        return Err(ApiError::bad("username", "1–64 characters"));
    }
    if u.password.chars().count() < 8 {
        return Err(ApiError::bad("password", "at least 8 characters"));
    }
    let taken = sqlx::query("SELECT 1 AS one FROM users WHERE username = $1")
        .bind(&u.username)
        .fetch_optional(pool)
        .await?
        .is_some();
    if taken {
        return Err(ApiError::Conflict {
            code: "username_taken",
            message: format!("{} is taken", u.username),
        });
    }
    let hash = {
        let p = u.password.clone();
        tokio::task::spawn_blocking(move || password::hash(&p))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?
    };
    let id = format!("u-{}", random_hex(8));
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO users (id, org_id, username, display_name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&id)
        .bind(org_id)
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(&u.role)
        .bind(hash)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    set_scope_rows(pool, &id, &u.grid_ids, &u.site_ids).await?;
    Ok(id)
}

async fn set_scope_rows(
    pool: &AnyPool,
    user_id: &str,
    grids: &[String],
    sites: &[String],
) -> ApiResult<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM user_grids WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM user_sites WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for g in grids {
        sqlx::query("INSERT INTO user_grids (user_id, grid_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(g)
            .execute(&mut *tx)
            .await?;
    }
    for s in sites {
        sqlx::query("INSERT INTO user_sites (user_id, site_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(s)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `POST /v1/admin/users`.
pub async fn create_user(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body,
) -> ApiResult<(StatusCode, Json<Created>)> {
    admin(&user)?;
    let u: NewUser = json_body(body, 16 * 1024).await?;
    let user_id = insert_user(&state.db.pool, &user.actor.scope.org_id, &u).await?;
    Ok((StatusCode::CREATED, Json(Created { user_id })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeRequest {
    #[serde(default)]
    grid_ids: Vec<String>,
    #[serde(default)]
    site_ids: Vec<String>,
}

/// `PUT /v1/admin/users/{user_id}/scope`: which grids and sites a user works in. Takes effect on
/// their next request.
pub async fn set_scope(
    State(state): State<AppState>,
    user: AuthUser,
    Path(user_id): Path<String>,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let req: ScopeRequest = json_body(body, 64 * 1024).await?;
    let org = sqlx::query("SELECT org_id FROM users WHERE id = $1")
        .bind(&user_id)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(org) = org else {
        return Err(ApiError::NotFound(format!("user {user_id}")));
    };
    if org.try_get::<String, _>("org_id")? != user.actor.scope.org_id {
        return Err(ApiError::NotFound(format!("user {user_id}")));
    }
    set_scope_rows(&state.db.pool, &user_id, &req.grid_ids, &req.site_ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never reaches a log.
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl NewUser {
    /// A user for the demo.
    pub fn demo(
        username: &str,
        display_name: &str,
        role: &str,
        grid_ids: &[&str],
        site_ids: &[String],
    ) -> NewUser {
        NewUser {
            username: username.into(),
            password: format!("{username}-demo-pass"),
            display_name: display_name.into(),
            role: role.into(),
            grid_ids: grid_ids.iter().map(|g| g.to_string()).collect(),
            site_ids: site_ids.to_vec(),
        }
    }
}
