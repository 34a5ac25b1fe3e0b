//! The administrators' pages: users, grids, sites (create, edit, people, move), bulk imports
//! with their dry run, and the audit log. Every page and form refuses anyone but an
//! administrator (the API's Forbidden) before it reads anything, every form carries the
//! session's CSRF token, and every change goes through [`crate::admin`], as the API's do.

use super::i18n::Tr;
use super::pages::{Chrome, Opt, render};
use super::session::{ConsoleUser, csrf_ok};
use super::{Q, view};
use crate::AppState;
use crate::admin::{self, import, sites, users};
use crate::error::{ApiError, ApiResult};
use crate::routes::IdPath;
use crate::store::{self, accounts, audit};
use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use closeloop_checklists::{Premises, SiteProfile};
use closeloop_model::people::Facility;
use closeloop_model::roles::Role;
use serde::Deserialize;
use std::collections::HashMap;

/// The console's administration routes.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/console/admin",
            get(|| async { Redirect::to("/console/admin/users") }),
        )
        .route("/console/admin/users", get(users_page).post(create_user))
        .route("/console/admin/users/{id}", get(user_page).post(edit_user))
        .route("/console/admin/users/{id}/deactivate", post(deactivate))
        .route("/console/admin/users/{id}/reactivate", post(reactivate))
        .route("/console/admin/users/{id}/password", post(reset_password))
        .route("/console/admin/grids", get(grids_page).post(create_grid))
        .route("/console/admin/grids/{id}", post(rename_grid))
        .route("/console/admin/sites", get(sites_page).post(create_site))
        .route("/console/admin/sites/{id}", get(site_page).post(edit_site))
        .route("/console/admin/sites/{id}/people", post(site_people))
        .route("/console/admin/sites/{id}/move", post(move_site))
        .route("/console/admin/import", get(import_page).post(dry_run))
        .route("/console/admin/import/confirm", post(confirm_import))
        .route("/console/admin/audit", get(audit_page))
}

fn only_admin(u: &ConsoleUser) -> ApiResult<()> {
    admin::require_admin(&u.user)
}

/// The outcome a form's redirect came back with.
#[derive(Debug, Default, Deserialize)]
struct Outcome {
    done: Option<String>,
    refused: Option<String>,
}

fn chrome(u: &ConsoleUser, path: String, o: &Outcome) -> Chrome {
    let mut c = Chrome::new(u, "admin", path);
    c.live = false;
    if o.done.is_some() {
        c.notice = format!("{} ✓", u.tr.s("admin.saved"));
        c.notice_kind = "ok";
    } else if let Some(r) = &o.refused {
        c.notice = r.clone();
        c.notice_kind = "bad";
    }
    c
}

/// A form's fields, every value of each (a checkbox list sends one name many times).
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, k: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
    }
    fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Reads a form posted by this session (its CSRF token checked).
async fn form(state: &AppState, u: &ConsoleUser, body: Body) -> ApiResult<Form> {
    let bytes = crate::routes::read_body(body, 64 * 1024, &state.config).await?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| ApiError::bad("form", format!("the form could not be read: {e}")))?;
    let f = Form(fields);
    if !csrf_ok(&u.csrf, f.get("csrf")) {
        return Err(ApiError::Forbidden(
            "the form is not this session's; reload the page".into(),
        ));
    }
    Ok(f)
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|e| e.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

/// Back to `page` with the outcome: done, or the reason it was refused. A thing out of reach
/// stays not found.
fn back(page: &str, r: ApiResult<()>) -> ApiResult<Response> {
    let sep = if page.contains('?') { '&' } else { '?' };
    match r {
        Ok(()) => Ok(Redirect::to(&format!("{page}{sep}done=1")).into_response()),
        Err(e @ (ApiError::NotFound(_) | ApiError::Forbidden(_))) => Err(e),
        Err(e) => Ok(
            Redirect::to(&format!("{page}{sep}refused={}", enc(&e.to_string()))).into_response(),
        ),
    }
}

