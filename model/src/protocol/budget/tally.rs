//! The running totals of one call, and the one place each bound is compared. Every addition
//! saturates: a sum that reaches `u64::MAX` is over any limit and is refused as such.

use super::reader::Fault;
use super::{BudgetError, Limits, Measure};

pub(super) struct Tally<'l> {
    pub(super) limits: &'l Limits,
    pub(super) measure: Measure,
    preds: u64,
    /// Where the chunk being checked starts, for errors.
    chunk: usize,
    /// Its inflated bytes so far, added to the call's total when the chunk is done.
    chunk_bytes: u64,
}

impl<'l> Tally<'l> {
    pub(super) fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            measure: Measure::default(),
            preds: 0,
            chunk: 0,
            chunk_bytes: 0,
        }
    }

    pub(super) fn begin_chunk(&mut self, at: usize) -> Result<(), BudgetError> {
        self.chunk = at;
        self.chunk_bytes = 0;
        self.measure.chunks = self.measure.chunks.saturating_add(1);
        if self.measure.chunks > self.limits.max_chunks {
            return Err(BudgetError::Chunks {
                limit: self.limits.max_chunks,
            });
        }
        Ok(())
    }

    pub(super) fn end_chunk(&mut self) {
        self.measure.inflated_bytes = self.measure.inflated_bytes.saturating_add(self.chunk_bytes);
        self.chunk_bytes = 0;
    }

    pub(super) fn malformed(&self, what: Fault) -> BudgetError {
        BudgetError::Malformed {
            chunk: self.chunk,
            what,
        }
    }

    pub(super) fn checksum(&self) -> BudgetError {
        BudgetError::Checksum { chunk: self.chunk }
    }

    pub(super) fn chunk_type(&self, chunk_type: u8) -> BudgetError {
        BudgetError::ChunkType {
            chunk: self.chunk,
            chunk_type,
        }
    }

    /// A read of the current chunk, its fault (if any) placed at the chunk.
    pub(super) fn at<T>(&self, read: Result<T, Fault>) -> Result<T, BudgetError> {
        read.map_err(|what| self.malformed(what))
    }

    /// How many more bytes the current chunk may inflate to.
    pub(super) fn room(&self) -> u64 {
        let chunk = self
            .limits
            .max_chunk_inflated_bytes
            .saturating_sub(self.chunk_bytes);
        let call = self
            .limits
            .max_inflated_bytes
            .saturating_sub(self.measure.inflated_bytes.saturating_add(self.chunk_bytes));
        chunk.min(call)
    }

    /// Count `n` more inflated bytes for the current chunk.
    pub(super) fn grow(&mut self, n: u64) -> Result<(), BudgetError> {
        self.chunk_bytes = self.chunk_bytes.saturating_add(n);
        let call = self.measure.inflated_bytes.saturating_add(self.chunk_bytes);
        if self.chunk_bytes > self.limits.max_chunk_inflated_bytes {
            Err(BudgetError::ChunkInflatedBytes {
                chunk: self.chunk,
                limit: self.limits.max_chunk_inflated_bytes,
                seen: self.chunk_bytes,
            })
        } else if call > self.limits.max_inflated_bytes {
            Err(BudgetError::InflatedBytes {
                limit: self.limits.max_inflated_bytes,
                seen: call,
            })
        } else {
            Ok(())
        }
    }

    /// The error for an inflation stopped after `seen` bytes because it passed [`Tally::room`].
    pub(super) fn overflow(&mut self, seen: u64) -> BudgetError {
        match self.grow(seen) {
            Err(e) => e,
            // `seen` is above the room, so `grow` has already failed; kept total for safety.
            Ok(()) => BudgetError::InflatedBytes {
                limit: self.limits.max_inflated_bytes,
                seen: self.measure.inflated_bytes.saturating_add(self.chunk_bytes),
            },
        }
    }

    pub(super) fn actors(&self, claimed: u64) -> Result<(), BudgetError> {
        if claimed > self.limits.max_actors_per_chunk {
            return Err(BudgetError::Actors {
                chunk: self.chunk,
                limit: self.limits.max_actors_per_chunk,
                claimed,
            });
        }
        Ok(())
    }

    pub(super) fn too_many_columns(&self, claimed: u64) -> BudgetError {
        BudgetError::Columns {
            chunk: self.chunk,
            limit: self.limits.max_columns_per_chunk,
            claimed,
        }
    }

    pub(super) fn too_many_values(&self, spec: u32, seen: u64) -> BudgetError {
        BudgetError::ColumnValues {
            chunk: self.chunk,
            spec,
            limit: self.limits.max_column_values,
            seen,
        }
    }

    pub(super) fn changes(&mut self, n: u64) -> Result<(), BudgetError> {
        self.measure.changes = self.measure.changes.saturating_add(n);
        if self.measure.changes > self.limits.max_changes {
            return Err(BudgetError::Changes {
                limit: self.limits.max_changes,
                claimed: self.measure.changes,
            });
        }
        Ok(())
    }

    /// One change's ops, compared with the per-change bound only; [`Tally::ops`] adds them up.
    pub(super) fn change_ops(&self, ops: u64) -> Result<(), BudgetError> {
        if ops > self.limits.max_ops_per_change {
            return Err(BudgetError::ChangeOps {
                chunk: self.chunk,
                limit: self.limits.max_ops_per_change,
                claimed: ops,
            });
        }
        Ok(())
    }

    pub(super) fn ops(&mut self, n: u64) -> Result<(), BudgetError> {
        self.measure.ops = self.measure.ops.saturating_add(n);
        if self.measure.ops > self.limits.max_ops {
            return Err(BudgetError::Ops {
                limit: self.limits.max_ops,
                claimed: self.measure.ops,
            });
        }
        Ok(())
    }

    pub(super) fn preds(&mut self, n: u64) -> Result<(), BudgetError> {
        self.preds = self.preds.saturating_add(n);
        if self.preds > self.limits.max_preds {
            return Err(BudgetError::Preds {
                limit: self.limits.max_preds,
                claimed: self.preds,
            });
        }
        Ok(())
    }
}
