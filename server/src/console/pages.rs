//! The console's pages, server-rendered from compile-time-checked templates (askama): each
//! handler authorises through the session's user, reads through the storage layer with the
//! user's reach, and renders. Decisions go through [`crate::actions`], as the API's do.

use super::i18n::Tr;
use super::session::ConsoleUser;
use super::svg;
use super::view::{self, HazardCard, TimelineLine};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::routes::sites::{SiteView, views};
use crate::store;
use askama::Template;
use automerge::AutoCommit;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use closeloop_model::calendar::Date;
use closeloop_model::doc::hazard;
use closeloop_model::lifecycle::Status;
use closeloop_model::roles::{Role, SiteRef};
use std::collections::HashMap;

/// What every signed-in page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub tr: Tr,
    pub user_name: String,
    pub role_label: String,
    pub csrf: String,
    pub active: &'static str,
    /// The page's own path and query, for the language switch to come back to.
    pub path: String,
    /// Whether the page follows the live event stream.
    pub live: bool,
    pub notice: String,
    pub notice_kind: &'static str,
    /// Whether the user administers the organisation (the nav shows its pages).
    pub admin: bool,
}

impl Chrome {
    pub fn new(u: &ConsoleUser, active: &'static str, path: String) -> Chrome {
        Chrome {
            tr: u.tr,
            user_name: u.user.display_name.clone(),
            role_label: u.tr.of("role", u.user.actor.role.as_str()),
            csrf: u.csrf.clone(),
            active,
            path,
            live: true,
            notice: String::new(),
            notice_kind: "",
            admin: u.user.actor.role == Role::Admin,
        }
    }

    /// Shows the outcome of the decision a redirect came back from (`?done=` or `?refused=`).
    pub fn with_notice(mut self, done: Option<&str>, refused: Option<&str>) -> Chrome {
        if let Some(kind) = done {
            self.notice = format!("{} ✓", self.tr.of("decide", kind));
            self.notice_kind = "ok";
        } else if let Some(reason) = refused {
            self.notice = reason.to_owned();
            self.notice_kind = "bad";
        }
        self
    }
}

