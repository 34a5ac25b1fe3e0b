//! Shared by the budget tests and bench: honest automerge output of several shapes, chunks built
//! by hand (with correct checksums, so the budget is what refuses them), and the counts automerge
//! itself reports.
#![allow(dead_code)] // each test binary uses its own part

use automerge::marks::{ExpandMark, Mark};
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue};
use flate2::{Compress, Compression, FlushCompress, Status};
use sha2::{Digest, Sha256};

pub const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
pub const DOCUMENT: u8 = 0;
pub const CHANGE: u8 = 1;
pub const COMPRESSED: u8 = 2;

pub fn uleb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub fn sleb(mut v: i64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The checksum automerge expects for a chunk of `chunk_type` holding `body`.
pub fn checksum(chunk_type: u8, body: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    let mut head = vec![chunk_type];
    uleb(body.len() as u64, &mut head);
    h.update(&head);
    h.update(body);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A chunk with a header automerge accepts. A compressed chunk carries the checksum of the
/// change it inflates to, which the caller passes as `inner`.
pub fn chunk_with(chunk_type: u8, sum: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend(sum);
    out.push(chunk_type);
    uleb(data.len() as u64, &mut out);
    out.extend(data);
    out
}

pub fn seal(chunk_type: u8, body: &[u8]) -> Vec<u8> {
    chunk_with(chunk_type, checksum(chunk_type, body), body)
}

/// A compressed change chunk, as `Change::bytes` writes it, of an uncompressed change body.
pub fn compressed(body: &[u8]) -> Vec<u8> {
    chunk_with(COMPRESSED, checksum(CHANGE, body), &deflate(body))
}

pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::default(), false);
    let mut out = Vec::with_capacity(data.len() / 2 + 1024);
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(1024));
        }
        let consumed = c.total_in() as usize;
        match c
            .compress_vec(&data[consumed..], &mut out, FlushCompress::Finish)
            .unwrap()
        {
            Status::StreamEnd => return out,
            _ => continue,
        }
    }
}

/// A raw deflate stream of `n` zero bytes, about n / 1000 bytes long, made without ever
/// holding the zeros: one MiB of zeros deflated up to a full flush (byte-aligned, no reference
/// back across it) repeated, then a final block. The same stream an attacker would send.
pub fn deflated_zeros(n: u64) -> Vec<u8> {
    const PIECE: u64 = 1 << 20;
    let zeros = vec![0u8; PIECE as usize];
    let piece = deflate_with(&zeros, FlushCompress::Full);
    let mut out = Vec::with_capacity(piece.len() * (n / PIECE) as usize + 4096);
    for _ in 0..n / PIECE {
        out.extend_from_slice(&piece);
    }
    out.extend(deflate_with(
        &zeros[..(n % PIECE) as usize],
        FlushCompress::Finish,
    ));
    out
}

fn deflate_with(data: &[u8], flush: FlushCompress) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(64 * 1024);
    loop {
        let consumed = c.total_in() as usize;
        let before = c.total_out();
        let status = c.compress_vec(&data[consumed..], &mut out, flush).unwrap();
        let done = c.total_in() as usize == data.len() && c.total_out() == before;
        if status == Status::StreamEnd || (flush == FlushCompress::Full && done) {
            return out;
        }
        if out.len() == out.capacity() {
            out.reserve(out.capacity());
        }
    }
}

/// A column spec: id, type (0 group … 7 value), deflate flag.
pub const fn spec(id: u32, kind: u32, deflate: bool) -> u32 {
    (id << 4) | kind | if deflate { 8 } else { 0 }
}

pub const GROUP: u32 = 0;
pub const ACTOR: u32 = 1;
pub const INTEGER: u32 = 2;
pub const DELTA: u32 = 3;
pub const BOOLEAN: u32 = 4;
pub const STRING: u32 = 5;
pub const VALUE_META: u32 = 6;
pub const VALUE: u32 = 7;

fn columns(cols: &[(u32, Vec<u8>)], meta: &mut Vec<u8>, data: &mut Vec<u8>) {
    uleb(cols.len() as u64, meta);
    for (s, bytes) in cols {
        uleb(u64::from(*s), meta);
        uleb(bytes.len() as u64, meta);
        data.extend(bytes);
    }
}

/// The body of a change by actor 0x01…, seq 1, start op 1, with these op columns.
pub fn change_body(cols: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(0, &mut out); // deps
    uleb(16, &mut out);
    out.extend([1u8; 16]);
    uleb(1, &mut out); // seq
    uleb(1, &mut out); // start op
    sleb(0, &mut out); // time
    uleb(0, &mut out); // message
    uleb(0, &mut out); // other actors
    let mut data = Vec::new();
    columns(cols, &mut out, &mut data);
    out.extend(data);
    out
}

