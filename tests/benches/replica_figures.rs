//! Sync throughput and latency on PostgreSQL with one and with two server replicas (release
//! binary), sharing one durable PostgreSQL cluster (fsync on) and one MinIO bucket, all on this
//! machine's cores. Devices are spread evenly over the replicas.
//!
//! Run: `scripts/bench-replicas` (builds the release server, MinIO, then this).

use closeloop_e2e::load;
use closeloop_e2e::replicas::Replicas;
use closeloop_testkit::Postgres;

fn binary() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/closeloop-server")
}

/// CPU seconds used so far by `pid` and, if `children`, every process it started.
fn cpu(pid: u32, children: bool) -> f64 {
    let stat = |p: u32| -> Option<(u32, f64)> {
        let text = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        let f: Vec<&str> = text.rsplit(')').next()?.split_whitespace().collect();
        let ppid = f.get(1)?.parse().ok()?;
        let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        Some((ppid, ticks / 100.0))
    };
    let mut total = stat(pid).map_or(0.0, |s| s.1);
    if children && let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            if let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok())
                && let Some((ppid, t)) = stat(p)
                && ppid == pid
            {
                total += t;
            }
        }
    }
    total
}

fn postmaster(pg: &Postgres) -> u32 {
    std::fs::read_to_string(pg.root().join("data/postmaster.pid"))
        .ok()
        .and_then(|t| t.lines().next()?.trim().parse().ok())
        .expect("postmaster pid")
}

fn measure(pg: &Postgres, replicas: usize, devices: usize, rounds: usize) {
    let r = Replicas::start_on(&binary(), replicas, pg.database());
    let pm = postmaster(pg);
    let servers_cpu = || (0..replicas).map(|i| cpu(r.pid(i), false)).sum::<f64>();
    let (f, (servers_before, pg_before)) =
        load::run(&r.urls, devices, rounds, || (servers_cpu(), cpu(pm, true)));
    let servers = servers_cpu() - servers_before;
    let db = cpu(pm, true) - pg_before;
    println!(
        "== PostgreSQL, {replicas} replica(s), {devices} devices x {rounds} syncs (push one change + pull the grid's feed)"
    );
    println!("   {}", f.summary());
    println!(
        "   CPU while timed: server(s) {servers:.1} s, PostgreSQL {db:.1} s, of {:.1} s on {} cores (the load generator takes the rest)",
        f.seconds * std::thread::available_parallelism().map_or(1, |n| n.get()) as f64,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` only builds this.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if !binary().exists() {
        eprintln!("build the server first: scripts/bench-replicas does it");
        std::process::exit(2);
    }
    let pg = Postgres::start(true).expect("PostgreSQL");
    for devices in [20, 50] {
        let rounds = 3000 / devices;
        measure(&pg, 1, devices, rounds);
        measure(&pg, 2, devices, rounds);
    }
}
