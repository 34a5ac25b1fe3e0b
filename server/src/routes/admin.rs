//! Managing an organisation: grids, users and who may see which grids and sites.

use super::json_body;
use crate::AppState;
use crate::auth::{AuthUser, password};
use crate::db::random_hex;
use crate::error::{ApiError, ApiResult};
use crate::store::people::{self, PeopleError};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use closeloop_model::protocol::is_id;
use closeloop_model::roles::{Role, Scope, ScopeError};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

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
    people::create_grid(
        &state.db.pool,
        &user.actor.scope.org_id,
        &g.id,
        g.name.trim(),
    )
    .await
    .map_err(people_error)?;
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

fn people_error(e: PeopleError) -> ApiError {
    match e {
        PeopleError::UsernameTaken(_) => ApiError::Conflict {
            code: "username_taken",
            message: e.to_string(),
        },
        PeopleError::GridExists(_) => ApiError::Conflict {
            code: "grid_exists",
            message: e.to_string(),
        },
        PeopleError::Unknown { field, .. } => ApiError::bad(field, e.to_string()),
        PeopleError::NoUser(id) => ApiError::NotFound(format!("user {id}")),
        PeopleError::Scope(s) => scope_error(s),
        PeopleError::Db(d) => d.into(),
    }
}

/// Creates a user in `org_id` with their scope, all or nothing; used by the API and the demo.
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
    people::create_user(
        pool,
        &people::NewUserRecord {
            id: &id,
            username: &u.username,
            display_name: u.display_name.trim(),
            role,
            password_hash: &hash,
            scope: &scope,
        },
    )
    .await
    .map_err(people_error)?;
    Ok(id)
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
/// takes effect on their next request, and at once on their open event streams.
pub async fn set_scope(
    State(state): State<AppState>,
    user: AuthUser,
    Path(user_id): Path<String>,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let req: ScopeRequest = json_body(body, 64 * 1024, &state.config).await?;
    let tx = people::set_scope(
        &state.db.pool,
        &user.actor.scope.org_id,
        &user_id,
        req.grid_ids,
        req.site_ids,
    )
    .await
    .map_err(people_error)?;
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
