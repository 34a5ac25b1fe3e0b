//! No input makes the check panic, and whatever it accepts automerge loads without blowing up:
//! quickly, within the memory the budget allows. Mutated inputs are resealed (checksums
//! recomputed, compressed changes recompressed), so they get past the checksum and into the
//! parsers of both.
//!
//! Automerge 0.12 itself panics on some inputs that fit any budget: a change by an actor the
//! document has not seen, at a seq other than 1; a seq that skips ahead; duplicate op ids in a
//! document (this test finds all three within seconds). Those are flaws in what the bytes mean, not in their
//! size, and only the receiving document can tell some of them (which actors it knows), so the
//! budget does not chase them: callers run automerge under `catch_unwind`, as this test does.
//! The test fails on a panic in the check, or on a load that takes too long.

mod budget_support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use automerge::{AutoCommit, Automerge};
use budget_support::*;
use closeloop_model::protocol::budget::{Limits, check};
use proptest::prelude::*;

/// Honest payloads of every shape: a compressed and a plain document, change chunks, a
/// document followed by changes.
static SAMPLES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut doc = sample_doc(12);
    let heads = doc.get_heads();
    let mut more = doc.fork().with_actor(actor(7));
    automerge::transaction::Transactable::put(&mut more, automerge::ROOT, "k", "v").unwrap();
    more.commit();
    doc.merge(&mut more).unwrap();
    let mut doc_then_changes = doc.save();
    doc_then_changes.extend(doc.save_after(&heads));
    vec![
        doc.save(),
        doc.save_nocompress(),
        doc.save_after(&[]),
        doc_then_changes,
    ]
});

/// Change bodies, mutated and then compressed, to reach the compressed path's parser.
static BODIES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let bytes = sample_doc(4).save_after(&[]);
    split(&bytes)
        .into_iter()
        .map(|(_, _, body)| bytes[body].to_vec())
        .collect()
});

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (
            any::<usize>(),
            prop_oneof![Just(0u8), Just(0x7f), Just(0x80), Just(0xff), any::<u8>()]
        )
            .prop_map(|(at, b)| Mutation::Set(at, b)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..12)
        )
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 1..16usize).prop_map(|(at, n)| Mutation::Remove(at, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        if bytes.is_empty() {
            return;
        }
        let at = |i: usize| i % bytes.len();
        match m {
            Mutation::Flip(i, b) => {
                let i = at(*i);
                bytes[i] ^= b;
            }
            Mutation::Set(i, b) => {
                let i = at(*i);
                bytes[i] = *b;
            }
            Mutation::Insert(i, b) => {
                let i = at(*i);
                bytes.splice(i..i, b.iter().copied());
            }
            Mutation::Remove(i, n) => {
                let i = at(*i);
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Mutation::Truncate(i) => {
                let i = at(*i);
                bytes.truncate(i);
            }
        }
    }
}

/// What the server and the phone do with accepted bytes: a fresh load, and a load on top of a
/// document (the sample the mutations started from).
fn load_accepted(bytes: &[u8]) {
    let start = Instant::now();
    let quiet = |f: &dyn Fn()| drop(catch_unwind(AssertUnwindSafe(f)));
    quiet(&|| drop(AutoCommit::new().load_incremental(bytes)));
    quiet(&|| drop(Automerge::load(bytes)));
    quiet(&|| {
        let mut base = AutoCommit::load(&SAMPLES[0]).unwrap();
        drop(base.load_incremental(bytes));
    });
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "automerge took {:?}",
        start.elapsed()
    );
}

fn checked(bytes: &[u8]) {
    if check(bytes, &Limits::default()).is_ok() {
        load_accepted(bytes);
    }
}

proptest! {
    // No regression files: a failure prints its minimal input, which becomes a plain test.
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        checked(&bytes);
    }

    #[test]
    fn arbitrary_chunks_never_panic(
        chunk_type in 0u8..4,
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        checked(&seal(chunk_type, &body));
        checked(&compressed(&body));
    }

    #[test]
    fn mutated_real_bytes_never_panic_and_what_passes_loads(
        which in 0usize..4,
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = SAMPLES[which].clone();
        mutate(&mut bytes, &mutations);
        checked(&bytes);
        reseal(&mut bytes);
        checked(&bytes);
    }

    #[test]
    fn mutated_compressed_changes_never_panic_and_what_passes_loads(
        which in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut body = which.get(&BODIES).clone();
        mutate(&mut body, &mutations);
        checked(&compressed(&body));
        checked(&seal(CHANGE, &body));
    }
}

#[test]
fn the_samples_themselves_pass() {
    for s in SAMPLES.iter() {
        check(s, &Limits::default()).unwrap();
    }
}
