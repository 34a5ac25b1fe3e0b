//! What part of an organisation a request may see, as a SQL condition: one rule for the feed and
//! for every tracking query. Supervisors and admins see their organisation (or their grids, if
//! they have any); inspectors their grids; owners their sites.

use crate::auth::AuthUser;
use closeloop_model::roles::{Role, SiteRef};

/// A condition on a table with `org_id`, `grid_id` and `site_id` columns, and its parameters.
#[derive(Debug, Clone)]
pub struct ScopeFilter {
    /// E.g. `org_id = $3 AND grid_id IN ($4, $5)`.
    pub sql: String,
    pub binds: Vec<String>,
    /// The scope is empty: nothing is visible.
    pub nothing: bool,
}

/// The condition for `user`, numbering its parameters from `$first`; `prefix` qualifies the
/// columns (e.g. `"h."`).
pub fn filter(user: &AuthUser, first: usize, prefix: &str) -> ScopeFilter {
    filter_on(user, first, prefix, "site_id")
}

/// Which column limits `user` within their organisation, and to which values (`None`: the whole
/// organisation). The one rule; [`filter_on`] and [`visible`] only express it.
fn limit(user: &AuthUser) -> Option<(Column, &[String])> {
    let scope = &user.actor.scope;
    match user.actor.role {
        Role::Owner => Some((Column::Site, &scope.sites)),
        _ if !scope.grids.is_empty() => Some((Column::Grid, &scope.grids)),
        Role::Inspector => Some((Column::Grid, &scope.grids)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Grid,
    Site,
}

/// Whether `user` may see things at `site` (for rows already in memory, e.g. live events).
pub fn visible(user: &AuthUser, site: &SiteRef) -> bool {
    if site.org_id != user.actor.scope.org_id {
        return false;
    }
    match limit(user) {
        None => true,
        Some((Column::Grid, grids)) => grids.contains(&site.grid_id),
        Some((Column::Site, sites)) => sites.contains(&site.site_id),
    }
}

/// As [`filter`], for a table whose site id column is named `site_column` (`id` in `sites`).
pub fn filter_on(user: &AuthUser, first: usize, prefix: &str, site_column: &str) -> ScopeFilter {
    let scope = &user.actor.scope;
    let (column, values): (&str, &[String]) = match limit(user) {
        Some((Column::Site, v)) => (site_column, v),
        Some((Column::Grid, v)) => ("grid_id", v),
        None => ("", &[]),
    };
    let mut sql = format!("{prefix}org_id = ${first}");
    let mut binds = vec![scope.org_id.clone()];
    if !column.is_empty() {
        let params: Vec<String> = (0..values.len())
            .map(|i| format!("${}", first + 1 + i))
            .collect();
        if params.is_empty() {
            return ScopeFilter {
                sql: "1 = 0".into(),
                binds: Vec::new(),
                nothing: true,
            };
        }
        sql.push_str(&format!(" AND {prefix}{column} IN ({})", params.join(", ")));
        binds.extend(values.iter().cloned());
    }
    ScopeFilter {
        sql,
        binds,
        nothing: false,
    }
}