/// One option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn opts(pairs: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Opt> {
    pairs
        .into_iter()
        .map(|(value, label)| Opt {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

pub(crate) fn offset(state: &AppState) -> i32 {
    state.config.console_utc_offset_minutes
}

/// Cards of `records` with their sites' and people's names, fetched once for all.
pub(crate) async fn cards(
    state: &AppState,
    u: &ConsoleUser,
    records: &[store::hazards::HazardRecord],
) -> ApiResult<Vec<HazardCard>> {
    let pool = &state.db.pool;
    let site_ids: Vec<String> = records.iter().map(|r| r.site_id.clone()).collect();
    let person_ids: Vec<String> = records.iter().filter_map(|r| r.assignee.clone()).collect();
    let sites = store::sites::names(pool, &site_ids).await?;
    let people = store::people::names(pool, &person_ids).await?;
    let grids: HashMap<String, String> = store::people::grids(pool, &u.user.actor.scope.org_id)
        .await?
        .into_iter()
        .collect();
    let now = crate::db::now_ms();
    Ok(records
        .iter()
        .map(|r| {
            let mut c = HazardCard::new(r, &u.tr, &sites, &people, now, offset(state));
            if let Some(name) = grids.get(&r.grid_id) {
                c.grid_id = name.clone();
            }
            c
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Dashboard

#[derive(Debug, Clone)]
pub struct Kpis {
    pub found: i64,
    pub closed: i64,
    pub rate: String,
    pub median: String,
    pub p90: String,
    pub overdue: i64,
    pub major: i64,
    pub review: String,
}

#[derive(Debug, Clone, Default)]
pub struct GridRow {
    pub name: String,
    pub red: u32,
    pub orange: u32,
    pub yellow: u32,
    pub blue: u32,
    pub overdue: i64,
    pub open: i64,
}

#[derive(Debug, Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    pub chrome: Chrome,
    pub k: Kpis,
    pub trend: String,
    pub colours: String,
    pub by_risk: Vec<GridRow>,
    pub by_overdue: Vec<GridRow>,
}

pub(crate) fn hours(h: Option<f64>, tr: &Tr) -> String {
    h.map_or_else(
        || "—".to_owned(),
        |h| {
            if h < 48.0 {
                format!("{h:.1} {}", tr.s("unit.hours"))
            } else {
                format!("{:.1} {}", h / 24.0, tr.s("unit.days"))
            }
        },
    )
}

pub async fn dashboard(State(state): State<AppState>, u: ConsoleUser) -> ApiResult<Response> {
    let pool = &state.db.pool;
    let reach = u.user.actor.reach();
    let now = crate::db::now_ms();
    let day = 86_400_000;
    let c = store::stats::counts(pool, &reach, None, now - 30 * day, now, now).await?;
    let (queue, more) = store::hazards::review_queue(pool, &reach, 99, None).await?;
    let weeks = store::stats::weekly(pool, &reach, 12, now, offset(&state)).await?;
    let sites = store::sites::list(pool, &reach, None, None).await?;
    let views = views(&state, sites).await?;
    let grids = store::people::grids(pool, &u.user.actor.scope.org_id).await?;
    let tr = u.tr;
    let k = Kpis {
        found: c.found,
        closed: c.closed(),
        rate: c
            .closure_rate()
            .map_or_else(|| "—".into(), |r| format!("{:.0}%", 100.0 * r)),
        median: hours(c.hours_to_close_quantile(0.5), &tr),
        p90: hours(c.hours_to_close_quantile(0.9), &tr),
        overdue: c.overdue_now,
        major: c.major_open_now,
        review: format!("{}{}", queue.len(), if more.is_some() { "+" } else { "" }),
    };
    let trend = svg::weekly_bars(
        &weeks
            .iter()
            .map(|(start, f, cl)| {
                let d = Date::at(*start, offset(&state));
                (format!("{:02}-{:02}", d.month, d.day), *f, *cl)
            })
            .collect::<Vec<_>>(),
        tr.s("dash.found"),
        tr.s("dash.closed"),
    );
    let mut by_grid: HashMap<String, GridRow> = HashMap::new();
    let mut colours: HashMap<&'static str, u32> = HashMap::new();
    for v in &views {
        let g = v.risk.grade.as_str();
        *colours.entry(g).or_insert(0) += 1;
        let row = by_grid.entry(v.grid_id.clone()).or_insert_with(|| GridRow {
            name: grids
                .iter()
                .find(|(id, _)| *id == v.grid_id)
                .map_or(v.grid_id.clone(), |(_, n)| n.clone()),
            ..GridRow::default()
        });
        match g {
            "red" => row.red += 1,
            "orange" => row.orange += 1,
            "yellow" => row.yellow += 1,
            _ => row.blue += 1,
        }
        row.overdue += v.overdue_hazards;
        row.open += v.open_hazards;
    }
    let colour_rows: Vec<(&str, String, u32)> = ["red", "orange", "yellow", "blue"]
        .iter()
        .map(|g| (*g, tr.of("grade", g), colours.get(g).copied().unwrap_or(0)))
        .collect();
    let mut by_risk: Vec<GridRow> = by_grid.into_values().collect();
    by_risk.sort_by(|a, b| {
        (b.red, b.orange, b.yellow)
            .cmp(&(a.red, a.orange, a.yellow))
            .then(a.name.cmp(&b.name))
    });
    let mut by_overdue = by_risk.clone();
    by_overdue.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.name.cmp(&b.name)));
    Ok(render(&Dashboard {
        chrome: Chrome::new(&u, "dashboard", "/console/".into()),
        k,
        trend,
        colours: svg::colour_bars(&colour_rows),
        by_risk,
        by_overdue,
    }))
}

// ---------------------------------------------------------------------------------------------
// Review queue

#[derive(Debug, Template)]
#[template(path = "review.html")]
pub struct Review {
    pub chrome: Chrome,
    pub items: Vec<HazardCard>,
    pub timelines: HashMap<String, Vec<TimelineLine>>,
    pub next: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ReviewQuery {
    pub cursor: Option<String>,
    pub done: Option<String>,
    pub refused: Option<String>,
}

/// The timelines of hazards the caller may see, from their documents, read in one query.
pub(crate) async fn timelines(
    state: &AppState,
    tr: &Tr,
    ids: &[String],
) -> ApiResult<HashMap<String, Vec<TimelineLine>>> {
    let pool = &state.db.pool;
    let docs = store::inspections::documents(pool, ids).await?;
    let states: Vec<(String, closeloop_model::lifecycle::HazardState)> = docs
        .into_iter()
        .filter_map(|(id, bytes)| {
            let d = AutoCommit::load(&bytes).ok()?;
            Some((id, hazard::read(&d).ok()?.state()))
        })
        .collect();
    let mut people: Vec<String> = states
        .iter()
        .flat_map(|(_, s)| s.timeline.iter().map(|t| t.event.by.clone()))
        .collect();
    people.extend(states.iter().filter_map(|(_, s)| s.assignee.clone()));
    people.sort();
    people.dedup();
    let names = store::people::names(pool, &people).await?;
    let mut out = HashMap::new();
    for (id, s) in states {
        let received = store::hazards::receipts(pool, &id).await?;
        out.insert(id, view::timeline(&s, tr, &names, &received, offset(state)));
    }
    Ok(out)
}

pub async fn review(
    State(state): State<AppState>,
    u: ConsoleUser,
    super::Q(q): super::Q<ReviewQuery>,
) -> ApiResult<Response> {
    let cursor = q.cursor.as_deref().and_then(store::hazards::Cursor::decode);
    let (records, next) =
        store::hazards::review_queue(&state.db.pool, &u.user.actor.reach(), 50, cursor.as_ref())
            .await?;
    let items = cards(&state, &u, &records).await?;
    let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    let timelines = timelines(&state, &u.tr, &ids).await?;
    Ok(render(&Review {
        chrome: Chrome::new(&u, "review", "/console/review".into())
            .with_notice(q.done.as_deref(), q.refused.as_deref()),
        items,
        timelines,
        next: next.map(|c| c.encode()).unwrap_or_default(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Hazards

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub grid_id: String,
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub assignee: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub overdue: Option<String>,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub cursor: String,
}

/// The filters as the form shows them back.
#[derive(Debug, Clone)]
pub struct FilterForm {
    pub from: String,
    pub to: String,
    pub overdue: bool,
}

#[derive(Debug, Template)]
#[template(path = "hazards.html")]
pub struct Hazards {
    pub chrome: Chrome,
    pub f: FilterForm,
    pub statuses: Vec<Opt>,
    pub severities: Vec<Opt>,
    pub grids: Vec<Opt>,
    pub sites: Vec<Opt>,
    pub people: Vec<Opt>,
    pub sorts: Vec<Opt>,
    pub items: Vec<HazardCard>,
    pub next: String,
    pub error: String,
}

fn day_start(date: &str, offset: i32) -> Option<i64> {
    Date::parse(date).map(|d| d.start_millis(offset))
}

/// The filter a hazards list URL asks for (what cannot be read is left out), days in the
/// console's zone: the list and its exports read the same rows.
pub(crate) fn list_filter(q: &ListQuery, off: i32) -> store::hazards::HazardFilter {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    store::hazards::HazardFilter {
        statuses: Status::parse(&q.status).into_iter().collect(),
        severity: closeloop_model::lifecycle::Severity::parse(&q.severity),
        grid_id: some(&q.grid_id),
        site_id: some(&q.site_id),
        assignee: some(&q.assignee),
        inspection_id: None,
        overdue: q.overdue.as_deref().map(|v| v == "true"),
        evidence_complete: None,
        from: day_start(&q.from, off),
        to: day_start(&q.to, off).map(|t| t + 86_400_000),
    }
}

pub async fn hazards(
    State(state): State<AppState>,
    u: ConsoleUser,
    super::Q(q): super::Q<ListQuery>,
) -> ApiResult<Response> {
    let pool = &state.db.pool;
    let tr = u.tr;
    let reach = u.user.actor.reach();
    let off = offset(&state);
    let mut error = String::new();
    let filter = list_filter(&q, off);
    let sort = store::hazards::Sort::parse(&q.sort).unwrap_or(store::hazards::Sort::ReportedAt);
    let cursor = store::hazards::Cursor::decode(&q.cursor);
    if !q.cursor.is_empty() && cursor.is_none() {
        error = tr.s("error.cursor").to_owned();
    }
    let now = crate::db::now_ms();
    let (records, next) =
        store::hazards::page(pool, &reach, &filter, sort, 50, cursor.as_ref(), now).await?;
    let items = cards(&state, &u, &records).await?;
    let sites = store::sites::list(pool, &reach, None, None).await?;
    let people = store::people::of_org(pool, &u.user.actor.scope.org_id).await?;
    let grids = store::people::grids(pool, &u.user.actor.scope.org_id).await?;
    let next = next.map(|c| {
        let mut url = url_of(&q);
        url.push_str("&cursor=");
        url.push_str(&urlencoding(&c.encode()));
        url
    });
    Ok(render(&Hazards {
        chrome: Chrome::new(&u, "hazards", url_of(&q)),
        f: FilterForm {
            from: q.from.clone(),
            to: q.to.clone(),
            overdue: q.overdue.as_deref() == Some("true"),
        },
        statuses: opts(
            view::statuses(&tr)
                .into_iter()
                .map(|(v, l)| (v.to_owned(), l)),
            &q.status,
        ),
        severities: opts(
            ["general", "major"].map(|s| (s.to_owned(), tr.of("severity", s))),
            &q.severity,
        ),
        grids: opts(
            grids.into_iter().filter(|(id, _)| {
                reach.covers(&SiteRef {
                    org_id: reach.org_id().to_owned(),
                    grid_id: id.clone(),
                    site_id: String::new(),
                }) || matches!(reach, closeloop_model::roles::Reach::Organisation { .. })
            }),
            &q.grid_id,
        ),
        sites: opts(sites.into_iter().map(|s| (s.id, s.name)), &q.site_id),
        people: opts(
            people
                .into_iter()
                .filter(|p| matches!(p.actor.role, Role::Owner | Role::Inspector))
                .map(|p| (p.actor.user_id, p.display_name)),
            &q.assignee,
        ),
        sorts: opts(
            [
                ("reported_at", "sort.reported_at"),
                ("deadline", "sort.deadline"),
                ("updated_at", "sort.updated_at"),
            ]
            .map(|(v, k)| (v.to_owned(), tr.s(k).to_owned())),
            &q.sort,
        ),
        items,
        next: next.unwrap_or_default(),
        error,
    }))
}

/// Percent-encodes a query value.
fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|e| e.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

/// The list's URL with its filters (not its cursor).
fn url_of(q: &ListQuery) -> String {
    let pairs = [
        ("status", &q.status),
        ("severity", &q.severity),
        ("grid_id", &q.grid_id),
        ("site_id", &q.site_id),
        ("assignee", &q.assignee),
        ("from", &q.from),
        ("to", &q.to),
        ("sort", &q.sort),
    ];
    let mut url = "/console/hazards?".to_owned();
    let mut kv: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    if q.overdue.as_deref() == Some("true") {
        kv.push(("overdue", "true"));
    }
    url.push_str(&serde_urlencoded::to_string(kv).unwrap_or_default());
    url
}

#[derive(Debug, Template)]
#[template(path = "hazard.html")]
pub struct HazardPage {
    pub chrome: Chrome,
    pub h: HazardCard,
    pub item_text: String,
    pub timeline: Vec<TimelineLine>,
    pub offered: Vec<&'static str>,
    pub assignable: Vec<Opt>,
    pub default_deadline: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct NoticeQuery {
    pub done: Option<String>,
    pub refused: Option<String>,
}

pub async fn hazard_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    crate::routes::IdPath(id): crate::routes::IdPath,
    super::Q(q): super::Q<NoticeQuery>,
) -> ApiResult<Response> {
    let pool = &state.db.pool;
    let record = store::hazards::get(pool, &u.user.actor.reach(), &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("hazard {id}")))?;
    let card = cards(&state, &u, std::slice::from_ref(&record))
        .await?
        .remove(0);
    let bytes = store::inspections::any_document(pool, &id).await?;
    let doc = bytes.and_then(|b| AutoCommit::load(&b).ok());
    let hz = doc.as_ref().and_then(|d| hazard::read(d).ok());
    let (lines, offered, site) = match &hz {
        Some(hz) => {
            let s = hz.state();
            let mut lines = timelines(&state, &u.tr, std::slice::from_ref(&id)).await?;
            let site = SiteRef {
                org_id: hz.header.site.org_id.clone(),
                grid_id: record.grid_id.clone(),
                site_id: record.site_id.clone(),
            };
            (
                lines.remove(&id).unwrap_or_default(),
                view::offered(&u.user, &site, &s),
                Some(site),
            )
        }
        None => (Vec::new(), Vec::new(), None),
    };
    // Who may be made responsible: the model's assignment rule over the organisation's accounts,
    // so the picker offers exactly the people a decision would be accepted for.
    let org = &u.user.actor.scope.org_id;
    let everyone = store::accounts::list(pool, org).await?;
    let members: Vec<_> = everyone.iter().filter_map(|a| a.member(org)).collect();
    let can = site
        .as_ref()
        .map(|s| closeloop_model::people::assignable(s, &members))
        .unwrap_or_default();
    let assignable = opts(
        can.into_iter()
            .filter_map(|m| everyone.iter().find(|a| a.user_id == m.actor.user_id))
            .map(|a| {
                let label = format!("{} ({})", a.display_name, u.tr.of("role", &a.role));
                (a.user_id.clone(), label)
            }),
        record.assignee.as_deref().unwrap_or(""),
    );
    let week = Date::at(crate::db::now_ms() + 7 * 86_400_000, offset(&state));
    Ok(render(&HazardPage {
        chrome: Chrome::new(&u, "hazards", format!("/console/hazards/{id}"))
            .with_notice(q.done.as_deref(), q.refused.as_deref()),
        item_text: String::new(),
        h: card,
        timeline: lines,
        offered,
        assignable,
        default_deadline: week.to_string(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Sites

#[derive(Debug, Clone)]
pub struct SiteRow {
    pub id: String,
    pub name: String,
    pub address: String,
    pub grid: String,
    pub grade: String,
    pub grade_label: String,
    pub open: i64,
    pub overdue: i64,
    pub last_inspection: String,
}

#[derive(Debug, Template)]
#[template(path = "sites.html")]
pub struct Sites {
    pub chrome: Chrome,
    pub q: String,
    pub grids: Vec<Opt>,
    pub items: Vec<SiteRow>,
    pub map: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SitesQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub grid_id: String,
}

fn row_of(v: &SiteView, tr: &Tr, grid_names: &[(String, String)], off: i32) -> SiteRow {
    SiteRow {
        id: v.id.clone(),
        name: v.name.clone(),
        address: v.address.clone(),
        grid: grid_names
            .iter()
            .find(|(id, _)| *id == v.grid_id)
            .map_or(v.grid_id.clone(), |(_, n)| n.clone()),
        grade: v.risk.grade.as_str().to_owned(),
        grade_label: tr.of("grade", v.risk.grade.as_str()),
        open: v.open_hazards,
        overdue: v.overdue_hazards,
        last_inspection: view::when_opt(v.last_inspection_at, off),
    }
}

pub async fn sites(
    State(state): State<AppState>,
    u: ConsoleUser,
    super::Q(q): super::Q<SitesQuery>,
) -> ApiResult<Response> {
    let pool = &state.db.pool;
    let reach = u.user.actor.reach();
    let grid = (!q.grid_id.is_empty()).then_some(q.grid_id.as_str());
    let needle = q.q.trim().to_lowercase();
    let listed: Vec<store::sites::SiteRecord> = store::sites::list(pool, &reach, grid, None)
        .await?
        .into_iter()
        .filter(|s| {
            needle.is_empty()
                || s.name.to_lowercase().contains(&needle)
                || s.address.to_lowercase().contains(&needle)
        })
        .collect();
    let views = views(&state, listed).await?;
    let grids = store::people::grids(pool, &u.user.actor.scope.org_id).await?;
    let tr = u.tr;
    let map = svg::site_map(
        &views
            .iter()
            .filter_map(|v| {
                Some(svg::MapSite {
                    id: v.id.clone(),
                    name: v.name.clone(),
                    grade: v.risk.grade.as_str().to_owned(),
                    lat: v.lat?,
                    lon: v.lon?,
                })
            })
            .collect::<Vec<_>>(),
        tr.s("sites.no_map"),
    );
    let items = views
        .iter()
        .map(|v| row_of(v, &tr, &grids, offset(&state)))
        .collect();
    let path = format!(
        "/console/sites?{}",
        serde_urlencoded::to_string([("q", q.q.as_str()), ("grid_id", q.grid_id.as_str())])
            .unwrap_or_default()
    );
    Ok(render(&Sites {
        chrome: Chrome::new(&u, "sites", path),
        q: q.q.clone(),
        grids: opts(grids, &q.grid_id),
        items,
        map,
    }))
}

#[derive(Debug, Clone)]
pub struct SiteDetail {
    pub id: String,
    pub name: String,
    pub address: String,
    pub grid: String,
    pub premises: String,
    pub grade: String,
    pub grade_label: String,
    pub points: u32,
    pub inherent: u32,
    pub live: u32,
    pub override_reason: String,
    pub factors: Vec<(u32, String)>,
    pub profile: Vec<(String, String)>,
    pub on_time: u32,
    pub due: u32,
}

#[derive(Debug, Clone)]
pub struct InspectionLine {
    pub started: String,
    pub purpose: String,
    pub inspector: String,
    pub answered: i64,
    pub items: i64,
    pub failed: i64,
    pub signed_off: String,
}

#[derive(Debug, Template)]
#[template(path = "site.html")]
pub struct SitePage {
    pub chrome: Chrome,
    pub s: SiteDetail,
    pub hazards: Vec<HazardCard>,
    pub inspections: Vec<InspectionLine>,
}

/// The profile's facts in the order a site visit goes through them, values in words.
pub(crate) fn profile_lines(
    p: &closeloop_checklists::SiteProfile,
    tr: &Tr,
) -> Vec<(String, String)> {
    const ORDER: [&str; 30] = [
        "premises",
        "subtype",
        "floor_area_m2",
        "storeys",
        "building_height_m",
        "below_ground",
        "occupants",
        "sleepers",
        "opens_at",
        "closes_at",
        "boarding",
        "public_gathering_place",
        "key_fire_safety_unit",
        "public_institution",
        "gas",
        "kitchen",
        "ebike_parking",
        "ebike_charging",
        "flammable_goods",
        "mixed_living",
        "in_residential_building",
        "staff_dormitory",
        "combustible_dust",
        "hot_work",
        "hydrants",
        "sprinklers",
        "fire_alarm",
        "fire_control_room",
        "hazard_level",
        "jurisdiction",
    ];
    let json = serde_json::to_value(p).unwrap_or_default();
    let Some(map) = json.as_object() else {
        return Vec::new();
    };
    let mut keys: Vec<&str> = ORDER
        .iter()
        .copied()
        .filter(|k| map.contains_key(*k))
        .collect();
    keys.extend(
        map.keys()
            .map(String::as_str)
            .filter(|k| !ORDER.contains(k) && !matches!(*k, "schema_version" | "name")),
    );
    keys.into_iter()
        .filter_map(|k| {
            let shown = match map.get(k)? {
                serde_json::Value::Null => return None,
                serde_json::Value::Bool(true) => tr.s("bool.yes").to_owned(),
                serde_json::Value::Bool(false) => tr.s("bool.no").to_owned(),
                serde_json::Value::String(s) => tr.of(&format!("value.{k}"), s),
                other => other.to_string(),
            };
            Some((tr.of("profile", k), shown))
        })
        .collect()
}

pub async fn site_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    crate::routes::IdPath(id): crate::routes::IdPath,
) -> ApiResult<Response> {
    let pool = &state.db.pool;
    let reach = u.user.actor.reach();
    let site = store::sites::get(pool, &reach, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))?;
    let v = views(&state, vec![site])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))?;
    let tr = u.tr;
    let grids = store::people::grids(pool, &u.user.actor.scope.org_id).await?;
    let now = crate::db::now_ms();
    let filter = store::hazards::HazardFilter {
        statuses: Status::where_(Status::is_open),
        site_id: Some(id.clone()),
        ..Default::default()
    };
    let (open, _) = store::hazards::page(
        pool,
        &reach,
        &filter,
        store::hazards::Sort::Deadline,
        100,
        None,
        now,
    )
    .await?;
    let hazards = cards(&state, &u, &open).await?;
    let recent = store::inspections::recent(pool, &reach, &id, 10).await?;
    let inspectors: Vec<String> = recent.iter().map(|i| i.inspector.clone()).collect();
    let names = store::people::names(pool, &inspectors).await?;
    let off = offset(&state);
    let inspections = recent
        .into_iter()
        .map(|i| InspectionLine {
            started: view::when(i.started_at, off),
            purpose: tr.of("purpose", &i.purpose),
            inspector: names.get(&i.inspector).cloned().unwrap_or(i.inspector),
            answered: i.answered,
            items: i.items,
            failed: i.failed,
            signed_off: view::when_opt(i.signed_off_at, off),
        })
        .collect();
    let profile = profile_lines(&v.profile, &tr);
    let grade = v.risk.grade.as_str().to_owned();
    let detail = SiteDetail {
        grid: row_of(&v, &tr, &grids, off).grid,
        premises: tr.of("premises", v.profile.premises.as_str()),
        grade_label: tr.of("grade", &grade),
        grade,
        points: v.risk.points,
        inherent: v.risk.inherent_points,
        live: v.risk.live_points,
        override_reason: v.risk.override_reason.clone().unwrap_or_default(),
        factors: v
            .risk
            .factors
            .iter()
            .map(|f| {
                (
                    f.points,
                    if tr.is_zh() {
                        f.explain_zh.clone()
                    } else {
                        f.explain_en.clone()
                    },
                )
            })
            .collect(),
        profile,
        on_time: v.self_checks_on_time,
        due: v.self_checks_due,
        id: v.id.clone(),
        name: v.name.clone(),
        address: v.address.clone(),
    };
    Ok(render(&SitePage {
        chrome: Chrome::new(&u, "sites", format!("/console/sites/{id}")),
        s: detail,
        hazards,
        inspections,
    }))
}
