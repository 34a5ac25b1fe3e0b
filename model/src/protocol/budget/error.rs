/// Why a payload was refused before automerge saw it. Byte offsets (`chunk`) are where the
/// chunk at fault starts in the checked bytes; numbers named `seen` are how far the check had
/// got when it stopped (it stops as soon as a bound is passed, so the real figure may be
/// higher), numbers named `claimed` are what the payload itself declares.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BudgetError {
    #[error("the chunk at byte {chunk} is not automerge data: {what}")]
    Malformed { chunk: usize, what: &'static str },
    #[error("the chunk at byte {chunk} does not match its checksum")]
    Checksum { chunk: usize },
    #[error(
        "the chunk at byte {chunk} has type {chunk_type}; only documents (0), changes (1) and \
         compressed changes (2) are accepted, which is all automerge's save functions write"
    )]
    ChunkType { chunk: usize, chunk_type: u8 },
    #[error("more than {limit} chunks (max_chunks)")]
    Chunks { limit: u64 },
    #[error("inflates to more than {limit} bytes in all (max_inflated_bytes; {seen} so far)")]
    InflatedBytes { limit: u64, seen: u64 },
    #[error(
        "the chunk at byte {chunk} inflates to more than {limit} bytes \
         (max_chunk_inflated_bytes; {seen} so far)"
    )]
    ChunkInflatedBytes { chunk: usize, limit: u64, seen: u64 },
    #[error(
        "column {spec:#x} of the chunk at byte {chunk} decodes to more than {limit} values \
         (max_column_values; {seen} so far)"
    )]
    ColumnValues {
        chunk: usize,
        spec: u32,
        limit: u64,
        seen: u64,
    },
    #[error(
        "the chunk at byte {chunk} declares {claimed} columns, more than {limit} (max_columns_per_chunk)"
    )]
    Columns {
        chunk: usize,
        limit: u64,
        claimed: u64,
    },
    #[error(
        "the chunk at byte {chunk} names {claimed} actors, more than {limit} (max_actors_per_chunk)"
    )]
    Actors {
        chunk: usize,
        limit: u64,
        claimed: u64,
    },
    #[error(
        "a change in the chunk at byte {chunk} has {claimed} ops, more than {limit} (max_ops_per_change)"
    )]
    ChangeOps {
        chunk: usize,
        limit: u64,
        claimed: u64,
    },
    #[error("{claimed} ops in all, more than {limit} (max_ops)")]
    Ops { limit: u64, claimed: u64 },
    #[error("{claimed} changes in all, more than {limit} (max_changes)")]
    Changes { limit: u64, claimed: u64 },
    #[error("{claimed} predecessor references in all, more than {limit} (max_preds)")]
    Preds { limit: u64, claimed: u64 },
}

impl BudgetError {
    /// A stable name for the refusal, for responses, logs and metrics. It never changes once
    /// released; new bounds get new names.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "sync.budget.malformed",
            Self::Checksum { .. } => "sync.budget.checksum",
            Self::ChunkType { .. } => "sync.budget.chunk_type",
            Self::Chunks { .. } => "sync.budget.chunks",
            Self::InflatedBytes { .. } => "sync.budget.inflated_bytes",
            Self::ChunkInflatedBytes { .. } => "sync.budget.chunk_inflated_bytes",
            Self::ColumnValues { .. } => "sync.budget.column_values",
            Self::Columns { .. } => "sync.budget.columns",
            Self::Actors { .. } => "sync.budget.actors",
            Self::ChangeOps { .. } => "sync.budget.change_ops",
            Self::Ops { .. } => "sync.budget.ops",
            Self::Changes { .. } => "sync.budget.changes",
            Self::Preds { .. } => "sync.budget.preds",
        }
    }
}
