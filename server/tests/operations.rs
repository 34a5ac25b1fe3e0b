//! Running the server: readiness, metrics, request ids, live hazard events in each role's scope
//! (with resume), and a shutdown that finishes the sync in flight.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use closeloop_model::lifecycle::Severity;
use closeloop_testkit::{EventStream, Next, SseEvent};
use common::*;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn text(url: &str, token: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(url).header("x-request-id", "ops-test-1");
    if let Some(t) = token {
        req = req.header("authorization", &format!("Bearer {t}"));
    }
    let res = req.call().expect("transport");
    assert_eq!(
        res.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("ops-test-1"),
        "the request id comes back"
    );
    let status = res.status().as_u16();
    (status, res.into_body().read_to_string().unwrap_or_default())
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn readiness_metrics_and_request_ids() {
    let s = TestServer::start();
    let (status, body) = text(&format!("{}/readyz", s.url), None);
    assert_eq!(status, 200, "{body}");
    let ready: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        ready,
        json!({"ready": true, "database": "ok", "blobs": "ok"})
    );

    let wang = author(&s, "wang");
    push_hazard(
        &s,
        &wang,
        &s.sites[0],
        "hz-metrics",
        Severity::General,
        None,
        vec![],
    );
    // A push by an actor bound to nobody is refused and counted by its rule.
    let mut stranger = automerge::AutoCommit::new();
    automerge::transaction::Transactable::put(&mut stranger, automerge::ROOT, "x", 1).expect("put");
    let stranger = stranger.save();
    let r = post(
        &format!("{}/v1/sync", s.url),
        Some(&wang.token),
        &json!({"push": [{"doc_id": "hz-x", "changes": B64.encode(stranger)}]}),
    );
    assert_eq!(r.status, 200);

    let (status, m) = text(&format!("{}/metrics", s.url), None);
    assert_eq!(status, 200);
    assert_eq!(metric(&m, "closeloop_sync_batches_total"), Some(2.0), "{m}");
    assert_eq!(
        metric(&m, "closeloop_sync_documents_total{outcome=\"accepted\"}"),
        Some(1.0)
    );
    let refused = m
        .lines()
        .filter(|l| l.starts_with("closeloop_sync_refusals_total{"))
        .count();
    assert_eq!(refused, 1, "{m}");
    assert_eq!(
        metric(
            &m,
            "closeloop_http_requests_total{method=\"POST\",route=\"/v1/sync\",status=\"200\"}"
        ),
        Some(2.0)
    );
    // Ids in paths never become labels: the route pattern does.
    assert!(m.contains("route=\"/v1/auth/login\""));
    assert!(metric(&m, "closeloop_db_pool_max_connections").is_some_and(|n| n >= 1.0));

    let guarded = TestServer::start_with(|c| c.metrics_token = Some("scrape-me".into()));
    let (status, body) = text(&format!("{}/metrics", guarded.url), None);
    assert_eq!(status, 401);
    assert!(
        body.contains("\"error\":\"token_invalid\""),
        "the API's error body: {body}"
    );
    assert_eq!(
        text(&format!("{}/metrics", guarded.url), Some("wrong")).0,
        401
    );
    assert_eq!(
        text(&format!("{}/metrics", guarded.url), Some("scrape-me")).0,
        200
    );
}

fn open(s: &TestServer, token: &str, last: Option<&str>) -> EventStream {
    let stream = EventStream::open(&format!("{}/v1/hazard-events", s.url), token, last)
        .expect("stream opens");
    assert_eq!(stream.expect(WAIT).event, "ready");
    stream
}

fn hazard_of(e: &SseEvent) -> Value {
    assert_eq!(e.event, "hazard");
    let v: Value = serde_json::from_str(&e.data).expect("json");
    assert_eq!(e.id.as_deref(), Some(v["seq"].to_string().as_str()));
    v
}

fn quiet(stream: &EventStream) {
    match stream.next(Duration::from_millis(500)) {
        Next::TimedOut => {}
        other => panic!("nothing more was due, got {other:?}"),
    }
}

