//! `closeloop-server demo`: an organisation with grids, sites of several types (real synced
//! documents) and one user of each role, so a person can log in and try the whole loop.

use crate::AppState;
use crate::auth::AuthUser;
use crate::db::{now_ms, random_hex};
use crate::routes::admin::{NewUser, insert_user};
use crate::sync::apply::{self, Outcome};
use automerge::{ActorId, AutoCommit};
use closeloop_checklists::{SiteProfile, builtin};
use closeloop_model::doc::site::{self, Site};
use closeloop_model::doc::{DocKind, Header, tasks};
use closeloop_model::roles::SiteRef;
use std::collections::HashSet;

const ORG: &str = "demo-org";

/// Usernames and the organisation of a second demo organisation, for trying (and testing) that
/// organisations never see each other.
pub const OTHER_ORG: &str = "other-org";

/// What the demo created, for printing.
#[derive(Debug)]
pub struct Demo {
    pub users: Vec<(String, String, String)>,
    pub sites: Vec<(String, String)>,
}

const SITES: [(&str, &str, &str, (f64, f64)); 4] = [
    (
        "grid-1",
        "川菜馆 (LPG)",
        "restaurant-lpg",
        (31.2304, 121.4737),
    ),
    ("grid-1", "便利店", "small-shop", (31.2310, 121.4750)),
    (
        "grid-1",
        "家庭旅馆（三合一）",
        "mixed-use-guesthouse",
        (31.2290, 121.4760),
    ),
    ("grid-2", "物流仓库", "warehouse", (31.2500, 121.5000)),
];

fn profile(name: &str) -> SiteProfile {
    let text = match name {
        "restaurant-lpg" => include_str!("../../checklists/profiles/restaurant-lpg.toml"),
        "small-shop" => include_str!("../../checklists/profiles/small-shop.toml"),
        "mixed-use-guesthouse" => {
            include_str!("../../checklists/profiles/mixed-use-guesthouse.toml")
        }
        _ => include_str!("../../checklists/profiles/warehouse.toml"),
    };
    SiteProfile::from_toml(text).expect("shipped example profiles are valid")
}

/// Creates the demo organisation. Refuses to run twice.
pub async fn create(state: &AppState) -> Result<Demo, String> {
    create_org(state, ORG, "示范街道 Demo sub-district", "").await
}

/// Creates a demo organisation `org` whose usernames start with `prefix` (`"b-"` gives `b-li`,
/// `b-wang`…; passwords are `<username>-demo-pass`). Its grids have the same ids as the first
/// demo organisation's, as two districts' grids would.
pub async fn create_org(
    state: &AppState,
    org: &str,
    name: &str,
    prefix: &str,
) -> Result<Demo, String> {
    let pool = &state.db.pool;
    let exists = sqlx::query("SELECT 1 AS one FROM orgs WHERE id = $1")
        .bind(org)
        .fetch_optional(pool)
        .await
        .map_err(|e| e.to_string())?;
    if exists.is_some() {
        return Err("the demo organisation already exists in this data folder".into());
    }
    sqlx::query("INSERT INTO orgs (id, name) VALUES ($1, $2)")
        .bind(org)
        .bind(name)
        .execute(pool)
        .await
        .map_err(|e| e.to_string())?;
    for (g, n) in [("grid-1", "第一网格"), ("grid-2", "第二网格")] {
        sqlx::query("INSERT INTO grids (id, org_id, name) VALUES ($1, $2, $3)")
            .bind(g)
            .bind(org)
            .bind(n)
            .execute(pool)
            .await
            .map_err(|e| e.to_string())?;
    }
    let e = |e: crate::error::ApiError| e.to_string();
    let user = |n: &str| format!("{prefix}{n}");
    let admin_id = insert_user(
        pool,
        org,
        &NewUser::demo(&user("admin"), "管理员", "admin", &[], &[]),
    )
    .await
    .map_err(e)?;

    // The admin writes the site documents from a server-side device, through the same checked path
    // as any push.
    let actor = ActorId::random();
    let actor_hex = actor.to_hex_string();
    sqlx::query("INSERT INTO device_actors (actor_id, user_id, device_id, registered_at) VALUES ($1, $2, $3, $4)")
        .bind(&actor_hex)
        .bind(&admin_id)
        .bind(format!("server-demo{prefix}"))
        .bind(now_ms())
        .execute(pool)
        .await
        .map_err(|e| e.to_string())?;
    let (admin, _) = crate::auth::load_actor(pool, &admin_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("admin missing")?;
    let as_admin = AuthUser {
        actor: admin,
        device_id: format!("server-demo{prefix}"),
        display_name: "管理员".into(),
    };
    let bound: HashSet<String> = [actor_hex].into();
    let mut sites = Vec::new();
    for (grid, name, prof, loc) in SITES {
        let site_id = format!("site-{}", random_hex(6));
        let site_ref = SiteRef {
            org_id: org.into(),
            grid_id: grid.into(),
            site_id: site_id.clone(),
        };
        let p = profile(prof);
        let mut doc = AutoCommit::new().with_actor(actor.clone());
        let header = Header {
            kind: DocKind::Site,
            id: site_id.clone(),
            site: site_ref.clone(),
        };
        site::create(
            &mut doc,
            &Site {
                header,
                name: name.into(),
                address: "示范路 1 号".into(),
                location: Some(loc),
                profile: p.clone(),
                utc_offset_minutes: Some(480),
            },
        )
        .map_err(|e| e.to_string())?;
        push(state, &as_admin, &bound, &site_id, &mut doc).await?;
        let plan_id = format!("tasks-{site_id}");
        let mut plan = AutoCommit::new().with_actor(actor.clone());
        tasks::create(
            &mut plan,
            &Header {
                kind: DocKind::TaskPlan,
                id: plan_id.clone(),
                site: site_ref,
            },
            &builtin().task_plan(&p),
            now_ms(),
        )
        .map_err(|e| e.to_string())?;
        push(state, &as_admin, &bound, &plan_id, &mut plan).await?;
        sites.push((site_id, name.to_owned()));
    }
    let shop = vec![sites[0].0.clone()];
    let mut users = vec![(
        user("admin"),
        format!("{}-demo-pass", user("admin")),
        "admin".to_owned(),
    )];
    for u in [
        NewUser::demo(&user("li"), "李主管", "supervisor", &[], &[]),
        NewUser::demo(&user("wang"), "王网格员", "inspector", &["grid-1"], &[]),
        NewUser::demo(&user("zhao"), "赵网格员", "inspector", &["grid-2"], &[]),
        NewUser::demo(&user("zhang"), "张老板", "owner", &[], &shop),
    ] {
        insert_user(pool, org, &u).await.map_err(e)?;
    }
    for (name, role) in [
        ("li", "supervisor"),
        ("wang", "inspector"),
        ("zhao", "inspector"),
        ("zhang", "owner"),
    ] {
        users.push((
            user(name),
            format!("{}-demo-pass", user(name)),
            role.to_owned(),
        ));
    }
    Ok(Demo { users, sites })
}

async fn push(
    state: &AppState,
    user: &AuthUser,
    bound: &HashSet<String>,
    id: &str,
    doc: &mut AutoCommit,
) -> Result<(), String> {
    match apply::apply(state, user, bound, id, &doc.save(), &Ok(()))
        .await
        .map_err(|e| e.to_string())?
    {
        Outcome::Accepted { .. } => Ok(()),
        Outcome::Refused { rule, reason, .. } => {
            Err(format!("demo document {id} refused: {rule}: {reason}"))
        }
    }
}
