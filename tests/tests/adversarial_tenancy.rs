//! The tenancy matrix, tried as an attacker with an ordinary account would: every role of two
//! organisations against every readable route, the feed, the event stream and the sync push, on
//! documents of their own site, another site, another grid and another organisation. Nothing
//! outside a user's reach is readable or writable, and the answer is byte for byte the answer for
//! something that does not exist.

use automerge::{ActorId, AutoCommit, ROOT, transaction::Transactable};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use closeloop::api::{Answer, HazardAction, InspectionPurpose};
use closeloop_e2e::Phone;
use closeloop_e2e::adversary::{
    Account, ORG_A, ORG_B, Res, Target, call, get, login, login_on, post,
};
use closeloop_model::doc::{DocKind, Header, hazard, site};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity};
use closeloop_model::roles::{Role, SiteRef};
use closeloop_testkit::{EventStream, Next};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_closeloop-replica"))
}

const RESTAURANT: &str = "川菜馆";
const SHOP: &str = "便利店";
const GUESTHOUSE: &str = "家庭旅馆";
const WAREHOUSE: &str = "物流仓库";
const USERS: [&str; 10] = [
    "admin", "li", "wang", "zhao", "zhang", "b-admin", "b-li", "b-wang", "b-zhao", "b-zhang",
];

/// Who reaches which demo site, written out from the demo's records (not from the server's code):
/// supervisors and admins their whole organisation, `wang` grid-1, `zhao` grid-2 (the
/// warehouse), `zhang` his restaurant.
fn reaches(user: &str, org: &str, site_name: &str) -> bool {
    let (own, name) = match user.strip_prefix("b-") {
        Some(n) => (ORG_B, n),
        None => (ORG_A, user),
    };
    own == org
        && match name {
            "admin" | "li" => true,
            "wang" => site_name != WAREHOUSE,
            "zhao" => site_name == WAREHOUSE,
            "zhang" => site_name == RESTAURANT,
            _ => false,
        }
}

/// A document the suite made, with where it lies.
#[derive(Debug, Clone)]
struct Doc {
    id: String,
    kind: &'static str,
    org: &'static str,
    site_name: &'static str,
    site_id: String,
}

struct World {
    t: Target,
    docs: Vec<Doc>,
    /// Photo sha256 → (org, site name).
    photos: BTreeMap<String, (&'static str, &'static str)>,
}

/// An inspection with a failed item, a hazard raised from it with a "before" photo, all synced.
fn inspect(phone: &Phone, site_id: &str, seed: u8) -> (String, String) {
    let insp = phone
        .run(
            phone
                .ws
                .start_inspection(site_id.to_owned(), InspectionPurpose::Patrol),
        )
        .expect("start");
    let item = "fire-law.exits-clear".to_owned();
    phone
        .run(
            phone
                .ws
                .answer_item(insp.clone(), item.clone(), Answer::Fail, String::new()),
        )
        .expect("answer");
    let photo = phone.take_photo(&format!("before-{seed}"), seed);
    let hz = phone
        .run(
            phone
                .ws
                .raise_hazard(insp.clone(), item, String::new(), vec![photo]),
        )
        .expect("hazard")
        .summary
        .id;
    let r = phone.sync();
    assert!(
        r.refused.is_empty() && r.upload_failures.is_empty(),
        "{r:?}"
    );
    (insp, hz)
}

/// Logins from the suite's one address would otherwise meet the login throttle, which
/// `adversarial_bounds` tries on its own.
const MANY_LOGINS: (&str, &str) = ("login-burst-per-address", "1000");

