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
use closeloop_model::protocol::is_id;
use closeloop_model::roles::{Role, Scope, ScopeError};
use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyPool, Row, Transaction};

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
    let g: NewGrid = json_body(body, 16 * 1024, &state.config).await?;
    if !is_id(&g.id) || g.id.len() > 64 {
        return Err(ApiError::bad(
            "id",
            "a grid id is 1–64 letters, digits, `-` or `_`",
        ));
    }
    if g.name.trim().is_empty() || g.name.chars().count() > 100 {
        return Err(ApiError::bad("name", "1–100 characters"));
    }
    // Grid ids are the organisation's own, so this never learns of another organisation's.
    let created = sqlx::query(
        "INSERT INTO grids (id, org_id, name) VALUES ($1, $2, $3) ON CONFLICT (org_id, id) DO NOTHING",
    )
    .bind(&g.id)
    .bind(&user.actor.scope.org_id)
    .bind(g.name.trim())
    .execute(&state.db.pool)
    .await?
    .rows_affected();
    if created == 0 {
        return Err(ApiError::Conflict {
            code: "grid_exists",
            message: format!("your organisation already has a grid {}", g.id),
        });
    }
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

/// The longest password accepted: argon2 reads all of it, so it is bounded like any input.
const MAX_PASSWORD_BYTES: usize = 1024;

fn scope_error(e: ScopeError) -> ApiError {
    ApiError::bad(e.field, format!("{} ({})", e.reason, e.rule))
}

/// Checks that every grid and site of `scope` is the organisation's own, inside `tx`, so the
/// scope written is the one checked.
async fn check_ids_exist(tx: &mut Transaction<'_, Any>, scope: &Scope) -> ApiResult<()> {
    for g in &scope.grids {
        let found = sqlx::query("SELECT 1 AS one FROM grids WHERE org_id = $1 AND id = $2")
            .bind(&scope.org_id)
            .bind(g)
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_none() {
            return Err(ApiError::bad(
                "grid_ids",
                format!("your organisation has no grid `{g}`"),
            ));
        }
    }
    for s in &scope.sites {
        let found = sqlx::query("SELECT 1 AS one FROM sites WHERE org_id = $1 AND id = $2")
            .bind(&scope.org_id)
            .bind(s)
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_none() {
            return Err(ApiError::bad(
                "site_ids",
                format!("your organisation has no site `{s}`"),
            ));
        }
    }
    Ok(())
}

/// Creates a user in `org_id` with their scope, in one transaction: either all of it is written
/// or nothing. Used by the API and the demo.
pub async fn insert_user(pool: &AnyPool, org_id: &str, u: &NewUser) -> ApiResult<String> {
    let role = Role::parse(&u.role)
        .ok_or_else(|| ApiError::bad("role", "one of inspector, owner, supervisor, admin"))?;
    if u.username.trim().is_empty() || u.username.len() > 64 {
        return Err(ApiError::bad("username", "1–64 characters"));
    }
    if u.display_name.trim().is_empty() || u.display_name.chars().count() > 100 {
        return Err(ApiError::bad("display_name", "1–100 characters"));
    }
    if u.password.chars().count() < 8 || u.password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::bad(
            "password",
            format!("at least 8 characters and at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    let scope = Scope {
        org_id: org_id.to_owned(),
        grids: u.grid_ids.clone(),
        sites: u.site_ids.clone(),
    };
    scope.check(role).map_err(scope_error)?;
    let hash = {
        let p = u.password.clone();
        tokio::task::spawn_blocking(move || password::hash(&p))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?
    };
    let id = format!("u-{}", random_hex(8));
    let mut tx = pool.begin().await?;
    // The user row first: on SQLite this takes the write lock before any read in the transaction.
    let inserted = sqlx::query("INSERT INTO users (id, org_id, username, display_name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING")
        .bind(&id)
        .bind(org_id)
        .bind(&u.username)
        .bind(u.display_name.trim())
        .bind(&u.role)
        .bind(hash)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if inserted == 0 {
        return Err(ApiError::Conflict {
            code: "username_taken",
            message: format!("{} is taken", u.username),
        });
    }
    check_ids_exist(&mut tx, &scope).await?;
    write_scope(&mut tx, &id, &scope).await?;
    tx.commit().await?;
    Ok(id)
}

async fn write_scope(tx: &mut Transaction<'_, Any>, user_id: &str, scope: &Scope) -> ApiResult<()> {
    sqlx::query("DELETE FROM user_grids WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM user_sites WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for g in &scope.grids {
        sqlx::query("INSERT INTO user_grids (user_id, grid_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(g)
            .execute(&mut **tx)
            .await?;
    }
    for s in &scope.sites {
        sqlx::query("INSERT INTO user_sites (user_id, site_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(s)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// `POST /v1/admin/users`.
pub async fn create_user(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body,
) -> ApiResult<(StatusCode, Json<Created>)> {
    admin(&user)?;
    let u: NewUser = json_body(body, 16 * 1024, &state.config).await?;
    let user_id = insert_user(&state.db.pool, &user.actor.scope.org_id, &u).await?;
    Ok((StatusCode::CREATED, Json(Created { user_id })))
}

/// Both lists are required, so that an empty body can never clear (or, for a supervisor, widen)
/// a scope by accident.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeRequest {
    grid_ids: Vec<String>,
    site_ids: Vec<String>,
}

/// `PUT /v1/admin/users/{user_id}/scope`: which grids and sites a user works in. Checked against
/// the user's role and the organisation's grids and sites in the transaction that writes it;
/// takes effect on their next request.
pub async fn set_scope(
    State(state): State<AppState>,
    user: AuthUser,
    Path(user_id): Path<String>,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let req: ScopeRequest = json_body(body, 64 * 1024, &state.config).await?;
    let org_id = user.actor.scope.org_id.clone();
    let mut tx = state.db.pool.begin().await?;
    // Lock the user's row first (a write), so the role checked is the role written against.
    let touched = sqlx::query("UPDATE users SET role = role WHERE id = $1 AND org_id = $2")
        .bind(&user_id)
        .bind(&org_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if touched == 0 {
        return Err(ApiError::NotFound(format!("user {user_id}")));
    }
    let role_text: String = sqlx::query("SELECT role FROM users WHERE id = $1")
        .bind(&user_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("role")?;
    let role = Role::parse(&role_text).ok_or_else(|| ApiError::internal("unknown role"))?;
    let scope = Scope {
        org_id,
        grids: req.grid_ids,
        sites: req.site_ids,
    };
    scope.check(role).map_err(scope_error)?;
    check_ids_exist(&mut tx, &scope).await?;
    write_scope(&mut tx, &user_id, &scope).await?;
    crate::events::commit_rescope(&state, tx, &user_id).await?;
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