/// The body of a document with one actor and no heads, with these two column sets.
pub fn doc_body(change_cols: &[(u32, Vec<u8>)], op_cols: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    uleb(1, &mut out);
    uleb(16, &mut out);
    out.extend([1u8; 16]);
    uleb(0, &mut out); // heads
    let mut data = Vec::new();
    columns(change_cols, &mut out, &mut data);
    columns(op_cols, &mut out, &mut data);
    out.extend(data);
    out
}

/// An RLE run of `count` copies of the unsigned `value`.
pub fn run(count: i64, value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    sleb(count, &mut out);
    uleb(value, &mut out);
    out
}

/// The chunks of `bytes`: (start, type, body range). Stops at the first header it cannot read.
pub fn split(bytes: &[u8]) -> Vec<(usize, u8, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 10 <= bytes.len() && bytes[at..at + 4] == MAGIC {
        let t = bytes[at + 8];
        let (mut len, mut shift, mut p) = (0u64, 0, at + 9);
        while p < bytes.len() {
            len |= u64::from(bytes[p] & 0x7f) << shift;
            shift += 7;
            p += 1;
            if bytes[p - 1] & 0x80 == 0 || shift > 63 {
                break;
            }
        }
        let end = p.saturating_add(len as usize);
        if end > bytes.len() {
            break;
        }
        out.push((at, t, p..end));
        at = end;
    }
    out
}

/// Recompute the checksum of every plain chunk, so mutated bytes reach the budget and
/// automerge's parsers instead of failing at the checksum.
pub fn reseal(bytes: &mut [u8]) {
    for (at, t, body) in split(bytes) {
        if t == DOCUMENT || t == CHANGE {
            let sum = checksum(t, &bytes[body]);
            bytes[at + 4..at + 8].copy_from_slice(&sum);
        }
    }
}

pub fn actor(n: u8) -> ActorId {
    ActorId::from([n; 16])
}

/// A document of every shape the app writes: maps, lists, text with deletes and marks,
/// counters, every scalar type, an empty change, and concurrent edits by two actors merged
/// (conflicts, several preds). About 40 ops a round.
pub fn sample_doc(rounds: usize) -> AutoCommit {
    let mut a = AutoCommit::new().with_actor(actor(1));
    let text = a.put_object(ROOT, "notes", ObjType::Text).unwrap();
    let list = a.put_object(ROOT, "items", ObjType::List).unwrap();
    let map = a.put_object(ROOT, "answers", ObjType::Map).unwrap();
    a.put(ROOT, "count", ScalarValue::counter(0)).unwrap();
    a.commit();
    let mut b = a.fork().with_actor(actor(2));
    for i in 0..rounds {
        let len = a.text(&text).unwrap().chars().count();
        a.splice_text(&text, len, 0, "checked the exits; ").unwrap();
        if i % 3 == 0 && len > 4 {
            a.splice_text(&text, 1, 3, "").unwrap();
        }
        a.insert(&list, 0, format!("item {i}")).unwrap();
        a.put(&map, format!("q{}", i % 7), i as i64).unwrap();
        a.increment(ROOT, "count", 1).unwrap();
        a.commit();
        b.put(&map, format!("q{}", i % 7), format!("b{i}")).unwrap();
        b.splice_text(&text, 0, 0, "b").unwrap();
        b.commit();
        if i % 4 == 3 {
            a.merge(&mut b).unwrap();
            b.merge(&mut a).unwrap();
        }
    }
    a.merge(&mut b).unwrap();
    let len = a.text(&text).unwrap().chars().count();
    a.mark(
        &text,
        Mark::new("bold".into(), true, 0, len.min(10)),
        ExpandMark::Both,
    )
    .unwrap();
    a.put(ROOT, "f", 1.5f64).unwrap();
    a.put(ROOT, "u", ScalarValue::Uint(7)).unwrap();
    a.put(ROOT, "t", ScalarValue::Timestamp(1_700_000_000_000))
        .unwrap();
    a.put(ROOT, "bytes", ScalarValue::Bytes(vec![1, 2, 3]))
        .unwrap();
    a.put(ROOT, "null", ScalarValue::Null).unwrap();
    a.put(ROOT, "yes", true).unwrap();
    a.delete(ROOT, "yes").unwrap();
    a.commit();
    a.empty_change(Default::default());
    a
}

/// Changes and ops as automerge counts them, after loading `bytes` into a fresh document.
pub fn automerge_count(bytes: &[u8]) -> (u64, u64) {
    let mut d = AutoCommit::new();
    d.load_incremental(bytes).unwrap();
    count_changes(&mut d, &[])
}

/// The same for `incr` loaded on top of `base`: only the changes `incr` brought.
pub fn automerge_count_after(base: &[u8], incr: &[u8]) -> (u64, u64) {
    let mut d = AutoCommit::new();
    d.load_incremental(base).unwrap();
    let heads = d.get_heads();
    d.load_incremental(incr).unwrap();
    count_changes(&mut d, &heads)
}

