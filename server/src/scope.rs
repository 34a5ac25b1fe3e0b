//! What part of an organisation a request may see, as a SQL condition: one rule for the feed and
//! for every tracking query. Supervisors and admins see their organisation (or their grids, if
//! they have any); inspectors their grids; owners their sites.

use crate::auth::AuthUser;
use closeloop_model::roles::Role;

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

/// As [`filter`], for a table whose site id column is named `site_column` (`id` in `sites`).
pub fn filter_on(user: &AuthUser, first: usize, prefix: &str, site_column: &str) -> ScopeFilter {
    let scope = &user.actor.scope;
    let (column, values): (&str, &[String]) = match user.actor.role {
        Role::Owner => (site_column, &scope.sites),
        _ if !scope.grids.is_empty() => ("grid_id", &scope.grids),
        Role::Inspector => ("grid_id", &scope.grids),
        _ => ("", &[]),
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
