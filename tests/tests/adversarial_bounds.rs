//! Requests meant to exhaust the server, against a real server process: decompression and
//! operation bombs in a sync push, a body trickled a byte at a time, headers never finished,
//! connections opened and left idle, a login burst, a flood of event streams. Each is ended by a
//! bound, and the test asserts what it cost: the server's own peak memory as the kernel counts it,
//! or how long the attacker held a connection.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use closeloop_e2e::adversary::{
    Target, call, compressed_chunk_bomb, get, login, login_from, op_bomb, post, raw_connect,
    time_until_closed,
};
use closeloop_testkit::EventStream;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_closeloop-replica"))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[test]
fn sync_bombs_are_refused_before_they_inflate() {
    let t = Target::start(bin(), &[]);
    let wang = login(&t, "wang");
    // Warm up: a normal sync, so the baseline includes what any sync allocates.
    let r = post(&t, Some(&wang.token), "/v1/sync", &json!({"push": []}));
    assert_eq!(r.status, 200);
    let before = t.peak_kib();
    let bomb = compressed_chunk_bomb(512 << 20);
    assert!(bomb.len() < 1 << 20, "a {} byte bomb", bomb.len());
    let ops = op_bomb(400_000);
    for (name, bytes) in [("deflate", &bomb), ("ops", &ops)] {
        let started = Instant::now();
        let r = post(
            &t,
            Some(&wang.token),
            "/v1/sync",
            &json!({"push": [{"doc_id": format!("bomb-{name}"), "changes": B64.encode(bytes)}]}),
        );
        let refused =
            r.status == 400 || (r.status == 200 && r.body["results"][0]["status"] == "refused");
        assert!(refused, "{name}: {} {}", r.status, r.body);
        let rule = r.body["results"][0]["refusal"]["rule"]
            .as_str()
            .or(r.body["error"].as_str())
            .unwrap_or_default()
            .to_owned();
        let after = t.peak_kib();
        println!(
            "{name} bomb ({} bytes): {rule} in {:?}; peak {:.1} -> {:.1} MiB",
            bytes.len(),
            started.elapsed(),
            mib(before),
            mib(after)
        );
        assert!(
            after.saturating_sub(before) < 64 * 1024,
            "the {name} bomb cost {:.1} MiB",
            mib(after - before)
        );
    }
    // Many bombs in one request are refused just the same.
    let many: Vec<_> = (0..8)
        .map(|i| json!({"doc_id": format!("bomb-{i}"), "changes": B64.encode(&bomb)}))
        .collect();
    let r = post(&t, Some(&wang.token), "/v1/sync", &json!({"push": many}));
    assert!(
        r.status == 200 || r.status == 400 || r.status == 413,
        "{}",
        r.body
    );
    assert!(
        t.peak_kib().saturating_sub(before) < 64 * 1024,
        "eight bombs cost {:.1} MiB",
        mib(t.peak_kib() - before)
    );
    assert!(t.rss_kib() > 0);
    let r = post(&t, Some(&wang.token), "/v1/sync", &json!({"push": []}));
    assert_eq!(r.status, 200, "the server still serves");
}

#[test]
fn a_trickled_body_is_cut_off_at_its_deadline() {
    let t = Target::start(
        bin(),
        &[
            ("body-timeout-seconds", "3"),
            ("body-idle-timeout-seconds", "2"),
        ],
    );
    let wang = login(&t, "wang");
    let mut s = raw_connect(&t);
    write!(
        s,
        "POST /v1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{",
        wang.token
    )
    .expect("write");
    // One byte every 1.5 s: never idle for 2 s, so only the whole-body deadline ends it.
    let mut writer = s.try_clone().expect("clone");
    std::thread::spawn(move || {
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(1500));
            if writer.write_all(b" ").is_err() {
                return;
            }
        }
    });
    let held = time_until_closed(&mut s);
    println!("trickled body held the connection {held:?}");
    assert!(
        held < Duration::from_secs(6),
        "the trickle held a connection for {held:?}"
    );
    // A body that stops altogether is cut at the idle deadline.
    let mut s = raw_connect(&t);
    write!(
        s,
        "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"user"
    )
    .expect("write");
    let mut answer = String::new();
    let started = Instant::now();
    {
        use std::io::Read;
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            answer.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
    let held = started.elapsed();
    assert!(held < Duration::from_secs(5), "{held:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"timeout\""), "{answer}");
}