fn world() -> World {
    let t = Target::start(bin(), &[MANY_LOGINS]);
    let mut docs = Vec::new();
    for org in [ORG_A, ORG_B] {
        for name in [RESTAURANT, SHOP, GUESTHOUSE, WAREHOUSE] {
            let id = t.site(org, name);
            docs.push(Doc {
                id: id.clone(),
                kind: "site",
                org,
                site_name: name,
                site_id: id.clone(),
            });
            docs.push(Doc {
                id: format!("tasks-{id}"),
                kind: "task_plan",
                org,
                site_name: name,
                site_id: id,
            });
        }
    }
    let mut seed = 10;
    for (org, inspector, sites) in [
        (ORG_A, "wang", vec![RESTAURANT, SHOP]),
        (ORG_A, "zhao", vec![WAREHOUSE]),
        (ORG_B, "b-wang", vec![RESTAURANT]),
    ] {
        let phone = Phone::login(&t.url, inspector);
        phone.sync();
        for name in sites {
            let site_id = t.site(org, name);
            let (insp, hz) = inspect(&phone, &site_id, seed);
            seed += 1;
            for (id, kind) in [(insp, "inspection"), (hz, "hazard")] {
                docs.push(Doc {
                    id,
                    kind,
                    org,
                    site_name: name,
                    site_id: site_id.clone(),
                });
            }
        }
    }
    // The restaurant's hazard goes to its owner, who submits an after-photo: it waits for review.
    let wang = Phone::login(&t.url, "wang");
    wang.sync();
    let zhang = Phone::login(&t.url, "zhang");
    let restaurant_hazard = docs
        .iter()
        .find(|d| d.kind == "hazard" && d.org == ORG_A && d.site_name == RESTAURANT)
        .expect("restaurant hazard")
        .id
        .clone();
    wang.run(wang.ws.act_on_hazard(
        restaurant_hazard.clone(),
        HazardAction::Assign {
            assignee: zhang.user.user_id.clone(),
            deadline: 1_900_000_000_000,
            measure: String::new(),
        },
        String::new(),
        vec![],
    ))
    .expect("assign");
    wang.sync();
    zhang.sync();
    zhang
        .run(zhang.ws.act_on_hazard(
            restaurant_hazard,
            HazardAction::SubmitRectification,
            "已清理".into(),
            vec![zhang.take_photo("after", 99)],
        ))
        .expect("rectify");
    let r = zhang.sync();
    assert!(
        r.refused.is_empty() && r.upload_failures.is_empty(),
        "{r:?}"
    );
    let mut photos = BTreeMap::new();
    let li = login(&t, "li");
    let b_li = login(&t, "b-li");
    for d in docs.iter().filter(|d| d.kind == "hazard") {
        let who = if d.org == ORG_A { &li } else { &b_li };
        let r = get(&t, &who.token, &format!("/v1/hazards/{}", d.id));
        assert_eq!(r.status, 200, "{}", r.body);
        for p in r.body["photos"].as_array().expect("photos") {
            photos.insert(p.as_str().expect("sha").to_owned(), (d.org, d.site_name));
        }
    }
    assert_eq!(
        photos.len(),
        5,
        "a before-photo per hazard and one after-photo"
    );
    World { t, docs, photos }
}

/// Whether `a` is exactly the answer `b` was, but for the id each names.
fn same_answer(a: &Res, a_id: &str, b: &Res, b_id: &str) -> bool {
    let b_raw = String::from_utf8_lossy(&b.raw).replace(b_id, a_id);
    a.status == b.status
        && a.content_type == b.content_type
        && String::from_utf8_lossy(&a.raw) == b_raw
}

fn missing_id(kind: &str) -> String {
    format!("{kind}-0000000000000000deadbeef")
}

