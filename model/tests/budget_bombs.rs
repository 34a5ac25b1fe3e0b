//! Bombs and lies are refused quickly, with the bound they break, and checking them costs no
//! more memory than the inflation cap.
//!
//! Memory is measured from outside the allocator: the workspace forbids `unsafe_code`, and
//! `forbid` cannot be lifted by an `allow` in one file (rustc refuses with E0453), so a counting
//! `#[global_allocator]` cannot be written here. Instead each bomb is checked in a child process
//! (this test binary, run again on the `memory_probe` test), which resets its peak resident set
//! through `/proc/self/clear_refs` just before the check and reads `VmHWM` just after: the growth
//! is every page the check touched, allocator overhead included. `VmPeak` (address space) is read
//! too, so a large allocation that is never touched (a buffer reserved at a claimed size) would
//! not slip by either. Linux only.

mod budget_support;

use std::time::{Duration, Instant};

use budget_support::*;
use closeloop_model::protocol::budget::{BudgetError, Limits, check};

const MIB: u64 = 1 << 20;

/// Generous for a loaded CI machine: every refusal here takes milliseconds.
const QUICK: Duration = Duration::from_secs(2);

fn refuse(bytes: &[u8], limits: &Limits) -> BudgetError {
    let start = Instant::now();
    let err = check(bytes, limits).expect_err("the bomb was accepted");
    assert!(start.elapsed() < QUICK, "took {:?}", start.elapsed());
    err
}

#[test]
fn a_compressed_change_inflating_to_a_gib_is_refused_at_the_chunk_cap() {
    let bomb = compressed_gib_of_zeros();
    assert!(bomb.len() < 2 * MIB as usize);
    let l = Limits::default();
    match refuse(&bomb, &l) {
        BudgetError::ChunkInflatedBytes { chunk, limit, seen } => {
            assert_eq!((chunk, limit), (0, l.max_chunk_inflated_bytes));
            assert_eq!(seen, limit + 1, "stopped on the first byte past the cap");
        }
        e => panic!("wrong refusal: {e}"),
    }
    let small = Limits {
        max_chunk_inflated_bytes: MIB,
        ..l
    };
    assert_eq!(
        refuse(&bomb, &small).rule(),
        "sync.budget.chunk_inflated_bytes"
    );
}

#[test]
fn a_document_column_inflating_past_the_cap_is_refused() {
    let e = refuse(&document_with_gib_column(), &Limits::default());
    assert!(
        matches!(e, BudgetError::ChunkInflatedBytes { .. }),
        "wrong refusal: {e}"
    );
    assert_eq!(e.rule(), "sync.budget.chunk_inflated_bytes");
}

#[test]
fn chunks_that_fit_one_by_one_are_refused_together() {
    let l = Limits::default();
    let one = compressed_change_of(7 * MIB as usize);
    assert_eq!(check(&one, &l).unwrap().inflated_bytes, one_body(&one));
    match refuse(&three_changes_of_7_mib(), &l) {
        BudgetError::InflatedBytes { limit, seen } => {
            assert_eq!(limit, l.max_inflated_bytes);
            assert_eq!(seen, limit + 1);
        }
        e => panic!("wrong refusal: {e}"),
    }
}

/// The inflated size of a compressed change: its change body.
fn one_body(compressed: &[u8]) -> u64 {
    let (_, _, body) = split(compressed)[0].clone();
    let mut d = flate2::Decompress::new(false);
    let mut out = Vec::with_capacity(16 * MIB as usize);
    d.decompress_vec(&compressed[body], &mut out, flate2::FlushDecompress::Finish)
        .unwrap();
    out.len() as u64
}

#[test]
fn an_rle_run_of_2_pow_40_is_refused_before_it_is_expanded() {
    match refuse(&rle_claiming_2_pow_40(), &Limits::default()) {
        BudgetError::ColumnValues {
            spec, limit, seen, ..
        } => {
            assert_eq!(spec, 0x42, "the action column");
            assert_eq!((limit, seen), (200_000, 1 << 40));
        }
        e => panic!("wrong refusal: {e}"),
    }
    // The same in a document's op rows, and in a null run.
    let doc = seal(
        DOCUMENT,
        &doc_body(&[], &[(spec(2, ACTOR, false), run(1 << 40, 0))]),
    );
    assert_eq!(
        refuse(&doc, &Limits::default()).rule(),
        "sync.budget.column_values"
    );
    let mut nulls = Vec::new();
    sleb(0, &mut nulls);
    uleb(u64::MAX, &mut nulls);
    let change = seal(CHANGE, &change_body(&[(spec(1, STRING, false), nulls)]));
    assert_eq!(
        refuse(&change, &Limits::default()).rule(),
        "sync.budget.column_values"
    );
}

