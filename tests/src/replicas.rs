//! Several real server processes sharing one PostgreSQL database and one S3 bucket, as deployed:
//! each its own process and port, the same JWT keys, behind no proxy (clients pick a replica).

use closeloop_testkit::{Minio, Postgres, free_port};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Running replicas, killed when dropped.
#[derive(Debug)]
pub struct Replicas {
    pub urls: Vec<String>,
    /// (site id, name) of the demo sites; the first is the restaurant owned by `zhang`.
    pub sites: Vec<(String, String)>,
    pub database_url: String,
    pub bucket: String,
    binary: PathBuf,
    args: Vec<String>,
    procs: Vec<Option<Child>>,
    dir: tempfile::TempDir,
}

/// The settings every replica shares, as flags.
fn shared_args(database_url: &str, bucket: &str, minio: &Minio) -> Vec<String> {
    [
        ("--database-url", database_url.to_owned()),
        ("--s3-bucket", bucket.to_owned()),
        ("--s3-endpoint", minio.endpoint()),
        ("--s3-path-style", "true".into()),
        ("--s3-access-key-id", minio.access_key.clone()),
        ("--s3-secret-access-key", minio.secret_key.clone()),
        (
            "--jwt-keys",
            "r1=replicas share this key of thirty-two bytes or more".into(),
        ),
        ("--shutdown-grace-seconds", "20".into()),
    ]
    .into_iter()
    .flat_map(|(k, v)| [k.to_owned(), v])
    .collect()
}

impl Replicas {
    /// Starts `n` replicas of `binary` (a `closeloop-server` command line) on a fresh database in
    /// the shared PostgreSQL cluster and a fresh bucket in the shared MinIO, with the demo
    /// organisation.
    pub fn start(binary: &Path, n: usize) -> Replicas {
        Self::start_on(binary, n, Postgres::shared().database())
    }

    /// As [`Replicas::start`], on a database of the caller's.
    pub fn start_on(binary: &Path, n: usize, database_url: String) -> Replicas {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let bucket = format!(
            "replicas-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let args = shared_args(&database_url, &bucket, Minio::shared());
        let dir = tempfile::tempdir().expect("tmp");
        let demo = Command::new(binary)
            .arg("demo")
            .args(&args)
            .arg("--data-dir")
            .arg(dir.path().join("demo"))
            .env("RUST_LOG", "warn")
            // The server reads every CLOSELOOP_* variable as a setting; this one is the tests'.
            .env_remove("CLOSELOOP_TEST_DATABASE")
            .output()
            .expect("demo runs");
        let out = String::from_utf8_lossy(&demo.stdout).into_owned();
        assert!(
            demo.status.success(),
            "demo: {out}{}",
            String::from_utf8_lossy(&demo.stderr)
        );
        let sites = crate::adversary::demo_sites(&out);
        let mut replicas = Replicas {
            urls: Vec::new(),
            sites,
            database_url,
            bucket,
            binary: binary.to_owned(),
            args,
            procs: Vec::new(),
            dir,
        };
        for _ in 0..n {
            replicas.add();
        }
        replicas
    }

    /// Starts one more replica and waits until it is ready; returns its index.
    pub fn add(&mut self) -> usize {
        let i = self.procs.len();
        let port = free_port();
        let log = std::fs::File::create(self.log_path(i)).expect("log file");
        let child = Command::new(&self.binary)
            .arg("serve")
            .args(&self.args)
            .arg("--data-dir")
            .arg(self.dir.path().join(format!("r{i}")))
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .args(["--log-format", "json"])
            .env("RUST_LOG", "info")
            .env_remove("CLOSELOOP_TEST_DATABASE")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("replica starts");
        self.procs.push(Some(child));
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(res) = ureq::get(&format!("{url}/readyz")).call()
                && res.status() == 200
            {
                self.urls.push(url);
                return i;
            }
            if let Some(Some(c)) = self.procs.get_mut(i)
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("replica {i} exited ({status}): {}", self.log(i));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("replica {i} not ready: {}", self.log(i));
    }

    pub fn url(&self, i: usize) -> &str {
        &self.urls[i]
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("r{i}.log"))
    }

    /// The process id of replica `i`.
    pub fn pid(&self, i: usize) -> u32 {
        self.procs[i].as_ref().expect("running").id()
    }

    /// What replica `i` has logged (JSON lines).
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.log_path(i)).unwrap_or_default()
    }

    /// Sends SIGTERM to replica `i` (as an orchestrator stopping it would).
    pub fn terminate(&mut self, i: usize) {
        let pid = self.procs[i].as_ref().expect("running").id();
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for replica `i` to exit.
    pub fn wait(&mut self, i: usize) -> ExitStatus {
        self.procs[i].take().expect("running").wait().expect("wait")
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        for c in self.procs.iter_mut().flatten() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
