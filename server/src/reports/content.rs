//! What a periodic report says, from counts and graded sites: pure. The figures are the
//! dashboard's (`stats::Counts`: found and closed in the period, closure rate, time to close,
//! overdue and major open when generated); colours and points are the model's risk grade.

use crate::store::stats::Counts;
use closeloop_model::risk::Grade;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A site as a report ranks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteLine {
    pub site_id: String,
    pub name: String,
    pub grid_id: String,
    pub grade: Grade,
    pub points: u32,
    pub open: i64,
    pub overdue: i64,
}

/// The figures of one scope (the district or a grid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub found: i64,
    pub closed: i64,
    pub closure_rate: Option<f64>,
    pub median_hours_to_close: Option<f64>,
    /// Overdue and major open hazards when the report was generated.
    pub overdue: i64,
    pub major_open: i64,
    pub inspections: i64,
    /// Sites per colour (`red`, `orange`, `yellow`, `blue`), every colour present.
    pub sites_by_colour: BTreeMap<String, u32>,
}

/// One grid's line of a district report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridLine {
    pub grid_id: String,
    pub name: String,
    pub figures: Figures,
}

/// A report as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportBody {
    pub kind: super::period::Kind,
    pub from: i64,
    pub to: i64,
    /// The period's first day, `YYYY-MM-DD` in the organisation's zone.
    pub first_day: String,
    pub generated_at: i64,
    /// Generated before the period ended: the figures so far.
    pub partial: bool,
    pub org_id: String,
    /// `None` for the district.
    pub grid_id: Option<String>,
    pub scope_name: String,
    pub totals: Figures,
    /// Per grid, for a district report; empty for a grid's.
    pub grids: Vec<GridLine>,
    pub worst_sites: Vec<SiteLine>,
}

/// The figures of `counts` and the sites of the same scope.
pub fn figures(counts: &Counts, sites: &[SiteLine]) -> Figures {
    let mut colours: BTreeMap<String, u32> =
        [Grade::Red, Grade::Orange, Grade::Yellow, Grade::Blue]
            .iter()
            .map(|g| (g.as_str().to_owned(), 0))
            .collect();
    for s in sites {
        *colours.entry(s.grade.as_str().to_owned()).or_insert(0) += 1;
    }
    Figures {
        found: counts.found,
        closed: counts.closed(),
        closure_rate: counts.closure_rate(),
        median_hours_to_close: counts.hours_to_close_quantile(0.5),
        overdue: counts.overdue_now,
        major_open: counts.major_open_now,
        inspections: counts.inspections,
        sites_by_colour: colours,
    }
}

/// The `n` worst sites: by colour (red first), then points, overdue and open hazards; sites
/// with no points at all are not "worst" of anything.
pub fn worst(sites: &[SiteLine], n: usize) -> Vec<SiteLine> {
    let mut v: Vec<SiteLine> = sites.iter().filter(|s| s.points > 0).cloned().collect();
    v.sort_by(|a, b| {
        a.grade
            .cmp(&b.grade)
            .then(b.points.cmp(&a.points))
            .then(b.overdue.cmp(&a.overdue))
            .then(b.open.cmp(&a.open))
            .then(a.name.cmp(&b.name))
            .then(a.site_id.cmp(&b.site_id))
    });
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(id: &str, grade: Grade, points: u32, overdue: i64) -> SiteLine {
        SiteLine {
            site_id: id.into(),
            name: id.into(),
            grid_id: "g".into(),
            grade,
            points,
            open: 1,
            overdue,
        }
    }

    #[test]
    fn worst_sites_are_red_first_then_by_points_and_overdue() {
        let sites = [
            site("a", Grade::Yellow, 30, 0),
            site("b", Grade::Red, 10, 0),
            site("c", Grade::Orange, 45, 2),
            site("d", Grade::Orange, 45, 5),
            site("e", Grade::Blue, 0, 0),
        ];
        let w: Vec<String> = worst(&sites, 3).into_iter().map(|s| s.site_id).collect();
        assert_eq!(w, ["b", "d", "c"]);
        assert_eq!(
            worst(&sites, 10).len(),
            4,
            "a site with no points is left out"
        );
    }

    #[test]
    fn figures_count_every_colour_and_take_the_dashboards_rate() {
        let c = Counts {
            found: 4,
            hours_to_close: vec![1.0, 2.0, 30.0],
            overdue_now: 2,
            major_open_now: 1,
            inspections: 5,
        };
        let f = figures(
            &c,
            &[site("a", Grade::Red, 70, 1), site("b", Grade::Red, 60, 0)],
        );
        assert_eq!(f.closed, 3);
        assert_eq!(f.closure_rate, Some(0.75));
        assert_eq!(f.median_hours_to_close, Some(2.0));
        assert_eq!(f.sites_by_colour["red"], 2);
        assert_eq!(f.sites_by_colour["blue"], 0);
        let none = figures(&Counts::default(), &[]);
        assert_eq!(none.closure_rate, None, "no rate when nothing was found");
    }
}
