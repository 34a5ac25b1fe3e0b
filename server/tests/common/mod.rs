//! A real server on a free port with the demo organisation, and a small blocking JSON client.
#![allow(dead_code)] // each test binary uses a different subset

pub mod browser;

use automerge::{ActorId, AutoCommit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use closeloop_model::doc::{DocKind, Header, hazard};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity};
use closeloop_model::roles::{Role, SiteRef};
use closeloop_server::background::Background;
use closeloop_server::config::Config;
use closeloop_server::{AppState, demo};
use serde_json::{Value, json};

pub struct TestServer {
    pub url: String,
    pub state: AppState,
    pub sites: Vec<String>,
    server: Background,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(|_| {})
    }

    pub fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_orgs(tweak, false)
    }

    /// The demo organisation and a second one (`org-b`, usernames `b-…`, the same grid ids),
    /// made on the server's own runtime (a pooled PostgreSQL connection outlives no other).
    pub fn start_two_orgs() -> TestServer {
        Self::start_orgs(|_| {}, true)
    }

    fn start_orgs(tweak: impl FnOnce(&mut Config), second: bool) -> TestServer {
        let dir = tempfile::tempdir().expect("tmp");
        let mut config = closeloop_server::background::throwaway_config(
            dir.path(),
            closeloop_testkit::test_database_url(),
        );
        tweak(&mut config);
        let (server, sites) = Background::start(config, move |state| async move {
            let d = demo::create(&state).await.expect("demo");
            if second {
                demo::create_org(&state, "org-b", "乙街道", "b-")
                    .await
                    .expect("second organisation");
            }
            d.sites.iter().map(|s| s.0.clone()).collect::<Vec<_>>()
        })
        .expect("server starts");
        assert_eq!(
            server.state.db.engine == closeloop_server::db::Engine::Postgres,
            std::env::var("CLOSELOOP_TEST_DATABASE").as_deref() == Ok("postgres"),
            "the suite runs on the engine CLOSELOOP_TEST_DATABASE names"
        );
        TestServer {
            url: server.url.clone(),
            state: server.state.clone(),
            sites,
            server,
            _dir: dir,
        }
    }

    /// Stops the server gracefully and hands back its data folder, so the data outlives it.
    pub fn stop(self) -> tempfile::TempDir {
        drop(self.server);
        self._dir
    }

    /// Runs a future on a throwaway runtime (for direct database checks).
    pub fn block<F: Future>(&self, f: F) -> F::Output {
        self.server.block(f)
    }
}

/// A response: status and JSON body (Null when empty or not JSON).
pub struct Res {
    pub status: u16,
    pub body: Value,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
    content_type: &str,
) -> Res {
    let agent = agent();
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req = req.header("content-type", content_type);
    let res = agent
        .run(
            req.body(body.unwrap_or_default().to_vec())
                .expect("request"),
        )
        .expect("transport");
    let status = res.status().as_u16();
    let text = res.into_body().read_to_string().unwrap_or_default();
    Res {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

pub fn post(url: &str, token: Option<&str>, body: &Value) -> Res {
    call(
        "POST",
        url,
        token,
        Some(body.to_string().as_bytes()),
        "application/json",
    )
}

pub fn login(server: &TestServer, user: &str, device: &str) -> Value {
    let r = post(
        &format!("{}/v1/auth/login", server.url),
        None,
        &json!({"username": user, "password": format!("{user}-demo-pass"), "device_id": device}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

pub fn token(server: &TestServer, user: &str, device: &str) -> String {
    login(server, user, device)["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// A user logged in on a device of their own, with an automerge actor bound to it.
pub struct Author {
    pub token: String,
    pub user_id: String,
    pub actor: ActorId,
}

pub fn author(s: &TestServer, user: &str) -> Author {
    let l = login(s, user, &format!("{user}-dev"));
    let token = l["access_token"].as_str().expect("token").to_owned();
    let actor = ActorId::random();
    let r = post(
        &format!("{}/v1/devices/actors", s.url),
        Some(&token),
        &json!({"actor_ids": [actor.to_hex_string()]}),
    );
    assert_eq!(r.status, 200);
    Author {
        token,
        user_id: l["user"]["user_id"].as_str().expect("id").to_owned(),
        actor,
    }
}

pub fn site_grid(s: &TestServer, site: &str) -> String {
    s.block(async {
        sqlx::query_scalar::<_, String>("SELECT grid_id FROM sites WHERE id = $1")
            .bind(site)
            .fetch_one(&s.state.db.pool)
            .await
            .expect("site")
    })
}

/// Pushes a hazard (reported, then `extra` events) and returns its id.
pub fn push_hazard(
    s: &TestServer,
    a: &Author,
    site: &str,
    id: &str,
    severity: Severity,
    deadline: Option<i64>,
    extra: Vec<EventKind>,
) -> String {
    let bytes = hazard_bytes(s, a, site, id, severity, deadline, extra);
    let res = post(
        &format!("{}/v1/sync", s.url),
        Some(&a.token),
        &json!({"push": [{"doc_id": id, "changes": B64.encode(bytes)}]}),
    );
    assert_eq!(res.body["results"][0]["status"], "accepted", "{}", res.body);
    id.to_owned()
}

/// A general hazard at the first demo site, as the bytes a phone would push.
pub fn hazard_doc_bytes(s: &TestServer, a: &Author, id: &str) -> Vec<u8> {
    hazard_bytes(s, a, &s.sites[0], id, Severity::General, None, vec![])
}

/// A hazard document by `a` (reported, then `extra` events), saved.
pub fn hazard_bytes(
    s: &TestServer,
    a: &Author,
    site: &str,
    id: &str,
    severity: Severity,
    deadline: Option<i64>,
    extra: Vec<EventKind>,
) -> Vec<u8> {
    let mut d = AutoCommit::new().with_actor(a.actor.clone());
    let header = Header {
        kind: DocKind::Hazard,
        id: id.into(),
        site: SiteRef {
            org_id: "demo-org".into(),
            grid_id: site_grid(s, site),
            site_id: site.into(),
        },
    };
    let report = EventKind::Reported(Report {
        title: format!("hazard {id}"),
        severity,
        clauses: vec!["消防法 Art. 28".into()],
        item_id: Some("fire-law.exits-clear".into()),
        gb35181: None,
        measure: "clear it".into(),
        deadline,
    });
    let me = |kind: EventKind, n: usize, r: Role| Event {
        id: format!("{id}-e{n}"),
        kind,
        by: a.user_id.clone(),
        role: r,
        at: 1_000 + n as i64,
        note: String::new(),
        photos: vec![],
    };
    let r = role_of(s, &a.token);
    hazard::create(&mut d, &header, None, &me(report, 0, r)).expect("create");
    for (n, k) in extra.into_iter().enumerate() {
        hazard::append_event(&mut d, &me(k, n + 1, r)).expect("event");
    }
    d.save()
}

pub fn role_of(s: &TestServer, token: &str) -> Role {
    let me = call("GET", &format!("{}/v1/me", s.url), Some(token), None, "");
    Role::parse(me.body["role"].as_str().expect("role")).expect("role")
}

/// A real baseline JPEG of 64×48 pixels whose content depends on `seed`, and its SHA-256.
pub fn jpeg(seed: u8) -> (Vec<u8>, String) {
    let (w, h) = (64u16, 48u16);
    let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .flat_map(|i| [seed, (i % 251) as u8, (i / 64) as u8])
        .collect();
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 80)
        .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    let sha = sha256_hex(&bytes);
    (bytes, sha)
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
