use serde::{Deserialize, Serialize};

const MIB: u64 = 1024 * 1024;

/// The budget one call of [`check`](super::check) may spend: one pushed document's bytes on the
/// server, one feed entry or server document on the phone.
///
/// Every field is a ceiling the input must stay at or under. The defaults are sized from what
/// the protocol carries (a request body is at most 8 MiB of JSON, so at most 6 MiB of automerge
/// bytes after base64) and from what the app writes (one actor per device, a change per edit,
/// documents of a few thousand ops), with room to spare, so that no honest payload comes near
/// them. What the worst accepted payload then costs automerge was measured
/// (`cargo bench -p closeloop-model --bench budget`) and is given with each bound: together
/// about 150–200 MiB at the defaults, where the unbudgeted bytes cost gigabytes. Missing fields
/// in a settings file take their default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Bytes of all chunks together once inflated (a plain chunk counts its own size). 16 MiB:
    /// the largest request carries 6 MiB of automerge bytes, and honest output inflates little,
    /// its columns being run-length encoded before they are deflated (a document of 150,000
    /// ops: 1.5×); change chunks from `save_after` are not compressed at all. Loading costs
    /// automerge about 4× the bytes (an 8 MiB push of large values: +34 MiB), so about 64 MiB
    /// here.
    pub max_inflated_bytes: u64,
    /// Bytes of one chunk once inflated. 8 MiB: the largest chunk a device writes is a whole
    /// document, and the app's documents are far below a MiB. This is also the check's own
    /// memory: one chunk's inflated bytes are the only large buffer it ever holds (measured on
    /// the worst bombs: +9 MiB).
    pub max_chunk_inflated_bytes: u64,
    /// Chunks in one call. 20,000, the same as changes: `save_after` writes one chunk per
    /// change, and every chunk costs automerge a parse and a checksum of its own, so tens of
    /// thousands of empty chunks are refused before they cost that.
    pub max_chunks: u64,
    /// Changes in one call, from change chunks and the change tables of documents. 20,000: a
    /// change per edit, an edit a minute through an 8-hour shift for forty days offline is
    /// 19,200. Automerge keeps about 1.6 KiB per change while loading (20,000 one-op changes:
    /// +32 MiB).
    pub max_changes: u64,
    /// Ops in one change. 100,000: the largest change the app makes is pasting or importing a
    /// long text (one op per character). A change's op count is what a payload claims most
    /// cheaply (one run-length run), and automerge decodes and applies a change as a unit.
    pub max_ops_per_change: u64,
    /// Ops in one call, counted as automerge counts them (the ops of every change). 200,000:
    /// far above the few thousand ops of the app's documents. Automerge costs about 110 bytes an op
    /// loading a document and about 600 loading the same ops as change chunks (150,000 ops:
    /// +15 MiB and +88 MiB), so up to about 120 MiB here.
    pub max_ops: u64,
    /// Values one column of one chunk decodes to, nulls included. 200,000, the same as ops: a
    /// document column holds one value per op, a change column one per op of the change.
    /// Automerge expands some columns into vectors (a document's change table) and walks
    /// others value by value, so this is what stops a run of 2^40 repeats.
    pub max_column_values: u64,
    /// Predecessor references in one call (the pred lists of changes, the succ lists of
    /// documents). 400,000: an op names one predecessor in the usual case, a few when devices
    /// edited the same field concurrently, so twice the op budget is generous; automerge
    /// allocates an op id for each.
    pub max_preds: u64,
    /// Actors named by one chunk. 1,024: the app uses one actor per device, and a document is
    /// edited by the handful of devices of the people who inspect, own and supervise a site.
    /// Automerge allocates an actor id and index entries per actor, dozens of bytes each,
    /// whatever the actor takes on the wire (one byte for an empty id).
    pub max_actors_per_chunk: u64,
    /// Columns declared by one chunk (both tables of a document together). 64: automerge 0.12
    /// writes at most 14 columns for a change and 25 for a document; it keeps 24 bytes for each
    /// two-byte column declaration.
    pub max_columns_per_chunk: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_inflated_bytes: 16 * MIB,
            max_chunk_inflated_bytes: 8 * MIB,
            max_chunks: 20_000,
            max_changes: 20_000,
            max_ops_per_change: 100_000,
            max_ops: 200_000,
            max_column_values: 200_000,
            max_preds: 400_000,
            max_actors_per_chunk: 1_024,
            max_columns_per_chunk: 64,
        }
    }
}
