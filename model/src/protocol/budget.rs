//! The budget every automerge payload must fit before anything decodes it.
//!
//! Automerge (0.12) trusts the sizes it reads: it inflates a compressed change chunk with
//! `read_to_end` however far it goes, inflates deflated document columns the same way, and
//! expands run-length columns value by value, so a few bytes can claim gigabytes or 2^40 ops.
//! [`check`] walks the bytes exactly as automerge would walk them (chunk by chunk: magic bytes,
//! checksum, type, LEB128 length; then each chunk's fields and columns), inflating under a hard
//! cap and counting runs without expanding them, and says whether the payload fits the
//! [`Limits`]. It is pure (no I/O, no clock), never panics, and never allocates more than the
//! largest chunk it is allowed to inflate (plus small bookkeeping), whatever the input claims.
//!
//! Run it before `load`, `load_incremental` or `apply_changes`: the server on every pushed
//! document, the phone on every feed entry and server document. What it accepts is everything
//! `save`, `save_after`, `save_incremental` and `save_nocompress` write (including compressed
//! change chunks from `Change::bytes`), and the ops it counts are automerge's own count (the sum
//! of `Change::len` over the changes loaded). Bundles (chunk type 3) are refused: none of the
//! save functions writes one (only the experimental `bundle` API does), so a bundle in a push
//! is not the app's.
//!
//! What it does not bound is automerge's own cost per op once a payload is accepted; that is
//! what [`Limits::max_ops`] and friends are sized for.

mod change;
mod columns;
mod document;
mod error;
mod inflate;
mod limits;
mod reader;
mod set;
mod tally;

pub use error::BudgetError;
pub use limits::Limits;

use reader::Reader;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tally::Tally;

/// What a payload that fits its budget holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub chunks: u64,
    /// Changes: one per change chunk, one per row of each document's change table.
    pub changes: u64,
    /// Ops as automerge counts them: the sum of `Change::len` over every change. (A document
    /// whose change table claims fewer ops than it has op rows counts its rows instead; no
    /// honest document does.)
    pub ops: u64,
    /// Bytes of every chunk's data once inflated (a plain chunk counts its own size; a
    /// document with deflated columns may differ from automerge's buffer by the few bytes its
    /// column lengths take to re-encode).
    pub inflated_bytes: u64,
}

/// Check `bytes` (any concatenation of automerge chunks, as `load_incremental` takes them)
/// against `limits`, without decoding more than it must and without allocating beyond
/// [`Limits::max_chunk_inflated_bytes`]. Empty input is an empty payload.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<Measure, BudgetError> {
    let mut t = Tally::new(limits);
    let mut r = Reader::new(bytes);
    while !r.is_empty() {
        t.begin_chunk(r.pos())?;
        let header = Header::parse(&mut r, &t)?;
        match header.chunk_type {
            DOCUMENT => document::check(&header, &mut t)?,
            CHANGE => {
                t.grow(header.data.len() as u64)?;
                header.verify(&t)?;
                change::check(header.data, &mut t)?;
            }
            _ => {
                let body = match inflate::inflate(header.data, t.room()) {
                    Ok(body) => body,
                    Err(inflate::Inflate::OverCap { seen }) => return Err(t.overflow(seen)),
                    Err(inflate::Inflate::Corrupt(what)) => return Err(t.malformed(what)),
                };
                t.grow(body.len() as u64)?;
                // The checksum of a compressed chunk is the inflated change's own.
                let inner = Header {
                    checksum: header.checksum,
                    chunk_type: CHANGE,
                    data: &body,
                };
                inner.verify(&t)?;
                change::check(&body, &mut t)?;
            }
        }
        t.end_chunk();
    }
    Ok(t.measure)
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;
const COMPRESSED: u8 = 2;

struct Header<'a> {
    checksum: [u8; 4],
    chunk_type: u8,
    data: &'a [u8],
}

impl<'a> Header<'a> {
    /// Automerge's `Header::parse`, in its order: the type is judged before the length is read.
    fn parse(r: &mut Reader<'a>, t: &Tally<'_>) -> Result<Self, BudgetError> {
        if t.at(r.take(4))? != MAGIC {
            return Err(t.malformed("invalid magic bytes"));
        }
        let mut checksum = [0u8; 4];
        checksum.copy_from_slice(t.at(r.take(4))?);
        let chunk_type = t.at(r.byte())?;
        if chunk_type > COMPRESSED {
            return Err(t.chunk_type(chunk_type));
        }
        let len = t.at(r.uleb())?;
        let data = t.at(r.take(len))?;
        Ok(Self {
            checksum,
            chunk_type,
            data,
        })
    }

    /// The first four bytes of SHA-256 over the type, the LEB128 length and the data, as
    /// automerge computes and checks them.
    fn verify(&self, t: &Tally<'_>) -> Result<(), BudgetError> {
        let mut len = [0u8; 10];
        let n = write_uleb(self.data.len() as u64, &mut len);
        let mut h = Sha256::new();
        h.update([self.chunk_type]);
        h.update(&len[..n]);
        h.update(self.data);
        let digest = h.finalize();
        if digest[..4] != self.checksum {
            return Err(t.checksum());
        }
        Ok(())
    }
}

fn write_uleb(mut v: u64, out: &mut [u8; 10]) -> usize {
    let mut n = 0;
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out[n] = byte;
            return n + 1;
        }
        out[n] = byte | 0x80;
        n += 1;
    }
}