fn ids(s: &str) -> Vec<String> {
    s.split([';', ',', ' ', '，', '；'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn roles(tr: &Tr, current: &str) -> Vec<Opt> {
    ["inspector", "owner", "supervisor", "admin"]
        .into_iter()
        .map(|r| Opt {
            value: r.into(),
            label: tr.of("role", r),
            selected: r == current,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Users

#[derive(Debug)]
pub struct UserLine {
    pub id: String,
    pub name: String,
    pub username: String,
    pub role: String,
    pub grids: String,
    pub sites: String,
    pub active: bool,
}

#[derive(Debug, Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub tab: &'static str,
    pub roles: Vec<Opt>,
    pub users: Vec<UserLine>,
}

async fn users_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    Q(o): Q<Outcome>,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let tr = u.tr;
    let list = accounts::list(&state.db.pool, &u.user.actor.scope.org_id).await?;
    let names = site_names(&state, &u).await?;
    let users = list
        .into_iter()
        .map(|a| UserLine {
            role: tr.of("role", &a.role),
            grids: a.grid_ids.join("; "),
            sites: a
                .site_ids
                .iter()
                .map(|s| names.get(s).cloned().unwrap_or_else(|| s.clone()))
                .collect::<Vec<_>>()
                .join("; "),
            id: a.user_id,
            name: a.display_name,
            username: a.username,
            active: a.active,
        })
        .collect();
    Ok(render(&UsersPage {
        chrome: chrome(&u, "/console/admin/users".into(), &o),
        tab: "users",
        roles: roles(&tr, "inspector"),
        users,
    }))
}

async fn site_names(state: &AppState, u: &ConsoleUser) -> ApiResult<HashMap<String, String>> {
    Ok(
        store::sites::list(&state.db.pool, &u.user.actor.reach(), None, None)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect(),
    )
}

async fn create_user(
    State(state): State<AppState>,
    u: ConsoleUser,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let f = form(&state, &u, body).await?;
    let r = async {
        let role = Role::parse(f.get("role")).ok_or_else(|| ApiError::bad("role", "role"))?;
        users::create(
            &state,
            &u.user,
            &users::NewAccount {
                username: f.get("username").trim().to_owned(),
                password: f.get("password").to_owned(),
                display_name: f.get("display_name").to_owned(),
                role,
                grid_ids: ids(f.get("grid_ids")),
                site_ids: ids(f.get("site_ids")),
            },
        )
        .await
        .map(|_| ())
    }
    .await;
    back("/console/admin/users", r)
}

#[derive(Debug, Template)]
#[template(path = "admin_user.html")]
pub struct UserPage {
    pub chrome: Chrome,
    pub tab: &'static str,
    pub id: String,
    pub name: String,
    pub username: String,
    pub roles: Vec<Opt>,
    pub grids: String,
    pub sites: String,
}

async fn user_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
    Q(o): Q<Outcome>,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let a = accounts::get(&state.db.pool, &u.user.actor.scope.org_id, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {id}")))?;
    Ok(render(&UserPage {
        chrome: chrome(&u, format!("/console/admin/users/{id}"), &o),
        tab: "users",
        roles: roles(&u.tr, &a.role),
        grids: a.grid_ids.join("; "),
        sites: a.site_ids.join("; "),
        name: a.display_name,
        username: a.username,
        id,
    }))
}

async fn edit_user(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let f = form(&state, &u, body).await?;
    let r = async {
        let role = Role::parse(f.get("role")).ok_or_else(|| ApiError::bad("role", "role"))?;
        users::edit(
            &state,
            &u.user,
            &id,
            &users::UserEdit {
                display_name: Some(f.get("display_name").to_owned()),
                role: Some(role),
                grid_ids: Some(ids(f.get("grid_ids"))),
                site_ids: Some(ids(f.get("site_ids"))),
            },
        )
        .await
    }
    .await;
    back(&format!("/console/admin/users/{id}"), r)
}

async fn deactivate(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    form(&state, &u, body).await?;
    let r = users::set_active(&state, &u.user, &id, false).await;
    back("/console/admin/users", r)
}

async fn reactivate(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    form(&state, &u, body).await?;
    let r = users::set_active(&state, &u.user, &id, true).await;
    back("/console/admin/users", r)
}

async fn reset_password(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let f = form(&state, &u, body).await?;
    let r = users::reset_password(&state, &u.user, &id, f.get("password")).await;
    back("/console/admin/users", r)
}

// ---------------------------------------------------------------------------------------------
// Grids

#[derive(Debug, Template)]
#[template(path = "admin_grids.html")]
pub struct GridsPage {
    pub chrome: Chrome,
    pub tab: &'static str,
    pub grids: Vec<Opt>,
}

async fn grid_opts(state: &AppState, u: &ConsoleUser) -> ApiResult<Vec<Opt>> {
    Ok(
        store::people::grids(&state.db.pool, &u.user.actor.scope.org_id)
            .await?
            .into_iter()
            .map(|(value, label)| Opt {
                value,
                label,
                selected: false,
            })
            .collect(),
    )
}

async fn grids_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    Q(o): Q<Outcome>,
) -> ApiResult<Response> {
    only_admin(&u)?;
    Ok(render(&GridsPage {
        chrome: chrome(&u, "/console/admin/grids".into(), &o),
        tab: "grids",
        grids: grid_opts(&state, &u).await?,
    }))
}

async fn create_grid(
    State(state): State<AppState>,
    u: ConsoleUser,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let f = form(&state, &u, body).await?;
    let r = users::create_grid(&state, &u.user, f.get("id").trim(), f.get("name")).await;
    back("/console/admin/grids", r)
}

async fn rename_grid(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let f = form(&state, &u, body).await?;
    let r = users::rename_grid(&state, &u.user, &id, f.get("name")).await;
    back("/console/admin/grids", r)
}

// ---------------------------------------------------------------------------------------------
// Sites

/// A site's fields as the form shows them.
#[derive(Debug)]
pub struct FieldsView {
    pub name: String,
    pub address: String,
    pub lat: String,
    pub lon: String,
    pub premises: Vec<Opt>,
    pub floor_area_m2: String,
    pub storeys: String,
    pub building_height_m: String,
    pub occupants: String,
    pub gas: Vec<Opt>,
    pub hazard_level: Vec<Opt>,
    pub kitchen: bool,
}

fn choice(tr: &Tr, section: &str, values: &[&str], current: &str) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt {
            value: (*v).to_owned(),
            label: tr.of(&format!("value.{section}"), v),
            selected: *v == current,
        })
        .collect()
}

fn fields_view(tr: &Tr, f: Option<&sites::SiteFields>) -> FieldsView {
    let p = f.map(|f| f.profile.clone());
    let num = |v: Option<String>| v.unwrap_or_default();
    let premises: Vec<&str> = Premises::ALL.iter().map(|p| p.as_str()).collect();
    FieldsView {
        name: f.map(|f| f.name.clone()).unwrap_or_default(),
        address: f.map(|f| f.address.clone()).unwrap_or_default(),
        lat: num(f.and_then(|f| f.location).map(|l| l.0.to_string())),
        lon: num(f.and_then(|f| f.location).map(|l| l.1.to_string())),
        premises: choice(
            tr,
            "premises",
            &premises,
            p.as_ref().map_or("small_shop", |p| p.premises.as_str()),
        ),
        floor_area_m2: num(p.as_ref().map(|p| p.floor_area_m2.to_string())),
        storeys: num(p.as_ref().map(|p| p.storeys.to_string())),
        building_height_m: num(p.as_ref().map(|p| p.building_height_m.to_string())),
        occupants: num(p.as_ref().map(|p| p.occupants.to_string())),
        gas: choice(
            tr,
            "gas",
            &["none", "piped", "lpg"],
            p.as_ref().map_or("none", |p| p.gas.as_str()),
        ),
        hazard_level: choice(
            tr,
            "hazard_level",
            &["light", "medium", "severe"],
            p.as_ref().map_or("medium", |p| p.hazard_level.as_str()),
        ),
        kitchen: p.as_ref().is_some_and(|p| p.kitchen),
    }
}

/// The site fields a form gives, over the profile the site has (fields the form does not show
/// keep their values), checked by the import's rules.
fn fields_of(
    f: &Form,
    tr: &Tr,
    base: Option<&SiteProfile>,
    offset: i32,
) -> ApiResult<sites::SiteFields> {
    let mut values: HashMap<String, String> = HashMap::new();
    if let Some(Ok(serde_json::Value::Object(m))) = base.map(serde_json::to_value) {
        for (k, v) in m {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            values.insert(k, text);
        }
    }
    values.remove("name");
    values.remove("schema_version");
    for k in [
        "name",
        "address",
        "lat",
        "lon",
        "premises",
        "floor_area_m2",
        "storeys",
        "building_height_m",
        "occupants",
        "gas",
        "hazard_level",
        "kitchen",
    ] {
        values.insert(k.to_owned(), f.get(k).trim().to_owned());
    }
    let lang = if tr.is_zh() {
        import::Lang::Zh
    } else {
        import::Lang::En
    };
    import::fields_of_map(&values, lang, offset).map_err(|p| {
        let first = p.first().cloned();
        ApiError::bad(
            "site",
            first.map_or_else(String::new, |p| format!("{}: {}", p.column, p.reason)),
        )
    })
}

#[derive(Debug)]
pub struct SiteLine {
    pub id: String,
    pub name: String,
    pub address: String,
    pub code: String,
    pub grid: String,
    pub grid_id: String,
}

#[derive(Debug, Template)]
#[template(path = "admin_sites.html")]
pub struct SitesPage {
    pub chrome: Chrome,
    pub tab: &'static str,
    pub grids: Vec<Opt>,
    pub sites: Vec<SiteLine>,
    pub f: FieldsView,
}

async fn sites_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    Q(o): Q<Outcome>,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let org = &u.user.actor.scope.org_id;
    let grids = grid_opts(&state, &u).await?;
    let codes: HashMap<String, String> = store::placement::site_codes(&state.db.pool, org)
        .await?
        .into_iter()
        .map(|(c, s)| (s, c))
        .collect();
    let grid_name = |g: &str| {
        grids
            .iter()
            .find(|o| o.value == g)
            .map_or(g.to_owned(), |o| o.label.clone())
    };
    let sites = store::sites::list(&state.db.pool, &u.user.actor.reach(), None, None)
        .await?
        .into_iter()
        .map(|s| SiteLine {
            code: codes.get(&s.id).cloned().unwrap_or_default(),
            grid: grid_name(&s.grid_id),
            grid_id: s.grid_id,
            id: s.id,
            name: s.name,
            address: s.address,
        })
        .collect();
    Ok(render(&SitesPage {
        chrome: chrome(&u, "/console/admin/sites".into(), &o),
        tab: "sites",
        f: fields_view(&u.tr, None),
        grids,
        sites,
    }))
}

