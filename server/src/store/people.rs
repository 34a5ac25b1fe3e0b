//! Users, grids and scopes: what the admin routes and logins read and write. A user and their
//! scope are written in one transaction, with the scope's ids checked against the organisation's
//! own grids and sites inside it, so what is written is what was checked.

use super::sql::Sql;
use crate::db::now_ms;
use closeloop_model::roles::{Role, Scope, ScopeError};
use sqlx::{Any, AnyPool, Row, Transaction};

/// Why a write about people did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("{0} is taken")]
    UsernameTaken(String),
    #[error("your organisation already has a grid {0}")]
    GridExists(String),
    /// An id of the scope is not the organisation's; the field and the id.
    #[error("your organisation has no {what} `{id}`")]
    Unknown {
        field: &'static str,
        what: &'static str,
        id: String,
    },
    #[error("user {0} not found")]
    NoUser(String),
    #[error("{0}")]
    Scope(ScopeError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A user's id and stored password hash, by username; none for a deactivated account, which
/// signs in no more than one that does not exist.
pub async fn credentials(
    pool: &AnyPool,
    username: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let mut q = Sql::new("SELECT id, password_hash FROM users WHERE deactivated_at IS NULL AND ");
    q.push_bind("username = ", username);
    match q.fetch_optional(pool).await? {
        Some(r) => Ok(Some((r.try_get("id")?, r.try_get("password_hash")?))),
        None => Ok(None),
    }
}

/// Creates a grid in `org_id`; grid ids are the organisation's own.
pub async fn create_grid(
    tx: &mut Transaction<'_, Any>,
    org_id: &str,
    id: &str,
    name: &str,
) -> Result<(), PeopleError> {
    let created = sqlx::query(
        "INSERT INTO grids (id, org_id, name) VALUES ($1, $2, $3) ON CONFLICT (org_id, id) DO NOTHING",
    )
    .bind(id)
    .bind(org_id)
    .bind(name)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if created == 0 {
        return Err(PeopleError::GridExists(id.to_owned()));
    }
    Ok(())
}

async fn check_ids_exist(tx: &mut Transaction<'_, Any>, scope: &Scope) -> Result<(), PeopleError> {
    for (field, what, table, ids) in [
        ("grid_ids", "grid", "grids", &scope.grids),
        ("site_ids", "site", "sites", &scope.sites),
    ] {
        for id in ids {
            let mut q = Sql::new(&format!("SELECT 1 AS one FROM {table} WHERE "));
            q.push_bind("org_id = ", &scope.org_id);
            q.push_bind(" AND id = ", id);
            if q.query().fetch_optional(&mut **tx).await?.is_none() {
                return Err(PeopleError::Unknown {
                    field,
                    what,
                    id: id.clone(),
                });
            }
        }
    }
    Ok(())
}

async fn write_scope(
    tx: &mut Transaction<'_, Any>,
    user_id: &str,
    scope: &Scope,
) -> Result<(), sqlx::Error> {
    for table in ["user_grids", "user_sites"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE user_id = $1"
        )))
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    }
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

/// A new user as checked by the caller: names, role, argon2 hash, scope (in `scope.org_id`).
#[derive(Debug)]
pub struct NewUserRecord<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub scope: &'a Scope,
}

/// A checked new user, owning its fields (see [`NewUserRecord`]).
#[derive(Debug, Clone)]
pub struct NewUserOwned {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
}

/// Creates a user with their scope, all or nothing.
pub async fn create_user(pool: &AnyPool, u: &NewUserRecord<'_>) -> Result<(), PeopleError> {
    let mut tx = pool.begin().await?;
    create_user_in(&mut tx, u).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a user with their scope in the caller's transaction.
pub async fn create_user_in(
    tx: &mut Transaction<'_, Any>,
    u: &NewUserRecord<'_>,
) -> Result<(), PeopleError> {
    // The user row first: on SQLite this takes the write lock before any read in the transaction.
    let inserted = sqlx::query("INSERT INTO users (id, org_id, username, display_name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING")
        .bind(u.id)
        .bind(&u.scope.org_id)
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.role.as_str())
        .bind(u.password_hash)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if inserted == 0 {
        return Err(PeopleError::UsernameTaken(u.username.to_owned()));
    }
    check_ids_exist(tx, u.scope).await?;
    write_scope(tx, u.id, u.scope).await?;
    Ok(())
}

