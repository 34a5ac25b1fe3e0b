//! The tracking API through each role: what each sees, filters, pagination, timelines, the review
//! queue, sites with grades, nearby sites and statistics.

mod common;

use closeloop_model::lifecycle::{EventKind, Severity};
use common::*;
use serde_json::{Value, json};

fn get(s: &TestServer, token: &str, path: &str) -> Res {
    call("GET", &format!("{}{path}", s.url), Some(token), None, "")
}

fn ids(page: &Value) -> Vec<String> {
    let mut v: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|h| h["id"].as_str().expect("id").to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn each_role_sees_its_own_scope_and_filters_work() {
    let s = TestServer::start();
    let (restaurant, shop, warehouse) =
        (s.sites[0].clone(), s.sites[1].clone(), s.sites[3].clone());
    let wang = author(&s, "wang");
    let zhao = author(&s, "zhao");
    let past = 1_000_000;
    let h1 = push_hazard(
        &s,
        &wang,
        &restaurant,
        "hzd-a",
        Severity::General,
        Some(past),
        vec![],
    );
    let h2 = push_hazard(
        &s,
        &wang,
        &shop,
        "hzd-b",
        Severity::Major,
        None,
        vec![EventKind::FixedOnSpot],
    );
    let h3 = push_hazard(
        &s,
        &zhao,
        &warehouse,
        "hzd-c",
        Severity::General,
        None,
        vec![],
    );

    let li = token(&s, "li", "t");
    let zhang = token(&s, "zhang", "p");
    let all = get(&s, &li, "/v1/hazards");
    assert_eq!(
        ids(&all.body),
        vec![h1.clone(), h2.clone(), h3.clone()],
        "supervisor sees the organisation"
    );
    assert_eq!(
        ids(&get(&s, &wang.token, "/v1/hazards").body),
        vec![h1.clone(), h2.clone()],
        "inspector sees grid-1"
    );
    assert_eq!(
        ids(&get(&s, &zhao.token, "/v1/hazards").body),
        vec![h3.clone()],
        "the other inspector sees grid-2"
    );
    assert_eq!(
        ids(&get(&s, &zhang, "/v1/hazards").body),
        vec![h1.clone()],
        "the owner sees their site"
    );
    // Outside the scope a hazard does not exist.
    assert_eq!(get(&s, &zhang, &format!("/v1/hazards/{h2}")).status, 404);
    assert_eq!(
        get(&s, &zhao.token, &format!("/v1/hazards/{h1}/timeline")).status,
        404
    );
    assert_eq!(get(&s, &zhang, &format!("/v1/sites/{shop}")).status, 404);

    // Filters.
    assert_eq!(
        ids(&get(&s, &li, "/v1/hazards?overdue=true").body),
        vec![h1.clone()]
    );
    assert_eq!(
        ids(&get(&s, &li, "/v1/hazards?major=true").body),
        vec![h2.clone()]
    );
    assert_eq!(
        ids(&get(&s, &li, "/v1/hazards?status=fixed_on_spot").body),
        vec![h2.clone()]
    );
    assert_eq!(
        ids(&get(&s, &li, &format!("/v1/hazards?site_id={warehouse}")).body),
        vec![h3.clone()]
    );
    assert_eq!(
        ids(&get(&s, &li, "/v1/hazards?grid_id=grid-2").body),
        vec![h3.clone()]
    );
    let bad = get(&s, &li, "/v1/hazards?status=closed");
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (400, Some("status"))
    );
    assert_eq!(get(&s, &li, "/v1/hazards?limit=0").status, 400);

    // Pagination with a cursor visits every hazard exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/hazards?limit=2&sort=deadline&cursor={c}"),
            None => "/v1/hazards?limit=2&sort=deadline".to_owned(),
        };
        let page = get(&s, &li, &path).body;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, vec![h1.clone(), h2.clone(), h3.clone()]);

    // A hazard links its inspection, clause and photos; its timeline has every event.
    let d = get(&s, &li, &format!("/v1/hazards/{h2}")).body;
    assert_eq!(d["clauses"], json!(["消防法 Art. 28"]));
    assert_eq!(d["links"]["timeline"], format!("/v1/hazards/{h2}/timeline"));
    let t = get(&s, &li, &format!("/v1/hazards/{h2}/timeline")).body;
    assert_eq!(t.as_array().expect("timeline").len(), 2);
    assert_eq!(t[1]["event"]["type"], "fixed_on_spot");

    // The review queue holds what waits for a supervisor.
    let q = get(&s, &li, "/v1/review-queue").body;
    assert_eq!(
        q.as_array()
            .expect("queue")
            .iter()
            .map(|h| h["id"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec![h2.as_str()]
    );
    assert!(
        get(&s, &zhang, "/v1/review-queue")
            .body
            .as_array()
            .expect("queue")
            .is_empty()
    );
}

#[test]
fn sites_grades_nearby_and_statistics() {
    let s = TestServer::start();
    let restaurant = s.sites[0].clone();
    let wang = author(&s, "wang");
    push_hazard(
        &s,
        &wang,
        &restaurant,
        "hzd-m",
        Severity::Major,
        Some(1_000_000),
        vec![],
    );
    let li = token(&s, "li", "t");
    let site = get(&s, &li, &format!("/v1/sites/{restaurant}")).body;
    assert_eq!(
        site["risk"]["grade"], "red",
        "an open major hazard makes the site red: {site}"
    );
    assert!(
        site["risk"]["factors"]
            .as_array()
            .expect("factors")
            .iter()
            .any(|f| f["id"] == "live.open_major")
    );
    assert_eq!(
        (
            site["open_hazards"].as_i64(),
            site["overdue_hazards"].as_i64()
        ),
        (Some(1), Some(1))
    );

    // The demo restaurant is at (31.2304, 121.4737); the shop ~150 m away, the guesthouse ~300 m,
    // the warehouse ~4 km.
    let near = get(
        &s,
        &li,
        "/v1/sites/nearby?lat=31.2304&lon=121.4737&radius_km=1",
    )
    .body;
    assert_eq!(near.as_array().expect("sites").len(), 3, "{near}");
    assert_eq!(near[0]["id"], restaurant);
    let wide = get(
        &s,
        &li,
        "/v1/sites/nearby?lat=31.2304&lon=121.4737&radius_km=5",
    )
    .body;
    assert_eq!(wide.as_array().expect("sites").len(), 4);
    assert_eq!(wide[3]["within_km"], json!([5]));
    assert_eq!(get(&s, &li, "/v1/sites/nearby?lat=95&lon=0").status, 400);
    assert_eq!(
        get(&s, &li, "/v1/sites/nearby?lat=31&lon=121&radius_km=2").status,
        400
    );

    let stats = get(&s, &li, "/v1/stats?from=0").body;
    assert_eq!(stats["hazards_found"], 1);
    assert_eq!(stats["overdue_now"], 1);
    assert_eq!(stats["major_open_now"], 1);
    assert_eq!(stats["sites_by_colour"]["red"], 1, "{stats}");
    let grid2 = get(&s, &li, "/v1/stats?from=0&grid_id=grid-2").body;
    assert_eq!(grid2["hazards_found"], 0);
}

#[test]
fn the_matrix_of_roles_and_endpoints() {
    let s = TestServer::start();
    let (restaurant, warehouse) = (s.sites[0].clone(), s.sites[3].clone());
    let wang = author(&s, "wang");
    let zhao = author(&s, "zhao");
    let h1 = push_hazard(
        &s,
        &wang,
        &restaurant,
        "hzd-r",
        Severity::General,
        None,
        vec![EventKind::FixedOnSpot],
    );
    let h3 = push_hazard(
        &s,
        &zhao,
        &warehouse,
        "hzd-w",
        Severity::General,
        None,
        vec![],
    );
    let users = ["admin", "li", "wang", "zhao", "zhang"];
    let tokens: Vec<String> = users.iter().map(|u| token(&s, u, "matrix")).collect();
    let count = |t: &str, path: &str| -> usize {
        let r = get(&s, t, path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.body
            .get("items")
            .unwrap_or(&r.body)
            .as_array()
            .map_or(0, Vec::len)
    };
    let status = |t: &str, path: &str| get(&s, t, path).status;
    // (endpoint, expected for admin, li, wang, zhao, zhang)
    let visible: [(&str, [usize; 5]); 3] = [
        ("/v1/hazards", [2, 2, 1, 1, 1]),
        ("/v1/review-queue", [1, 1, 1, 0, 1]),
        (
            "/v1/sites/nearby?lat=31.2304&lon=121.4737&radius_km=5",
            [4, 4, 3, 1, 1],
        ),
    ];
    for (path, expected) in visible {
        let got: Vec<usize> = tokens.iter().map(|t| count(t, path)).collect();
        assert_eq!(got, expected, "{path} for {users:?}");
    }
    let statuses: [(String, [u16; 5]); 6] = [
        (format!("/v1/hazards/{h1}"), [200, 200, 200, 404, 200]),
        (format!("/v1/hazards/{h3}"), [200, 200, 404, 200, 404]),
        (
            format!("/v1/hazards/{h1}/timeline"),
            [200, 200, 200, 404, 200],
        ),
        (format!("/v1/sites/{restaurant}"), [200, 200, 200, 404, 200]),
        (format!("/v1/sites/{warehouse}"), [200, 200, 404, 200, 404]),
        ("/v1/stats".to_owned(), [200, 200, 200, 200, 200]),
    ];
    for (path, expected) in statuses {
        let got: Vec<u16> = tokens.iter().map(|t| status(t, &path)).collect();
        assert_eq!(got.as_slice(), expected.as_slice(), "{path} for {users:?}");
    }
    // Managing people is for administrators only.
    let body = json!({"username": "new", "password": "long-enough-pass", "display_name": "n", "role": "owner", "site_ids": [restaurant]});
    let got: Vec<u16> = tokens
        .iter()
        .map(|t| post(&format!("{}/v1/admin/users", s.url), Some(t), &body).status)
        .collect();
    assert_eq!(got, vec![201, 403, 403, 403, 403]);
    // Statistics count only what the caller may see.
    let found: Vec<i64> = tokens
        .iter()
        .map(|t| {
            get(&s, t, "/v1/stats?from=0").body["hazards_found"]
                .as_i64()
                .unwrap_or(-1)
        })
        .collect();
    assert_eq!(found, vec![2, 2, 1, 1, 1]);
}
