//! Accounts as administrators manage them: the list with usernames and status, edits of name and
//! role, deactivation (which ends every login of the account and keeps its history), password
//! resets, and the records the assignment rule reads ([`Member`]).

use super::sql::Sql;
use crate::db::now_ms;
use closeloop_model::people::Member;
use closeloop_model::roles::{Actor, Role, Scope};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};
use std::collections::HashMap;

/// An account as the administrators' list shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Account {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub grid_ids: Vec<String>,
    pub site_ids: Vec<String>,
    pub active: bool,
    pub created_at: i64,
    pub deactivated_at: Option<i64>,
}

impl Account {
    pub fn member(&self, org_id: &str) -> Option<Member> {
        Some(Member {
            actor: Actor {
                user_id: self.user_id.clone(),
                role: Role::parse(&self.role)?,
                scope: Scope {
                    org_id: org_id.to_owned(),
                    grids: self.grid_ids.clone(),
                    sites: self.site_ids.clone(),
                },
            },
            active: self.active,
        })
    }
}

type Executor<'c> = &'c mut sqlx::AnyConnection;

/// Grids and sites of the users in `ids` (all of `org_id` when `ids` is `None`).
async fn scopes(
    conn: Executor<'_>,
    org_id: &str,
    ids: Option<&[String]>,
) -> Result<(HashMap<String, Vec<String>>, HashMap<String, Vec<String>>), sqlx::Error> {
    let mut grids: HashMap<String, Vec<String>> = HashMap::new();
    let mut sites: HashMap<String, Vec<String>> = HashMap::new();
    for (table, column, map) in [
        ("user_grids", "grid_id", &mut grids),
        ("user_sites", "site_id", &mut sites),
    ] {
        let mut q = Sql::new(&format!(
            "SELECT t.user_id, t.{column} AS v FROM {table} t JOIN users u ON u.id = t.user_id WHERE "
        ));
        q.push_bind("u.org_id = ", org_id);
        if let Some(ids) = ids {
            q.push(" AND ");
            q.push_in("user_id", ids.iter());
        }
        q.push(" ORDER BY v");
        for r in q.query().fetch_all(&mut *conn).await? {
            map.entry(r.try_get("user_id")?)
                .or_default()
                .push(r.try_get("v")?);
        }
    }
    Ok((grids, sites))
}

const COLUMNS: &str = "id, username, display_name, role, created_at, deactivated_at";

fn account(
    r: &AnyRow,
    grids: &mut HashMap<String, Vec<String>>,
    sites: &mut HashMap<String, Vec<String>>,
) -> Result<Account, sqlx::Error> {
    let id: String = r.try_get("id")?;
    let deactivated_at: Option<i64> = r.try_get("deactivated_at")?;
    Ok(Account {
        grid_ids: grids.remove(&id).unwrap_or_default(),
        site_ids: sites.remove(&id).unwrap_or_default(),
        user_id: id,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: r.try_get("role")?,
        active: deactivated_at.is_none(),
        created_at: r.try_get("created_at")?,
        deactivated_at,
    })
}

/// Accounts of `org_id`, by display name, in three queries whatever their number.
pub async fn list(pool: &AnyPool, org_id: &str) -> Result<Vec<Account>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    list_in(&mut conn, org_id).await
}

/// [`list`] in the caller's transaction.
pub async fn list_in(conn: Executor<'_>, org_id: &str) -> Result<Vec<Account>, sqlx::Error> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM users WHERE "));
    q.push_bind("org_id = ", org_id);
    q.push(" ORDER BY display_name, id");
    let rows = q.query().fetch_all(&mut *conn).await?;
    let (mut grids, mut sites) = scopes(&mut *conn, org_id, None).await?;
    rows.iter()
        .map(|r| account(r, &mut grids, &mut sites))
        .collect()
}

/// The accounts of `org_id` among `ids` (others' and unknown ids are left out), read in the
/// caller's transaction so what is checked is what is written.
pub async fn some(
    conn: Executor<'_>,
    org_id: &str,
    ids: &[String],
) -> Result<Vec<Account>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM users WHERE "));
    q.push_bind("org_id = ", org_id);
    q.push(" AND ");
    q.push_in("id", ids.iter());
    let rows = q.query().fetch_all(&mut *conn).await?;
    let (mut grids, mut sites) = scopes(&mut *conn, org_id, Some(ids)).await?;
    rows.iter()
        .map(|r| account(r, &mut grids, &mut sites))
        .collect()
}

/// One account of `org_id`.
pub async fn get(
    pool: &AnyPool,
    org_id: &str,
    user_id: &str,
) -> Result<Option<Account>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    Ok(some(&mut conn, org_id, &[user_id.to_owned()]).await?.pop())
}

/// The records the assignment rule reads for `ids`, keyed by user id.
pub async fn members(
    conn: Executor<'_>,
    org_id: &str,
    ids: &[String],
) -> Result<HashMap<String, Member>, sqlx::Error> {
    Ok(some(conn, org_id, ids)
        .await?
        .into_iter()
        .filter_map(|a| Some((a.user_id.clone(), a.member(org_id)?)))
        .collect())
}

/// Locks the account's row for the transaction (on SQLite: takes the write lock), so what is
/// read next is what will be written over. `false` when `org_id` has no such user.
pub async fn lock(
    tx: &mut Transaction<'_, Any>,
    org_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE users SET role = role WHERE id = $1 AND org_id = $2")
            .bind(user_id)
            .bind(org_id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            > 0,
    )
}

/// Sets the display name and role of a locked account.
pub async fn set_name_and_role(
    tx: &mut Transaction<'_, Any>,
    user_id: &str,
    display_name: &str,
    role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET display_name = $1, role = $2 WHERE id = $3")
        .bind(display_name)
        .bind(role.as_str())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends every login of `user_id`: its refresh tokens are revoked (a refresh answers
/// `refresh_reused`) and its console sessions deleted. Access tokens already issued stop working
/// at their next request, because every request reads the account (see `auth::load_actor`).
pub async fn end_logins(tx: &mut Transaction<'_, Any>, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM console_sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deactivates (`active == false`) or reactivates a locked account. Deactivating ends its logins
/// in the same transaction; its row, name, scope and history stay.
pub async fn set_active(
    tx: &mut Transaction<'_, Any>,
    user_id: &str,
    active: bool,
) -> Result<(), sqlx::Error> {
    let at: Option<i64> = (!active).then(now_ms);
    sqlx::query("UPDATE users SET deactivated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    if !active {
        end_logins(tx, user_id).await?;
    }
    Ok(())
}

/// Replaces a locked account's password hash and ends its logins: a reset is also how an
/// administrator shuts out someone who learnt the old password.
pub async fn set_password(
    tx: &mut Transaction<'_, Any>,
    user_id: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    end_logins(tx, user_id).await
}