#[test]
fn literal_runs_claiming_more_than_they_hold_are_refused() {
    // i64::MIN literals: automerge's change decoder would panic negating the count.
    let mut lit = Vec::new();
    sleb(i64::MIN, &mut lit);
    let change = seal(CHANGE, &change_body(&[(spec(4, INTEGER, false), lit)]));
    assert_eq!(
        refuse(&change, &Limits::default()).rule(),
        "sync.budget.column_values"
    );
    // Five literals promised, two present.
    let mut short = Vec::new();
    sleb(-5, &mut short);
    short.extend([1, 2]);
    let change = seal(CHANGE, &change_body(&[(spec(4, INTEGER, false), short)]));
    assert_eq!(
        refuse(&change, &Limits::default()).rule(),
        "sync.budget.malformed"
    );
}

#[test]
fn boolean_columns_with_huge_runs_are_refused() {
    let mut runs = Vec::new();
    uleb(0, &mut runs);
    uleb(1 << 40, &mut runs);
    uleb(u64::MAX, &mut runs);
    let change = seal(CHANGE, &change_body(&[(spec(3, BOOLEAN, false), runs)]));
    match refuse(&change, &Limits::default()) {
        BudgetError::ColumnValues { spec, .. } => assert_eq!(spec, 0x34),
        e => panic!("wrong refusal: {e}"),
    }
}

#[test]
fn a_change_over_its_op_bound_and_a_call_over_its_totals_are_refused() {
    let l = Limits::default();
    let big = seal(
        CHANGE,
        &change_body(&[(spec(4, INTEGER, false), run(150_000, 1))]),
    );
    assert_eq!(refuse(&big, &l).rule(), "sync.budget.change_ops");
    let half = seal(
        CHANGE,
        &change_body(&[(spec(4, INTEGER, false), run(80_000, 1))]),
    );
    let three = [half.clone(), half.clone(), half].concat();
    match refuse(&three, &l) {
        BudgetError::Ops { limit, claimed } => assert_eq!((limit, claimed), (200_000, 240_000)),
        e => panic!("wrong refusal: {e}"),
    }
    // Predecessors: a group of 2^20 preds on each of 1000 ops.
    let preds = seal(
        CHANGE,
        &change_body(&[
            (spec(4, INTEGER, false), run(1000, 1)),
            (spec(7, GROUP, false), run(1000, 1 << 20)),
        ]),
    );
    assert_eq!(refuse(&preds, &l).rule(), "sync.budget.column_values");
    let preds = seal(
        CHANGE,
        &change_body(&[
            (spec(4, INTEGER, false), run(1000, 1)),
            (spec(7, GROUP, false), run(1000, 150)),
        ]),
    );
    let twice = [preds.clone(), preds.clone(), preds].concat();
    assert_eq!(refuse(&twice, &l).rule(), "sync.budget.preds");
}

#[test]
fn too_many_changes_and_chunks_are_refused() {
    let mut doc = sample_doc(10);
    let all = doc.save_after(&[]);
    let few = Limits {
        max_changes: 5,
        ..Limits::default()
    };
    assert_eq!(refuse(&all, &few).rule(), "sync.budget.changes");
    assert_eq!(refuse(&doc.save(), &few).rule(), "sync.budget.changes");
    let few = Limits {
        max_chunks: 5,
        ..Limits::default()
    };
    assert_eq!(refuse(&all, &few).rule(), "sync.budget.chunks");
    let empty = seal(CHANGE, &change_body(&[]));
    let many = empty.repeat(20_001);
    assert_eq!(
        refuse(&many, &Limits::default()).rule(),
        "sync.budget.chunks"
    );
}

#[test]
fn length_lies_are_refused_as_malformed() {
    let l = Limits::default();
    let honest = sample_doc(5).save_after(&[]);
    let rule = |bytes: &[u8]| refuse(bytes, &l).rule();
    // Truncated anywhere inside a chunk.
    for cut in [1, 5, 9, 10, honest.len() / 2, honest.len() - 1] {
        assert_eq!(
            rule(&honest[..cut]),
            "sync.budget.malformed",
            "cut at {cut}"
        );
    }
    // A chunk length of 2^60.
    let mut lie = MAGIC.to_vec();
    lie.extend([0; 4]);
    lie.push(CHANGE);
    uleb(1 << 60, &mut lie);
    assert_eq!(rule(&lie), "sync.budget.malformed");
    // A column longer than the chunk, and two columns whose lengths overflow.
    let mut body = change_body(&[]);
    body.truncate(body.len() - 1);
    uleb(1, &mut body);
    uleb(u64::from(spec(4, INTEGER, false)), &mut body);
    uleb(1 << 40, &mut body);
    assert_eq!(rule(&seal(CHANGE, &body)), "sync.budget.malformed");
    let mut body = change_body(&[]);
    body.truncate(body.len() - 1);
    uleb(2, &mut body);
    for s in [spec(1, ACTOR, false), spec(4, INTEGER, false)] {
        uleb(u64::from(s), &mut body);
        uleb(u64::MAX, &mut body);
    }
    assert_eq!(rule(&seal(CHANGE, &body)), "sync.budget.malformed");
    // Counts of actors, columns and dependencies far beyond the bytes.
    let mut body = Vec::new();
    uleb(1 << 40, &mut body);
    assert_eq!(rule(&seal(DOCUMENT, &body)), "sync.budget.actors");
    let mut body = change_body(&[]);
    body.truncate(body.len() - 1);
    uleb(1 << 40, &mut body);
    assert_eq!(rule(&seal(CHANGE, &body)), "sync.budget.columns");
    let mut body = Vec::new();
    uleb(1 << 59, &mut body);
    assert_eq!(rule(&seal(CHANGE, &body)), "sync.budget.malformed");
    // A value column shorter than its metadata says.
    let mut meta = Vec::new();
    sleb(1, &mut meta);
    uleb((1 << 40 << 4) | 6, &mut meta);
    let body = change_body(&[
        (spec(5, VALUE_META, false), meta),
        (spec(5, VALUE, false), vec![0; 10]),
    ]);
    assert_eq!(rule(&seal(CHANGE, &body)), "sync.budget.malformed");
    // A deflated column in a change chunk, which automerge never writes.
    let body = change_body(&[(spec(4, INTEGER, true), deflate(&run(1, 1)))]);
    assert_eq!(rule(&seal(CHANGE, &body)), "sync.budget.malformed");
}

