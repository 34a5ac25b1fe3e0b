//! The numbers a district's dashboard shows, counted in the database over a reach.

use super::sql::Sql;
use closeloop_model::lifecycle::{Severity, Status};
use closeloop_model::roles::Reach;
use sqlx::{AnyPool, Row};

/// Counts over a reach (optionally one grid) and a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub found: i64,
    /// Hours from report to close of each hazard closed in the period.
    pub hours_to_close: Vec<f64>,
    pub overdue_now: i64,
    pub major_open_now: i64,
    pub inspections: i64,
}

impl Counts {
    /// Hazards closed (accepted) in the period.
    pub fn closed(&self) -> i64 {
        self.hours_to_close.len() as i64
    }

    /// Closed of found in the period: the one closure rate of dashboards, `/v1/stats` and
    /// reports. `None` when nothing was found.
    pub fn closure_rate(&self) -> Option<f64> {
        (self.found > 0).then(|| self.closed() as f64 / self.found as f64)
    }

    /// The `p` quantile (0 to 1) of the hours from report to close.
    pub fn hours_to_close_quantile(&self, p: f64) -> Option<f64> {
        let h = &self.hours_to_close;
        (!h.is_empty()).then(|| h[((h.len() as f64 - 1.0) * p).round() as usize])
    }
}

fn scoped(sql: &str, reach: &Reach, grid_id: Option<&str>) -> Sql {
    let mut q = Sql::new(sql);
    q.push_reach(reach, "", "site_id");
    if let Some(g) = grid_id {
        q.push_bind(" AND grid_id = ", g);
    }
    q
}

/// Hazards found and closed in [from, to), overdue and major open at `now`, inspections started
/// in the period.
pub async fn counts(
    pool: &AnyPool,
    reach: &Reach,
    grid_id: Option<&str>,
    from: i64,
    to: i64,
    now: i64,
) -> Result<Counts, sqlx::Error> {
    let mut q = scoped("SELECT COUNT(*) AS n FROM hazards WHERE ", reach, grid_id);
    q.push_bind(" AND reported_at >= ", from);
    q.push_bind(" AND reported_at < ", to);
    let found: i64 = q.fetch_one(pool).await?.try_get("n")?;
    let mut q = scoped(
        "SELECT reported_at, closed_at FROM hazards WHERE ",
        reach,
        grid_id,
    );
    q.push_bind(" AND status = ", Status::Accepted.as_str());
    q.push_bind(" AND closed_at >= ", from);
    q.push_bind(" AND closed_at < ", to);
    let mut hours: Vec<f64> = q
        .fetch_all(pool)
        .await?
        .iter()
        .filter_map(|r| {
            let closed: Option<i64> = r.try_get("closed_at").ok()?;
            let reported: Option<i64> = r.try_get("reported_at").ok()?;
            Some((closed? - reported?) as f64 / 3_600_000.0)
        })
        .collect();
    hours.sort_by(f64::total_cmp);
    let mut q = scoped("SELECT COUNT(*) AS n FROM hazards WHERE ", reach, grid_id);
    q.push(" AND ");
    q.push_overdue("", now);
    let overdue: i64 = q.fetch_one(pool).await?.try_get("n")?;
    let mut q = scoped("SELECT COUNT(*) AS n FROM hazards WHERE ", reach, grid_id);
    q.push_bind(" AND severity = ", Severity::Major.as_str());
    q.push(" AND ");
    q.push_statuses("status", Status::is_open);
    let major: i64 = q.fetch_one(pool).await?.try_get("n")?;
    let mut q = scoped(
        "SELECT COUNT(*) AS n FROM inspections WHERE ",
        reach,
        grid_id,
    );
    q.push_bind(" AND started_at >= ", from);
    q.push_bind(" AND started_at < ", to);
    let inspections: i64 = q.fetch_one(pool).await?.try_get("n")?;
    Ok(Counts {
        found,
        hours_to_close: hours,
        overdue_now: overdue,
        major_open_now: major,
        inspections,
    })
}

/// Hazards found and closed per week, for the `weeks` weeks ending with the one holding `now`,
/// weeks starting on Monday in the zone `offset` minutes east of UTC: (week start, found,
/// closed), oldest first.
pub async fn weekly(
    pool: &AnyPool,
    reach: &Reach,
    weeks: i64,
    now: i64,
    offset: i32,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    const WEEK: i64 = 7 * 86_400_000;
    let this_week =
        closeloop_model::doc::tasks::period(closeloop_checklists::Frequency::Weekly, now, offset)
            .map_or(now, |(start, _)| start);
    let origin = this_week - (weeks - 1) * WEEK;
    let mut found = vec![0i64; weeks as usize];
    let mut closed = vec![0i64; weeks as usize];
    for (column, closing, into) in [
        ("reported_at", false, &mut found),
        ("closed_at", true, &mut closed),
    ] {
        let mut q = Sql::new("SELECT (");
        q.push(column);
        q.push_bind(" - ", origin);
        q.push(&format!(
            ") / {WEEK} AS w, COUNT(*) AS n FROM hazards WHERE "
        ));
        q.push_reach(reach, "", "site_id");
        q.push_bind(&format!(" AND {column} >= "), origin);
        if closing {
            q.push_bind(" AND status = ", Status::Accepted.as_str());
        }
        q.push(" GROUP BY w");
        for r in q.fetch_all(pool).await? {
            let w: i64 = r.try_get("w")?;
            if let Some(slot) = usize::try_from(w).ok().and_then(|w| into.get_mut(w)) {
                *slot = r.try_get("n")?;
            }
        }
    }
    Ok((0..weeks)
        .map(|i| (origin + i * WEEK, found[i as usize], closed[i as usize]))
        .collect())
}
