//! One set of columns (a change's ops, a document's change table or its ops) counted as a whole:
//! each column's values against the per-column bound, and the links between columns that
//! automerge follows when it decodes them (a group's counts, a value's byte lengths).

use super::BudgetError;
use super::columns::{self, Column, Count, CountError, Kind, Spec};
use super::tally::Tally;

#[derive(Clone, Copy, Debug)]
pub(super) struct Counted {
    pub(super) spec: Spec,
    pub(super) count: Count,
    /// Whether the column belongs to the group column before it (its values are the group's
    /// members, so there are as many as the group's counts add up to, not one per row).
    pub(super) grouped: bool,
}

/// Cut a set's data into its columns. The caller has taken exactly `total_len(cols)` bytes, so
/// every slice is in range; a short slice would only mean a shorter column, never a panic.
pub(super) fn slices<'a>(cols: &[Column], data: &'a [u8]) -> Vec<(Spec, &'a [u8])> {
    let mut at = 0usize;
    cols.iter()
        .map(|c| {
            let len = usize::try_from(c.len).unwrap_or(usize::MAX);
            let end = at.saturating_add(len).min(data.len());
            let s = data.get(at..end).unwrap_or_default();
            at = end;
            (c.spec, s)
        })
        .collect()
}

pub(super) fn count_set(
    cols: &[(Spec, &[u8])],
    t: &Tally<'_>,
) -> Result<Vec<Counted>, BudgetError> {
    let limit = t.limits.max_column_values;
    let mut out: Vec<Counted> = Vec::with_capacity(cols.len());
    let mut group: Option<u32> = None;
    let mut meta: Option<(u32, u64)> = None;
    for &(spec, data) in cols {
        let kind = spec.kind();
        let count = match columns::count(kind, data, limit) {
            Ok(c) => c,
            Err(CountError::TooMany(seen)) => return Err(t.too_many_values(spec.0, seen)),
            Err(CountError::Malformed(what)) => return Err(t.malformed(what)),
        };
        if kind == Kind::Group && count.weight > limit {
            return Err(t.too_many_values(spec.0, count.weight));
        }
        if kind == Kind::Value {
            match meta.take() {
                Some((id, bytes)) if id == spec.id() => {
                    if bytes > data.len() as u64 {
                        return Err(t.malformed("values are longer than their raw column"));
                    }
                }
                _ => return Err(t.malformed("a raw value column without its metadata")),
            }
        } else {
            close_meta(&mut meta, t)?;
            if kind == Kind::ValueMeta {
                meta = Some((spec.id(), count.weight));
            }
        }
        let grouped = group == Some(spec.id()) && kind != Kind::Group;
        if kind == Kind::Group {
            group = Some(spec.id());
        } else if !grouped {
            group = None;
        }
        out.push(Counted {
            spec,
            count,
            grouped,
        });
    }
    close_meta(&mut meta, t)?;
    Ok(out)
}

/// Value metadata with no raw column after it: every value must be empty (nulls, booleans).
fn close_meta(meta: &mut Option<(u32, u64)>, t: &Tally<'_>) -> Result<(), BudgetError> {
    match meta.take() {
        Some((_, bytes)) if bytes > 0 => Err(t.malformed("values without a raw column")),
        _ => Ok(()),
    }
}

/// The count of the column with this spec, zero if the set has none (automerge reads an absent
/// column as empty).
pub(super) fn values_of(set: &[Counted], spec: Spec) -> u64 {
    set.iter()
        .find(|c| c.spec == spec)
        .map_or(0, |c| c.count.values)
}

/// What the group columns of a set add up to: the members automerge allocates an op id for.
pub(super) fn group_members(set: &[Counted]) -> u64 {
    set.iter()
        .filter(|c| c.spec.kind() == Kind::Group)
        .fold(0u64, |acc, c| acc.saturating_add(c.count.weight))
}

/// Whether every actor column of the set names only actors `0..actors`. An op naming an actor
/// its chunk does not list is meaningless, and automerge indexes its actor table with it.
pub(super) fn actors_within(set: &[Counted], actors: u64) -> bool {
    set.iter()
        .filter(|c| c.spec.kind() == Kind::Actor && c.count.values > 0)
        .all(|c| c.count.max < actors)
}
