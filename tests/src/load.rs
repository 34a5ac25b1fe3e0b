//! A sync load for benchmarks: many devices, each its own inspector with its own hazard, pushing
//! one change and pulling the grid's feed per request, spread over one or more server URLs.

use automerge::{ActorId, AutoCommit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use closeloop_model::doc::{DocKind, Header, hazard};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity};
use closeloop_model::roles::{Role, SiteRef};
use serde_json::{Value, json};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Instant;

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct Figures {
    pub requests: usize,
    pub seconds: f64,
    /// Sorted request latencies in milliseconds.
    pub latencies_ms: Vec<f64>,
}

impl Figures {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    /// One line: requests, rate and latency quantiles.
    pub fn summary(&self) -> String {
        format!(
            "{} requests in {:.1} s = {:.0} requests/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.requests,
            self.seconds,
            self.per_second(),
            self.quantile(0.5),
            self.quantile(0.99),
            self.quantile(1.0)
        )
    }

    /// The latency at quantile `q` (0..=1).
    pub fn quantile(&self, q: f64) -> f64 {
        let l = &self.latencies_ms;
        l[((l.len() as f64 - 1.0) * q).round() as usize]
    }
}

/// POSTs JSON; (status, body).
pub fn post(url: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.post(url).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", &format!("Bearer {t}"));
    }
    let mut res = req.send(body.to_string()).expect("transport");
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates `devices` inspectors in grid-1 of the demo organisation (through `urls[0]`), then runs
/// `rounds` syncs per device, device `d` on `urls[d % urls.len()]`. Logins happen before the clock
/// starts; `at_start` runs just before it does (to read CPU counters, say) and its value is
/// returned with the figures.
pub fn run<T>(
    urls: &[String],
    devices: usize,
    rounds: usize,
    at_start: impl FnOnce() -> T,
) -> (Figures, T) {
    let url = &urls[0];
    let (_, admin) = post(
        &format!("{url}/v1/auth/login"),
        None,
        &json!({"username": "admin", "password": "admin-demo-pass", "device_id": "bench"}),
    );
    let admin = admin["access_token"]
        .as_str()
        .expect("admin token")
        .to_owned();
    for d in 0..devices {
        let (s, b) = post(
            &format!("{url}/v1/admin/users"),
            Some(&admin),
            &json!({"username": format!("dev{d}"), "password": "device-pass", "display_name": format!("dev{d}"), "role": "inspector", "grid_ids": ["grid-1"]}),
        );
        assert_eq!(s, 201, "{b}");
    }
    let (_, wang) = post(
        &format!("{url}/v1/auth/login"),
        None,
        &json!({"username": "wang", "password": "wang-demo-pass", "device_id": "probe"}),
    );
    let site = {
        let t = wang["access_token"].as_str().expect("token");
        let (_, feed) = post(&format!("{url}/v1/sync"), Some(t), &json!({"cursor": null}));
        feed["feed"]
            .as_array()
            .expect("feed")
            .iter()
            .find(|e| e["kind"] == "site")
            .expect("a site")["site_id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let ready = Arc::new(Barrier::new(devices + 1));
    let threads: Vec<_> = (0..devices)
        .map(|d| {
            let url = urls[d % urls.len()].clone();
            let (site, latencies, ready) = (site.clone(), latencies.clone(), ready.clone());
            std::thread::spawn(move || {
                let (_, login) = post(&format!("{url}/v1/auth/login"), None, &json!({"username": format!("dev{d}"), "password": "device-pass", "device_id": format!("dev{d}-phone")}));
                let token = login["access_token"].as_str().expect("token").to_owned();
                let user = login["user"]["user_id"].as_str().expect("id").to_owned();
                let actor = ActorId::random();
                post(&format!("{url}/v1/devices/actors"), Some(&token), &json!({"actor_ids": [actor.to_hex_string()]}));
                let mut doc = AutoCommit::new().with_actor(actor);
                let header = Header { kind: DocKind::Hazard, id: format!("hzd-bench-{d}"), site: SiteRef { org_id: "demo-org".into(), grid_id: "grid-1".into(), site_id: site } };
                let report = EventKind::Reported(Report { title: "bench".into(), severity: Severity::General, clauses: vec![], item_id: None, gb35181: None, measure: String::new(), deadline: None });
                hazard::create(&mut doc, &header, None, &Event { id: "e0".into(), kind: report, by: user.clone(), role: Role::Inspector, at: 0, note: String::new(), photos: vec![] }).expect("create");
                let mut synced = Vec::new();
                let mut cursor = Value::Null;
                let mut mine = Vec::new();
                ready.wait();
                for r in 0..rounds {
                    if r > 0 {
                        hazard::append_event(&mut doc, &Event { id: format!("e{r}"), kind: EventKind::Commented, by: user.clone(), role: Role::Inspector, at: r as i64, note: "still there".into(), photos: vec![] }).expect("event");
                    }
                    let delta = doc.save_after(&synced);
                    let t = Instant::now();
                    let (status, body) = post(&format!("{url}/v1/sync"), Some(&token), &json!({"cursor": cursor, "push": [{"doc_id": header.id, "changes": B64.encode(delta)}], "feed_limit": 1000}));
                    mine.push(t.elapsed().as_secs_f64() * 1000.0);
                    assert_eq!(status, 200, "{body}");
                    assert_eq!(body["results"][0]["status"], "accepted", "{body}");
                    cursor = body["cursor"].clone();
                    synced = doc.get_heads();
                }
                latencies.lock().expect("lock").extend(mine);
            })
        })
        .collect();
    let mark = at_start();
    ready.wait();
    let started = Instant::now();
    for t in threads {
        t.join().expect("device thread");
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies_ms = latencies.lock().expect("lock").clone();
    latencies_ms.sort_by(f64::total_cmp);
    (
        Figures {
            requests: latencies_ms.len(),
            seconds,
            latencies_ms,
        },
        mark,
    )
}
