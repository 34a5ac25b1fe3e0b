//! Sites for supervisors: profile, four-colour grade with its breakdown, open hazards, last
//! inspection, self-check compliance; sites near a point; the checklist a site's inspection
//! carries; and statistics for a grid or the organisation. The queries are `store::sites` and
//! `store::stats`; a grade for many sites costs the same few queries as for one.

use super::{IdPath, Query};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::store::sites::{self as store, Bbox, SiteCounts, SiteRecord};
use crate::store::stats;
use axum::Json;
use axum::extract::State;
use closeloop_checklists::{Checklist, Purpose, SiteProfile, builtin};
use closeloop_model::protocol::is_id;
use closeloop_model::risk::{LiveState, RiskConfig, RiskGrade, grade};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const DAY: i64 = 86_400_000;

/// A site with everything a supervisor asks about it.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub id: String,
    pub grid_id: String,
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub utc_offset_minutes: i32,
    pub profile: SiteProfile,
    pub risk: RiskGrade,
    pub open_hazards: i64,
    pub overdue_hazards: i64,
    pub last_inspection_at: Option<i64>,
    /// Self-check tasks done on time, of those due, over the last 30 days.
    pub self_checks_on_time: u32,
    pub self_checks_due: u32,
}

/// The views of `sites`, graded from their hazards, inspections and task plans fetched at once.
pub(crate) async fn views(state: &AppState, sites: Vec<SiteRecord>) -> ApiResult<Vec<SiteView>> {
    let now = now_ms();
    let counts = store::counts(&state.db.pool, &sites, now).await?;
    let plans = store::plans(&state.db.pool, &sites, now - 31 * DAY).await?;
    Ok(sites
        .into_iter()
        .map(|s| view(s, &counts, &plans, now))
        .collect())
}

fn view(
    s: SiteRecord,
    counts: &HashMap<String, SiteCounts>,
    plans: &HashMap<String, store::PlanRows>,
    now: i64,
) -> SiteView {
    let c = counts.get(&s.id).copied().unwrap_or_default();
    let (on_time, due) = plans.get(&s.id).map_or((0, 0), |p| {
        p.compliance(now - 30 * DAY, now, s.utc_offset_minutes)
    });
    let live = LiveState {
        open_general: c.open_general as u32,
        open_major: c.open_major as u32,
        overdue: c.overdue as u32,
        tasks_on_time: on_time,
        tasks_due: due,
    };
    SiteView {
        risk: grade(&s.profile, &live, &RiskConfig::default()),
        id: s.id,
        grid_id: s.grid_id,
        name: s.name,
        address: s.address,
        lat: s.lat,
        lon: s.lon,
        utc_offset_minutes: s.utc_offset_minutes,
        profile: s.profile,
        open_hazards: c.open_general + c.open_major,
        overdue_hazards: c.overdue,
        last_inspection_at: c.last_inspection_at,
        self_checks_on_time: on_time,
        self_checks_due: due,
    }
}

async fn visible(state: &AppState, user: &AuthUser, id: &str) -> ApiResult<SiteRecord> {
    store::get(&state.db.pool, &user.actor.reach(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))
}

/// `GET /v1/sites/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<SiteView>> {
    let site = visible(&state, &user, &id).await?;
    let mut v = views(&state, vec![site]).await?;
    v.pop()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))
}

/// Query of `GET /v1/sites/{id}/checklist`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistQuery {
    /// patrol, monthly_inspection, self_check or full_inspection.
    pub purpose: String,
}

/// `GET /v1/sites/{id}/checklist?purpose=`: the checklist an inspection of this site for this
/// purpose carries, generated from the site's profile by the packs the server knows, exactly as
/// the server will check it. A client that does not run the packs itself stores this, as JSON,
/// in the inspection document's `checklist` key.
pub async fn checklist(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    Query(q): Query<ChecklistQuery>,
) -> ApiResult<Json<Checklist>> {
    let purpose = Purpose::parse(&q.purpose).ok_or_else(|| {
        ApiError::bad(
            "purpose",
            "one of patrol, monthly_inspection, self_check, full_inspection",
        )
    })?;
    let site = visible(&state, &user, &id).await?;
    Ok(Json(builtin().generate(&site.profile, purpose)))
}

/// Query of `GET /v1/sites/nearby`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Near {
    pub lat: f64,
    pub lon: f64,
    /// 1, 3 or 5 (km); default 5.
    pub radius_km: Option<f64>,
}

/// A site near a point.
#[derive(Debug, Serialize)]
pub struct NearbySite {
    pub distance_km: f64,
    /// The rings it falls in: 1, 3 and/or 5 km.
    pub within_km: Vec<u32>,
    #[serde(flatten)]
    pub site: SiteView,
}