async fn create_site(
    State(state): State<AppState>,
    u: ConsoleUser,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let f = form(&state, &u, body).await?;
    let r = async {
        let fields = fields_of(&f, &u.tr, None, state.config.console_utc_offset_minutes)?;
        let code = Some(f.get("code").trim()).filter(|c| !c.is_empty());
        sites::create_site(&state, &u.user, f.get("grid_id"), code, &fields)
            .await
            .map(|_| ())
    }
    .await;
    back("/console/admin/sites", r)
}

#[derive(Debug)]
pub struct DutyRow {
    pub facilities: Vec<Opt>,
    pub people: Vec<Opt>,
}

#[derive(Debug, Template)]
#[template(path = "admin_site.html")]
pub struct SitePage {
    pub chrome: Chrome,
    pub tab: &'static str,
    pub id: String,
    pub code: String,
    pub grid: String,
    pub f: FieldsView,
    pub owners: Vec<Opt>,
    pub responsible: Vec<DutyRow>,
}

async fn site_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
    Q(o): Q<Outcome>,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let pool = &state.db.pool;
    let org = &u.user.actor.scope.org_id;
    let s = store::sites::get(pool, &u.user.actor.reach(), &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))?;
    let fields = sites::SiteFields {
        name: s.name.clone(),
        address: s.address.clone(),
        location: s.lat.zip(s.lon),
        utc_offset_minutes: s.utc_offset_minutes,
        profile: s.profile.clone(),
    };
    let everyone = accounts::list(pool, org).await?;
    let owners = everyone
        .iter()
        .filter(|a| a.active && a.role == Role::Owner.as_str())
        .map(|a| Opt {
            value: a.user_id.clone(),
            label: format!("{} ({})", a.display_name, a.username),
            selected: a.site_ids.contains(&id),
        })
        .collect();
    let place = closeloop_model::roles::SiteRef {
        org_id: org.clone(),
        grid_id: s.grid_id.clone(),
        site_id: id.clone(),
    };
    let members: Vec<_> = everyone.iter().filter_map(|a| a.member(org)).collect();
    let can: Vec<&accounts::Account> = closeloop_model::people::assignable(&place, &members)
        .into_iter()
        .filter_map(|m| everyone.iter().find(|a| a.user_id == m.actor.user_id))
        .collect();
    let duties = store::directory::responsible(pool, std::slice::from_ref(&id)).await?;
    let tr = u.tr;
    let row = |facility: &str, user: &str| DutyRow {
        facilities: Facility::ALL
            .iter()
            .map(|f| Opt {
                value: f.as_str().into(),
                label: tr.of("archive_facility", f.as_str()),
                selected: f.as_str() == facility,
            })
            .collect(),
        people: can
            .iter()
            .map(|a| Opt {
                value: a.user_id.clone(),
                label: a.display_name.clone(),
                selected: a.user_id == user,
            })
            .collect(),
    };
    let mut responsible: Vec<DutyRow> = duties
        .iter()
        .map(|d| row(&d.facility, &d.user_id))
        .collect();
    for _ in 0..2 {
        responsible.push(row("whole_site", ""));
    }
    let code = store::placement::site_codes(pool, org)
        .await?
        .into_iter()
        .find(|(_, s)| s == &id)
        .map(|(c, _)| c)
        .unwrap_or_default();
    let grid = store::people::grids(pool, org)
        .await?
        .into_iter()
        .find(|(g, _)| g == &s.grid_id)
        .map_or(s.grid_id.clone(), |(_, n)| n);
    Ok(render(&SitePage {
        chrome: chrome(&u, format!("/console/admin/sites/{id}"), &o),
        tab: "sites",
        f: fields_view(&tr, Some(&fields)),
        code,
        grid,
        owners,
        responsible,
        id,
    }))
}

