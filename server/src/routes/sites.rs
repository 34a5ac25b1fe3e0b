//! Sites for supervisors: profile, four-colour grade with its breakdown, open hazards, last
//! inspection, self-check compliance; sites near a point; and statistics for a grid or the
//! organisation.

use super::{IdPath, Query};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::scope;
use automerge::AutoCommit;
use axum::Json;
use axum::extract::State;
use closeloop_checklists::SiteProfile;
use closeloop_model::doc::tasks;
use closeloop_model::protocol::is_id;
use closeloop_model::risk::{LiveState, RiskConfig, RiskGrade, grade};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

const DAY: i64 = 86_400_000;

/// A site with everything a supervisor asks about it.
#[derive(Debug, Serialize)]
pub struct SiteView {
    pub id: String,
    pub grid_id: String,
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub profile: SiteProfile,
    pub risk: RiskGrade,
    pub open_hazards: i64,
    pub overdue_hazards: i64,
    pub last_inspection_at: Option<i64>,
    /// Self-check tasks done on time, of those due, over the last 30 days.
    pub self_checks_on_time: u32,
    pub self_checks_due: u32,
}

async fn count(
    state: &AppState,
    sql: &'static str,
    site: &str,
    now: Option<i64>,
) -> ApiResult<i64> {
    let mut q = sqlx::query(sql).bind(site);
    if let Some(now) = now {
        q = q.bind(now);
    }
    Ok(q.fetch_one(&state.db.pool).await?.try_get("n")?)
}

async fn view(state: &AppState, r: &AnyRow) -> ApiResult<SiteView> {
    let id: String = r.try_get("id")?;
    let now = now_ms();
    let profile: SiteProfile =
        serde_json::from_str(&r.try_get::<String, _>("profile")?).map_err(ApiError::internal)?;
    let open_general = count(state, "SELECT COUNT(*) AS n FROM hazards WHERE site_id = $1 AND severity = 'general' AND status IN ('reported', 'assigned', 'rejected', 'rectification_submitted', 'fixed_on_spot')", &id, None).await?;
    let open_major = count(state, "SELECT COUNT(*) AS n FROM hazards WHERE site_id = $1 AND severity = 'major' AND status IN ('reported', 'assigned', 'rejected', 'rectification_submitted', 'fixed_on_spot')", &id, None).await?;
    let overdue = count(state, "SELECT COUNT(*) AS n FROM hazards WHERE site_id = $1 AND status IN ('reported', 'assigned', 'rejected') AND deadline IS NOT NULL AND deadline < $2", &id, Some(now)).await?;
    let last = sqlx::query("SELECT MAX(started_at) AS t FROM inspections WHERE site_id = $1")
        .bind(&id)
        .fetch_one(&state.db.pool)
        .await?;
    // The plan by its conventional id and its placement both: a plan document some other site
    // named `tasks-<this site>` is not this site's plan.
    let plan = sqlx::query(
        "SELECT bytes FROM documents WHERE id = $1 AND kind = 'task_plan' AND site_id = $2",
    )
    .bind(format!("tasks-{id}"))
    .bind(&id)
    .fetch_optional(&state.db.pool)
    .await?;
    let (on_time, due) = match plan {
        Some(p) => {
            let bytes: Vec<u8> = p.try_get("bytes")?;
            let doc = AutoCommit::load(&bytes).map_err(ApiError::internal)?;
            tasks::read(&doc)
                .map_err(ApiError::internal)?
                .compliance(now - 30 * DAY, now, 480)
        }
        None => (0, 0),
    };
    let live = LiveState {
        open_general: open_general as u32,
        open_major: open_major as u32,
        overdue: overdue as u32,
        tasks_on_time: on_time,
        tasks_due: due,
    };
    Ok(SiteView {
        risk: grade(&profile, &live, &RiskConfig::default()),
        grid_id: r.try_get("grid_id")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        lat: r.try_get("lat")?,
        lon: r.try_get("lon")?,
        profile,
        open_hazards: open_general + open_major,
        overdue_hazards: overdue,
        last_inspection_at: last.try_get("t")?,
        self_checks_on_time: on_time,
        self_checks_due: due,
        id,
    })
}

