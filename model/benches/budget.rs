//! Figures for the payload budget: how long checking honest pushes takes, how much memory the
//! worst bombs cost the check, and what accepted payloads then cost automerge (the part the
//! budget bounds only through its op, change and byte limits).
//!
//! `cargo bench -p closeloop-model --bench budget`. Memory is measured in a child process per
//! figure (this binary, run with `--probe NAME`), from `/proc/self/status` after resetting the
//! peak (Linux), because the workspace forbids the `unsafe` a counting allocator needs.

#[path = "../tests/budget_support/mod.rs"]
mod budget_support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use budget_support::*;
use closeloop_model::protocol::budget::{Limits, Measure, check};

const MIB: f64 = 1024.0 * 1024.0;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--probe") {
        return probe(&args[i + 1]);
    }

    println!("time to check (median of repeated runs, one core)");
    let push = big_push(8 * 1024 * 1024);
    time("8 MiB honest push (save_after, 2,000 changes)", &push);
    let mut doc = text_doc(150_000);
    time("document of 150,000 ops, save()", &doc.save());
    time("the same, save_nocompress()", &doc.save_nocompress());
    time(
        "the same, save_after(&[]) (1,500 changes)",
        &doc.save_after(&[]),
    );
    let mut sample = sample_doc(120);
    time(
        "mixed document (maps, lists, text, marks), save()",
        &sample.save(),
    );
    time(
        "20,000 one-op changes, save_after(&[])",
        &small_changes(20_000),
    );

    println!("\npeak memory growth of the check on bombs (resident / address space)");
    let mut worst = (String::new(), 0);
    for name in [
        "compressed_gib",
        "compressed_gib_1mib_cap",
        "document_gib_column",
        "three_7mib_changes",
        "rle_2_pow_40",
    ] {
        let (rss, vm, _) = child(name);
        println!("  {name:<28} +{:>6.2} MiB / +{:.2} MiB", kib(rss), kib(vm));
        if rss > worst.1 {
            worst = (name.to_string(), rss);
        }
    }
    println!("  worst: {} at +{:.2} MiB", worst.0, kib(worst.1));

    println!(
        "\nwhat accepted payloads then cost automerge (peak resident growth of load_incremental)"
    );
    for name in [
        "load_push_8mib",
        "load_doc_150k",
        "load_changes_150k",
        "load_changes_20k",
    ] {
        let (rss, _, _) = child(name);
        let (bytes, m) = load_subject(name);
        println!(
            "  {name:<18} {:>6.2} MiB in, {:>7} ops, {:>5} changes: +{:>7.2} MiB, {:>6.0} B/op, {:>5.1}x the bytes",
            bytes.len() as f64 / MIB,
            m.ops,
            m.changes,
            kib(rss),
            rss as f64 * 1024.0 / m.ops.max(1) as f64,
            rss as f64 * 1024.0 / bytes.len() as f64,
        );
    }
}

fn kib(k: u64) -> f64 {
    k as f64 / 1024.0
}

fn time(what: &str, bytes: &[u8]) {
    let limits = Limits::default();
    let m = check(bytes, &limits).expect("honest bytes fit");
    let mut runs = Vec::new();
    let start = Instant::now();
    while runs.len() < 5 || (start.elapsed() < Duration::from_secs(2) && runs.len() < 200) {
        let t = Instant::now();
        black_box(check(black_box(bytes), &limits).unwrap());
        runs.push(t.elapsed());
    }
    runs.sort();
    let median = runs[runs.len() / 2];
    println!(
        "  {what:<48} {:>6.2} MiB, {:>6} ops: {:>8.2} ms ({:.0} MiB/s)",
        bytes.len() as f64 / MIB,
        m.ops,
        median.as_secs_f64() * 1000.0,
        bytes.len() as f64 / MIB / median.as_secs_f64()
    );
}

fn load_subject(name: &str) -> (Vec<u8>, Measure) {
    let bytes = match name {
        "load_push_8mib" => big_push(8 * 1024 * 1024),
        "load_doc_150k" => text_doc(150_000).save(),
        "load_changes_150k" => text_doc(150_000).save_after(&[]),
        "load_changes_20k" => small_changes(20_000),
        other => panic!("no subject {other}"),
    };
    let m = check(&bytes, &Limits::default()).unwrap();
    (bytes, m)
}

/// `n` changes of one op each: the most changes the default budget lets through.
fn small_changes(n: usize) -> Vec<u8> {
    let mut d = AutoCommit::new().with_actor(actor(5));
    for i in 0..n {
        automerge::transaction::Transactable::put(&mut d, automerge::ROOT, "n", i as i64).unwrap();
        d.commit();
    }
    d.save_after(&[])
}

fn child(name: &str) -> (u64, u64, u64) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--probe", name])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "probe {name}: {stdout}");
    let mut n = stdout.split_whitespace().map(|v| v.parse::<u64>().unwrap());
    (n.next().unwrap(), n.next().unwrap(), n.next().unwrap())
}

fn probe(name: &str) {
    let (rss, vm, headroom) = if name.starts_with("load_") {
        let (bytes, _) = load_subject(name);
        peak_growth(|| {
            let mut d = AutoCommit::new();
            black_box(d.load_incremental(&bytes).unwrap());
            black_box(&d);
        })
    } else {
        let (bytes, limits) = bomb(name);
        peak_growth(|| assert!(check(&bytes, &limits).is_err()))
    };
    println!("{rss} {vm} {headroom}");
}