#[test]
fn unfinished_headers_and_idle_connections_are_closed_and_capped() {
    let t = Target::start(
        bin(),
        &[
            ("header-read-timeout-seconds", "2"),
            ("max-connections", "40"),
        ],
    );
    // Headers begun and never finished.
    let mut s = raw_connect(&t);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .expect("write");
    let held = time_until_closed(&mut s);
    assert!(held < Duration::from_secs(4), "held {held:?}");
    // Two hundred connections that say nothing: at most 40 are ever accepted, all are closed at
    // the header deadline, and a real client is served meanwhile.
    let fds = |t: &Target| {
        std::fs::read_dir(format!("/proc/{}/fd", t.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let base = fds(&t);
    let before = t.rss_kib();
    let idle: Vec<_> = (0..200).map(|_| raw_connect(&t)).collect();
    std::thread::sleep(Duration::from_millis(500));
    let open = fds(&t).saturating_sub(base);
    println!(
        "200 idle connections: {open} accepted, RSS {:.1} -> {:.1} MiB",
        mib(before),
        mib(t.rss_kib())
    );
    assert!(open <= 41, "{open} connections accepted past the cap of 40");
    let started = Instant::now();
    let r = call("GET", &format!("{}/healthz", t.url), None, None, &[]);
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a real client waited {:?}",
        started.elapsed()
    );
    drop(idle);
}

#[test]
fn a_login_burst_meets_429_and_an_honest_login_gets_through() {
    let t = Target::start(bin(), &[("trust-forwarded-for", "true")]);
    let attempt = |user: &str, password: &str, from: &str| login_from(&t, user, password, from);
    // 200 concurrent wrong passwords from one address.
    let results: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                scope.spawn(move || {
                    let r = attempt(&format!("guess-{i}"), "wrong-password", "10.0.0.1");
                    (r.status, r.retry_after)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let throttled = results.iter().filter(|(s, _)| *s == 429).count();
    assert!(
        results.iter().all(|(s, _)| *s == 401 || *s == 429),
        "{results:?}"
    );
    assert!(throttled >= 160, "only {throttled} of 200 throttled");
    assert!(
        results
            .iter()
            .filter(|(s, _)| *s == 429)
            .all(|(_, ra)| ra.as_deref().and_then(|v| v.parse::<u64>().ok()).is_some()),
        "every 429 says when to retry"
    );
    // Meanwhile an honest user from elsewhere logs in at once.
    let started = Instant::now();
    let ok = attempt("li", "li-demo-pass", "10.0.0.2");
    assert_eq!(ok.status, 200, "{}", ok.body);
    println!("honest login during the burst: {:?}", started.elapsed());
    // Guesses at one account from many addresses meet the account's own limit, the same for an
    // account that does not exist.
    for user in ["zhao", "no-such-user"] {
        let statuses: Vec<u16> = (0..14)
            .map(|i| attempt(user, "wrong-password", &format!("10.1.0.{i}")).status)
            .collect();
        assert!(
            statuses[..10].iter().all(|s| *s == 401),
            "{user}: {statuses:?}"
        );
        assert!(
            statuses[10..].iter().all(|s| *s == 429),
            "{user}: {statuses:?}"
        );
    }
}

#[test]
fn event_streams_per_user_are_capped() {
    let t = Target::start(bin(), &[("max-event-streams-per-user", "2")]);
    let li = login(&t, "li");
    let url = format!("{}/v1/hazard-events", t.url);
    let a = EventStream::open(&url, &li.token, None).expect("first");
    let b = EventStream::open(&url, &li.token, None).expect("second");
    let (status, body) = EventStream::open(&url, &li.token, None).expect_err("third");
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("too_many_requests"), "{body}");
    // Someone else's streams are their own.
    let wang = login(&t, "wang");
    let c = EventStream::open(&url, &wang.token, None).expect("another user");
    drop((a, b, c));
    assert_eq!(get(&t, &li.token, "/v1/me").status, 200);
}
