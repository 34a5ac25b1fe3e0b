//! The people directory in a caller's reach, and who answers for what at each site.
//!
//! A person is listed to a caller when they can act at some site the caller reaches; of their
//! scope the caller sees the grids of those sites (and the caller's own grids) and those sites,
//! never the rest. For every site the caller reaches this is exactly enough to ask the model
//! whether the person reaches it, so the phone can judge an assignment offline with the same
//! rule as the server (`people::check_assignee`).

use super::accounts;
use super::sql::Sql;
use closeloop_model::people::Facility;
use closeloop_model::roles::{Reach, Role};
use sqlx::{Any, AnyPool, Row, Transaction};
use std::collections::{BTreeMap, HashSet};

/// One site's responsible person for one facility.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Responsible {
    pub site_id: String,
    pub facility: String,
    pub user_id: String,
}

/// Someone in the directory, with only what the caller may see of their scope.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Listed {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub grid_ids: Vec<String>,
    pub site_ids: Vec<String>,
    pub responsible_for: Vec<Responsible>,
}

/// The `(id, grid)` of every site in `reach`.
async fn sites_in(pool: &AnyPool, reach: &Reach) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut q = Sql::new("SELECT id, grid_id FROM sites WHERE ");
    q.push_reach(reach, "", "id");
    q.fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("grid_id")?)))
        .collect()
}

/// Responsible persons at `site_ids`, by site, facility and user.
pub async fn responsible(
    pool: &AnyPool,
    site_ids: &[String],
) -> Result<Vec<Responsible>, sqlx::Error> {
    let mut out = Vec::new();
    // Bounded parameter lists: a district's sites can be many thousands.
    for chunk in site_ids.chunks(500) {
        let mut q = Sql::new("SELECT site_id, facility, user_id FROM site_responsible WHERE ");
        q.push_in("site_id", chunk.iter());
        for r in q.fetch_all(pool).await? {
            out.push(Responsible {
                site_id: r.try_get("site_id")?,
                facility: r.try_get("facility")?,
                user_id: r.try_get("user_id")?,
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.site_id, &a.facility, &a.user_id).cmp(&(&b.site_id, &b.facility, &b.user_id))
    });
    Ok(out)
}

/// Replaces the responsible persons of `site_id`, in the caller's transaction (the caller has
/// checked each by the assignment rule).
pub async fn set_responsible(
    tx: &mut Transaction<'_, Any>,
    site_id: &str,
    entries: &[(Facility, String)],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM site_responsible WHERE site_id = $1")
        .bind(site_id)
        .execute(&mut **tx)
        .await?;
    for (f, user) in entries {
        sqlx::query(
            "INSERT INTO site_responsible (site_id, facility, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(site_id)
        .bind(f.as_str())
        .bind(user)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The active people who can act at some site in `reach`, by name, with what `reach` lets the
/// caller see of their scope and responsibilities.
pub async fn in_reach(pool: &AnyPool, reach: &Reach) -> Result<Vec<Listed>, sqlx::Error> {
    if reach.is_empty() {
        return Ok(Vec::new());
    }
    let org_id = reach.org_id();
    let sites = sites_in(pool, reach).await?;
    let site_ids: HashSet<&str> = sites.iter().map(|(s, _)| s.as_str()).collect();
    let mut grids: HashSet<&str> = sites.iter().map(|(_, g)| g.as_str()).collect();
    if let Reach::Areas { grids: own, .. } = reach {
        grids.extend(own.iter().map(String::as_str));
    }
    let ids: Vec<String> = site_ids.iter().map(|s| s.to_string()).collect();
    let mut duties: BTreeMap<String, Vec<Responsible>> = BTreeMap::new();
    for r in responsible(pool, &ids).await? {
        duties.entry(r.user_id.clone()).or_default().push(r);
    }
    let org_wide = matches!(reach, Reach::Organisation { .. });
    let mut out = Vec::new();
    for a in accounts::list(pool, org_id).await? {
        let Some(member) = a.member(org_id).filter(|m| m.active) else {
            continue;
        };
        let mut listed = Listed {
            user_id: a.user_id.clone(),
            display_name: a.display_name.clone(),
            role: a.role.clone(),
            grid_ids: a
                .grid_ids
                .iter()
                .filter(|g| org_wide || grids.contains(g.as_str()))
                .cloned()
                .collect(),
            site_ids: a
                .site_ids
                .iter()
                .filter(|s| org_wide || site_ids.contains(s.as_str()))
                .cloned()
                .collect(),
            responsible_for: duties.remove(&a.user_id).unwrap_or_default(),
        };
        // An owner is widened by no grid, as the model's reach reads it.
        if member.actor.role == Role::Owner {
            listed.grid_ids.clear();
        }
        let everywhere = matches!(member.actor.reach(), Reach::Organisation { .. });
        if everywhere || !listed.grid_ids.is_empty() || !listed.site_ids.is_empty() {
            out.push(listed);
        }
    }
    Ok(out)
}
