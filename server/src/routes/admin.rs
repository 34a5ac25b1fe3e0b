//! Managing an organisation: grids, users and who may see which grids and sites.

use super::json_body;
use crate::AppState;
use crate::auth::{AuthUser, password};
use crate::db::random_hex;
use crate::error::{ApiError, ApiResult};
use crate::store::people::{self, PeopleError};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use closeloop_model::roles::{Role, Scope, ScopeError};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

fn admin(user: &AuthUser) -> ApiResult<()> {
    if user.actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only an administrator manages users and grids".into(),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGrid {
    id: String,
    name: String,
}

/// `POST /v1/admin/grids`.
pub async fn create_grid(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let g: NewGrid = json_body(body, 16 * 1024, &state.config).await?;
    crate::admin::users::create_grid(&state, &user, &g.id, &g.name).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    username: String,
    password: String,
    display_name: String,
    role: String,
    #[serde(default)]
    grid_ids: Vec<String>,
    #[serde(default)]
    site_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Created {
    user_id: String,
}

/// The longest password accepted: argon2 reads all of it, so it is bounded like any input.
pub const MAX_PASSWORD_BYTES: usize = 1024;

pub fn scope_error(e: ScopeError) -> ApiError {
    ApiError::bad(e.field, format!("{} ({})", e.reason, e.rule))
}

pub fn people_error(e: PeopleError) -> ApiError {
    match e {
        PeopleError::UsernameTaken(_) => ApiError::Conflict {
            code: "username_taken",
            message: e.to_string(),
        },
        PeopleError::GridExists(_) => ApiError::Conflict {
            code: "grid_exists",
            message: e.to_string(),
        },
        PeopleError::Unknown { field, .. } => ApiError::bad(field, e.to_string()),
        PeopleError::NoUser(id) => ApiError::NotFound(format!("user {id}")),
        PeopleError::Scope(s) => scope_error(s),
        PeopleError::Db(d) => d.into(),
    }
}

/// Creates a user in `org_id` with their scope, all or nothing; used by the API and the demo.
pub async fn insert_user(pool: &AnyPool, org_id: &str, u: &NewUser) -> ApiResult<String> {
    let role = Role::parse(&u.role)
        .ok_or_else(|| ApiError::bad("role", "one of inspector, owner, supervisor, admin"))?;
    if u.username.trim().is_empty() || u.username.len() > 64 {
        return Err(ApiError::bad("username", "1–64 characters"));
    }
    if u.display_name.trim().is_empty() || u.display_name.chars().count() > 100 {
        return Err(ApiError::bad("display_name", "1–100 characters"));
    }
    if u.password.chars().count() < 8 || u.password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::bad(
            "password",
            format!("at least 8 characters and at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    let scope = Scope {
        org_id: org_id.to_owned(),
        grids: u.grid_ids.clone(),
        sites: u.site_ids.clone(),
    };
    scope.check(role).map_err(scope_error)?;
    let hash = {
        let p = u.password.clone();
        tokio::task::spawn_blocking(move || password::hash(&p))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?
    };
    let id = format!("u-{}", random_hex(8));
    people::create_user(
        pool,
        &people::NewUserRecord {
            id: &id,
            username: &u.username,
            display_name: u.display_name.trim(),
            role,
            password_hash: &hash,
            scope: &scope,
        },
    )
    .await
    .map_err(people_error)?;
    Ok(id)
}

/// `POST /v1/admin/users`.
pub async fn create_user(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body,
) -> ApiResult<(StatusCode, Json<Created>)> {
    admin(&user)?;
    let u: NewUser = json_body(body, 16 * 1024, &state.config).await?;
    let role = Role::parse(&u.role)
        .ok_or_else(|| ApiError::bad("role", "one of inspector, owner, supervisor, admin"))?;
    let user_id = crate::admin::users::create(
        &state,
        &user,
        &crate::admin::users::NewAccount {
            username: u.username,
            password: u.password,
            display_name: u.display_name,
            role,
            grid_ids: u.grid_ids,
            site_ids: u.site_ids,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { user_id })))
}

/// Both lists are required, so that an empty body can never clear (or, for a supervisor, widen)
/// a scope by accident.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeRequest {
    grid_ids: Vec<String>,
    site_ids: Vec<String>,
}

