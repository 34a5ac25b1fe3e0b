//! The one way queries are put together: text and parameters grow side by side, so a `$n` can
//! never point at the wrong value, and every condition on who may see what is the model's reach
//! rule written out as SQL.

use closeloop_model::lifecycle::Status;
use closeloop_model::roles::Reach;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, AssertSqlSafe};

/// A query parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Real(f64),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

/// SQL text and its parameters, numbered as they are added.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    binds: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            binds: Vec::new(),
        }
    }

    /// Appends literal SQL (never a value: values go through [`Sql::bind`]).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Adds a parameter and returns its placeholder.
    pub fn bind(&mut self, v: impl Into<Value>) -> String {
        self.binds.push(v.into());
        format!("${}", self.binds.len())
    }

    /// Appends `text` followed by the placeholder of `v` (e.g. `" AND site_id = "`, id).
    pub fn push_bind(&mut self, text: &str, v: impl Into<Value>) -> &mut Self {
        let p = self.bind(v);
        self.text.push_str(text);
        self.text.push_str(&p);
        self
    }

    /// Appends `column IN (…)` over `values`; `FALSE` when there are none.
    pub fn push_in<V: Into<Value>>(
        &mut self,
        column: &str,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        let params: Vec<String> = values.into_iter().map(|v| self.bind(v)).collect();
        if params.is_empty() {
            self.text.push_str("1 = 0");
        } else {
            self.text
                .push_str(&format!("{column} IN ({})", params.join(", ")));
        }
        self
    }

    /// Appends `status IN (…)` for the statuses where `keep` holds, as the model's lifecycle
    /// decides them (`Status::is_open`, `Status::can_be_overdue`…), never retyped.
    pub fn push_statuses(&mut self, column: &str, keep: fn(Status) -> bool) -> &mut Self {
        self.push_in(column, Status::where_(keep).iter().map(|s| s.as_str()))
    }

    /// Appends the overdue rule at `now` on a table with `status` and `deadline` columns.
    pub fn push_overdue(&mut self, prefix: &str, now: i64) -> &mut Self {
        self.push("(");
        self.push_statuses(&format!("{prefix}status"), Status::can_be_overdue);
        self.push(&format!(
            " AND {prefix}deadline IS NOT NULL AND {prefix}deadline < "
        ));
        let p = self.bind(now);
        self.push(&p);
        self.push(")")
    }

    /// Appends the reach condition on a table with `org_id`, `grid_id` and a site id column
    /// (`site_column`, e.g. `site_id`, or `id` in `sites`), its columns qualified by `prefix`.
    /// An empty reach is `1 = 0`: nothing.
    pub fn push_reach(&mut self, reach: &Reach, prefix: &str, site_column: &str) -> &mut Self {
        if reach.is_empty() {
            return self.push("1 = 0");
        }
        self.push_bind(&format!("{prefix}org_id = "), reach.org_id());
        if let Reach::Areas { grids, sites, .. } = reach {
            let mut any = Vec::new();
            for (column, values) in [("grid_id", grids), (site_column, sites)] {
                if values.is_empty() {
                    continue;
                }
                let ps: Vec<String> = values.iter().map(|v| self.bind(v)).collect();
                any.push(format!("{prefix}{column} IN ({})", ps.join(", ")));
            }
            self.push(&format!(" AND ({})", any.join(" OR ")));
        }
        self
    }

    /// The text, for tests and logs.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The sqlx query with every parameter bound in order.
    pub fn query(&self) -> Query<'_, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for b in &self.binds {
            q = match b {
                Value::Text(t) => q.bind(t.clone()),
                Value::Int(i) => q.bind(*i),
                Value::Real(f) => q.bind(*f),
            };
        }
        q
    }

    pub async fn fetch_all(&self, pool: &AnyPool) -> Result<Vec<AnyRow>, sqlx::Error> {
        self.query().fetch_all(pool).await
    }

    pub async fn fetch_optional(&self, pool: &AnyPool) -> Result<Option<AnyRow>, sqlx::Error> {
        self.query().fetch_optional(pool).await
    }

    pub async fn fetch_one(&self, pool: &AnyPool) -> Result<AnyRow, sqlx::Error> {
        self.query().fetch_one(pool).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_values_in_order() {
        let reach = Reach::Areas {
            org_id: "o".into(),
            grids: vec!["g1".into(), "g2".into()],
            sites: vec!["s1".into()],
        };
        let mut q = Sql::new("SELECT id FROM hazards h WHERE ");
        q.push_reach(&reach, "h.", "site_id");
        q.push_bind(" AND h.severity = ", "major");
        q.push(" AND ");
        q.push_overdue("h.", 99);
        assert_eq!(
            q.text(),
            "SELECT id FROM hazards h WHERE h.org_id = $1 AND (h.grid_id IN ($2, $3) OR h.site_id IN ($4)) \
             AND h.severity = $5 AND (h.status IN ($6, $7, $8) AND h.deadline IS NOT NULL AND h.deadline < $9)"
        );
        assert_eq!(q.binds.len(), 9);
        assert_eq!(q.binds[5], Value::from("reported"));
        assert_eq!(q.binds[8], Value::Int(99));
    }

    #[test]
    fn reach_is_the_models() {
        let mut q = Sql::default();
        q.push_reach(&Reach::Organisation { org_id: "o".into() }, "", "id");
        assert_eq!(q.text(), "org_id = $1");
        let mut q = Sql::default();
        q.push_reach(
            &Reach::Areas {
                org_id: "o".into(),
                grids: vec![],
                sites: vec![],
            },
            "",
            "id",
        );
        assert_eq!(q.text(), "1 = 0");
        let mut q = Sql::default();
        q.push_reach(
            &Reach::Areas {
                org_id: "o".into(),
                grids: vec![],
                sites: vec!["s".into()],
            },
            "",
            "id",
        );
        assert_eq!(q.text(), "org_id = $1 AND (id IN ($2))");
    }
}
