//! Accounts and grids: create, edit name, role and scope, deactivate and reactivate, reset a
//! password, create and rename grids. Each change is written with its audit entry in one
//! transaction; a change of scope or status reaches the person's open event streams at once.

use super::{begin, require_admin};
use crate::AppState;
use crate::auth::{AuthUser, password};
use crate::db::random_hex;
use crate::error::{ApiError, ApiResult};
use crate::routes::admin::{MAX_PASSWORD_BYTES, people_error};
use crate::store::{accounts, audit, people};
use closeloop_model::roles::{Role, Scope};
use serde_json::json;

/// What an edit of an account changes; what is left out stays as it is.
#[derive(Debug, Clone, Default)]
pub struct UserEdit {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub grid_ids: Option<Vec<String>>,
    pub site_ids: Option<Vec<String>>,
}

fn check_display_name(name: &str) -> ApiResult<()> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad("display_name", "1–100 characters"));
    }
    Ok(())
}

/// Checks a new password and hashes it off the async threads.
pub async fn hash_password(p: &str) -> ApiResult<String> {
    if p.chars().count() < 8 || p.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::bad(
            "password",
            format!("at least 8 characters and at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    let p = p.to_owned();
    tokio::task::spawn_blocking(move || password::hash(&p))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

fn not_found(user_id: &str) -> ApiError {
    ApiError::NotFound(format!("user {user_id}"))
}

/// Changes an account's name, role or scope. The scope is checked against the (new) role and
/// the organisation's grids and sites in the transaction that writes it.
pub async fn edit(
    state: &AppState,
    admin: &AuthUser,
    user_id: &str,
    e: &UserEdit,
) -> ApiResult<()> {
    require_admin(admin)?;
    if let Some(n) = &e.display_name {
        check_display_name(n)?;
    }
    let org = admin.actor.scope.org_id.clone();
    let mut tx = begin(state).await?;
    if !accounts::lock(&mut tx, &org, user_id).await? {
        return Err(not_found(user_id));
    }
    let before = accounts::some(&mut tx, &org, &[user_id.to_owned()])
        .await?
        .pop()
        .ok_or_else(|| not_found(user_id))?;
    let old_role = Role::parse(&before.role).ok_or_else(|| ApiError::internal("stored role"))?;
    let role = e.role.unwrap_or(old_role);
    if user_id == admin.actor.user_id && role != Role::Admin {
        return Err(ApiError::bad(
            "role",
            "you cannot take away your own administration",
        ));
    }
    let name = e
        .display_name
        .as_deref()
        .map_or(before.display_name.clone(), |n| n.trim().to_owned());
    let scope = Scope {
        org_id: org.clone(),
        grids: e
            .grid_ids
            .clone()
            .unwrap_or_else(|| before.grid_ids.clone()),
        sites: e
            .site_ids
            .clone()
            .unwrap_or_else(|| before.site_ids.clone()),
    };
    accounts::set_name_and_role(&mut tx, user_id, &name, role).await?;
    people::replace_scope(&mut tx, user_id, role, &scope)
        .await
        .map_err(people_error)?;
    audit::record(
        &mut tx,
        &org,
        &admin.actor.user_id,
        "edit_user",
        user_id,
        &json!({
            "before": {"display_name": before.display_name, "role": before.role,
                       "grid_ids": before.grid_ids, "site_ids": before.site_ids},
            "after": {"display_name": name, "role": role.as_str(),
                      "grid_ids": scope.grids, "site_ids": scope.sites},
        }),
    )
    .await?;
    crate::events::commit_rescope(state, tx, user_id).await
}

/// Deactivates (`active == false`) or reactivates an account. Deactivating ends its logins and
/// open streams at once and keeps everything it did; nobody can assign it work any more.
pub async fn set_active(
    state: &AppState,
    admin: &AuthUser,
    user_id: &str,
    active: bool,
) -> ApiResult<()> {
    require_admin(admin)?;
    if user_id == admin.actor.user_id && !active {
        return Err(ApiError::bad(
            "user_id",
            "you cannot deactivate your own account",
        ));
    }
    let org = admin.actor.scope.org_id.clone();
    let mut tx = begin(state).await?;
    if !accounts::lock(&mut tx, &org, user_id).await? {
        return Err(not_found(user_id));
    }
    accounts::set_active(&mut tx, user_id, active).await?;
    let action = if active {
        "reactivate_user"
    } else {
        "deactivate_user"
    };
    audit::record(
        &mut tx,
        &org,
        &admin.actor.user_id,
        action,
        user_id,
        &json!({}),
    )
    .await?;
    crate::events::commit_rescope(state, tx, user_id).await
}

/// Sets a new password and ends the account's logins. The password is never recorded.
pub async fn reset_password(
    state: &AppState,
    admin: &AuthUser,
    user_id: &str,
    new_password: &str,
) -> ApiResult<()> {
    require_admin(admin)?;
    let hash = hash_password(new_password).await?;
    let org = admin.actor.scope.org_id.clone();
    let mut tx = begin(state).await?;
    if !accounts::lock(&mut tx, &org, user_id).await? {
        return Err(not_found(user_id));
    }
    accounts::set_password(&mut tx, user_id, &hash).await?;
    audit::record(
        &mut tx,
        &org,
        &admin.actor.user_id,
        "reset_password",
        user_id,
        &json!({}),
    )
    .await?;
    crate::events::commit_rescope(state, tx, user_id).await
}

/// A new account as the API, the console and imports give it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub role: Role,
    pub grid_ids: Vec<String>,
    pub site_ids: Vec<String>,
}

/// Checks a new account and hashes its password: what [`create_in`] writes.
pub async fn prepare(org_id: &str, u: &NewAccount) -> ApiResult<(people::NewUserOwned, Scope)> {
    if u.username.trim().is_empty() || u.username.len() > 64 || u.username.trim() != u.username {
        return Err(ApiError::bad(
            "username",
            "1–64 characters, without spaces around",
        ));
    }
    check_display_name(&u.display_name)?;
    let scope = Scope {
        org_id: org_id.to_owned(),
        grids: u.grid_ids.clone(),
        sites: u.site_ids.clone(),
    };
    scope
        .check(u.role)
        .map_err(crate::routes::admin::scope_error)?;
    let hash = hash_password(&u.password).await?;
    Ok((
        people::NewUserOwned {
            id: format!("u-{}", random_hex(8)),
            username: u.username.clone(),
            display_name: u.display_name.trim().to_owned(),
            role: u.role,
            password_hash: hash,
        },
        scope,
    ))
}

/// Creates a prepared account in the caller's transaction, with its audit entry.
pub async fn create_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    admin: &AuthUser,
    u: &people::NewUserOwned,
    scope: &Scope,
) -> ApiResult<()> {
    people::create_user_in(
        tx,
        &people::NewUserRecord {
            id: &u.id,
            username: &u.username,
            display_name: &u.display_name,
            role: u.role,
            password_hash: &u.password_hash,
            scope,
        },
    )
    .await
    .map_err(people_error)?;
    audit::record(
        tx,
        &scope.org_id,
        &admin.actor.user_id,
        "create_user",
        &u.id,
        &json!({"username": u.username, "display_name": u.display_name, "role": u.role.as_str(),
                "grid_ids": scope.grids, "site_ids": scope.sites}),
    )
    .await?;
    Ok(())
}

/// Creates an account; returns its id.
pub async fn create(state: &AppState, admin: &AuthUser, u: &NewAccount) -> ApiResult<String> {
    require_admin(admin)?;
    let (record, scope) = prepare(&admin.actor.scope.org_id, u).await?;
    let mut tx = begin(state).await?;
    create_in(&mut tx, admin, &record, &scope).await?;
    tx.commit().await?;
    Ok(record.id)
}

fn check_grid(id: &str, name: &str) -> ApiResult<()> {
    if !closeloop_model::protocol::is_id(id) || id.len() > 64 {
        return Err(ApiError::bad(
            "id",
            "a grid id is 1–64 letters, digits, `-` or `_`",
        ));
    }
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad("name", "1–100 characters"));
    }
    Ok(())
}

/// Creates a grid.
pub async fn create_grid(
    state: &AppState,
    admin: &AuthUser,
    id: &str,
    name: &str,
) -> ApiResult<()> {
    require_admin(admin)?;
    check_grid(id, name)?;
    let org = &admin.actor.scope.org_id;
    let mut tx = begin(state).await?;
    people::create_grid(&mut tx, org, id, name.trim())
        .await
        .map_err(people_error)?;
    audit::record(
        &mut tx,
        org,
        &admin.actor.user_id,
        "create_grid",
        id,
        &json!({"name": name.trim()}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Renames a grid (its id, which documents name, stays).
pub async fn rename_grid(
    state: &AppState,
    admin: &AuthUser,
    id: &str,
    name: &str,
) -> ApiResult<()> {
    require_admin(admin)?;
    check_grid(id, name)?;
    let org = &admin.actor.scope.org_id;
    let mut tx = begin(state).await?;
    let Some(old) = people::rename_grid(&mut tx, org, id, name.trim()).await? else {
        return Err(ApiError::NotFound(format!("grid {id}")));
    };
    audit::record(
        &mut tx,
        org,
        &admin.actor.user_id,
        "rename_grid",
        id,
        &json!({"before": old, "after": name.trim()}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
