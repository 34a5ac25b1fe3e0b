//! What part of an organisation a request may see, as a SQL condition. It only expresses the
//! model's one reach rule ([`closeloop_model::roles::Actor::reach`]), which the permission checks
//! on every write use too, so seeing and writing cannot disagree.

use crate::auth::AuthUser;
use closeloop_model::roles::{Reach, SiteRef};

/// A condition on a table with `org_id`, `grid_id` and a site id column, and its parameters.
#[derive(Debug, Clone)]
pub struct ScopeFilter {
    /// E.g. `org_id = $3 AND (grid_id IN ($4, $5) OR site_id IN ($6))`.
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

/// Whether `user` may see things at `site` (for rows already in memory, e.g. live events).
pub fn visible(user: &AuthUser, site: &SiteRef) -> bool {
    user.actor.reaches(site)
}

/// As [`filter`], for a table whose site id column is named `site_column` (`id` in `sites`).
pub fn filter_on(user: &AuthUser, first: usize, prefix: &str, site_column: &str) -> ScopeFilter {
    reach_filter(&user.actor.reach(), first, prefix, site_column)
}

/// The condition for a reach.
pub fn reach_filter(reach: &Reach, first: usize, prefix: &str, site_column: &str) -> ScopeFilter {
    let mut sql = format!("{prefix}org_id = ${first}");
    let mut binds = vec![reach.org_id().to_owned()];
    if let Reach::Areas { grids, sites, .. } = reach {
        if grids.is_empty() && sites.is_empty() {
            return ScopeFilter {
                sql: "1 = 0".into(),
                binds: Vec::new(),
                nothing: true,
            };
        }
        let mut any = Vec::new();
        for (column, values) in [("grid_id", grids), (site_column, sites)] {
            if values.is_empty() {
                continue;
            }
            let params: Vec<String> = values
                .iter()
                .map(|v| {
                    binds.push(v.clone());
                    format!("${}", first + binds.len() - 1)
                })
                .collect();
            any.push(format!("{prefix}{column} IN ({})", params.join(", ")));
        }
        sql.push_str(&format!(" AND ({})", any.join(" OR ")));
    }
    ScopeFilter {
        sql,
        binds,
        nothing: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_from_first() {
        let r = Reach::Areas {
            org_id: "o".into(),
            grids: vec!["g1".into(), "g2".into()],
            sites: vec!["s1".into()],
        };
        let f = reach_filter(&r, 3, "h.", "site_id");
        assert_eq!(
            f.sql,
            "h.org_id = $3 AND (h.grid_id IN ($4, $5) OR h.site_id IN ($6))"
        );
        assert_eq!(f.binds, ["o", "g1", "g2", "s1"]);
        let only_sites = Reach::Areas {
            org_id: "o".into(),
            grids: vec![],
            sites: vec!["s1".into()],
        };
        assert_eq!(
            reach_filter(&only_sites, 1, "", "id").sql,
            "org_id = $1 AND (id IN ($2))"
        );
        assert_eq!(
            reach_filter(&Reach::Organisation { org_id: "o".into() }, 1, "", "id").sql,
            "org_id = $1"
        );
        let none = Reach::Areas {
            org_id: "o".into(),
            grids: vec![],
            sites: vec![],
        };
        assert!(reach_filter(&none, 1, "", "id").nothing);
    }
}
