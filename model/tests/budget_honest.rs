//! Everything honest automerge writes fits the default budget, and the ops the budget counts are
//! the ops automerge loads.

mod budget_support;

use automerge::AutoCommit;
use automerge::transaction::Transactable;
use budget_support::*;
use closeloop_model::protocol::budget::{Limits, Measure, check};

fn measure(bytes: &[u8]) -> Measure {
    check(bytes, &Limits::default()).unwrap_or_else(|e| panic!("refused: {e}"))
}

fn types(bytes: &[u8]) -> Vec<u8> {
    split(bytes).into_iter().map(|(_, t, _)| t).collect()
}

#[test]
fn empty_input_is_an_empty_payload() {
    assert_eq!(measure(&[]), Measure::default());
}

#[test]
fn a_saved_document_counts_the_ops_automerge_loads() {
    let mut doc = sample_doc(120);
    let saved = doc.save();
    let plain = doc.save_nocompress();
    assert_eq!(types(&saved), [DOCUMENT]);
    assert!(
        saved.len() < plain.len(),
        "columns above 256 bytes are deflated"
    );

    let (changes, ops) = automerge_count(&saved);
    assert!(ops > 3_000, "a document of a few thousand ops, got {ops}");
    for bytes in [&saved, &plain] {
        let m = measure(bytes);
        assert_eq!((m.changes, m.ops), (changes, ops));
        assert_eq!(m.chunks, 1);
    }
    // Inflated, the compressed document is the plain one (the same columns), give or take the
    // LEB128 column lengths in its metadata, which are shorter while the columns are deflated.
    let (inflated, plain) = (
        measure(&saved).inflated_bytes,
        measure(&plain).inflated_bytes,
    );
    assert!(
        inflated <= plain && plain - inflated < 64,
        "{inflated} vs {plain}"
    );
}

#[test]
fn small_documents_and_the_empty_document_pass() {
    let mut empty = AutoCommit::new();
    let bytes = empty.save();
    assert_eq!(measure(&bytes).ops, 0);
    let mut one = AutoCommit::new();
    one.put(automerge::ROOT, "k", "v").unwrap();
    let bytes = one.save();
    assert_eq!(measure(&bytes).ops, automerge_count(&bytes).1);
}

#[test]
fn save_after_and_save_incremental_count_only_what_they_carry() {
    let mut doc = sample_doc(30);
    let base = doc.save();
    let heads = doc.get_heads();
    let mut more = edits(&mut doc, 9, 25);
    doc.merge(&mut more).unwrap();

    let after = doc.save_after(&heads);
    assert!(types(&after).iter().all(|&t| t == CHANGE));
    let m = measure(&after);
    assert_eq!((m.changes, m.ops), automerge_count_after(&base, &after));
    assert_eq!(m.chunks, m.changes);

    let _ = doc.save();
    doc.put(automerge::ROOT, "late", "edit").unwrap();
    doc.commit();
    let incr = doc.save_incremental();
    let m = measure(&incr);
    assert_eq!((m.changes, m.ops), (1, 1));
}

#[test]
fn many_changes_pass_and_add_up() {
    let mut doc = sample_doc(600);
    let all = doc.save_after(&[]);
    let m = measure(&all);
    assert!(m.changes > 1_000);
    assert_eq!((m.changes, m.ops), automerge_count(&all));
    assert_eq!(m.inflated_bytes, all.len() as u64 - header_bytes(&all));
}

/// A fork of `doc` by another actor with `n` changes of its own.
fn edits(doc: &mut AutoCommit, actor_byte: u8, n: usize) -> AutoCommit {
    let mut other = doc.fork().with_actor(actor(actor_byte));
    let list = other
        .put_object(automerge::ROOT, "more", automerge::ObjType::List)
        .unwrap();
    for i in 0..n {
        other.insert(&list, 0, i as i64).unwrap();
        other
            .put(automerge::ROOT, "title", format!("{actor_byte}-{i}"))
            .unwrap();
        other.commit();
    }
    other
}

fn header_bytes(bytes: &[u8]) -> u64 {
    split(bytes)
        .into_iter()
        .map(|(at, _, body)| (body.start - at) as u64)
        .sum()
}

#[test]
fn compressed_change_chunks_pass_and_count_as_their_inflated_change() {
    let mut doc = sample_doc(50);
    let mut chunks = Vec::new();
    let mut expected_ops = 0;
    for mut c in doc.get_changes(&[]) {
        expected_ops += c.len() as u64;
        chunks.extend_from_slice(&c.bytes());
    }
    assert!(
        types(&chunks).contains(&COMPRESSED),
        "changes above 256 bytes compress"
    );
    let m = measure(&chunks);
    assert_eq!(m.ops, expected_ops);
    assert_eq!((m.changes, m.ops), automerge_count(&chunks));
}

#[test]
fn a_document_followed_by_changes_passes() {
    let mut doc = sample_doc(20);
    let mut bytes = doc.save();
    let heads = doc.get_heads();
    let mut other = edits(&mut doc, 8, 5);
    doc.merge(&mut other).unwrap();
    bytes.extend(doc.save_after(&heads));
    let m = measure(&bytes);
    assert_eq!(m.changes, automerge_count(&bytes).0);
}

#[test]
fn the_largest_honest_push_fits() {
    let bytes = big_push(6 * 1024 * 1024);
    let m = measure(&bytes);
    assert!(m.inflated_bytes > 5 * 1024 * 1024);
    assert_eq!((m.changes, m.ops), automerge_count(&bytes));
}

#[test]
fn limits_round_trip_as_settings_and_default_when_missing() {
    let l = Limits::default();
    let json = serde_json::to_string(&l).unwrap();
    assert_eq!(serde_json::from_str::<Limits>(&json).unwrap(), l);
    let partial: Limits = serde_json::from_str(r#"{"max_ops": 5}"#).unwrap();
    assert_eq!(partial.max_ops, 5);
    assert_eq!(partial.max_changes, l.max_changes);
    assert!(serde_json::from_str::<Limits>(r#"{"max_opz": 5}"#).is_err());
}
