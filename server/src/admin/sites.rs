//! Sites on the server: created and edited by an administrator (profile, position, time zone),
//! given owners and responsible persons, moved between grids with their history (ADR 0007).
//! Documents are written by [`Writer`] inside the caller's transaction, so an import of
//! thousands of sites is one transaction, as is a move with its audit entry.

use super::refused;
use crate::db::{now_ms, random_hex};
use crate::error::{ApiError, ApiResult};
use crate::store::{self, placement};
use crate::sync::server_side::{Stored, Writer};
use automerge::AutoCommit;
use closeloop_checklists::{SiteProfile, builtin};
use closeloop_model::doc::site::{self, Site};
use closeloop_model::doc::{DocKind, Header, tasks};
use closeloop_model::placement::move_to_grid;
use closeloop_model::roles::SiteRef;
use sqlx::{Any, Row, Transaction};

/// The most characters of a site's address.
pub const MAX_ADDRESS_CHARS: usize = 500;
/// The most characters of a site's code (编号).
pub const MAX_CODE_CHARS: usize = 64;

/// What an administrator says about a site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteFields {
    pub name: String,
    pub address: String,
    pub location: Option<(f64, f64)>,
    pub utc_offset_minutes: i32,
    pub profile: SiteProfile,
}

impl SiteFields {
    /// The fields as a site document holds them.
    pub fn of(s: &Site) -> SiteFields {
        SiteFields {
            name: s.name.clone(),
            address: s.address.clone(),
            location: s.location,
            utc_offset_minutes: s.utc_offset(),
            profile: s.profile.clone(),
        }
    }

    /// The checks the model does not make of a site document (it bounds name and position).
    pub fn check(&self) -> ApiResult<()> {
        if self.address.chars().count() > MAX_ADDRESS_CHARS {
            return Err(ApiError::bad(
                "address",
                format!("at most {MAX_ADDRESS_CHARS} characters"),
            ));
        }
        if !site::valid_offset(i64::from(self.utc_offset_minutes)) {
            return Err(ApiError::bad(
                "utc_offset_minutes",
                "a time zone between -720 and 840 minutes east of UTC",
            ));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(ApiError::bad("name", "1–200 characters"));
        }
        self.profile
            .validate()
            .map_err(|e| ApiError::bad("profile", e.to_string()))?;
        Ok(())
    }
}

/// The task plan document of a site (one per site, its id derived from the site's).
pub fn task_plan_id(site_id: &str) -> String {
    format!("tasks-{site_id}")
}

fn field_of(rule: &str) -> &'static str {
    match rule {
        "site.name" => "name",
        "site.location" => "lat",
        "placement.unknown_grid" => "grid_id",
        _ => "site",
    }
}

fn write_refused(d: closeloop_model::permission::Denied) -> ApiError {
    refused(field_of(d.rule), d)
}

/// Creates a site in `grid_id` with its task plan, and its `code` when given. Returns its id.
pub async fn create(
    tx: &mut Transaction<'_, Any>,
    w: &Writer,
    grid_id: &str,
    code: Option<&str>,
    f: &SiteFields,
) -> ApiResult<String> {
    f.check()?;
    let site_id = format!("site-{}", random_hex(8));
    let place = SiteRef {
        org_id: w.user.actor.scope.org_id.clone(),
        grid_id: grid_id.to_owned(),
        site_id: site_id.clone(),
    };
    let mut doc = w.new_doc();
    site::create(
        &mut doc,
        &Site {
            header: Header {
                kind: DocKind::Site,
                id: site_id.clone(),
                site: place.clone(),
            },
            name: f.name.trim().to_owned(),
            address: f.address.trim().to_owned(),
            location: f.location,
            profile: f.profile.clone(),
            utc_offset_minutes: Some(f.utc_offset_minutes),
        },
    )
    .map_err(ApiError::internal)?;
    w.write(tx, None, &mut doc).await?.map_err(write_refused)?;
    let mut plan = w.new_doc();
    tasks::create(
        &mut plan,
        &Header {
            kind: DocKind::TaskPlan,
            id: task_plan_id(&site_id),
            site: place,
        },
        &builtin().task_plan(&f.profile),
        now_ms(),
    )
    .map_err(ApiError::internal)?;
    w.write(tx, None, &mut plan).await?.map_err(write_refused)?;
    if let Some(code) = code {
        set_code(tx, &w.user.actor.scope.org_id, code, &site_id).await?;
    }
    Ok(site_id)
}

