//! A MinIO S3 server in a temp folder on a free port. The binary is built from the Go module proxy
//! by `scripts/tools/minio` (into `target/tools/bin`), or named by `CLOSELOOP_MINIO`.

use crate::process::{Watchdog, free_port};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A running MinIO, stopped and deleted when dropped or when the process ends.
#[derive(Debug)]
pub struct Minio {
    pub port: u16,
    pub access_key: String,
    pub secret_key: String,
    root: PathBuf,
    server: Mutex<Child>,
    /// Deletes the folder once `drop` has stopped the server (or kills it if this process dies).
    _watchdog: Watchdog,
}

fn binary() -> Result<PathBuf, String> {
    let path = match std::env::var("CLOSELOOP_MINIO") {
        Ok(p) => PathBuf::from(p),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tools/bin/minio"),
    };
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "no MinIO binary at {}: run scripts/tools/minio (builds it from the Go module proxy) or set CLOSELOOP_MINIO",
            path.display()
        ))
    }
}

fn live(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = "GET /minio/health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

impl Minio {
    /// The server this test process shares, started on first use.
    pub fn shared() -> &'static Minio {
        static ONE: OnceLock<Minio> = OnceLock::new();
        ONE.get_or_init(|| {
            Minio::start().unwrap_or_else(|e| panic!("starting MinIO for tests: {e}"))
        })
    }

    /// Starts a new server with its own folder.
    pub fn start() -> Result<Minio, String> {
        let bin = binary()?;
        let root = tempfile::Builder::new()
            .prefix("closeloop-s3-")
            .tempdir()
            .map_err(|e| format!("temp folder: {e}"))?
            .keep();
        let (access_key, secret_key) = ("closeloop".to_owned(), "closeloop-test-secret".to_owned());
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(root.join("server.log")).map_err(|e| e.to_string())?;
            let mut server = Command::new(&bin)
                .arg("server")
                .arg(root.join("data"))
                .args(["--address", &format!("127.0.0.1:{port}"), "--quiet"])
                .args(["--console-address", &format!("127.0.0.1:{}", free_port())])
                .env("MINIO_ROOT_USER", &access_key)
                .env("MINIO_ROOT_PASSWORD", &secret_key)
                .env("MINIO_BROWSER", "off")
                .env("MINIO_UPDATE", "off")
                .stdin(Stdio::null())
                .stdout(log.try_clone().map_err(|e| e.to_string())?)
                .stderr(log)
                .spawn()
                .map_err(|e| format!("{}: {e}", bin.display()))?;
            let wd = Watchdog::start(&format!(
                "kill {pid} 2>/dev/null; while kill -0 {pid} 2>/dev/null; do sleep 0.05; done; rm -rf '{root}'",
                pid = server.id(),
                root = root.display()
            ))?;
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(status)) = server.try_wait() {
                    last = format!(
                        "minio exited ({status}): {}",
                        std::fs::read_to_string(root.join("server.log")).unwrap_or_default()
                    );
                    break;
                }
                if live(port) {
                    return Ok(Minio {
                        port,
                        access_key,
                        secret_key,
                        root,
                        server: Mutex::new(server),
                        _watchdog: wd,
                    });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = server.kill();
            let _ = server.wait();
        }
        Err(last)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Where MinIO keeps its data and `server.log`.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }
}

impl Drop for Minio {
    fn drop(&mut self) {
        if let Ok(mut s) = self.server.lock() {
            let _ = s.kill();
            let _ = s.wait();
        }
    }
}