async fn edit_site(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let f = form(&state, &u, body).await?;
    let s = store::sites::get(&state.db.pool, &u.user.actor.reach(), &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))?;
    let r = async {
        let mut fields = fields_of(&f, &u.tr, Some(&s.profile), s.utc_offset_minutes)?;
        fields.utc_offset_minutes = s.utc_offset_minutes;
        sites::edit_site(&state, &u.user, &id, &fields)
            .await
            .map(|_| ())
    }
    .await;
    back(&format!("/console/admin/sites/{id}"), r)
}

async fn site_people(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let f = form(&state, &u, body).await?;
    let facilities = f.all("facility");
    let people = f.all("responsible");
    let mut responsible = Vec::new();
    for (fac, who) in facilities.iter().zip(&people) {
        if who.is_empty() {
            continue;
        }
        let Some(fac) = Facility::parse(fac) else {
            return back(
                &format!("/console/admin/sites/{id}"),
                Err(ApiError::bad("facility", "facility")),
            );
        };
        responsible.push((fac, who.clone()));
    }
    let r = sites::set_people_op(&state, &u.user, &id, &f.all("owner"), &responsible).await;
    back(&format!("/console/admin/sites/{id}"), r)
}

async fn move_site(
    State(state): State<AppState>,
    u: ConsoleUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let f = form(&state, &u, body).await?;
    let r = sites::move_site_op(&state, &u.user, &id, f.get("grid_id"))
        .await
        .map(|_| ());
    back("/console/admin/sites", r)
}

