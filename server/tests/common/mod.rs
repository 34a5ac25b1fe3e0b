//! A real server on a free port with the demo organisation, and a small blocking JSON client.
#![allow(dead_code)] // each test binary uses a different subset

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
        let dir = tempfile::tempdir().expect("tmp");
        let mut config = Config {
            data_dir: dir.path().to_owned(),
            database_url: closeloop_testkit::test_database_url(),
            ..Config::default()
        };
        if config.database_url.is_some() {
            // PostgreSQL means replicas, which must be given shared keys.
            config.jwt_keys = vec![closeloop_server::config::JwtKey {
                kid: "test".into(),
                secret: "a test key of at least thirty-two bytes".into(),
            }];
        }
        tweak(&mut config);
        let (server, sites) = Background::start(config, |state| async move {
            let d = demo::create(&state).await.expect("demo");
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