/// Great-circle distance in km.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().asin()
}

/// `GET /v1/sites/nearby?lat=&lon=&radius_km=`: sites within 1, 3 or 5 km of a point (for an
/// incident), nearest first, with their grades.
pub async fn nearby(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<Near>,
) -> ApiResult<Json<Vec<NearbySite>>> {
    if !(-90.0..=90.0).contains(&q.lat) || !(-180.0..=180.0).contains(&q.lon) {
        return Err(ApiError::bad(
            "lat",
            "a latitude in [-90, 90] and a longitude in [-180, 180]",
        ));
    }
    let radius = q.radius_km.unwrap_or(5.0);
    if ![1.0, 3.0, 5.0].contains(&radius) {
        return Err(ApiError::bad("radius_km", "1, 3 or 5"));
    }
    // A bounding box narrows the rows; the exact distance decides.
    let dlat = radius / 111.0;
    let dlon = radius / (111.0 * q.lat.to_radians().cos().max(0.01));
    let bbox = Bbox {
        lat: (q.lat - dlat, q.lat + dlat),
        lon: (q.lon - dlon, q.lon + dlon),
    };
    let near: Vec<(f64, SiteRecord)> =
        store::list(&state.db.pool, &user.actor.reach(), None, Some(bbox))
            .await?
            .into_iter()
            .filter_map(|s| {
                let d = haversine_km((q.lat, q.lon), (s.lat?, s.lon?));
                (d <= radius).then_some((d, s))
            })
            .collect();
    let distances: Vec<f64> = near.iter().map(|(d, _)| *d).collect();
    let sites = views(&state, near.into_iter().map(|(_, s)| s).collect()).await?;
    let mut out: Vec<NearbySite> = distances
        .into_iter()
        .zip(sites)
        .map(|(d, site)| NearbySite {
            distance_km: (d * 1000.0).round() / 1000.0,
            within_km: [1, 3, 5]
                .into_iter()
                .filter(|k| d <= f64::from(*k))
                .collect(),
            site,
        })
        .collect();
    out.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km));
    Ok(Json(out))
}

/// Query of `GET /v1/stats`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    pub grid_id: Option<String>,
    /// Period start and end (ms); default the last 30 days.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// The numbers district dashboards show.
#[derive(Debug, Serialize)]
pub struct Stats {
    pub from: i64,
    pub to: i64,
    pub hazards_found: i64,
    pub hazards_closed: i64,
    /// Closed of found, in the period.
    pub closure_rate: Option<f64>,
    pub median_hours_to_close: Option<f64>,
    pub p90_hours_to_close: Option<f64>,
    pub overdue_now: i64,
    pub major_open_now: i64,
    pub sites_by_colour: std::collections::BTreeMap<String, u32>,
    pub inspections_done: i64,
    pub self_checks_on_time: u32,
    pub self_checks_due: u32,
}

/// `GET /v1/stats`.
pub async fn stats(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<StatsQuery>,
) -> ApiResult<Json<Stats>> {
    let now = now_ms();
    for (field, v) in [("from", q.from), ("to", q.to)] {
        if v.is_some_and(|v| v < 0) {
            return Err(ApiError::bad(
                field,
                "a time in ms since 1970, not negative",
            ));
        }
    }
    if q.grid_id.as_deref().is_some_and(|g| !is_id(g)) {
        return Err(ApiError::bad("grid_id", "not an id"));
    }
    let (from, to) = (q.from.unwrap_or(now - 30 * DAY), q.to.unwrap_or(now));
    if from >= to {
        return Err(ApiError::bad(
            "from",
            "the period must start before it ends",
        ));
    }
    let reach = user.actor.reach();
    let grid = q.grid_id.as_deref();
    let c = stats::counts(&state.db.pool, &reach, grid, from, to, now).await?;
    let sites = store::list(&state.db.pool, &reach, grid, None).await?;
    let mut colours = std::collections::BTreeMap::new();
    let (mut on_time, mut due) = (0, 0);
    for v in views(&state, sites).await? {
        *colours.entry(v.risk.grade.as_str().to_owned()).or_insert(0) += 1;
        on_time += v.self_checks_on_time;
        due += v.self_checks_due;
    }
    Ok(Json(Stats {
        from,
        to,
        hazards_found: c.found,
        hazards_closed: c.closed(),
        closure_rate: c.closure_rate(),
        median_hours_to_close: c.hours_to_close_quantile(0.5),
        p90_hours_to_close: c.hours_to_close_quantile(0.9),
        overdue_now: c.overdue_now,
        major_open_now: c.major_open_now,
        sites_by_colour: colours,
        inspections_done: c.inspections,
        self_checks_on_time: on_time,
        self_checks_due: due,
    }))
}