/// Gives `site_id` the organisation's `code`.
pub async fn set_code(
    tx: &mut Transaction<'_, Any>,
    org_id: &str,
    code: &str,
    site_id: &str,
) -> ApiResult<()> {
    let added = sqlx::query(
        "INSERT INTO site_codes (org_id, code, site_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(code)
    .bind(site_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if added == 0 {
        return Err(ApiError::Conflict {
            code: "code_taken",
            message: format!("another site already has the code {code}"),
        });
    }
    Ok(())
}

/// The site's stored document and the site it holds, if the writer reaches it.
async fn stored_site(
    tx: &mut Transaction<'_, Any>,
    w: &Writer,
    site_id: &str,
) -> ApiResult<Option<(Stored, Site)>> {
    let row = sqlx::query(
        "SELECT bytes, version, org_id, grid_id FROM documents WHERE id = $1 AND kind = 'site'",
    )
    .bind(site_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let place = SiteRef {
        org_id: row.try_get("org_id")?,
        grid_id: row.try_get("grid_id")?,
        site_id: site_id.to_owned(),
    };
    // Out of reach reads as absent.
    if !w.user.actor.reaches(&place) {
        return Ok(None);
    }
    let stored = w.load(
        &row.try_get::<Vec<u8>, _>("bytes")?,
        row.try_get("version")?,
    )?;
    let s = site::read(&stored.doc).map_err(ApiError::internal)?;
    Ok(Some((stored, s)))
}

/// Changes a site's fields; a new profile regenerates its task plan (completions are kept).
/// Returns whether anything changed; `None`: no such site in reach.
pub async fn edit(
    tx: &mut Transaction<'_, Any>,
    w: &Writer,
    site_id: &str,
    f: &SiteFields,
) -> ApiResult<Option<bool>> {
    f.check()?;
    let Some((mut stored, old)) = stored_site(tx, w, site_id).await? else {
        return Ok(None);
    };
    if SiteFields::of(&old) == *f {
        return Ok(Some(false));
    }
    let mut doc = stored.doc.fork();
    apply_fields(&mut doc, &old, f)?;
    w.write(tx, Some(&stored), &mut doc)
        .await?
        .map_err(write_refused)?;
    if old.profile != f.profile {
        regenerate_plan(tx, w, &old.header.site, &f.profile).await?;
    }
    Ok(Some(true))
}

fn apply_fields(doc: &mut AutoCommit, old: &Site, f: &SiteFields) -> ApiResult<()> {
    use automerge::ROOT;
    use automerge::transaction::Transactable;
    use closeloop_model::doc::keys;
    let e = ApiError::internal;
    if old.name != f.name.trim() {
        doc.put(ROOT, keys::NAME, f.name.trim()).map_err(e)?;
    }
    if old.address != f.address.trim() {
        doc.put(ROOT, keys::ADDRESS, f.address.trim()).map_err(e)?;
    }
    if old.location != f.location {
        match f.location {
            Some((lat, lon)) => {
                doc.put(ROOT, keys::LAT, lat).map_err(e)?;
                doc.put(ROOT, keys::LON, lon).map_err(e)?;
            }
            None => {
                doc.delete(ROOT, keys::LAT).map_err(e)?;
                doc.delete(ROOT, keys::LON).map_err(e)?;
            }
        }
    }
    if old.utc_offset() != f.utc_offset_minutes {
        doc.put(ROOT, keys::UTC_OFFSET, i64::from(f.utc_offset_minutes))
            .map_err(e)?;
    }
    if old.profile != f.profile {
        site::set_profile(doc, &f.profile).map_err(ApiError::internal)?;
    }
    Ok(())
}

async fn regenerate_plan(
    tx: &mut Transaction<'_, Any>,
    w: &Writer,
    place: &SiteRef,
    profile: &SiteProfile,
) -> ApiResult<()> {
    let id = task_plan_id(&place.site_id);
    let plan = builtin().task_plan(profile);
    let row =
        sqlx::query("SELECT bytes, version FROM documents WHERE id = $1 AND kind = 'task_plan'")
            .bind(&id)
            .fetch_optional(&mut **tx)
            .await?;
    match row {
        Some(r) => {
            let mut stored = w.load(&r.try_get::<Vec<u8>, _>("bytes")?, r.try_get("version")?)?;
            let mut doc = stored.doc.fork();
            tasks::set_plan(&mut doc, &plan, now_ms()).map_err(ApiError::internal)?;
            w.write(tx, Some(&stored), &mut doc)
                .await?
                .map_err(write_refused)?;
        }
        None => {
            let mut doc = w.new_doc();
            tasks::create(
                &mut doc,
                &Header {
                    kind: DocKind::TaskPlan,
                    id,
                    site: place.clone(),
                },
                &plan,
                now_ms(),
            )
            .map_err(ApiError::internal)?;
            w.write(tx, None, &mut doc).await?.map_err(write_refused)?;
        }
    }
    Ok(())
}

/// What a move did: the grid before, and the site's hazards (whose live events must follow).
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: String,
    pub hazards: Vec<String>,
}

/// Moves a site and everything at it to `grid_id` (ADR 0007): each of its documents gets a
/// change by the writer naming the new grid (so devices that hold it merge the move like any
/// edit), and every record of the site, its feed history included, is re-gridded. `None`: no
/// such site in reach. Moving to the grid it is in changes nothing.
pub async fn move_site(
    tx: &mut Transaction<'_, Any>,
    w: &Writer,
    site_id: &str,
    grid_id: &str,
) -> ApiResult<Option<Moved>> {
    let org_id = w.user.actor.scope.org_id.clone();
    // The site's row first: concurrent pushes at the site wait for the move, or it for them.
    let Some(from) = placement::lock_site(tx, &org_id, site_id).await? else {
        return Ok(None);
    };
    let here = SiteRef {
        org_id: org_id.clone(),
        grid_id: from.clone(),
        site_id: site_id.to_owned(),
    };
    let there = SiteRef {
        grid_id: grid_id.to_owned(),
        ..here.clone()
    };
    if !w.user.actor.reaches(&here) {
        return Ok(None);
    }
    if !placement::grid_exists(tx, &org_id, grid_id).await? || !w.user.actor.reaches(&there) {
        return Err(ApiError::bad(
            "grid_id",
            format!(
                "your organisation has no grid `{grid_id}` you manage (placement.unknown_grid)"
            ),
        ));
    }
    let mut hazards = Vec::new();
    if from == grid_id {
        return Ok(Some(Moved { from, hazards }));
    }
    for d in placement::documents_of(tx, &org_id, site_id).await? {
        let mut stored = w.load(&d.bytes, d.version)?;
        let mut doc = stored.doc.fork();
        let heads = doc.get_heads();
        if !move_to_grid(&mut doc, grid_id).map_err(ApiError::internal)? {
            continue;
        }
        let batch = doc.save_after(&heads);
        let kind = DocKind::parse(&d.kind).ok_or_else(|| ApiError::internal("unknown kind"))?;
        let header = Header {
            kind,
            id: d.id.clone(),
            site: there.clone(),
        };
        w.store(tx, &header, Some(d.version), &mut doc, batch)
            .await?;
        if kind == DocKind::Hazard {
            hazards.push(d.id);
        }
    }
    placement::regrid(tx, &org_id, site_id, grid_id).await?;
    Ok(Some(Moved { from, hazards }))
}

/// The site's code, if it has one.
pub async fn code_of(
    pool: &sqlx::AnyPool,
    org_id: &str,
    site_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT code FROM site_codes WHERE org_id = $1 AND site_id = $2")
        .bind(org_id)
        .bind(site_id)
        .fetch_optional(pool)
        .await?
        .map(|r| r.try_get("code"))
        .transpose()
}

pub use store::directory::Responsible;

/// Gives a site its owners (owner accounts that work on it) and its responsible persons per
/// facility. Owners gain or lose the site in their scope (an owner's last site cannot be taken:
/// deactivate the account instead); each responsible person must be someone the site's hazards
/// may be assigned to, by the model's rule. Returns the users whose scope changed.
pub async fn set_people(
    tx: &mut Transaction<'_, Any>,
    admin: &crate::auth::AuthUser,
    site_id: &str,
    owner_ids: &[String],
    responsible: &[(closeloop_model::people::Facility, String)],
) -> ApiResult<Option<Vec<String>>> {
    use closeloop_model::people::check_assignee;
    use closeloop_model::roles::{Role, Scope};
    let org = admin.actor.scope.org_id.clone();
    let Some(grid) = placement::lock_site(tx, &org, site_id).await? else {
        return Ok(None);
    };
    let site = SiteRef {
        org_id: org.clone(),
        grid_id: grid,
        site_id: site_id.to_owned(),
    };
    if !admin.actor.reaches(&site) {
        return Ok(None);
    }
    let mut accounts = store::accounts::list_in(tx, &org).await?;
    let mut changed = Vec::new();
    for a in accounts.iter_mut() {
        let wanted = owner_ids.contains(&a.user_id);
        let has = a.site_ids.iter().any(|s| s == site_id);
        if wanted && (a.role != Role::Owner.as_str() || !a.active) {
            return Err(ApiError::bad(
                "owner_ids",
                format!("{} is not an active owner account", a.user_id),
            ));
        }
        if a.role != Role::Owner.as_str() || wanted == has {
            continue;
        }
        if wanted {
            a.site_ids.push(site_id.to_owned());
        } else {
            a.site_ids.retain(|s| s != site_id);
        }
        let scope = Scope {
            org_id: org.clone(),
            grids: a.grid_ids.clone(),
            sites: a.site_ids.clone(),
        };
        store::people::replace_scope(tx, &a.user_id, Role::Owner, &scope)
            .await
            .map_err(crate::routes::admin::people_error)?;
        changed.push(a.user_id.clone());
    }
    if let Some(unknown) = owner_ids
        .iter()
        .find(|id| !accounts.iter().any(|a| &a.user_id == *id))
    {
        return Err(ApiError::bad(
            "owner_ids",
            format!("your organisation has no user `{unknown}` (assignee.unknown)"),
        ));
    }
    for (_, user) in responsible {
        let known = accounts
            .iter()
            .find(|a| &a.user_id == user)
            .and_then(|a| a.member(&org));
        check_assignee(&site, user, known.as_ref()).map_err(|d| refused("responsible", d))?;
    }
    store::directory::set_responsible(tx, site_id, responsible).await?;
    store::audit::record(
        tx,
        &org,
        &admin.actor.user_id,
        "set_site_people",
        site_id,
        &serde_json::json!({
            "owner_ids": owner_ids,
            "responsible": responsible.iter().map(|(f, u)| serde_json::json!({"facility": f.as_str(), "user_id": u})).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(Some(changed))
}

/// The whole of an administrator's site creation: checked, written with its task plan and its
/// audit entry in one transaction. Returns the new site's id.
pub async fn create_site(
    state: &crate::AppState,
    admin: &crate::auth::AuthUser,
    grid_id: &str,
    code: Option<&str>,
    f: &SiteFields,
) -> ApiResult<String> {
    super::require_admin(admin)?;
    check_code(code)?;
    f.check()?;
    let w = Writer::bind(state, admin).await?;
    let mut tx = super::begin(state).await?;
    let id = create(&mut tx, &w, grid_id, code, f).await?;
    store::audit::record(
        &mut tx,
        &admin.actor.scope.org_id,
        &admin.actor.user_id,
        "create_site",
        &id,
        &serde_json::json!({"grid_id": grid_id, "code": code, "fields": fields_json(f)}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Checks a site's code (编号): 1–64 characters without spaces around.
pub fn check_code(code: Option<&str>) -> ApiResult<()> {
    if let Some(c) = code
        && (c.trim().is_empty() || c.trim() != c || c.chars().count() > MAX_CODE_CHARS)
    {
        return Err(ApiError::bad(
            "code",
            format!("1–{MAX_CODE_CHARS} characters, without spaces around"),
        ));
    }
    Ok(())
}

/// The fields as the audit log records them.
pub fn fields_json(f: &SiteFields) -> serde_json::Value {
    serde_json::json!({
        "name": f.name, "address": f.address,
        "lat": f.location.map(|l| l.0), "lon": f.location.map(|l| l.1),
        "utc_offset_minutes": f.utc_offset_minutes, "profile": f.profile,
    })
}

/// The whole of an administrator's edit of a site, with its audit entry (nothing is recorded
/// when nothing changed). `NotFound` for a site out of reach.
pub async fn edit_site(
    state: &crate::AppState,
    admin: &crate::auth::AuthUser,
    site_id: &str,
    f: &SiteFields,
) -> ApiResult<bool> {
    super::require_admin(admin)?;
    f.check()?;
    let w = Writer::bind(state, admin).await?;
    let mut tx = super::begin(state).await?;
    let before = stored_site(&mut tx, &w, site_id)
        .await?
        .map(|(_, s)| SiteFields::of(&s))
        .ok_or_else(|| ApiError::NotFound(format!("site {site_id}")))?;
    let changed = edit(&mut tx, &w, site_id, f)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("site {site_id}")))?;
    if changed {
        store::audit::record(
            &mut tx,
            &admin.actor.scope.org_id,
            &admin.actor.user_id,
            "edit_site",
            site_id,
            &serde_json::json!({"before": fields_json(&before), "after": fields_json(f)}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// The whole of a move between grids, with its audit entry and the live events of the site's
/// hazards under their new grid. `NotFound` for a site out of reach.
pub async fn move_site_op(
    state: &crate::AppState,
    admin: &crate::auth::AuthUser,
    site_id: &str,
    grid_id: &str,
) -> ApiResult<bool> {
    super::require_admin(admin)?;
    let w = Writer::bind(state, admin).await?;
    let mut tx = super::begin(state).await?;
    let moved = move_site(&mut tx, &w, site_id, grid_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("site {site_id}")))?;
    if moved.from == grid_id {
        tx.commit().await?;
        return Ok(false);
    }
    store::audit::record(
        &mut tx,
        &admin.actor.scope.org_id,
        &admin.actor.user_id,
        "move_site",
        site_id,
        &serde_json::json!({"from": moved.from, "to": grid_id, "hazards": moved.hazards.len()}),
    )
    .await?;
    crate::events::commit_many(state, tx, &moved.hazards, &[]).await?;
    Ok(true)
}

/// The whole of [`set_people`]: owners and responsible persons, audited, the owners whose scope
/// changed told at once. `NotFound` for a site out of reach.
pub async fn set_people_op(
    state: &crate::AppState,
    admin: &crate::auth::AuthUser,
    site_id: &str,
    owner_ids: &[String],
    responsible: &[(closeloop_model::people::Facility, String)],
) -> ApiResult<()> {
    super::require_admin(admin)?;
    if owner_ids.len() > 100 || responsible.len() > 100 {
        return Err(ApiError::bad("responsible", "at most 100 people"));
    }
    let mut tx = super::begin(state).await?;
    let changed = set_people(&mut tx, admin, site_id, owner_ids, responsible)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("site {site_id}")))?;
    crate::events::commit_many(state, tx, &[], &changed).await
}
