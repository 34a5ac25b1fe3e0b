//! Sync figures against the real server binary, on loopback:
//! 1. A day's work for one inspector (40 inspections of 30 items, 60 hazards, 150 photos), synced
//!    after each inspection: round trips, bytes up and down next to the automerge changes and
//!    photos themselves, and the server's CPU time.
//! 2. Many devices syncing at once: requests per second, p50/p99 latency, server peak memory.
//!
//! Run: `scripts/bench-sync` (builds the release server, then this).

use closeloop::api::*;
use closeloop_e2e::Phone;
use closeloop_e2e::proxy::CuttingProxy;
use std::process::{Child, Command};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/closeloop-server")
}

fn start_server() -> Server {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().to_string_lossy().into_owned();
    let status = Command::new(binary())
        .args(["demo", "--data-dir", &data])
        .output()
        .expect("demo runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let child = Command::new(binary())
        .args([
            "serve",
            "--data-dir",
            &data,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("server starts");
    let url = format!("http://127.0.0.1:{port}");
    // From here on the child is owned by `Server`, whose drop kills and reaps it.
    let server = Server { child, url, dir };
    for _ in 0..200 {
        if ureq::get(&format!("{}/healthz", server.url)).call().is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("server did not come up");
}

/// (CPU seconds, peak resident MiB) of a process.
fn usage(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm_kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    (ticks / 100.0, hwm_kb / 1024.0)
}

fn db_sum(dir: &std::path::Path, sql: &'static str) -> i64 {
    let url = format!("sqlite://{}?mode=ro", dir.join("closeloop.db").display());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt")
        .block_on(async {
            sqlx_any::any::install_default_drivers();
            let pool = sqlx_any::AnyPool::connect(&url).await.expect("db");
            sqlx_any::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap_or(0)
        })
}

fn day_of_work() {
    let server = start_server();
    let proxy = CuttingProxy::start(server.url.trim_start_matches("http://"));
    let wang = Phone::login(&proxy.url, "wang");
    wang.sync();
    let sites: Vec<String> = wang
        .run(wang.ws.sites())
        .expect("sites")
        .into_iter()
        .map(|s| s.id)
        .collect();
    let (cpu0, _) = usage(server.child.id());
    let (up0, down0, req0) = (
        proxy.counters.up.load(Ordering::SeqCst),
        proxy.counters.down.load(Ordering::SeqCst),
        proxy.counters.requests.load(Ordering::SeqCst),
    );
    let started = Instant::now();
    let (mut photos, mut hazards, mut answers) = (0, 0, 0);
    for n in 0..40 {
        let site = sites[n % sites.len()].clone();
        let insp = wang
            .run(
                wang.ws
                    .start_inspection(site, InspectionPurpose::FullInspection),
            )
            .expect("start");
        let items = wang
            .run(wang.ws.inspection(insp.clone()))
            .expect("insp")
            .items;
        for (k, it) in items.iter().take(30).enumerate() {
            let answer = match &it.item.answer {
                AnswerKind::PassFail => {
                    if k % 9 == 0 {
                        Answer::Fail
                    } else {
                        Answer::Pass
                    }
                }
                AnswerKind::Count { min } => Answer::Count { value: *min },
                AnswerKind::Measurement { max, min, .. } => Answer::Measurement {
                    value: max.or(*min).unwrap_or(1.0),
                },
                AnswerKind::Date { .. } => Answer::Date {
                    value: "2026-06-01".into(),
                },
            };
            let failed = matches!(answer, Answer::Fail);
            wang.run(
                wang.ws
                    .answer_item(insp.clone(), it.item.id.clone(), answer, String::new()),
            )
            .expect("answer");
            answers += 1;
            let want_photo = photos < 150 && (failed || (n * 30 + k) % 11 == 0);
            if want_photo {
                wang.run(wang.ws.attach_photo(
                    insp.clone(),
                    Some(it.item.id.clone()),
                    wang.take_photo(&format!("p{photos}"), photos as u8),
                ))
                .expect("photo");
                photos += 1;
            }
            if failed
                && hazards < 60
                && wang
                    .run(wang.ws.raise_hazard(
                        insp.clone(),
                        it.item.id.clone(),
                        String::new(),
                        vec![],
                    ))
                    .is_ok()
            {
                hazards += 1;
            }
        }
        wang.run(wang.ws.sign_off(insp, String::new()))
            .expect("sign");
        let r = wang.sync();
        assert!(
            r.refused.is_empty() && r.upload_failures.is_empty(),
            "{r:?}"
        );
    }
    let wall = started.elapsed().as_secs_f64();
    let (cpu1, rss) = usage(server.child.id());
    let up = proxy.counters.up.load(Ordering::SeqCst) - up0;
    let down = proxy.counters.down.load(Ordering::SeqCst) - down0;
    let requests = proxy.counters.requests.load(Ordering::SeqCst) - req0;
    let changes = db_sum(
        server.dir.path(),
        "SELECT COALESCE(SUM(LENGTH(bytes)), 0) FROM doc_changes WHERE device_id NOT LIKE 'server%'",
    );
    let blobs = db_sum(
        server.dir.path(),
        "SELECT COALESCE(SUM(size), 0) FROM blobs",
    );
    println!("== a day's work for one inspector");
    println!(
        "   {answers} answers in 40 inspections, {hazards} hazards, {photos} photos ({} files with thumbnails), 40 syncs, {wall:.1} s on the phone side",
        photos * 2
    );
    println!(
        "   round trips: {requests} HTTP requests ({:.1} per sync)",
        requests as f64 / 40.0
    );
    println!(
        "   bytes up: {:.2} MiB, of which photo bodies {:.2} MiB; the rest ({:.1} KiB: sync requests, headers) carried automerge changes of {:.1} KiB uncompressed",
        up as f64 / 1048576.0,
        blobs as f64 / 1048576.0,
        (up as f64 - blobs as f64) / 1024.0,
        changes as f64 / 1024.0
    );
    println!("   bytes down: {:.1} KiB", down as f64 / 1024.0);
    println!(
        "   server CPU: {:.2} s for the whole day; server peak RSS {rss:.0} MiB",
        cpu1 - cpu0
    );
}

fn many_devices(devices: usize, rounds: usize) {
    let server = start_server();
    let (f, ()) =
        closeloop_e2e::load::run(std::slice::from_ref(&server.url), devices, rounds, || ());
    let (cpu, rss) = usage(server.child.id());
    println!(
        "== {devices} devices syncing at once (push one change + pull the grid's feed, {rounds} rounds each)"
    );
    println!("   {}", f.summary());
    println!(
        "   server CPU {cpu:.1} s in total (incl. start-up and {devices} argon2 logins), peak RSS {rss:.0} MiB"
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it, and
    // then it only has to build.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if !binary().exists() {
        eprintln!(
            "build the server first: cargo build --release -p closeloop-server (scripts/bench-sync does both)"
        );
        std::process::exit(2);
    }
    day_of_work();
    many_devices(20, 50);
    many_devices(50, 20);
}