#[test]
fn nothing_outside_reach_is_readable_and_it_looks_like_nothing() {
    let w = world();
    let t = &w.t;
    let accounts: Vec<Account> = USERS.iter().map(|u| login(t, u)).collect();
    for a in &accounts {
        let user = a.username.as_str();
        // One document at a time: readable where reached, else the very answer for a missing one.
        for d in &w.docs {
            let visible = reaches(user, d.org, d.site_name);
            let paths: Vec<String> = match d.kind {
                "hazard" => vec![
                    format!("/v1/hazards/{}", d.id),
                    format!("/v1/hazards/{}/timeline", d.id),
                ],
                "inspection" => vec![format!("/v1/inspections/{}", d.id)],
                "site" => vec![format!("/v1/sites/{}", d.id)],
                _ => vec![],
            };
            for path in paths {
                let r = get(t, &a.token, &path);
                if visible {
                    assert_eq!(r.status, 200, "{user} {path}: {}", r.body);
                } else {
                    let ghost = missing_id(d.kind);
                    let m = get(t, &a.token, &path.replace(&d.id, &ghost));
                    assert_eq!(r.status, 404, "{user} must not read {path}");
                    assert!(
                        same_answer(&r, &d.id, &m, &ghost),
                        "{user} {path}: {} vs {}",
                        String::from_utf8_lossy(&r.raw),
                        String::from_utf8_lossy(&m.raw)
                    );
                }
            }
        }
        for (sha, (org, name)) in &w.photos {
            let visible = reaches(user, org, name);
            for method in ["GET", "HEAD"] {
                let url = format!("{}/v1/blobs/{sha}", t.url);
                let r = call(method, &url, Some(&a.token), None, &[]);
                if visible {
                    assert_eq!(r.status, 200, "{user} {method} photo of {name}");
                } else {
                    let ghost = "f".repeat(64);
                    let m = call(method, &url.replace(sha, &ghost), Some(&a.token), None, &[]);
                    assert_eq!(
                        r.status, 404,
                        "{user} must not {method} a photo of {org} {name}"
                    );
                    assert!(same_answer(&r, sha, &m, &ghost), "{user} {method}");
                }
            }
        }
        // Lists, statistics and the map hold only what is reached.
        let want: BTreeSet<String> = w
            .docs
            .iter()
            .filter(|d| d.kind == "hazard" && reaches(user, d.org, d.site_name))
            .map(|d| d.id.clone())
            .collect();
        let listed: BTreeSet<String> = get(t, &a.token, "/v1/hazards?limit=500").body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|h| h["id"].as_str().expect("id").to_owned())
            .collect();
        assert_eq!(listed, want, "{user} /v1/hazards");
        let queued: BTreeSet<String> = get(t, &a.token, "/v1/review-queue")
            .body
            .as_array()
            .expect("queue")
            .iter()
            .map(|h| h["id"].as_str().expect("id").to_owned())
            .collect();
        let awaiting: BTreeSet<String> = w
            .docs
            .iter()
            .filter(|d| d.kind == "hazard" && d.org == ORG_A && d.site_name == RESTAURANT)
            .filter(|d| reaches(user, d.org, d.site_name))
            .map(|d| d.id.clone())
            .collect();
        assert_eq!(queued, awaiting, "{user} /v1/review-queue");
        let found = get(t, &a.token, "/v1/stats?from=0").body["hazards_found"].as_u64();
        assert_eq!(found, Some(want.len() as u64), "{user} /v1/stats");
        let near: Vec<Value> = get(t, &a.token, "/v1/sites/nearby?lat=31.2304&lon=121.4737")
            .body
            .as_array()
            .cloned()
            .unwrap_or_default();
        for s in near {
            let id = s["id"].as_str().expect("id");
            let d = w.docs.iter().find(|d| d.id == id).expect("a demo site");
            assert!(reaches(user, d.org, d.site_name), "{user} sees {id} nearby");
        }
        // The feed from the start, on a new device: only documents of reached sites.
        let fresh = login_on(t, user, &format!("{user}-second-phone"));
        let mut cursor = Value::Null;
        let mut fed = BTreeSet::new();
        loop {
            let r = post(
                t,
                Some(&fresh.token),
                "/v1/sync",
                &json!({"cursor": cursor, "push": []}),
            );
            assert_eq!(r.status, 200, "{}", r.body);
            for e in r.body["feed"].as_array().expect("feed") {
                fed.insert(e["doc_id"].as_str().expect("id").to_owned());
            }
            cursor = r.body["cursor"].clone();
            if r.body["more"] != json!(true) {
                break;
            }
        }
        let want: BTreeSet<String> = w
            .docs
            .iter()
            .filter(|d| reaches(user, d.org, d.site_name))
            .map(|d| d.id.clone())
            .collect();
        assert_eq!(fed, want, "{user}'s feed");
        // The live stream, replayed from the start: only reached hazards.
        let stream = EventStream::open(
            &format!("{}/v1/hazard-events?after=0", t.url),
            &a.token,
            None,
        )
        .expect("stream opens");
        let mut streamed = BTreeSet::new();
        loop {
            match stream.next(Duration::from_millis(700)) {
                Next::Event(e) if e.event == "hazard" => {
                    let v: Value = serde_json::from_str(&e.data).expect("json");
                    streamed.insert(v["id"].as_str().expect("id").to_owned());
                }
                Next::Event(_) => {}
                Next::TimedOut | Next::Ended => break,
            }
        }
        let want_hazards: BTreeSet<String> = w
            .docs
            .iter()
            .filter(|d| d.kind == "hazard" && reaches(user, d.org, d.site_name))
            .map(|d| d.id.clone())
            .collect();
        assert_eq!(streamed, want_hazards, "{user}'s event stream");
    }
}