// ---------------------------------------------------------------------------------------------
// Imports

/// The page as the template reads it.
#[derive(Debug, Template)]
#[template(path = "admin_import.html")]
pub struct ImportView {
    pub chrome: Chrome,
    pub tab: &'static str,
    pub has_report: bool,
    pub written: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub problems: Vec<import::Problem>,
    pub left_out: usize,
    pub token: String,
}

fn import_view(chrome: Chrome, report: Option<&import::Report>, token: String) -> ImportView {
    ImportView {
        chrome,
        tab: "import",
        has_report: report.is_some(),
        written: report.is_some_and(|r| r.written),
        rows: report.map_or(0, |r| r.rows),
        created: report.map_or(0, |r| r.created),
        updated: report.map_or(0, |r| r.updated),
        unchanged: report.map_or(0, |r| r.unchanged),
        problems: report.map(|r| r.problems.clone()).unwrap_or_default(),
        left_out: report.map_or(0, |r| r.left_out),
        token,
    }
}

async fn import_page(u: ConsoleUser, Q(o): Q<Outcome>) -> ApiResult<Response> {
    only_admin(&u)?;
    Ok(render(&import_view(
        chrome(&u, "/console/admin/import".into(), &o),
        None,
        String::new(),
    )))
}

fn lang_of(tr: &Tr) -> import::Lang {
    if tr.is_zh() {
        import::Lang::Zh
    } else {
        import::Lang::En
    }
}