/// Replaces the scope of a user whose row the caller's transaction holds, after checking it
/// against `role` and the organisation's grids and sites.
pub async fn replace_scope(
    tx: &mut Transaction<'_, Any>,
    user_id: &str,
    role: Role,
    scope: &Scope,
) -> Result<(), PeopleError> {
    scope.check(role).map_err(PeopleError::Scope)?;
    check_ids_exist(tx, scope).await?;
    write_scope(tx, user_id, scope).await?;
    Ok(())
}

/// Renames a grid of `org_id`; `false` when it has no such grid.
pub async fn rename_grid(
    tx: &mut Transaction<'_, Any>,
    org_id: &str,
    id: &str,
    name: &str,
) -> Result<Option<String>, sqlx::Error> {
    let old = sqlx::query("SELECT name FROM grids WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get::<String, _>("name"))
        .transpose()?;
    if old.is_some() {
        sqlx::query("UPDATE grids SET name = $1 WHERE org_id = $2 AND id = $3")
            .bind(name)
            .bind(org_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(old)
}

/// Replaces the scope of `user_id` (of `org_id`) in one transaction that locks the user's row
/// first, so the role the scope is checked against (the model's `Scope::check`) is the role it is
/// written for. The transaction is handed back uncommitted, for the caller to commit with its
/// notice to open event streams.
pub async fn set_scope<'a>(
    pool: &'a AnyPool,
    org_id: &str,
    user_id: &str,
    grids: Vec<String>,
    sites: Vec<String>,
) -> Result<Transaction<'a, Any>, PeopleError> {
    let mut tx = pool.begin().await?;
    let touched = sqlx::query("UPDATE users SET role = role WHERE id = $1 AND org_id = $2")
        .bind(user_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if touched == 0 {
        return Err(PeopleError::NoUser(user_id.to_owned()));
    }
    let role_text: String = sqlx::query("SELECT role FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("role")?;
    let role = Role::parse(&role_text)
        .ok_or_else(|| sqlx::Error::Protocol(format!("unknown role {role_text}")))?;
    let scope = Scope {
        org_id: org_id.to_owned(),
        grids,
        sites,
    };
    scope.check(role).map_err(PeopleError::Scope)?;
    check_ids_exist(&mut tx, &scope).await?;
    write_scope(&mut tx, user_id, &scope).await?;
    Ok(tx)
}

/// A person as the console shows them.
#[derive(Debug, Clone)]
pub struct Person {
    pub actor: closeloop_model::roles::Actor,
    pub display_name: String,
    pub active: bool,
}

/// Everyone of an organisation with their role and scope, in three queries.
pub async fn of_org(pool: &AnyPool, org_id: &str) -> Result<Vec<Person>, sqlx::Error> {
    use std::collections::HashMap;
    let rows = sqlx::query(
        "SELECT id, role, display_name, deactivated_at FROM users WHERE org_id = $1 ORDER BY display_name, id",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    let mut grids: HashMap<String, Vec<String>> = HashMap::new();
    let mut sites: HashMap<String, Vec<String>> = HashMap::new();
    for (table, column, map) in [
        ("user_grids", "grid_id", &mut grids),
        ("user_sites", "site_id", &mut sites),
    ] {
        let q = format!(
            "SELECT t.user_id, t.{column} AS v FROM {table} t JOIN users u ON u.id = t.user_id WHERE u.org_id = $1 ORDER BY v"
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(org_id)
            .fetch_all(pool)
            .await?
        {
            map.entry(r.try_get("user_id")?)
                .or_default()
                .push(r.try_get("v")?);
        }
    }
    let mut out = Vec::new();
    for r in rows {
        let id: String = r.try_get("id")?;
        let Some(role) = Role::parse(&r.try_get::<String, _>("role")?) else {
            continue;
        };
        out.push(Person {
            actor: closeloop_model::roles::Actor {
                role,
                scope: Scope {
                    org_id: org_id.to_owned(),
                    grids: grids.remove(&id).unwrap_or_default(),
                    sites: sites.remove(&id).unwrap_or_default(),
                },
                user_id: id,
            },
            display_name: r.try_get("display_name")?,
            active: r.try_get::<Option<i64>, _>("deactivated_at")?.is_none(),
        });
    }
    Ok(out)
}

/// The display names of users by id (unknown ids are left out).
pub async fn names(
    pool: &AnyPool,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut q = Sql::new("SELECT id, display_name FROM users WHERE ");
    q.push_in("id", ids.iter());
    q.fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("display_name")?)))
        .collect()
}

/// An organisation's grids as (id, name), by id.
pub async fn grids(pool: &AnyPool, org_id: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query("SELECT id, name FROM grids WHERE org_id = $1 ORDER BY id")
        .bind(org_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}
