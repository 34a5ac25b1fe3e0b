//! People and places: the directory in scope, who a site's hazards may be assigned to (refused by
//! a named rule on the push and on the actions path), and the administrators' API (users, grids,
//! sites, moves) with its audit log. Other roles and other organisations are refused.

mod common;

use closeloop_model::lifecycle::{EventKind, Severity};
use common::*;
use serde_json::{Value, json};

fn get(s: &TestServer, path: &str, token: &str) -> Res {
    call("GET", &format!("{}{path}", s.url), Some(token), None, "")
}

fn send(s: &TestServer, method: &str, path: &str, token: &str, body: &Value) -> Res {
    call(
        method,
        &format!("{}{path}", s.url),
        Some(token),
        Some(body.to_string().as_bytes()),
        "application/json",
    )
}

fn user_id(s: &TestServer, name: &str) -> String {
    login(s, name, &format!("{name}-id"))["user"]["user_id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn ids(v: &Value, list: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list} in {v}"))
        .iter()
        .map(|p| p["user_id"].as_str().expect("user_id").to_owned())
        .collect()
}

fn assigned(who: &str) -> EventKind {
    EventKind::Assigned {
        assignee: who.into(),
        deadline: 1_900_000_000_000,
        measure: String::new(),
    }
}

/// Pushes a hazard with `extra` events and answers the push's result for it.
fn push(s: &TestServer, a: &Author, site: &str, id: &str, extra: Vec<EventKind>) -> Value {
    use base64::Engine;
    let bytes = hazard_bytes(s, a, site, id, Severity::General, None, extra);
    let r = post(
        &format!("{}/v1/sync", s.url),
        Some(&a.token),
        &json!({"push": [{"doc_id": id, "changes": base64::engine::general_purpose::STANDARD.encode(bytes)}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["results"][0].clone()
}

#[test]
fn the_directory_shows_people_in_scope_and_a_sites_assignees() {
    let s = TestServer::start_two_orgs();
    let (wang, zhang, zhao, li) = (
        user_id(&s, "wang"),
        user_id(&s, "zhang"),
        user_id(&s, "zhao"),
        user_id(&s, "li"),
    );
    let wang_t = token(&s, "wang", "w");
    let people = get(&s, "/v1/people", &wang_t);
    assert_eq!(people.status, 200, "{}", people.body);
    let listed = ids(&people.body, "people");
    assert!(listed.contains(&zhang) && listed.contains(&wang) && listed.contains(&li));
    assert!(
        !listed.contains(&zhao),
        "zhao works only in grid-2, which wang does not reach: {listed:?}"
    );
    let b_wang = user_id(&s, "b-wang");
    assert!(!listed.contains(&b_wang), "another organisation's people");
    let me = people.body["people"]
        .as_array()
        .expect("people")
        .iter()
        .find(|p| p["user_id"] == wang.as_str())
        .expect("wang")
        .clone();
    assert_eq!(me["grid_ids"], json!(["grid-1"]));
    assert!(people.body.to_string().contains("王网格员"));

    // The shop's assignees: its owner and the inspector of its grid; never the supervisor.
    let shop = &s.sites[0];
    let a = get(&s, &format!("/v1/sites/{shop}/assignees"), &wang_t);
    assert_eq!(a.status, 200, "{}", a.body);
    let mut got = ids(&a.body, "assignees");
    got.sort();
    let mut want = vec![wang.clone(), zhang.clone()];
    want.sort();
    assert_eq!(got, want);

    // A site out of reach answers exactly as one that does not exist.
    let warehouse = &s.sites[3];
    assert_eq!(site_grid(&s, warehouse), "grid-2");
    let out = get(&s, &format!("/v1/sites/{warehouse}/assignees"), &wang_t);
    let none = get(&s, "/v1/sites/site-nonexistent/assignees", &wang_t);
    assert_eq!(out.status, 404);
    assert_eq!(none.status, 404);
    assert_eq!(
        out.body["error"], none.body["error"],
        "{} vs {}",
        out.body, none.body
    );
    let b_admin = token(&s, "b-admin", "b");
    let cross = get(&s, &format!("/v1/sites/{shop}/assignees"), &b_admin);
    assert_eq!(cross.status, 404, "{}", cross.body);
    let b_people = get(&s, "/v1/people", &b_admin);
    assert!(
        !ids(&b_people.body, "people").contains(&wang),
        "another organisation's admin sees none of ours"
    );
    // An owner sees the people of their own site, not the whole organisation.
    let zhang_t = token(&s, "zhang", "z");
    let owner_view = ids(&get(&s, "/v1/people", &zhang_t).body, "people");
    assert!(owner_view.contains(&wang) && !owner_view.contains(&zhao));
    assert_eq!(
        call("GET", &format!("{}/v1/people", s.url), None, None, "").status,
        401
    );
}

#[test]
fn an_assignment_to_someone_who_cannot_act_is_refused_by_a_named_rule() {
    let s = TestServer::start_two_orgs();
    let wang = author(&s, "wang");
    let shop = s.sites[0].clone();
    let (zhang, zhao, li, b_zhang) = (
        user_id(&s, "zhang"),
        user_id(&s, "zhao"),
        user_id(&s, "li"),
        user_id(&s, "b-zhang"),
    );
    for (n, who, rule) in [
        (1, "u-does-not-exist".to_owned(), "assignee.unknown"),
        (2, b_zhang.clone(), "assignee.unknown"),
        (3, li.clone(), "assignee.cannot_act"),
        (4, zhao.clone(), "assignee.cannot_act"),
    ] {
        let r = push(
            &s,
            &wang,
            &shop,
            &format!("hzd-as-{n}"),
            vec![assigned(&who)],
        );
        assert_eq!(r["status"], "refused", "{who}: {r}");
        assert_eq!(r["refusal"]["rule"], rule, "{who}: {r}");
    }
    let ok = push(&s, &wang, &shop, "hzd-as-ok", vec![assigned(&zhang)]);
    assert_eq!(ok["status"], "accepted", "{ok}");

    // The actions path (a decision without a phone) meets the same rule.
    push(&s, &wang, &shop, "hzd-as-act", vec![]);
    let li_t = token(&s, "li", "li-browser");
    let act = |who: &str| {
        post(
            &format!("{}/v1/hazards/hzd-as-act/actions", s.url),
            Some(&li_t),
            &json!({"type": "assigned", "assignee": who, "deadline": 1_900_000_000_000_i64}),
        )
    };
    let r = act("ghost");
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["error"], "assignee.unknown", "{}", r.body);
    let r = act(&zhao);
    assert_eq!(r.body["error"], "assignee.cannot_act", "{}", r.body);

    // A deactivated account can be given no more work; its old assignment stays history.
    let admin = token(&s, "admin", "a");
    let d = send(
        &s,
        "POST",
        &format!("/v1/admin/users/{zhang}/deactivate"),
        &admin,
        &json!({}),
    );
    assert_eq!(d.status, 204, "{}", d.body);
    let r = act(&zhang);
    assert_eq!(r.body["error"], "assignee.inactive", "{}", r.body);
    let r = push(&s, &wang, &shop, "hzd-as-5", vec![assigned(&zhang)]);
    assert_eq!(r["refusal"]["rule"], "assignee.inactive", "{r}");
    let old = get(&s, "/v1/hazards/hzd-as-ok", &li_t);
    assert_eq!(old.status, 200);
    assert_eq!(old.body["assignee"], zhang.as_str(), "{}", old.body);
    let reactivated = send(
        &s,
        "POST",
        &format!("/v1/admin/users/{zhang}/reactivate"),
        &admin,
        &json!({}),
    );
    assert_eq!(reactivated.status, 204);
    assert_eq!(act(&zhang).status, 200);
}

#[test]
fn administrators_manage_accounts_and_every_change_is_audited() {
    let s = TestServer::start_two_orgs();
    let admin = token(&s, "admin", "a");
    let li = token(&s, "li", "l");
    // Others are refused before anything is read, with the API's Forbidden.
    for (m, path, body) in [
        ("GET", "/v1/admin/users", Value::Null),
        ("GET", "/v1/admin/audit", Value::Null),
        ("POST", "/v1/admin/users/u-x/deactivate", json!({})),
        ("PATCH", "/v1/admin/grids/grid-1", json!({"name": "x"})),
        (
            "POST",
            "/v1/admin/sites/site-x/move",
            json!({"grid_id": "grid-2"}),
        ),
    ] {
        let r = send(&s, m, path, &li, &body);
        assert_eq!(r.status, 403, "{m} {path}: {}", r.body);
    }
    let created = post(
        &format!("{}/v1/admin/users", s.url),
        Some(&admin),
        &json!({"username": "sun", "password": "sun-first-pass", "display_name": "孙网格员",
                "role": "inspector", "grid_ids": ["grid-1"]}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let sun = created.body["user_id"].as_str().expect("id").to_owned();
    let dup = post(
        &format!("{}/v1/admin/users", s.url),
        Some(&admin),
        &json!({"username": "sun", "password": "another-pass", "display_name": "x", "role": "inspector", "grid_ids": ["grid-1"]}),
    );
    assert_eq!(dup.status, 409, "{}", dup.body);
    let e = send(
        &s,
        "PATCH",
        &format!("/v1/admin/users/{sun}"),
        &admin,
        &json!({"display_name": "孙主管", "role": "supervisor", "grid_ids": []}),
    );
    assert_eq!(e.status, 204, "{}", e.body);
    let list = get(&s, "/v1/admin/users", &admin);
    let row = list.body["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["user_id"] == sun.as_str())
        .cloned()
        .expect("listed");
    assert_eq!(row["display_name"], "孙主管");
    assert_eq!(row["role"], "supervisor");
    assert_eq!(row["active"], true);

    // Deactivation ends every login at once and refuses new ones; the account stays listed.
    let session = post(
        &format!("{}/v1/auth/login", s.url),
        None,
        &json!({"username": "sun", "password": "sun-first-pass", "device_id": "p"}),
    );
    assert_eq!(session.status, 200);
    let access = session.body["access_token"].as_str().expect("t").to_owned();
    let refresh = session.body["refresh_token"]
        .as_str()
        .expect("r")
        .to_owned();
    assert_eq!(get(&s, "/v1/me", &access).status, 200);
    let d = send(
        &s,
        "POST",
        &format!("/v1/admin/users/{sun}/deactivate"),
        &admin,
        &json!({}),
    );
    assert_eq!(d.status, 204, "{}", d.body);
    assert_eq!(get(&s, "/v1/me", &access).status, 401);
    let r = post(
        &format!("{}/v1/auth/refresh", s.url),
        None,
        &json!({"refresh_token": refresh}),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    let again = post(
        &format!("{}/v1/auth/login", s.url),
        None,
        &json!({"username": "sun", "password": "sun-first-pass", "device_id": "p"}),
    );
    assert_eq!(again.status, 401);
    let list = get(&s, "/v1/admin/users", &admin);
    assert!(
        list.body.to_string().contains(&sun),
        "kept with its history"
    );
    let me = user_id(&s, "admin");
    let own = send(
        &s,
        "POST",
        &format!("/v1/admin/users/{me}/deactivate"),
        &admin,
        &json!({}),
    );
    assert_eq!(own.status, 400, "{}", own.body);

    // A reset password: the old one no longer works, the new one does.
    send(
        &s,
        "POST",
        &format!("/v1/admin/users/{sun}/reactivate"),
        &admin,
        &json!({}),
    );
    let short = send(
        &s,
        "PUT",
        &format!("/v1/admin/users/{sun}/password"),
        &admin,
        &json!({"password": "short"}),
    );
    assert_eq!(short.status, 400);
    let reset = send(
        &s,
        "PUT",
        &format!("/v1/admin/users/{sun}/password"),
        &admin,
        &json!({"password": "sun-second-pass"}),
    );
    assert_eq!(reset.status, 204, "{}", reset.body);
    let login_with = |p: &str| {
        post(
            &format!("{}/v1/auth/login", s.url),
            None,
            &json!({"username": "sun", "password": p, "device_id": "p"}),
        )
        .status
    };
    assert_eq!(login_with("sun-first-pass"), 401);
    assert_eq!(login_with("sun-second-pass"), 200);

    // Another organisation's admin: our user is not found, exactly as a forged id.
    let b_admin = token(&s, "b-admin", "b");
    let cross = send(
        &s,
        "PATCH",
        &format!("/v1/admin/users/{sun}"),
        &b_admin,
        &json!({"display_name": "偷改"}),
    );
    let forged = send(
        &s,
        "PATCH",
        "/v1/admin/users/u-forged",
        &b_admin,
        &json!({"display_name": "偷改"}),
    );
    assert_eq!(cross.status, 404, "{}", cross.body);
    assert_eq!(cross.body["error"], forged.body["error"]);
    assert_eq!(
        send(
            &s,
            "POST",
            &format!("/v1/admin/users/{sun}/deactivate"),
            &b_admin,
            &json!({})
        )
        .status,
        404
    );
    assert!(
        !get(&s, "/v1/admin/users", &b_admin)
            .body
            .to_string()
            .contains(&sun)
    );

    // Grids: created and renamed; a duplicate id is a conflict.
    let g = post(
        &format!("{}/v1/admin/grids", s.url),
        Some(&admin),
        &json!({"id": "grid-3", "name": "第三网格"}),
    );
    assert_eq!(g.status, 201, "{}", g.body);
    let g = post(
        &format!("{}/v1/admin/grids", s.url),
        Some(&admin),
        &json!({"id": "grid-3", "name": "又一个"}),
    );
    assert_eq!(g.status, 409);
    let rn = send(
        &s,
        "PATCH",
        "/v1/admin/grids/grid-3",
        &admin,
        &json!({"name": "三网格"}),
    );
    assert_eq!(rn.status, 204, "{}", rn.body);
    let grids = get(&s, "/v1/admin/grids", &admin);
    assert!(grids.body.to_string().contains("三网格"), "{}", grids.body);
    assert_eq!(
        send(
            &s,
            "PATCH",
            "/v1/admin/grids/grid-3",
            &b_admin,
            &json!({"name": "x"})
        )
        .status,
        404,
        "their grid-3 does not exist"
    );

    // The audit log: who, when, what, newest first; the password is never in it.
    let log = get(&s, "/v1/admin/audit", &admin);
    assert_eq!(log.status, 200);
    let entries = log.body["entries"].as_array().expect("entries");
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    for a in [
        "create_user",
        "edit_user",
        "deactivate_user",
        "reactivate_user",
        "reset_password",
        "create_grid",
        "rename_grid",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert_eq!(actions[0], "rename_grid");
    assert!(
        entries
            .iter()
            .all(|e| e["actor_id"] == me.as_str() && e["at"].is_i64())
    );
    let edit = entries
        .iter()
        .find(|e| e["action"] == "edit_user")
        .expect("edit");
    assert_eq!(edit["detail"]["before"]["role"], "inspector");
    assert_eq!(edit["detail"]["after"]["role"], "supervisor");
    assert!(!log.body.to_string().contains("sun-second-pass"));
    assert!(!log.body.to_string().contains("sun-first-pass"));
    let theirs = get(&s, "/v1/admin/audit", &b_admin);
    assert_eq!(theirs.body["entries"], json!([]), "{}", theirs.body);
}

fn site_body(name: &str) -> Value {
    json!({
        "name": name, "address": "示范路 9 号", "lat": 31.24, "lon": 121.48,
        "profile": {"schema_version": 2, "jurisdiction": "cn", "premises": "small_shop",
                    "floor_area_m2": 60, "storeys": 1, "building_height_m": 4, "occupants": 8,
                    "gas": "none", "hazard_level": "light"}
    })
}

#[test]
fn sites_are_created_edited_and_moved_between_grids_with_their_history() {
    let s = TestServer::start_two_orgs();
    let admin = token(&s, "admin", "a");
    let mut body = site_body("新开面馆");
    body["grid_id"] = json!("grid-1");
    body["code"] = json!("A-001");
    let c = post(&format!("{}/v1/admin/sites", s.url), Some(&admin), &body);
    assert_eq!(c.status, 201, "{}", c.body);
    let site = c.body["site_id"].as_str().expect("id").to_owned();
    let again = post(&format!("{}/v1/admin/sites", s.url), Some(&admin), &body);
    assert_eq!(again.status, 409, "the code is taken: {}", again.body);
    let mut bad = site_body("");
    bad["grid_id"] = json!("grid-1");
    assert_eq!(
        post(&format!("{}/v1/admin/sites", s.url), Some(&admin), &bad).status,
        400
    );
    let mut nowhere = site_body("无网格");
    nowhere["grid_id"] = json!("grid-9");
    let r = post(&format!("{}/v1/admin/sites", s.url), Some(&admin), &nowhere);
    assert_eq!(r.status, 400, "{}", r.body);

    // Wang works at it at once: the feed has the site and its task plan.
    let wang = author(&s, "wang");
    let feed = post(
        &format!("{}/v1/sync", s.url),
        Some(&wang.token),
        &json!({"cursor": null, "push": []}),
    );
    let docs: Vec<String> = feed.body["feed"]
        .as_array()
        .expect("feed")
        .iter()
        .map(|e| e["doc_id"].as_str().expect("doc").to_owned())
        .collect();
    assert!(docs.contains(&site) && docs.contains(&format!("tasks-{site}")));

    // An edit of the fields, read back.
    let e = send(
        &s,
        "PUT",
        &format!("/v1/admin/sites/{site}"),
        &admin,
        &site_body("老王面馆"),
    );
    assert_eq!(e.status, 204, "{}", e.body);
    let li = token(&s, "li", "l");
    let v = get(&s, &format!("/v1/sites/{site}"), &li);
    assert_eq!(v.body["name"], "老王面馆", "{}", v.body);

    // A hazard there, then the move: wang loses it, zhao gains it, its timeline stays whole.
    let zhang = user_id(&s, "zhang");
    push(&s, &wang, &site, "hzd-mv-1", vec![]);
    let m = send(
        &s,
        "POST",
        &format!("/v1/admin/sites/{site}/move"),
        &admin,
        &json!({"grid_id": "grid-2"}),
    );
    assert_eq!(m.status, 204, "{}", m.body);
    assert_eq!(site_grid(&s, &site), "grid-2");
    assert_eq!(get(&s, "/v1/hazards/hzd-mv-1", &wang.token).status, 404);
    let zhao = token(&s, "zhao", "z");
    let h = get(&s, "/v1/hazards/hzd-mv-1", &zhao);
    assert_eq!(h.status, 200, "{}", h.body);
    assert_eq!(h.body["grid_id"], "grid-2");
    let t = get(&s, "/v1/hazards/hzd-mv-1/timeline", &zhao);
    assert_eq!(t.status, 200, "{}", t.body);
    assert!(!t.body.as_array().expect("timeline").is_empty());
    let zf = post(
        &format!("{}/v1/sync", s.url),
        Some(&zhao),
        &json!({"cursor": null, "push": []}),
    );
    assert!(
        zf.body["feed"]
            .as_array()
            .expect("feed")
            .iter()
            .any(|e| e["doc_id"] == "hzd-mv-1"),
        "zhao's phone receives the moved site's whole history"
    );
    // A grid of another organisation (or none) is not a destination; their site is not found.
    let r = send(
        &s,
        "POST",
        &format!("/v1/admin/sites/{site}/move"),
        &admin,
        &json!({"grid_id": "grid-nine"}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let b_admin = token(&s, "b-admin", "b");
    let r = send(
        &s,
        "POST",
        &format!("/v1/admin/sites/{site}/move"),
        &b_admin,
        &json!({"grid_id": "grid-1"}),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let r = send(
        &s,
        "PUT",
        &format!("/v1/admin/sites/{site}"),
        &b_admin,
        &site_body("抢注"),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(site_grid(&s, &site), "grid-2");

    // Its people: zhang becomes an owner; a supervisor cannot answer for a facility.
    let p = send(
        &s,
        "PUT",
        &format!("/v1/admin/sites/{site}/people"),
        &admin,
        &json!({"owner_ids": [zhang], "responsible": [{"facility": "whole_site", "user_id": zhang}]}),
    );
    assert_eq!(p.status, 204, "{}", p.body);
    let a = get(&s, &format!("/v1/sites/{site}/assignees"), &zhao);
    let entry = a.body["assignees"]
        .as_array()
        .expect("assignees")
        .iter()
        .find(|x| x["user_id"] == zhang.as_str())
        .cloned()
        .expect("zhang is an assignee");
    assert_eq!(entry["responsible_for"], json!(["whole_site"]));
    let li_id = user_id(&s, "li");
    let p = send(
        &s,
        "PUT",
        &format!("/v1/admin/sites/{site}/people"),
        &admin,
        &json!({"owner_ids": [zhang], "responsible": [{"facility": "kitchen", "user_id": li_id}]}),
    );
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(
        p.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("assignee.cannot_act")),
        "{}",
        p.body
    );
    let log = get(&s, "/v1/admin/audit", &admin);
    let actions: Vec<&str> = log.body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    for a in ["create_site", "edit_site", "move_site", "set_site_people"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let mv = log.body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"] == "move_site")
        .cloned()
        .expect("move");
    assert_eq!(mv["detail"]["from"], "grid-1");
    assert_eq!(mv["detail"]["to"], "grid-2");
    assert_eq!(mv["target"], site.as_str());
}
