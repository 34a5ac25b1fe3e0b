//! A throwaway PostgreSQL cluster: `initdb` and `pg_ctl` from the machine's PostgreSQL binaries,
//! in a temp folder, on a free port, trusted on loopback. One per test process is shared
//! ([`Postgres::shared`]); each test takes a fresh database of its own ([`Postgres::database`]).

use crate::process::{Watchdog, as_service_user, free_port, give_to_service_user, run};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// A running cluster, stopped and deleted when dropped or when the process ends.
#[derive(Debug)]
pub struct Postgres {
    pub port: u16,
    root: PathBuf,
    bin: PathBuf,
    /// Stops the cluster and deletes its folder when the value is dropped.
    _watchdog: Watchdog,
}

/// `CLOSELOOP_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin` with `initdb`.
fn bin_dir() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("CLOSELOOP_PG_BIN") {
        return Ok(dir.into());
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| {
            format!("no PostgreSQL binaries in /usr/lib/postgresql ({e}); set CLOSELOOP_PG_BIN")
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, b)| b)
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin; set CLOSELOOP_PG_BIN".into())
}

impl Postgres {
    /// The cluster this test process shares, started on first use.
    pub fn shared() -> &'static Postgres {
        static ONE: OnceLock<Postgres> = OnceLock::new();
        ONE.get_or_init(|| {
            Postgres::start(false).unwrap_or_else(|e| panic!("starting PostgreSQL for tests: {e}"))
        })
    }

    /// Starts a new cluster. `durable` keeps PostgreSQL's fsyncs (for benchmarks); tests turn them
    /// off, since the cluster is thrown away anyway.
    pub fn start(durable: bool) -> Result<Postgres, String> {
        let bin = bin_dir()?;
        let root = tempfile::Builder::new()
            .prefix("closeloop-pg-")
            .tempdir()
            .map_err(|e| format!("temp folder: {e}"))?
            .keep();
        let data = root.join("data");
        give_to_service_user(&root)?;
        // From here on the watchdog owns the folder: it stops the server and removes it all.
        let pid_file = data.join("postmaster.pid");
        let wd = Watchdog::start(&format!(
            "if [ -f '{pid}' ]; then p=$(head -1 '{pid}'); kill -QUIT \"$p\" 2>/dev/null; \
             while kill -0 \"$p\" 2>/dev/null; do sleep 0.05; done; fi; rm -rf '{root}'",
            pid = pid_file.display(),
            root = root.display()
        ))?;
        let mut initdb = as_service_user(&bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-U",
            "closeloop",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(initdb, "initdb")?;
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut options = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=128MB",
                root.display()
            );
            if !durable {
                options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            let mut ctl = as_service_user(&bin.join("pg_ctl"));
            ctl.arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(root.join("server.log"))
                .args(["-w", "-t", "60", "-o", &options, "start"]);
            match run(ctl, "pg_ctl start") {
                Ok(_) => {
                    return Ok(Postgres {
                        port,
                        root,
                        bin,
                        _watchdog: wd,
                    });
                }
                Err(e) => {
                    let log = std::fs::read_to_string(root.join("server.log")).unwrap_or_default();
                    last = format!("{e}\n{log}");
                }
            }
        }
        Err(last)
    }

    /// The URL of database `name` as the cluster's superuser `closeloop`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://closeloop@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database with a name no one else in this process has, and gives its URL.
    pub fn database(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        self.psql("postgres", &format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("{e}"));
        self.url(&name)
    }

    /// Runs SQL with `psql` and returns its unaligned, tuples-only output.
    pub fn psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let mut cmd = std::process::Command::new(self.bin.join("psql"));
        cmd.args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
        ])
        .args([
            "-p",
            &self.port.to_string(),
            "-U",
            "closeloop",
            "-d",
            db,
            "-c",
            sql,
        ]);
        run(cmd, "psql").map(|s| s.trim().to_owned())
    }

    /// The folder holding the cluster (data and `server.log`).
    pub fn root(&self) -> &Path {
        &self.root
    }
}