#[test]
fn garbage_bad_checksums_bundles_and_unknown_types_are_refused() {
    let l = Limits::default();
    assert_eq!(
        refuse(b"not automerge at all", &l).rule(),
        "sync.budget.malformed"
    );
    let mut honest = sample_doc(3).save();
    honest[5] ^= 1;
    assert_eq!(refuse(&honest, &l), BudgetError::Checksum { chunk: 0 });
    for t in [3u8, 4, 255] {
        let chunk = seal(t, &[]);
        assert_eq!(
            refuse(&chunk, &l),
            BudgetError::ChunkType {
                chunk: 0,
                chunk_type: t
            }
        );
    }
    // A corrupt deflate stream, and one with bytes after its end.
    let bad = chunk_with(COMPRESSED, [0; 4], &[0xff; 32]);
    assert_eq!(refuse(&bad, &l).rule(), "sync.budget.malformed");
    let mut trailing = deflate(&change_body(&[]));
    trailing.push(0);
    let bad = chunk_with(COMPRESSED, checksum(CHANGE, &change_body(&[])), &trailing);
    assert_eq!(refuse(&bad, &l).rule(), "sync.budget.malformed");
}

#[test]
fn every_refusal_has_a_stable_rule() {
    let e = BudgetError::Ops {
        limit: 1,
        claimed: 2,
    };
    assert_eq!(e.rule(), "sync.budget.ops");
    assert!(e.to_string().contains("max_ops"));
}

// ---- memory, measured in a child process ----

const PROBE: &str = "BUDGET_PROBE";

/// Runs only in the child: checks one bomb and prints how much memory that took.
#[test]
fn memory_probe() {
    let Ok(name) = std::env::var(PROBE) else {
        return;
    };
    let (bytes, limits) = bomb(&name);
    let (rss, vm, headroom) = peak_growth(|| assert!(check(&bytes, &limits).is_err()));
    println!("probe-growth-kib {rss} {vm} {headroom}");
}

/// Peak growth in KiB of checking one bomb, in a fresh process: resident, address space, and
/// the address space the process had already peaked above (a reservation smaller than that
/// would not show in the second figure).
fn probe(name: &str) -> (u64, u64, u64) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "memory_probe", "--nocapture", "--test-threads=1"])
        .env(PROBE, name)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "probe {name} failed: {stdout}");
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("probe-growth-kib ").map(|(_, v)| v))
        .unwrap_or_else(|| panic!("probe {name} printed nothing: {stdout}"));
    let mut n = line.split(' ').map(|v| v.parse::<u64>().unwrap());
    (n.next().unwrap(), n.next().unwrap(), n.next().unwrap())
}

#[test]
#[cfg(target_os = "linux")]
fn checking_a_bomb_costs_no_more_memory_than_the_cap() {
    // Some sandboxes hide the peak-reset file; there the figures cannot be taken at all.
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        eprintln!("skipped: /proc/self/clear_refs cannot be written here");
        return;
    }
    // (bomb, the inflation cap it runs into, in KiB)
    let cases = [
        ("compressed_gib", 8 * 1024),
        ("compressed_gib_1mib_cap", 1024),
        ("document_gib_column", 8 * 1024),
        ("three_7mib_changes", 8 * 1024),
        ("rle_2_pow_40", 0),
    ];
    // A few MiB of slack: allocator arenas, the inflater's window, the pages of the test
    // harness's own bookkeeping.
    let slack = 4 * 1024;
    for (name, cap) in cases {
        let (rss, vm, headroom) = probe(name);
        eprintln!(
            "{name}: peak RSS +{rss} KiB, address space +{vm} KiB over a peak {headroom} KiB \
             above the start (cap {cap} KiB)"
        );
        assert!(rss <= cap + slack, "{name}: +{rss} KiB resident");
        assert!(vm <= cap + slack, "{name}: +{vm} KiB of address space");
        // So that reserving anything like a claimed size (hundreds of MiB and up) would show.
        assert!(
            headroom < 256 * 1024,
            "{name}: the probe cannot see reservations"
        );
    }
}