/// `PUT /v1/admin/users/{user_id}/scope`: which grids and sites a user works in. Checked against
/// the user's role and the organisation's grids and sites in the transaction that writes it;
/// takes effect on their next request, and at once on their open event streams.
pub async fn set_scope(
    State(state): State<AppState>,
    user: AuthUser,
    Path(user_id): Path<String>,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let req: ScopeRequest = json_body(body, 64 * 1024, &state.config).await?;
    let tx = people::set_scope(
        &state.db.pool,
        &user.actor.scope.org_id,
        &user_id,
        req.grid_ids.clone(),
        req.site_ids.clone(),
    )
    .await
    .map_err(people_error)?;
    let mut tx = tx;
    audit::record(
        &mut tx,
        &user.actor.scope.org_id,
        &user.actor.user_id,
        "set_scope",
        &user_id,
        &serde_json::json!({"grid_ids": req.grid_ids, "site_ids": req.site_ids}),
    )
    .await?;
    crate::events::commit_rescope(&state, tx, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never reaches a log.
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl NewUser {
    /// A user for the demo.
    pub fn demo(
        username: &str,
        display_name: &str,
        role: &str,
        grid_ids: &[&str],
        site_ids: &[String],
    ) -> NewUser {
        NewUser {
            username: username.into(),
            password: format!("{username}-demo-pass"),
            display_name: display_name.into(),
            role: role.into(),
            grid_ids: grid_ids.iter().map(|g| g.to_string()).collect(),
            site_ids: site_ids.to_vec(),
        }
    }
}

// Administration (ADR 0007): every route refuses non-administrators before it reads anything,
// and every change is written with its audit entry by `crate::admin`.

use super::{IdPath, Query};
use crate::admin::sites::SiteFields;
use crate::store::{accounts, audit};
use closeloop_checklists::SiteProfile;
use closeloop_model::people::Facility;

/// `GET /v1/admin/users`.
#[derive(Debug, Serialize)]
pub struct Users {
    pub users: Vec<accounts::Account>,
}

/// `GET /v1/admin/users`: every account of the organisation, deactivated ones included.
pub async fn list_users(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Users>> {
    admin(&user)?;
    let users = accounts::list(&state.db.pool, &user.actor.scope.org_id).await?;
    Ok(Json(Users { users }))
}

/// What an edit of an account changes; what is left out stays.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditUser {
    #[serde(default, deserialize_with = "present")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    role: Option<String>,
    #[serde(default, deserialize_with = "present")]
    grid_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    site_ids: Option<Vec<String>>,
}

/// A field that may be left out but, when given, is a value: `null` is refused rather than read
/// as "unchanged", as the OpenAPI document describes it.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `PATCH /v1/admin/users/{user_id}`.
pub async fn edit_user(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(user_id): IdPath,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let e: EditUser = json_body(body, 64 * 1024, &state.config).await?;
    let role =
        match e.role.as_deref() {
            Some(r) => Some(Role::parse(r).ok_or_else(|| {
                ApiError::bad("role", "one of inspector, owner, supervisor, admin")
            })?),
            None => None,
        };
    crate::admin::users::edit(
        &state,
        &user,
        &user_id,
        &crate::admin::users::UserEdit {
            display_name: e.display_name,
            role,
            grid_ids: e.grid_ids,
            site_ids: e.site_ids,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/admin/users/{user_id}/deactivate`: ends every login of the account at once; its
/// history stays, and nobody can be assigned work under it any more.
pub async fn deactivate_user(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(user_id): IdPath,
) -> ApiResult<StatusCode> {
    crate::admin::users::set_active(&state, &user, &user_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/admin/users/{user_id}/reactivate`.
pub async fn reactivate_user(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(user_id): IdPath,
) -> ApiResult<StatusCode> {
    crate::admin::users::set_active(&state, &user, &user_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    password: String,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never reaches a log.
        f.write_str("NewPassword")
    }
}

/// `PUT /v1/admin/users/{user_id}/password`: a new password; the account's logins end.
pub async fn reset_password(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(user_id): IdPath,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let p: NewPassword = json_body(body, 4 * 1024, &state.config).await?;
    crate::admin::users::reset_password(&state, &user, &user_id, &p.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A grid.
#[derive(Debug, Serialize)]
pub struct Grid {
    pub id: String,
    pub name: String,
}

/// `GET /v1/admin/grids`.
#[derive(Debug, Serialize)]
pub struct Grids {
    pub grids: Vec<Grid>,
}

/// `GET /v1/admin/grids`.
pub async fn list_grids(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Grids>> {
    admin(&user)?;
    let grids = people::grids(&state.db.pool, &user.actor.scope.org_id)
        .await?
        .into_iter()
        .map(|(id, name)| Grid { id, name })
        .collect();
    Ok(Json(Grids { grids }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridName {
    name: String,
}

/// `PATCH /v1/admin/grids/{id}`: a new name; the id, which documents name, stays.
pub async fn rename_grid(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let g: GridName = json_body(body, 16 * 1024, &state.config).await?;
    crate::admin::users::rename_grid(&state, &user, &id, &g.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A site as an administrator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    name: String,
    #[serde(default)]
    address: String,
    lat: Option<f64>,
    lon: Option<f64>,
    utc_offset_minutes: Option<i32>,
    profile: SiteProfile,
}

impl SiteBody {
    fn fields(self, default_offset: i32) -> ApiResult<SiteFields> {
        let location = match (self.lat, self.lon) {
            (Some(lat), Some(lon)) => Some((lat, lon)),
            (None, None) => None,
            _ => return Err(ApiError::bad("lat", "give both lat and lon, or neither")),
        };
        Ok(SiteFields {
            name: self.name,
            address: self.address,
            location,
            utc_offset_minutes: self.utc_offset_minutes.unwrap_or(default_offset),
            profile: self.profile,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    grid_id: String,
    code: Option<String>,
    name: String,
    #[serde(default)]
    address: String,
    lat: Option<f64>,
    lon: Option<f64>,
    utc_offset_minutes: Option<i32>,
    profile: SiteProfile,
}

#[derive(Debug, Serialize)]
pub struct CreatedSite {
    site_id: String,
}

/// `POST /v1/admin/sites`: a site created on the server, with its task plan.
pub async fn create_site(
    State(state): State<AppState>,
    user: AuthUser,
    body: Body,
) -> ApiResult<(StatusCode, Json<CreatedSite>)> {
    admin(&user)?;
    let n: NewSite = json_body(body, 64 * 1024, &state.config).await?;
    let site = SiteBody {
        name: n.name,
        address: n.address,
        lat: n.lat,
        lon: n.lon,
        utc_offset_minutes: n.utc_offset_minutes,
        profile: n.profile,
    };
    let f = site.fields(state.config.console_utc_offset_minutes)?;
    let site_id =
        crate::admin::sites::create_site(&state, &user, &n.grid_id, n.code.as_deref(), &f).await?;
    Ok((StatusCode::CREATED, Json(CreatedSite { site_id })))
}

/// `PUT /v1/admin/sites/{id}`: the site's fields as given (all of them); a new profile
/// regenerates its task plan.
pub async fn edit_site(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let site: SiteBody = json_body(body, 64 * 1024, &state.config).await?;
    let f = site.fields(state.config.console_utc_offset_minutes)?;
    crate::admin::sites::edit_site(&state, &user, &id, &f).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    grid_id: String,
}

/// `POST /v1/admin/sites/{id}/move`: the site and all its records to another grid, its
/// history kept (ADR 0007).
pub async fn move_site(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let m: MoveBody = json_body(body, 4 * 1024, &state.config).await?;
    crate::admin::sites::move_site_op(&state, &user, &id, &m.grid_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponsibleBody {
    facility: String,
    user_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitePeople {
    owner_ids: Vec<String>,
    responsible: Vec<ResponsibleBody>,
}

/// `PUT /v1/admin/sites/{id}/people`: the site's owners and its responsible persons per
/// facility, each checked by the assignment rule.
pub async fn set_site_people(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
    body: Body,
) -> ApiResult<StatusCode> {
    admin(&user)?;
    let p: SitePeople = json_body(body, 64 * 1024, &state.config).await?;
    let mut responsible = Vec::new();
    for r in p.responsible {
        let f = Facility::parse(&r.facility).ok_or_else(|| {
            ApiError::bad(
                "facility",
                format!("one of {}", Facility::ALL.map(|f| f.as_str()).join(", ")),
            )
        })?;
        responsible.push((f, r.user_id));
    }
    crate::admin::sites::set_people_op(&state, &user, &id, &p.owner_ids, &responsible).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    target: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

/// `GET /v1/admin/audit`.
#[derive(Debug, Serialize)]
pub struct AuditPage {
    pub entries: Vec<audit::Entry>,
}

/// `GET /v1/admin/audit`: the organisation's administrative changes, newest first.
pub async fn audit_log(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    admin(&user)?;
    if q.target.as_ref().is_some_and(|t| t.len() > 200) {
        return Err(ApiError::bad("target", "at most 200 bytes"));
    }
    if q.limit.is_some_and(|l| !(1..=500).contains(&l)) {
        return Err(ApiError::bad("limit", "from 1 to 500"));
    }
    let entries = audit::page(
        &state.db.pool,
        &user.actor.scope.org_id,
        q.target.as_deref(),
        q.before,
        q.limit.unwrap_or(100),
    )
    .await?;
    Ok(Json(AuditPage { entries }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    dry_run: Option<bool>,
    lang: Option<String>,
}

/// `POST /v1/admin/imports/{kind}`: a CSV or XLSX file of sites or users. A dry run (and any
/// file with problems, answered `422`) writes nothing; an import writes every row or none.
pub async fn import(
    State(state): State<AppState>,
    user: AuthUser,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Body,
) -> ApiResult<(StatusCode, Json<crate::admin::import::Report>)> {
    use crate::admin::import::{self, Kind, Lang};
    admin(&user)?;
    let kind = Kind::parse(&kind).ok_or_else(|| ApiError::NotFound("import kind".into()))?;
    let lang = Lang::parse(q.lang.as_deref());
    let bytes = super::read_body(body, state.config.import_max_bytes, &state.config).await?;
    let report = import::run(
        &state,
        &user,
        kind,
        &bytes,
        lang,
        q.dry_run.unwrap_or(false),
    )
    .await?;
    let status = if report.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(report)))
}