#[test]
fn hazard_events_reach_each_role_in_scope_and_resume_after_a_gap() {
    let s = TestServer::start();
    let li = token(&s, "li", "li-screen");
    let zhang_token = token(&s, "zhang", "zhang-phone");
    let (wang, zhao) = (author(&s, "wang"), author(&s, "zhao"));
    let supervisor = open(&s, &li, None);
    let owner = open(&s, &zhang_token, None);
    let grid2 = open(&s, &zhao.token, None);

    let restaurant = s.sites[0].clone();
    let warehouse = s.sites[3].clone();
    push_hazard(
        &s,
        &wang,
        &restaurant,
        "hz-a",
        Severity::Major,
        Some(9_000),
        vec![],
    );
    push_hazard(
        &s,
        &zhao,
        &warehouse,
        "hz-b",
        Severity::General,
        None,
        vec![],
    );

    let first = hazard_of(&supervisor.expect(WAIT));
    assert_eq!(first["id"], "hz-a");
    assert_eq!(first["status"], "reported");
    assert_eq!(first["severity"], "major");
    assert_eq!(first["deadline"], 9_000);
    assert_eq!(hazard_of(&supervisor.expect(WAIT))["id"], "hz-b");
    assert_eq!(hazard_of(&owner.expect(WAIT))["id"], "hz-a");
    quiet(&owner); // the warehouse is not the owner's
    assert_eq!(hazard_of(&grid2.expect(WAIT))["id"], "hz-b");
    quiet(&grid2); // grid-1 is not zhao's

    // A screen that was away since hz-a gets what changed meanwhile, then live changes.
    let id = first["seq"].to_string();
    let back = open(&s, &li, Some(&id));
    assert_eq!(hazard_of(&back.expect(WAIT))["id"], "hz-b");
    push_hazard(
        &s,
        &wang,
        &restaurant,
        "hz-c",
        Severity::General,
        None,
        vec![],
    );
    assert_eq!(hazard_of(&back.expect(WAIT))["id"], "hz-c");
    assert_eq!(hazard_of(&supervisor.expect(WAIT))["id"], "hz-c");

    let bad = EventStream::open(
        &format!("{}/v1/hazard-events", s.url),
        &li,
        Some("yesterday"),
    )
    .expect_err("refused");
    assert_eq!(bad.0, 400, "{}", bad.1);
    let anonymous = EventStream::open(&format!("{}/v1/hazard-events", s.url), "forged", None)
        .expect_err("refused");
    assert_eq!(anonymous.0, 401);
}

#[test]
fn shutdown_finishes_the_sync_in_flight_and_ends_streams() {
    let s = TestServer::start();
    let wang = author(&s, "wang");
    let li = token(&s, "li", "li-screen");
    let stream = open(&s, &li, None);

    let doc = hazard_doc_bytes(&s, &wang, "hz-late");
    let body = json!({"push": [{"doc_id": "hz-late", "changes": B64.encode(doc)}]}).to_string();
    let host = s.url.trim_start_matches("http://").to_owned();
    let mut conn = std::net::TcpStream::connect(&host).expect("connect");
    write!(
        conn,
        "POST /v1/sync HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        wang.token,
        body.len()
    )
    .expect("headers");
    let (half, rest) = body.as_bytes().split_at(body.len() / 2);
    conn.write_all(half).expect("half a body");
    conn.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(200));

    let state = s.state.clone();
    let stopping = std::thread::spawn(move || s.stop());
    for _ in 0..200 {
        if state.shutdown.is_draining() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(state.shutdown.is_draining(), "the shutdown began");
    assert_eq!(
        stream.next(WAIT),
        Next::Ended,
        "streams end so the shutdown can finish"
    );

    conn.write_all(rest).expect("the rest of the body");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"accepted\""), "{answer}");
    let _data = stopping.join().expect("the server stopped");

    let kept: i64 = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            // The server's pool went with its runtime; look with a connection of our own.
            let db = closeloop_server::db::Db::open(&state.config.database_url(), Some(1))
                .await
                .expect("database");
            sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE id = 'hz-late'")
                .fetch_one(&db.pool)
                .await
        })
        .expect("count");
    assert_eq!(kept, 1, "the sync that was in flight is committed");
}
