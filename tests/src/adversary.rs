//! The attacker's harness: a real server process (the server's own command line) with two
//! organisations, on SQLite or, with `CLOSELOOP_TEST_DATABASE=postgres`, on a fresh PostgreSQL
//! database; a plain HTTP client that sends exactly what it is told; and the server's own memory
//! as the kernel reports it, so a test can assert what an attack cost.

use automerge::{AutoCommit, ObjType, ROOT, transaction::Transactable};
use closeloop_testkit::free_port;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server process with the demo organisation (`demo-org`: admin, li, wang, zhao, zhang)
/// and a second one (`other-org`: b-admin, b-li, b-wang, b-zhao, b-zhang).
#[derive(Debug)]
pub struct Target {
    pub url: String,
    /// Site ids of each organisation, by the demo's site name.
    pub sites: BTreeMap<(&'static str, String), String>,
    child: Child,
    dir: tempfile::TempDir,
}

/// The key the target signs access tokens with.
pub const JWT_KID: &str = "adv";
pub const JWT_SECRET: &str = "the adversarial suite's key of at least 32 bytes";

/// The organisations' ids.
pub const ORG_A: &str = "demo-org";
pub const ORG_B: &str = "other-org";

/// The `(site id, name)` lines the demo commands print under `Sites:`.
pub fn demo_sites(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("Sites:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| {
            let (id, name) = l.trim().split_once("  ")?;
            Some((id.to_owned(), name.trim().to_owned()))
        })
        .collect()
}

impl Target {
    /// Starts `binary` (a `closeloop-server` command line) with `settings` as extra flags.
    pub fn start(binary: &Path, settings: &[(&str, &str)]) -> Target {
        let dir = tempfile::tempdir().expect("tmp");
        let mut args: Vec<String> = vec![
            "--data-dir".into(),
            dir.path().join("data").to_string_lossy().into_owned(),
        ];
        // A known key, so tests can sign tokens that are valid but for one claim.
        args.extend(["--jwt-keys".into(), format!("{JWT_KID}={JWT_SECRET}")]);
        if let Some(url) = closeloop_testkit::test_database_url() {
            args.extend(["--database-url".into(), url]);
        }
        for (k, v) in settings {
            args.push(format!("--{k}"));
            args.push((*v).to_owned());
        }
        let mut sites = BTreeMap::new();
        for (command, org) in [("demo", ORG_A), ("demo-other", ORG_B)] {
            let out = Command::new(binary)
                .arg(command)
                .args(&args)
                .env("RUST_LOG", "warn")
                .env_remove("CLOSELOOP_TEST_DATABASE")
                .output()
                .expect("demo runs");
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "{command}: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let org: &'static str = org;
            for (id, name) in demo_sites(&stdout) {
                sites.insert((org, name), id);
            }
        }
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log");
        let child = Command::new(binary)
            .arg("serve")
            .args(&args)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "warn")
            .env_remove("CLOSELOOP_TEST_DATABASE")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("server starts");
        let mut t = Target {
            url: format!("http://127.0.0.1:{port}"),
            sites,
            child,
            dir,
        };
        let started = Instant::now();
        loop {
            if let Ok(res) = ureq::get(&format!("{}/readyz", t.url)).call()
                && res.status() == 200
            {
                return t;
            }
            if let Ok(Some(status)) = t.child.try_wait() {
                panic!("server exited ({status}): {}", t.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server not ready: {}",
                t.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The site id of a demo site by organisation and name (`"便利店"`, `"物流仓库"`…).
    pub fn site(&self, org: &'static str, name: &str) -> String {
        self.sites
            .iter()
            .find(|((o, n), _)| *o == org && n.starts_with(name))
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| panic!("no site {name} in {org}: {:?}", self.sites))
    }

    /// What the server has logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn status_field(&self, name: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server process is running");
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} not in /proc status"))
    }