/// `POST /console/admin/import`: the uploaded file's dry run. A clean file is kept (for an hour,
/// for this user) so that the import needs no second upload.
async fn dry_run(
    State(state): State<AppState>,
    u: ConsoleUser,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let limit = state.config.import_max_bytes + 64 * 1024;
    let bytes = crate::routes::read_body(body, limit, &state.config).await?;
    let mut req = axum::http::Request::builder();
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    let req = req.body(Body::from(bytes)).map_err(ApiError::internal)?;
    let mut parts = Multipart::from_request(req, &state)
        .await
        .map_err(|e| ApiError::bad("file", e.body_text()))?;
    let (mut csrf, mut kind, mut file) = (String::new(), String::new(), Vec::new());
    while let Some(field) = parts
        .next_field()
        .await
        .map_err(|e| ApiError::bad("file", e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let data = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad("file", e.body_text()))?;
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&data).into_owned(),
            "kind" => kind = String::from_utf8_lossy(&data).into_owned(),
            "file" => file = data.to_vec(),
            _ => {}
        }
    }
    if !csrf_ok(&u.csrf, &csrf) {
        return Err(ApiError::Forbidden(
            "the form is not this session's; reload the page".into(),
        ));
    }
    if file.len() > state.config.import_max_bytes {
        return Err(ApiError::TooLarge(format!(
            "an import file is at most {} bytes",
            state.config.import_max_bytes
        )));
    }
    let kind = import::Kind::parse(&kind).ok_or_else(|| ApiError::bad("kind", "sites or users"))?;
    let report = import::run(&state, &u.user, kind, &file, lang_of(&u.tr), true).await?;
    let token = if report.problems.is_empty() {
        store::imports::keep(
            &state.db.pool,
            &u.user.actor.scope.org_id,
            &u.user.actor.user_id,
            &kind_name(kind),
            &file,
        )
        .await?
    } else {
        String::new()
    };
    Ok(render(&import_view(
        chrome(&u, "/console/admin/import".into(), &Outcome::default()),
        Some(&report),
        token,
    )))
}

