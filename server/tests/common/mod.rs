//! A real server on a free port with the demo organisation, and a small blocking JSON client.
#![allow(dead_code)] // each test binary uses a different subset

use closeloop_server::config::Config;
use closeloop_server::{AppState, demo, launch};
use serde_json::{Value, json};
use std::sync::mpsc;

pub struct TestServer {
    pub url: String,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    pub sites: Vec<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(|_| {})
    }

    pub fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("tmp");
        let mut config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        tweak(&mut config);
        let (tx, rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let state = AppState::open(config).await.expect("server state");
                let d = demo::create(&state).await.expect("demo");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let addr = listener.local_addr().expect("addr");
                tx.send((
                    format!("http://{addr}"),
                    state.clone(),
                    d.sites.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
                ))
                .expect("send");
                launch(state, listener, async {
                    let _ = stop_rx.await;
                })
                .await
                .expect("serve");
            });
        });
        let (url, state, sites) = rx.recv().expect("server started");
        TestServer {
            url,
            state,
            dir,
            sites,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Runs a future on a throwaway runtime (for direct database checks).
    pub fn block<F: Future>(&self, f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt")
            .block_on(f)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
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
