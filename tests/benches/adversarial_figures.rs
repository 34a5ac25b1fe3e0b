//! What attacks cost a release server process with its default bounds, as the kernel counts its
//! memory: decompression and operation bombs in a sync push, a hundred trickled bodies, a thousand
//! idle connections, a login burst. Prints one line per figure.
//!
//! Run: `cargo bench -p closeloop-e2e --bench adversarial_figures`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use closeloop_e2e::adversary::{
    Target, call, compressed_chunk_bomb, login, login_from, op_bomb, post, raw_connect,
    time_until_closed,
};
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_closeloop-replica"))
}

fn bombs() {
    let t = Target::start(bin(), &[]);
    let wang = login(&t, "wang");
    post(&t, Some(&wang.token), "/v1/sync", &json!({"push": []}));
    let base = t.peak_kib();
    let deflate = compressed_chunk_bomb(1 << 30);
    let ops = op_bomb(2_000_000);
    for (name, bytes, copies) in [
        ("deflate bomb (1 GiB of zeros)", &deflate, 1),
        ("op bomb (2,000,000 ops)", &ops, 1),
        ("eight deflate bombs in one request", &deflate, 8),
    ] {
        let push: Vec<_> = (0..copies)
            .map(|i| json!({"doc_id": format!("bomb-{i}"), "changes": B64.encode(bytes)}))
            .collect();
        let started = Instant::now();
        let r = post(&t, Some(&wang.token), "/v1/sync", &json!({"push": push}));
        println!(
            "{name}: {} bytes pushed, answered {} in {:.1} ms; server peak {:.1} MiB -> {:.1} MiB (+{:.1})",
            bytes.len() * copies,
            r.status,
            started.elapsed().as_secs_f64() * 1000.0,
            mib(base),
            mib(t.peak_kib()),
            mib(t.peak_kib().saturating_sub(base))
        );
    }
}

fn slow_bodies() {
    let t = Target::start(bin(), &[]);
    let wang = login(&t, "wang");
    let before = t.rss_kib();
    let started = Instant::now();
    let held: Vec<Duration> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..100)
            .map(|_| {
                let token = wang.token.clone();
                let t = &t;
                s.spawn(move || {
                    let mut c = raw_connect(t);
                    write!(
                        c,
                        "POST /v1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 8000000\r\n\r\n{{"
                    )
                    .expect("write");
                    let mut w = c.try_clone().expect("clone");
                    std::thread::spawn(move || {
                        for _ in 0..200 {
                            std::thread::sleep(Duration::from_secs(10));
                            if w.write_all(b" ").is_err() {
                                return;
                            }
                        }
                    });
                    time_until_closed(&mut c)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let longest = held.iter().max().copied().unwrap_or_default();
    println!(
        "100 bodies at 1 byte per 10 s: longest held {:.1} s (all done in {:.1} s); server RSS {:.1} -> peak {:.1} MiB",
        longest.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        mib(before),
        mib(t.peak_kib())
    );
}

fn idle_connections() {
    // From one address, the per-address cap (256) would close most of them at once; this
    // measures what the global cap lets a server hold.
    let t = Target::start(bin(), &[("max-connections-per-address", "0")]);
    let before = t.rss_kib();
    let started = Instant::now();
    let mut idle: Vec<_> = (0..1000).map(|_| raw_connect(&t)).collect();
    std::thread::sleep(Duration::from_secs(1));
    let during = t.rss_kib();
    let fds = std::fs::read_dir(format!("/proc/{}/fd", t.pid()))
        .map(|d| d.count())
        .unwrap_or(0);
    let r = call("GET", &format!("{}/healthz", t.url), None, None, &[]);
    let longest = idle
        .iter_mut()
        .map(time_until_closed)
        .max()
        .unwrap_or_default();
    println!(
        "1,000 idle connections: server RSS {:.1} -> {:.1} MiB with {fds} descriptors open; a real request answered {}; all closed by the server after {:.1} s (longest held {:.1} s)",
        mib(before),
        mib(during),
        r.status,
        started.elapsed().as_secs_f64(),
        longest.as_secs_f64()
    );
}

fn login_burst() {
    let t = Target::start(bin(), &[("trust-forwarded-for", "true")]);
    let before = t.peak_kib();
    let attempt =
        |user: &str, password: &str, from: &str| login_from(&t, user, password, from).status;
    let started = Instant::now();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..1000)
            .map(|i| {
                let attempt = &attempt;
                s.spawn(move || {
                    attempt(
                        &format!("guess-{}", i % 50),
                        "wrong",
                        &format!("10.9.{}.{}", i / 250, i % 250),
                    )
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let burst = started.elapsed();
    let honest = Instant::now();
    let ok = attempt("li", "li-demo-pass", "10.0.0.2");
    println!(
        "1,000 wrong logins from 1,000 addresses for 50 names: {} answered 429, {} 401, in {:.1} s; honest login then {} in {:.0} ms; server peak {:.1} -> {:.1} MiB",
        statuses.iter().filter(|s| **s == 429).count(),
        statuses.iter().filter(|s| **s == 401).count(),
        burst.as_secs_f64(),
        ok,
        honest.elapsed().as_secs_f64() * 1000.0,
        mib(before),
        mib(t.peak_kib())
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it, and
    // then it only has to build.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    bombs();
    idle_connections();
    login_burst();
    slow_bodies();
}