fn kind_name(k: import::Kind) -> String {
    match k {
        import::Kind::Sites => "sites".into(),
        import::Kind::Users => "users".into(),
    }
}

/// `POST /console/admin/import/confirm`: the import of the file a clean dry run kept.
async fn confirm_import(
    State(state): State<AppState>,
    u: ConsoleUser,
    body: Body,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let f = form(&state, &u, body).await?;
    let Some((kind, file)) = store::imports::take(
        &state.db.pool,
        &u.user.actor.scope.org_id,
        &u.user.actor.user_id,
        f.get("token"),
    )
    .await?
    else {
        return back(
            "/console/admin/import",
            Err(ApiError::bad("token", u.tr.s("admin.expired"))),
        );
    };
    let kind = import::Kind::parse(&kind).ok_or_else(|| ApiError::internal("stored kind"))?;
    let report = import::run(&state, &u.user, kind, &file, lang_of(&u.tr), false).await?;
    Ok(render(&import_view(
        chrome(&u, "/console/admin/import".into(), &Outcome::default()),
        Some(&report),
        String::new(),
    )))
}

// ---------------------------------------------------------------------------------------------
// The audit log

#[derive(Debug)]
pub struct AuditLine {
    pub at: String,
    pub who: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Debug, Template)]
#[template(path = "admin_audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub tab: &'static str,
    pub entries: Vec<AuditLine>,
    pub older: String,
}

#[derive(Debug, Default, Deserialize)]
struct AuditQuery {
    target: Option<String>,
    before: Option<i64>,
}

async fn audit_page(
    State(state): State<AppState>,
    u: ConsoleUser,
    Q(q): Q<AuditQuery>,
) -> ApiResult<Response> {
    only_admin(&u)?;
    let org = &u.user.actor.scope.org_id;
    const PAGE: i64 = 100;
    let target = q
        .target
        .as_deref()
        .filter(|t| !t.is_empty() && t.len() <= 200);
    let entries = audit::page(&state.db.pool, org, target, q.before, PAGE).await?;
    let names: HashMap<String, String> = accounts::list(&state.db.pool, org)
        .await?
        .into_iter()
        .map(|a| (a.user_id, a.display_name))
        .collect();
    let off = state.config.console_utc_offset_minutes;
    let older = match entries.last() {
        Some(e) if entries.len() as i64 == PAGE => format!(
            "/console/admin/audit?before={}{}",
            e.seq,
            target.map_or(String::new(), |t| format!("&target={}", enc(t)))
        ),
        _ => String::new(),
    };
    let entries = entries
        .into_iter()
        .map(|e| {
            let mut detail = e.detail.to_string();
            if let Some((cut, _)) = detail.char_indices().nth(300) {
                detail.truncate(cut);
                detail.push('…');
            }
            AuditLine {
                at: view::when(e.at, off),
                who: names.get(&e.actor_id).cloned().unwrap_or(e.actor_id),
                action: u.tr.of("audit_action", &e.action),
                target: e.target,
                detail,
            }
        })
        .collect();
    let path = format!(
        "/console/admin/audit{}",
        target.map_or(String::new(), |t| format!("?target={}", enc(t)))
    );
    Ok(render(&AuditPage {
        chrome: chrome(&u, path, &Outcome::default()),
        tab: "audit",
        entries,
        older,
    }))
}
