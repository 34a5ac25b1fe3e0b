//! Listing a filtered page of hazards with 100,000 hazards in SQLite, through HTTP (target under
//! 50 ms), and rendering each console page over them (target under 100 ms at the server).
//! Run: `cargo bench -p closeloop-server --bench tracking`.

use closeloop_server::background::Background;
use closeloop_server::config::Config;
use closeloop_server::demo;
use std::time::Instant;

const HAZARDS: i64 = 100_000;

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
    let (server, sites) = Background::start(config, |state| async move {
        let d = demo::create(&state).await.expect("demo");
        let sites: Vec<(String, String)> = d.sites.iter().map(|s| s.0.clone()).zip(["grid-1", "grid-1", "grid-1", "grid-2"].map(str::to_owned)).collect();
        let mut tx = state.db.pool.begin().await.expect("tx");
        let statuses = ["reported", "assigned", "rectification_submitted", "rejected", "accepted", "cancelled", "fixed_on_spot"];
        for n in 0..HAZARDS {
            let (site, grid) = &sites[(n % 4) as usize];
            sqlx::query(
                "INSERT INTO hazards (id, org_id, grid_id, site_id, title, status, severity, assignee, deadline, reported_at, evidence_complete, photo_count, event_count, updated_at)
                 VALUES ($1, 'demo-org', $2, $3, $4, $5, $6, $7, $8, $9, 1, 0, 1, $9)",
            )
            .bind(format!("hzd-{n:06}"))
            .bind(grid)
            .bind(site)
            .bind(format!("hazard {n}"))
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
        sites
    })
    .expect("server");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
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
    let queries = [
        "/v1/hazards?status=assigned,rejected&grid_id=grid-1&limit=50",
        "/v1/hazards?overdue=true&sort=deadline&limit=50",
        "/v1/hazards?severity=major&status=reported&limit=50",
        "/v1/hazards?assignee=u-7&limit=50",
        "/v1/review-queue",
    ];
    println!(
        "{HAZARDS} hazards in SQLite; each figure is the median and max of 30 requests over HTTP on loopback (target < 50 ms)"
    );
    for q in queries {
        let mut times = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let mut res = agent
                .get(&format!("{}{q}", server.url))
                .header("authorization", &format!("Bearer {token}"))
                .call()
                .expect("get");
            let body = res.body_mut().read_to_string().expect("body");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(res.status(), 200, "{body}");
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {q:<60} median {:6.1} ms   max {:6.1} ms",
            times[15], times[29]
        );
    }
    // The console, signed in through its own form, over the same 100,000 hazards.
    let form = agent
        .get(&format!("{}/console/login", server.url))
        .call()
        .expect("login page");
    let csrf_cookie = cookie_of(&form, "cl_login_csrf");
    let login = agent
        .post(&format!("{}/console/login", server.url))
        .header("cookie", &format!("cl_login_csrf={csrf_cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(format!(
            "username=li&password=li-demo-pass&csrf={csrf_cookie}"
        ))
        .expect("console login");
    let session = cookie_of(&login, "cl_session");
    let pages = [
        "/console/".to_owned(),
        "/console/review".to_owned(),
        "/console/hazards".to_owned(),
        "/console/hazards?status=assigned&grid_id=grid-1&sort=deadline".to_owned(),
        "/console/hazards?overdue=true".to_owned(),
        "/console/hazards/hzd-000007".to_owned(),
        format!("/console/sites/{}", sites[0].0),
        "/console/sites".to_owned(),
    ];
    println!("console pages over the same hazards (target < 100 ms)");
    for q in pages {
        let mut times = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let mut res = agent
                .get(&format!("{}{q}", server.url))
                .header("cookie", &format!("cl_session={session}"))
                .call()
                .expect("get");
            let body = res.body_mut().read_to_string().expect("body");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(res.status(), 200, "{q}: {body}");
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {q:<60} median {:6.1} ms   max {:6.1} ms",
            times[15], times[29]
        );
    }
}

fn cookie_of(res: &ureq::http::Response<ureq::Body>, name: &str) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()
                .and_then(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no {name} cookie"))
}
