//! Decisions over HTTP (`POST /v1/hazards/{id}/actions`): written as the caller under the push's
//! rules, with the push's refusals, and carried to phones by the feed like any device's change.

mod common;

use automerge::AutoCommit;
use closeloop_model::doc::{DocKind, Header, hazard};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity};
use closeloop_model::roles::{Role, SiteRef};
use common::*;
use serde_json::{Value, json};

/// A hazard `wang` reported and fixed on the spot at the restaurant, with a photo on the server:
/// it waits for a supervisor.
fn fixed_on_spot(s: &TestServer, wang: &Author, id: &str) {
    let (photo, sha) = jpeg(3);
    let up = call(
        "PUT",
        &format!("{}/v1/blobs/{sha}", s.url),
        Some(&wang.token),
        Some(&photo),
        "image/jpeg",
    );
    assert_eq!(up.status, 201);
    let site = s.sites[0].clone();
    let mut d = AutoCommit::new().with_actor(wang.actor.clone());
    let header = Header {
        kind: DocKind::Hazard,
        id: id.into(),
        site: SiteRef {
            org_id: "demo-org".into(),
            grid_id: site_grid(s, &site),
            site_id: site,
        },
    };
    let ev = |n: u32, kind: EventKind, photos: Vec<String>| Event {
        id: format!("{id}-{n}"),
        kind,
        by: wang.user_id.clone(),
        role: Role::Inspector,
        at: 1_000 + i64::from(n),
        note: String::new(),
        photos,
    };
    let report = EventKind::Reported(Report {
        title: "灭火器过期".into(),
        severity: Severity::General,
        clauses: vec![],
        item_id: None,
        gb35181: None,
        measure: String::new(),
        deadline: None,
    });
    hazard::create(&mut d, &header, None, &ev(0, report, vec![])).expect("create");
    hazard::append_event(&mut d, &ev(1, EventKind::FixedOnSpot, vec![sha])).expect("fix");
    let r = post(
        &format!("{}/v1/sync", s.url),
        Some(&wang.token),
        &json!({"push": [{"doc_id": id, "changes": closeloop_model::protocol::wire::encode(&d.save())}]}),
    );
    assert_eq!(r.body["results"][0]["status"], "accepted", "{}", r.body);
}

fn act(s: &TestServer, token: &str, id: &str, body: Value) -> Res {
    post(
        &format!("{}/v1/hazards/{id}/actions", s.url),
        Some(token),
        &body,
    )
}

#[test]
fn a_supervisor_decides_over_http_under_the_pushs_rules() {
    let s = TestServer::start();
    let wang = author(&s, "wang");
    fixed_on_spot(&s, &wang, "hzd-act-1");
    let li = token(&s, "li", "li-browser");
    let zhang = token(&s, "zhang", "zhang-browser");
    let zhao = token(&s, "zhao", "zhao-browser");
    // The owner may not accept, and is told by the rule a push would meet.
    let r = act(&s, &zhang, "hzd-act-1", json!({"type": "accepted"}));
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (403, Some("hazard.accept.supervisor_only")),
        "{}",
        r.body
    );
    // Another grid's inspector does not see it at all.
    let r = act(&s, &zhao, "hzd-act-1", json!({"type": "commented"}));
    let ghost = act(&s, &zhao, "hzd-nothing", json!({"type": "commented"}));
    assert_eq!((r.status, ghost.status), (404, 404));
    // A rejection needs its reason within bounds; then the supervisor accepts.
    let r = act(
        &s,
        &li,
        "hzd-act-1",
        json!({"type": "rejected", "reason": "x".repeat(5000)}),
    );
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (403, Some("hazard.too_long"))
    );
    // The body is closed: a field of another kind, or of no kind, is refused, not ignored.
    let r = act(
        &s,
        &li,
        "hzd-act-1",
        json!({"type": "accepted", "reason": "x"}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`reason`"),
        "{}",
        r.body
    );
    let r = act(
        &s,
        &li,
        "hzd-act-1",
        json!({"type": "commented", "site_id": "s"}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = act(
        &s,
        &li,
        "hzd-act-1",
        json!({"type": "assigned", "assignee": "zhang"}),
    );
    assert_eq!(
        r.status, 400,
        "an assignment needs its deadline: {}",
        r.body
    );
    let r = act(
        &s,
        &li,
        "hzd-act-1",
        json!({"type": "accepted", "note": "现场复查合格"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "accepted");
    let last = r.body["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .expect("an entry");
    assert_eq!(last["event"]["type"], "accepted");
    assert_eq!(last["event"]["role"], "supervisor");
    assert!(last["received_at"].is_i64(), "{last}");
    // Deciding again is refused by the lifecycle, not recorded as a no-op.
    let r = act(&s, &li, "hzd-act-1", json!({"type": "accepted"}));
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("lifecycle.")),
        "{}",
        r.body
    );
    // Reporting is for phones.
    let r = act(
        &s,
        &li,
        "hzd-act-1",
        json!({"type": "reported", "title": "x", "severity": "general"}),
    );
    assert_eq!(r.status, 400);
    // Wang's phone receives the supervisor's change through the feed.
    let feed = post(
        &format!("{}/v1/sync", s.url),
        Some(&wang.token),
        &json!({"cursor": null, "push": []}),
    );
    let entries: Vec<&Value> = feed.body["feed"]
        .as_array()
        .expect("feed")
        .iter()
        .filter(|e| e["doc_id"] == "hzd-act-1")
        .collect();
    assert_eq!(entries.len(), 1, "the console's change reaches the phone");
}
