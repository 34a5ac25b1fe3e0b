//! The sync endpoint and blobs at the HTTP level: malformed, oversized and forged input is refused
//! with a reason and changes nothing; an honest push is accepted and reaches others' feeds.

mod common;

use automerge::{ActorId, AutoCommit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use closeloop_model::doc::{DocKind, Header, hazard};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity};
use closeloop_model::roles::{Role, SiteRef};
use common::*;
use serde_json::json;

fn feed_head(s: &TestServer) -> i64 {
    s.block(closeloop_server::sync::feed::head(&s.state.db.pool))
        .expect("head")
}

fn hazard_doc(actor: &ActorId, site: &str, by: &str) -> AutoCommit {
    let mut d = AutoCommit::new().with_actor(actor.clone());
    let header = Header {
        kind: DocKind::Hazard,
        id: "hzd-test-1".into(),
        site: SiteRef {
            org_id: "demo-org".into(),
            grid_id: "grid-1".into(),
            site_id: site.into(),
        },
    };
    let report = EventKind::Reported(Report {
        title: "通道堵塞".into(),
        severity: Severity::General,
        clauses: vec![],
        item_id: None,
        gb35181: None,
        measure: String::new(),
        deadline: None,
    });
    let e = Event {
        id: "e1".into(),
        kind: report,
        by: by.into(),
        role: Role::Inspector,
        at: 1,
        note: String::new(),
        photos: vec![],
    };
    hazard::create(&mut d, &header, None, &e).expect("create");
    d
}

fn sync(s: &TestServer, token: &str, body: serde_json::Value) -> Res {
    post(&format!("{}/v1/sync", s.url), Some(token), &body)
}

#[test]
fn malformed_and_oversized_requests_change_nothing() {
    let s = TestServer::start_with(|c| c.max_sync_bytes = 64 * 1024);
    let t = token(&s, "wang", "d1");
    let head = feed_head(&s);
    let url = format!("{}/v1/sync", s.url);
    let r = call(
        "POST",
        &url,
        Some(&t),
        Some(b"{not json"),
        "application/json",
    );
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("bad_request"))
    );
    let r = sync(
        &s,
        &t,
        json!({"cursor": null, "push": [{"doc_id": "x", "changes": "%%%"}]}),
    );
    assert_eq!((r.status, r.body["field"].as_str()), (400, Some("push[0]")));
    let r = sync(
        &s,
        &t,
        json!({"push": [{"doc_id": "x", "changes": B64.encode(b"definitely not automerge")}]}),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not automerge"),
        "{}",
        r.body
    );
    let r = sync(&s, &t, json!({"push": [], "surprise": 1}));
    assert_eq!(r.status, 400);
    let r = sync(
        &s,
        &t,
        json!({"push": [{"doc_id": "../etc", "changes": ""}]}),
    );
    assert_eq!((r.status, r.body["field"].as_str()), (400, Some("push[0]")));
    let big = json!({"push": [{"doc_id": "x", "changes": "A".repeat(100 * 1024)}]});
    let r = sync(&s, &t, big);
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (413, Some("too_large"))
    );
    assert_eq!(feed_head(&s), head, "nothing was written");
}