    /// The server's resident memory now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.status_field("VmRSS:")
    }

    /// The most memory the server has held since it started, in KiB.
    pub fn peak_kib(&self) -> u64 {
        self.status_field("VmHWM:")
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the server process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers we look at, raw body and the body as JSON (Null if not JSON).
#[derive(Debug, Clone)]
pub struct Res {
    pub status: u16,
    pub content_type: String,
    pub retry_after: Option<String>,
    pub raw: Vec<u8>,
    pub body: Value,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Sends one request and reads the whole answer.
pub fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> Res {
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = agent()
        .run(
            req.body(body.unwrap_or_default().to_vec())
                .expect("request"),
        )
        .expect("transport");
    let status = res.status().as_u16();
    let header = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let retry_after = header("retry-after");
    let raw = res
        .into_body()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap_or_default();
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Res {
        status,
        content_type,
        retry_after,
        raw,
        body,
    }
}

/// `GET` with a token.
pub fn get(t: &Target, token: &str, path: &str) -> Res {
    call("GET", &format!("{}{path}", t.url), Some(token), None, &[])
}

/// `POST` of a JSON body.
pub fn post(t: &Target, token: Option<&str>, path: &str, body: &Value) -> Res {
    call(
        "POST",
        &format!("{}{path}", t.url),
        token,
        Some(body.to_string().as_bytes()),
        &[("content-type", "application/json")],
    )
}

/// A signed-in user of the demo organisations.
#[derive(Debug, Clone)]
pub struct Account {
    pub username: String,
    pub user_id: String,
    pub token: String,
    pub refresh: String,
    pub device: String,
    pub org: String,
}

/// Logs in `username` (password `<username>-demo-pass`) on a device of its own.
pub fn login(t: &Target, username: &str) -> Account {
    login_on(t, username, &format!("{username}-dev"))
}

/// Logs in `username` on `device`.
pub fn login_on(t: &Target, username: &str, device: &str) -> Account {
    let r = post(
        t,
        None,
        "/v1/auth/login",
        &json!({"username": username, "password": format!("{username}-demo-pass"), "device_id": device}),
    );
    assert_eq!(r.status, 200, "login {username}: {}", r.body);
    Account {
        username: username.into(),
        user_id: r.body["user"]["user_id"].as_str().expect("id").into(),
        token: r.body["access_token"].as_str().expect("token").into(),
        refresh: r.body["refresh_token"].as_str().expect("refresh").into(),
        device: device.into(),
        org: r.body["user"]["org_id"].as_str().expect("org").into(),
    }
}

/// One login attempt as if from `from` (the target must trust `X-Forwarded-For`).
pub fn login_from(t: &Target, user: &str, password: &str, from: &str) -> Res {
    call(
        "POST",
        &format!("{}/v1/auth/login", t.url),
        None,
        Some(
            json!({"username": user, "password": password, "device_id": "d"})
                .to_string()
                .as_bytes(),
        ),
        &[
            ("content-type", "application/json"),
            ("x-forwarded-for", from),
        ],
    )
}

/// A request written by hand on a raw socket, for clients that misbehave below HTTP: slow bodies,
/// unfinished headers, idle connections.
pub fn raw_connect(t: &Target) -> std::net::TcpStream {
    let addr = t.url.trim_start_matches("http://");
    let s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    s
}

/// Waits until the server closes `s` (a read returns 0 or fails) and says how long that took.
pub fn time_until_closed(s: &mut std::net::TcpStream) -> Duration {
    use std::io::Read;
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => continue,
        }
    }
}

/// A compressed change chunk (automerge chunk type 2) whose deflate stream inflates to `size`
/// zero bytes: the shape of the bomb the adversarial review sent.
pub fn compressed_chunk_bomb(size: usize) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..size / zeros.len() {
        enc.write_all(&zeros).expect("deflate");
    }
    let data = enc.finish().expect("deflate");
    let mut out = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut n = data.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend(data);
    out
}

/// A real automerge change with `ops` operations, a few bytes each once run-length encoded.
pub fn op_bomb(ops: usize) -> Vec<u8> {
    let mut d = AutoCommit::new();
    let list = d.put_object(ROOT, "l", ObjType::List).expect("list");
    d.splice(
        &list,
        0,
        0,
        (0..ops).map(|_| automerge::ScalarValue::Int(0)),
    )
    .expect("splice");
    d.save()
}