fn count_changes(d: &mut AutoCommit, after: &[automerge::ChangeHash]) -> (u64, u64) {
    let changes = d.get_changes(after);
    let ops = changes.iter().map(|c| c.len() as u64).sum();
    (changes.len() as u64, ops)
}

/// A little deterministic noise, for payloads that must not compress.
pub struct Noise(pub u64);

impl Noise {
    pub fn text(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                char::from(b'a' + (self.0 % 26) as u8)
            })
            .collect()
    }
}

/// About `target` bytes of honest `save_after` output: changes that each put a few KiB of
/// incompressible text, the largest honest push shape there is per op.
pub fn big_push(target: usize) -> Vec<u8> {
    let mut d = AutoCommit::new().with_actor(actor(3));
    let notes = d.put_object(ROOT, "photos", ObjType::Map).unwrap();
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let mut i = 0;
    let mut size = 0;
    while size < target {
        let s = noise.text(4000);
        size += s.len() + 120;
        d.put(&notes, format!("p{i}"), s).unwrap();
        d.commit();
        i += 1;
    }
    d.save_after(&[])
}

// ---- bombs ----

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// A change chunk compressed to about a MiB that inflates to 1 GiB of zeros.
pub fn compressed_gib_of_zeros() -> Vec<u8> {
    chunk_with(COMPRESSED, [0; 4], &deflated_zeros(GIB))
}

/// A document chunk, checksum and all correct, whose one op column inflates to 1 GiB.
pub fn document_with_gib_column() -> Vec<u8> {
    seal(
        DOCUMENT,
        &doc_body(&[], &[(spec(2, ACTOR, true), deflated_zeros(GIB))]),
    )
}

/// A valid change whose raw value column holds `n` zero bytes (a string of NULs), compressed.
pub fn compressed_change_of(n: usize) -> Vec<u8> {
    let mut meta = Vec::new();
    sleb(1, &mut meta);
    uleb(((n as u64) << 4) | 6, &mut meta);
    compressed(&change_body(&[
        (spec(4, INTEGER, false), run(1, 1)),
        (spec(5, VALUE_META, false), meta),
        (spec(5, VALUE, false), vec![0; n]),
    ]))
}

/// Three compressed changes of 7 MiB each: every chunk fits, all three together do not.
pub fn three_changes_of_7_mib() -> Vec<u8> {
    let one = compressed_change_of(7 * MIB as usize);
    [one.clone(), one.clone(), one].concat()
}

/// A change whose action column claims 2^40 ops in eight bytes.
pub fn rle_claiming_2_pow_40() -> Vec<u8> {
    seal(
        CHANGE,
        &change_body(&[(spec(4, INTEGER, false), run(1 << 40, 1))]),
    )
}

/// A field of `/proc/self/status`, in KiB (Linux).
pub fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// The bombs the memory probes check, by name, with the limits they run into.
pub fn bomb(name: &str) -> (Vec<u8>, closeloop_model::protocol::budget::Limits) {
    let l = closeloop_model::protocol::budget::Limits::default();
    match name {
        "compressed_gib" => (compressed_gib_of_zeros(), l),
        "compressed_gib_1mib_cap" => (
            compressed_gib_of_zeros(),
            closeloop_model::protocol::budget::Limits {
                max_chunk_inflated_bytes: MIB,
                ..l
            },
        ),
        "document_gib_column" => (document_with_gib_column(), l),
        "three_7mib_changes" => (three_changes_of_7_mib(), l),
        "rle_2_pow_40" => (rle_claiming_2_pow_40(), l),
        other => panic!("no bomb {other}"),
    }
}

/// Peak memory growth in KiB while `f` runs: resident (every page touched, allocator overhead
/// included), address space, and how far the address space had already peaked above its size
/// (a reservation smaller than that would not show in the second figure). The resident peak
/// is reset through `/proc/self/clear_refs` first, so what ran before does not count. Linux.
pub fn peak_growth(f: impl FnOnce()) -> (u64, u64, u64) {
    std::fs::write("/proc/self/clear_refs", "5").expect("cannot reset the peak RSS");
    let (rss, size, peak) = (
        status_kib("VmRSS:"),
        status_kib("VmSize:"),
        status_kib("VmPeak:"),
    );
    f();
    let (hwm, peak_after) = (status_kib("VmHWM:"), status_kib("VmPeak:"));
    (hwm - rss, peak_after.saturating_sub(peak), peak - size)
}

/// A document of about `ops` ops: a text typed a hundred characters a change, the cheapest
/// bytes per op an honest document has.
pub fn text_doc(ops: usize) -> AutoCommit {
    let mut d = AutoCommit::new().with_actor(actor(4));
    let text = d.put_object(ROOT, "notes", ObjType::Text).unwrap();
    let mut noise = Noise(7);
    let mut len = 0;
    while len < ops {
        d.splice_text(&text, len, 0, &noise.text(100)).unwrap();
        d.commit();
        len += 100;
    }
    d
}