#[test]
fn unbound_actors_are_refused_and_bound_ones_reach_the_supervisor() {
    let s = TestServer::start();
    let wang = token(&s, "wang", "d1");
    let actor = ActorId::random();
    let mut doc = hazard_doc(
        &actor,
        &s.sites[0],
        login(&s, "wang", "d1")["user"]["user_id"]
            .as_str()
            .expect("id"),
    );
    let push = json!({"push": [{"doc_id": "hzd-test-1", "changes": B64.encode(doc.save())}]});
    let r = sync(&s, &wang, push.clone());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["results"][0]["status"], "refused");
    assert_eq!(
        r.body["results"][0]["refusal"]["rule"],
        "sync.actor_not_bound"
    );
    assert!(
        r.body["results"][0].get("server_doc").is_none(),
        "the server has no version of it"
    );

    // Another device cannot take over the actor once it is bound.
    let reg = post(
        &format!("{}/v1/devices/actors", s.url),
        Some(&wang),
        &json!({"actor_ids": [actor.to_hex_string()]}),
    );
    assert_eq!(reg.status, 200, "{}", reg.body);
    let thief = token(&s, "zhao", "d9");
    let taken = post(
        &format!("{}/v1/devices/actors", s.url),
        Some(&thief),
        &json!({"actor_ids": [actor.to_hex_string()]}),
    );
    assert_eq!(
        (taken.status, taken.body["error"].as_str()),
        (409, Some("actor_taken"))
    );

    let r = sync(&s, &wang, push.clone());
    assert_eq!(r.body["results"][0]["status"], "accepted", "{}", r.body);
    // Replaying the same request is harmless.
    let head = feed_head(&s);
    let again = sync(&s, &wang, push);
    assert_eq!(again.body["results"][0]["status"], "accepted");
    assert_eq!(feed_head(&s), head, "a replay writes nothing");

    // The supervisor's feed carries it; the other grid's inspector does not see it.
    let li = token(&s, "li", "tablet");
    let feed = sync(&s, &li, json!({"cursor": null}));
    assert!(
        feed.body["feed"]
            .as_array()
            .expect("feed")
            .iter()
            .any(|e| e["doc_id"] == "hzd-test-1")
    );
    let zhao = sync(&s, &token(&s, "zhao", "d2"), json!({"cursor": null}));
    assert!(
        !zhao.body["feed"]
            .as_array()
            .expect("feed")
            .iter()
            .any(|e| e["doc_id"] == "hzd-test-1")
    );
    // The pushing device does not get its own batch back.
    let own = sync(&s, &wang, json!({"cursor": null}));
    assert!(
        !own.body["feed"]
            .as_array()
            .expect("feed")
            .iter()
            .any(|e| e["doc_id"] == "hzd-test-1")
    );
    let status: String = s.block(async {
        sqlx::query_scalar::<_, String>("SELECT status FROM hazards WHERE id = 'hzd-test-1'")
            .fetch_one(&s.state.db.pool)
            .await
            .expect("projected")
    });
    assert_eq!(status, "reported");
}

#[test]
fn blobs_are_verified_by_hash_type_and_size() {
    let s = TestServer::start_with(|c| c.max_blob_bytes = 16 * 1024);
    let t = token(&s, "wang", "d1");
    let (jpeg, sha) = jpeg(7);
    let url = format!("{}/v1/blobs/{sha}", s.url);
    let put = |bytes: &[u8], ct: &str| {
        let sha = sha256_hex(bytes);
        call(
            "PUT",
            &format!("{}/v1/blobs/{sha}", s.url),
            Some(&t),
            Some(bytes),
            ct,
        )
    };
    assert_eq!(put(&jpeg, "image/jpeg").status, 201);
    assert_eq!(put(&jpeg, "image/jpeg").status, 200, "idempotent");
    let mut tampered = jpeg.clone();
    tampered[10] ^= 1;
    let r = call("PUT", &url, Some(&t), Some(&tampered), "image/jpeg");
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("hash_mismatch"))
    );
    // Not the photo it claims to be: a PNG, HTML behind JPEG markers, a frame header claiming
    // 50,000 × 50,000 pixels, a JPEG cut short.
    let png = b"\x89PNG\r\n\x1a\n....".to_vec();
    let html = [
        &[0xff, 0xd8, 0xff, 0xe0][..],
        b"<html><script>alert(1)</script></html>",
        &[0xff, 0xd9][..],
    ]
    .concat();
    let mut huge = jpeg.clone();
    let sof = huge
        .windows(2)
        .position(|w| w == [0xff, 0xc0])
        .expect("baseline frame");
    huge[sof + 5..sof + 9].copy_from_slice(&[0xc3, 0x50, 0xc3, 0x50]);
    let cut = jpeg[..jpeg.len() - 40].to_vec();
    for (what, bytes) in [
        ("png", &png),
        ("html", &html),
        ("huge", &huge),
        ("cut", &cut),
    ] {
        let r = put(bytes, "image/jpeg");
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (415, Some("unsupported_type")),
            "{what}: {}",
            r.body
        );
    }
    assert_eq!(
        call("PUT", &url, Some(&t), Some(&jpeg), "image/png").status,
        415
    );
    let big = vec![0u8; 32 * 1024];
    assert_eq!(put(&big, "image/jpeg").status, 413);
    assert_eq!(call("GET", &url, Some(&t), None, "").status, 200);
    assert_eq!(call("HEAD", &url, Some(&t), None, "").status, 200);
    assert_eq!(
        call(
            "GET",
            &format!("{}/v1/blobs/{}", s.url, "0".repeat(64)),
            Some(&t),
            None,
            ""
        )
        .status,
        404
    );
    assert_eq!(call("GET", &url, None, None, "").status, 401);
    // Served so that no browser takes it for anything but an image.
    let r = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
        .get(&url)
        .header("authorization", format!("Bearer {t}"))
        .call()
        .expect("get");
    let h = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(h("content-type"), "image/jpeg");
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert!(h("content-security-policy").contains("default-src 'none'"));
}