/// An automerge actor bound to `a`'s device.
fn bound_actor(t: &Target, a: &Account) -> ActorId {
    let actor = ActorId::random();
    let r = post(
        t,
        Some(&a.token),
        "/v1/devices/actors",
        &json!({"actor_ids": [actor.to_hex_string()]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    actor
}

fn push(t: &Target, a: &Account, doc_id: &str, bytes: &[u8]) -> Value {
    let r = post(
        t,
        Some(&a.token),
        "/v1/sync",
        &json!({"push": [{"doc_id": doc_id, "changes": B64.encode(bytes)}], "feed_limit": 1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["results"][0].clone()
}

fn role_of(user: &str) -> Role {
    match user.trim_start_matches("b-") {
        "admin" => Role::Admin,
        "li" => Role::Supervisor,
        "zhang" => Role::Owner,
        _ => Role::Inspector,
    }
}

/// A hazard document as `a` would write it, placed where `place` says.
fn hazard_bytes(actor: &ActorId, a: &Account, id: &str, place: SiteRef) -> Vec<u8> {
    let mut d = AutoCommit::new().with_actor(actor.clone());
    let header = Header {
        kind: DocKind::Hazard,
        id: id.into(),
        site: place,
    };
    let report = EventKind::Reported(Report {
        title: "planted".into(),
        severity: Severity::Major,
        clauses: vec![],
        item_id: None,
        gb35181: None,
        measure: String::new(),
        deadline: None,
    });
    let e = Event {
        id: format!("{id}-e0"),
        kind: report,
        by: a.user_id.clone(),
        role: role_of(&a.username),
        at: 1,
        note: String::new(),
        photos: vec![],
    };
    hazard::create(&mut d, &header, None, &e).expect("create");
    d.save()
}

/// The refusal a result carries, with the one id it names replaced, for comparing answers.
fn normalised(result: &Value, id: &str, with: &str) -> String {
    result.to_string().replace(id, with)
}

#[test]
fn nothing_outside_reach_is_writable_and_the_refusal_reveals_nothing() {
    let w = world();
    let t = &w.t;
    let grid_of = |name: &str| {
        if name == WAREHOUSE {
            "grid-2"
        } else {
            "grid-1"
        }
    };
    for user in USERS {
        let a = login(t, user);
        let actor = bound_actor(t, &a);
        for (n, d) in w
            .docs
            .iter()
            .filter(|d| !reaches(user, d.org, d.site_name))
            .enumerate()
        {
            let ghost = missing_id(d.kind);
            // Finding 1: any change under a foreign id once answered with the whole stored
            // document. Now it is answered as for an id nobody has.
            let mut junk = AutoCommit::new().with_actor(actor.clone());
            junk.put(ROOT, "x", 1).expect("put");
            let junk = junk.save();
            let foreign = push(t, &a, &d.id, &junk);
            let missing = push(t, &a, &ghost, &junk);
            assert!(
                foreign.get("server_doc").is_none(),
                "{user} got {} {}'s document",
                d.org,
                d.id
            );
            assert_eq!(
                normalised(&foreign, &d.id, "ID"),
                normalised(&missing, &ghost, "ID"),
                "{user} pushing junk to {}",
                d.id
            );
            // A hazard planted at a site out of reach (finding 3), under a new id: refused as
            // for a site that does not exist.
            let place = SiteRef {
                org_id: d.org.into(),
                grid_id: grid_of(d.site_name).into(),
                site_id: d.site_id.clone(),
            };
            let planted = format!("hzd-planted-{user}-{n}");
            let r = push(
                t,
                &a,
                &planted,
                &hazard_bytes(&actor, &a, &planted, place.clone()),
            );
            let nowhere = SiteRef {
                site_id: "site-nowhere".into(),
                ..place
            };
            let planted2 = format!("{planted}-2");
            let m = push(
                t,
                &a,
                &planted2,
                &hazard_bytes(&actor, &a, &planted2, nowhere),
            );
            assert_eq!(r["status"], "refused", "{user} planted at {}", d.site_id);
            assert_eq!(r["refusal"]["rule"], "placement.unknown_site");
            assert_eq!(
                normalised(&r, &d.site_id, "SITE").replace(&planted, "ID"),
                normalised(&m, "site-nowhere", "SITE").replace(&planted2, "ID"),
            );
        }
    }
    // Nothing of all that was stored: every organisation still has exactly its hazards.
    for (sup, org) in [("li", ORG_A), ("b-li", ORG_B)] {
        let a = login(t, sup);
        let n = get(t, &a.token, "/v1/hazards?limit=500").body["items"]
            .as_array()
            .map(Vec::len);
        let want = w
            .docs
            .iter()
            .filter(|d| d.kind == "hazard" && d.org == org)
            .count();
        assert_eq!(n, Some(want), "{org}'s hazards");
    }
}

#[test]
fn placement_is_the_servers_and_a_readable_refusal_carries_the_servers_copy() {
    let w = world();
    let t = &w.t;
    let restaurant = t.site(ORG_A, RESTAURANT);
    // The owner names his own site but grid-2 (finding 3: grid-2's inspector then saw it).
    let zhang = login(t, "zhang");
    let actor = bound_actor(t, &zhang);
    let moved = hazard_bytes(
        &actor,
        &zhang,
        "hzd-moved-1",
        SiteRef {
            org_id: ORG_A.into(),
            grid_id: "grid-2".into(),
            site_id: restaurant.clone(),
        },
    );
    let r = push(t, &zhang, "hzd-moved-1", &moved);
    assert_eq!(r["refusal"]["rule"], "placement.mismatch", "{r}");
    let zhao = login(t, "zhao");
    assert_eq!(
        get(t, &zhao.token, "/v1/hazards/hzd-moved-1").status,
        404,
        "grid-2 sees nothing"
    );
    // An inspector creates a site in a grid not his: the same answer as a grid that does not
    // exist.
    let wang = login(t, "wang");
    let actor = bound_actor(t, &wang);
    let site_doc = |id: &str, grid: &str| {
        let mut d = AutoCommit::new().with_actor(actor.clone());
        site::create(
            &mut d,
            &site::Site {
                header: Header {
                    kind: DocKind::Site,
                    id: id.into(),
                    site: SiteRef {
                        org_id: ORG_A.into(),
                        grid_id: grid.into(),
                        site_id: id.into(),
                    },
                },
                name: "planted".into(),
                address: String::new(),
                location: None,
                profile: closeloop_checklists::SiteProfile::from_toml(include_str!(
                    "../../checklists/profiles/small-shop.toml"
                ))
                .expect("profile"),
                utc_offset_minutes: Some(480),
            },
        )
        .expect("site");
        d.save()
    };
    let other = push(
        t,
        &wang,
        "site-planted-1",
        &site_doc("site-planted-1", "grid-2"),
    );
    let none = push(
        t,
        &wang,
        "site-planted-2",
        &site_doc("site-planted-2", "grid-9"),
    );
    assert_eq!(other["refusal"]["rule"], "placement.unknown_grid");
    assert_eq!(
        normalised(&other, "grid-2", "G").replace("site-planted-1", "S"),
        normalised(&none, "grid-9", "G").replace("site-planted-2", "S")
    );
    // His own grid is fine.
    let own = push(
        t,
        &wang,
        "site-planted-3",
        &site_doc("site-planted-3", "grid-1"),
    );
    assert_eq!(own["status"], "accepted", "{own}");
    // A refusal on a document he may read carries the server's copy.
    let hz = w
        .docs
        .iter()
        .find(|d| d.kind == "hazard" && d.org == ORG_A && d.site_name == RESTAURANT)
        .expect("hazard");
    let mut junk = AutoCommit::new().with_actor(actor.clone());
    junk.put(ROOT, "x", 1).expect("put");
    let r = push(t, &wang, &hz.id, &junk.save());
    assert_eq!(r["status"], "refused");
    assert!(r["server_doc"].is_string(), "{r}");
}

#[test]
fn administrators_act_only_in_their_organisation_and_scopes_are_checked() {
    let t = Target::start(bin(), &[MANY_LOGINS]);
    let admin = login(&t, "admin");
    let b_admin = login(&t, "b-admin");
    let wang = login(&t, "wang");
    let scope_of = |who: &Account, user_id: &str, body: &Value| {
        call(
            "PUT",
            &format!("{}/v1/admin/users/{user_id}/scope", t.url),
            Some(&who.token),
            Some(body.to_string().as_bytes()),
            &[("content-type", "application/json")],
        )
    };
    // Another organisation's user is answered as a user that does not exist.
    let body = json!({"grid_ids": ["grid-2"], "site_ids": []});
    let r = scope_of(&b_admin, &wang.user_id, &body);
    let m = scope_of(&b_admin, "u-nobody", &body);
    assert_eq!(r.status, 404);
    assert!(same_answer(&r, &wang.user_id, &m, "u-nobody"));
    // Grids are each organisation's own: the same id is a different grid, and nothing leaks.
    let g = post(
        &t,
        Some(&b_admin.token),
        "/v1/admin/grids",
        &json!({"id": "grid-1", "name": "B 的第一网格"}),
    );
    assert_eq!(
        g.status, 409,
        "other-org already has its own grid-1: {}",
        g.body
    );
    let g = post(
        &t,
        Some(&b_admin.token),
        "/v1/admin/grids",
        &json!({"id": "grid-7", "name": "B 的第七网格"}),
    );
    assert_eq!(g.status, 201);
    let g = post(
        &t,
        Some(&admin.token),
        "/v1/admin/grids",
        &json!({"id": "grid-7", "name": "A 的第七网格"}),
    );
    assert_eq!(
        g.status, 201,
        "the same id in another organisation: {}",
        g.body
    );
    // A scope naming another organisation's site is refused as a site that does not exist.
    let b_wang = login(&t, "b-wang");
    let a_site = t.site(ORG_A, RESTAURANT);
    let r = scope_of(
        &b_admin,
        &b_wang.user_id,
        &json!({"grid_ids": [], "site_ids": [a_site]}),
    );
    let m = scope_of(
        &b_admin,
        &b_wang.user_id,
        &json!({"grid_ids": [], "site_ids": ["site-none"]}),
    );
    assert_eq!(r.status, 400);
    assert!(same_answer(&r, &a_site, &m, "site-none"));
    // Finding 6: duplicates once answered 500 after creating the user; an empty body cleared
    // the scope. Now both are refused and nothing is written.
    let dup = post(
        &t,
        Some(&admin.token),
        "/v1/admin/users",
        &json!({"username": "dup", "password": "long-enough-pass", "display_name": "D",
                "role": "owner", "site_ids": [a_site, a_site]}),
    );
    assert_eq!(
        (dup.status, dup.body["field"].as_str()),
        (400, Some("site_ids"))
    );
    let nobody = post(
        &t,
        None,
        "/v1/auth/login",
        &json!({"username": "dup", "password": "long-enough-pass", "device_id": "d"}),
    );
    assert_eq!(nobody.status, 401, "the refused user was not created");
    for body in [
        json!([]),
        json!({}),
        json!({"grid_ids": ["grid-1", "grid-1"], "site_ids": []}),
        json!({"grid_ids": [], "site_ids": []}),
        json!({"grid_ids": ["grid-404"], "site_ids": []}),
    ] {
        let r = scope_of(&admin, &wang.user_id, &body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
    }
    let me = get(&t, &wang.token, "/v1/me");
    assert_eq!(
        me.body["grid_ids"],
        json!(["grid-1"]),
        "wang's scope unchanged"
    );
    // Only administrators manage people.
    for user in ["li", "wang", "zhang"] {
        let a = login(&t, user);
        let r = scope_of(
            &a,
            &wang.user_id,
            &json!({"grid_ids": ["grid-2"], "site_ids": []}),
        );
        assert_eq!(r.status, 403, "{user}");
    }
}

#[test]
fn a_stream_stops_seeing_a_grid_the_moment_it_is_taken_away() {
    let w = world();
    let t = &w.t;
    let hz = w
        .docs
        .iter()
        .find(|d| d.kind == "hazard" && d.org == ORG_A && d.site_name == SHOP)
        .expect("shop hazard")
        .id
        .clone();
    let wang = login(t, "wang");
    let li = login(t, "li");
    let url = format!("{}/v1/hazard-events", t.url);
    let watch = EventStream::open(&url, &wang.token, None).expect("wang's stream");
    let control = EventStream::open(&url, &li.token, None).expect("li's stream");
    for s in [&watch, &control] {
        assert_eq!(s.expect(Duration::from_secs(5)).event, "ready");
    }
    let li_phone = Phone::login(&t.url, "li");
    li_phone.sync();
    let comment = |note: &str| {
        li_phone
            .run(
                li_phone
                    .ws
                    .act_on_hazard(hz.clone(), HazardAction::Comment, note.into(), vec![]),
            )
            .expect("comment");
        li_phone.sync();
    };
    let next_hazard = |s: &EventStream| loop {
        match s.next(Duration::from_secs(3)) {
            Next::Event(e) if e.event == "hazard" => return Some(e),
            Next::Event(_) => continue,
            Next::TimedOut | Next::Ended => return None,
        }
    };
    comment("第一次");
    assert!(
        next_hazard(&watch).is_some(),
        "grid-1 is wang's: he sees it"
    );
    assert!(next_hazard(&control).is_some());
    let admin = login(t, "admin");
    let r = call(
        "PUT",
        &format!("{}/v1/admin/users/{}/scope", t.url, wang.user_id),
        Some(&admin.token),
        Some(
            json!({"grid_ids": ["grid-2"], "site_ids": []})
                .to_string()
                .as_bytes(),
        ),
        &[("content-type", "application/json")],
    );
    assert_eq!(r.status, 204, "{}", r.body);
    comment("第二次");
    assert!(next_hazard(&control).is_some(), "the change happened");
    assert!(
        next_hazard(&watch).is_none(),
        "wang's open stream no longer carries grid-1"
    );
}
