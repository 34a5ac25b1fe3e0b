//! Exporting 100,000 hazards as CSV and as XLSX over HTTP, streamed: the time each takes and the
//! process's peak resident memory while it runs (the server and this client share the process;
//! the peak is reset before each export, so the figure is the export's, over the seeded server's
//! baseline). Run: `cargo bench -p closeloop-server --bench exports`.

use closeloop_server::background::Background;
use closeloop_server::config::Config;
use closeloop_server::demo;
use std::io::Read;
use std::time::Instant;

const HAZARDS: i64 = 100_000;

/// A figure from /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it, and
    // then it only has to build.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let (server, _sites) = Background::start(config, |state| async move {
        let d = demo::create(&state).await.expect("demo");
        let sites: Vec<(String, String)> = d
            .sites
            .iter()
            .map(|s| s.0.clone())
            .zip(["grid-1", "grid-1", "grid-1", "grid-2"].map(str::to_owned))
            .collect();
        let mut tx = state.db.pool.begin().await.expect("tx");
        let statuses = [
            "reported",
            "assigned",
            "rectification_submitted",
            "rejected",
            "accepted",
            "cancelled",
            "fixed_on_spot",
        ];
        for n in 0..HAZARDS {
            let (site, grid) = &sites[(n % 4) as usize];
            sqlx::query(
                "INSERT INTO hazards (id, org_id, grid_id, site_id, title, status, severity, assignee, deadline, reported_at, evidence_complete, photo_count, event_count, updated_at)
                 VALUES ($1, 'demo-org', $2, $3, $4, $5, $6, $7, $8, $9, 1, 0, 1, $9)",
            )
            .bind(format!("hzd-{n:06}"))
            .bind(grid)
            .bind(site)
            .bind(format!("消防通道堵塞 hazard {n}"))
            .bind(statuses[(n % 7) as usize])
            .bind(if n % 13 == 0 { "major" } else { "general" })
            .bind(format!("u-{}", n % 50))
            .bind(1_700_000_000_000 + n * 60_000)
            .bind(1_690_000_000_000 + n * 60_000)
            .execute(&mut *tx)
            .await
            .expect("insert");
        }
        tx.commit().await.expect("commit");
    })
    .expect("server");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let login: serde_json::Value = serde_json::from_str(
        &agent
            .post(&format!("{}/v1/auth/login", server.url))
            .header("content-type", "application/json")
            .send(r#"{"username":"li","password":"li-demo-pass","device_id":"bench"}"#)
            .expect("login")
            .body_mut()
            .read_to_string()
            .expect("body"),
    )
    .expect("json");
    let token = login["access_token"].as_str().expect("token").to_owned();
    println!("{HAZARDS} hazards in SQLite, exported over HTTP on loopback");
    for q in [
        "/v1/exports/hazards?format=csv",
        "/v1/exports/hazards?format=xlsx",
        "/v1/exports/hazards?format=csv&grid_id=grid-1&severity=major",
    ] {
        // Reset the peak (Linux: writing 5 to clear_refs resets VmHWM).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = status_kib("VmRSS:");
        let t = Instant::now();
        let mut res = agent
            .get(&format!("{}{q}", server.url))
            .header("authorization", &format!("Bearer {token}"))
            .call()
            .expect("get");
        assert_eq!(res.status(), 200);
        let rows = res
            .headers()
            .get("x-export-rows")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("?")
            .to_owned();
        let mut reader = res.body_mut().with_config().limit(u64::MAX).reader();
        let mut buf = [0u8; 64 * 1024];
        let mut bytes = 0usize;
        loop {
            let n = reader.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            bytes += n;
        }
        let secs = t.elapsed().as_secs_f64();
        let peak = status_kib("VmHWM:");
        println!(
            "  {q:<62} {rows:>6} rows  {:7.1} MiB  {secs:6.2} s  RSS before {:6.1} MiB, peak {:6.1} MiB (+{:5.1} MiB)",
            bytes as f64 / 1048576.0,
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0
        );
    }
    drop(server);
}