async fn scoped_sites(
    state: &AppState,
    user: &AuthUser,
    extra: &str,
    extra_binds: &[String],
) -> ApiResult<Vec<AnyRow>> {
    let scope = scope::filter_on(user, 1, "", "id");
    if scope.nothing {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT id, grid_id, name, address, lat, lon, profile FROM sites WHERE {}{extra} ORDER BY id",
        scope.sql
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in scope.binds.iter().chain(extra_binds) {
        q = q.bind(b.clone());
    }
    Ok(q.fetch_all(&state.db.pool).await?)
}

/// `GET /v1/sites/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<SiteView>> {
    let n = scope::filter_on(&user, 1, "", "id").binds.len() + 1;
    let rows = scoped_sites(
        &state,
        &user,
        &format!(" AND id = ${n}"),
        std::slice::from_ref(&id),
    )
    .await?;
    let r = rows
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))?;
    Ok(Json(view(&state, r).await?))
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
    let extra = format!(
        " AND lat IS NOT NULL AND lat BETWEEN {} AND {} AND lon BETWEEN {} AND {}",
        q.lat - dlat,
        q.lat + dlat,
        q.lon - dlon,
        q.lon + dlon
    );
    let mut out = Vec::new();
    for r in scoped_sites(&state, &user, &extra, &[]).await? {
        let (lat, lon): (Option<f64>, Option<f64>) = (r.try_get("lat")?, r.try_get("lon")?);
        let (Some(lat), Some(lon)) = (lat, lon) else {
            continue;
        };
        let d = haversine_km((q.lat, q.lon), (lat, lon));
        if d <= radius {
            let within_km = [1, 3, 5]
                .into_iter()
                .filter(|k| d <= f64::from(*k))
                .collect();
            out.push(NearbySite {
                distance_km: (d * 1000.0).round() / 1000.0,
                within_km,
                site: view(&state, &r).await?,
            });
        }
    }
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

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    (!sorted.is_empty()).then(|| sorted[((sorted.len() as f64 - 1.0) * p).round() as usize])
}

/// A query parameter: text or a number.
enum Bind {
    Text(String),
    Int(i64),
}

async fn fetch(state: &AppState, sql: String, binds: &[Bind]) -> ApiResult<Vec<AnyRow>> {
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t.clone()),
            Bind::Int(i) => q.bind(*i),
        };
    }
    Ok(q.fetch_all(&state.db.pool).await?)
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
    let scope = scope::filter(&user, 1, "");
    let mut base: Vec<Bind> = scope.binds.iter().cloned().map(Bind::Text).collect();
    let mut cond = scope.sql.clone();
    if let Some(g) = &q.grid_id {
        base.push(Bind::Text(g.clone()));
        cond.push_str(&format!(" AND grid_id = ${}", base.len()));
    }
    let n = base.len();
    let (p1, p2) = (format!("${}", n + 1), format!("${}", n + 2));
    let with = |extra: &[i64]| -> Vec<Bind> {
        base.iter()
            .map(|b| match b {
                Bind::Text(t) => Bind::Text(t.clone()),
                Bind::Int(i) => Bind::Int(*i),
            })
            .chain(extra.iter().map(|i| Bind::Int(*i)))
            .collect()
    };
    let open = "('reported', 'assigned', 'rejected', 'rectification_submitted', 'fixed_on_spot')";
    let found: i64 = fetch(&state, format!("SELECT COUNT(*) AS n FROM hazards WHERE {cond} AND reported_at >= {p1} AND reported_at < {p2}"), &with(&[from, to])).await?[0].try_get("n")?;
    let closed_rows = fetch(&state, format!("SELECT reported_at, closed_at FROM hazards WHERE {cond} AND status = 'accepted' AND closed_at >= {p1} AND closed_at < {p2}"), &with(&[from, to])).await?;
    let overdue: i64 = fetch(&state, format!("SELECT COUNT(*) AS n FROM hazards WHERE {cond} AND status IN ('reported', 'assigned', 'rejected') AND deadline IS NOT NULL AND deadline < {p1}"), &with(&[now])).await?[0].try_get("n")?;
    let major: i64 = fetch(&state, format!("SELECT COUNT(*) AS n FROM hazards WHERE {cond} AND severity = 'major' AND status IN {open}"), &with(&[])).await?[0].try_get("n")?;
    let inspections: i64 = fetch(&state, format!("SELECT COUNT(*) AS n FROM inspections WHERE {cond} AND started_at >= {p1} AND started_at < {p2}"), &with(&[from, to])).await?[0].try_get("n")?;
    let mut hours: Vec<f64> = closed_rows
        .iter()
        .filter_map(|r| {
            let closed: Option<i64> = r.try_get("closed_at").ok()?;
            let reported: Option<i64> = r.try_get("reported_at").ok()?;
            Some((closed? - reported?) as f64 / 3_600_000.0)
        })
        .collect();
    hours.sort_by(f64::total_cmp);
    let closed = closed_rows.len() as i64;
    let mut colours = std::collections::BTreeMap::new();
    let (mut on_time, mut due) = (0, 0);
    let (extra, binds) = match &q.grid_id {
        Some(g) => (
            format!(" AND grid_id = ${}", scope.binds.len() + 1),
            vec![g.clone()],
        ),
        None => (String::new(), Vec::new()),
    };
    for r in scoped_sites(&state, &user, &extra, &binds).await? {
        let v = view(&state, &r).await?;
        *colours.entry(v.risk.grade.as_str().to_owned()).or_insert(0) += 1;
        on_time += v.self_checks_on_time;
        due += v.self_checks_due;
    }
    Ok(Json(Stats {
        from,
        to,
        hazards_found: found,
        hazards_closed: closed,
        closure_rate: (found > 0).then(|| closed as f64 / found as f64),
        median_hours_to_close: percentile(&hours, 0.5),
        p90_hours_to_close: percentile(&hours, 0.9),
        overdue_now: overdue,
        major_open_now: major,
        sites_by_colour: colours,
        inspections_done: inspections,
        self_checks_on_time: on_time,
        self_checks_due: due,
    }))
}
