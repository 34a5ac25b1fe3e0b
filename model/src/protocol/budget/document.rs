//! The body of a document chunk (type 0), read as automerge's `Document::parse` reads it, with
//! its deflated columns inflated under the chunk's remaining room.
//!
//! A document holds two column sets: the change table (one row per change) and the ops (one row
//! per op that was not a delete; deletes live on as the succ lists of the ops they deleted).
//! Automerge counts a document's ops the way it rebuilds its changes: change `i` has
//! `max_op[i]` minus the largest `max_op` of its dependencies (or `max_op[i]` itself if it has
//! none), which is what `ChangeGraphCols::load` computes and what `Change::len` reports after
//! loading. The same numbers are worked out here from the same columns. The op rows are
//! bounded too, so a table claiming fewer ops than the rows hold does not get the rows for free.

use std::borrow::Cow;

use super::columns::{self, Column, CountError, Deltas, Kind, Spec, Values};
use super::inflate::{Inflate, inflate};
use super::reader::Reader;
use super::set::{self, Counted};
use super::tally::Tally;
use super::{BudgetError, Header};

const CHANGE_ACTOR: Spec = Spec::new(0, Kind::Actor);
const MAX_OP: Spec = Spec::new(1, Kind::Delta);
const DEPS_COUNT: Spec = Spec::new(4, Kind::Group);
const DEPS: Spec = Spec::new(4, Kind::Delta);
const SEQ: Spec = Spec::new(0, Kind::Delta);
const OP_ACTOR: Spec = Spec::new(2, Kind::Actor);

pub(super) fn check(header: &Header<'_>, t: &mut Tally<'_>) -> Result<(), BudgetError> {
    let data = header.data;
    let mut r = Reader::new(data);

    let actors = t.at(r.uleb())?;
    t.actors(actors)?;
    for _ in 0..actors {
        let len = t.at(r.uleb())?;
        t.at(r.take(len))?;
    }
    let heads = t.at(r.uleb())?;
    let hashes = heads
        .checked_mul(32)
        .ok_or_else(|| t.malformed("too many heads"))?;
    t.at(r.take(hashes))?;
    let room = t.limits.max_columns_per_chunk;
    let change_cols = meta(&mut r, room, t)?;
    let room = room.saturating_sub(change_cols.len() as u64);
    let op_cols = meta(&mut r, room, t)?;
    let change_len = t.at(columns::total_len(&change_cols))?;
    let change_data = t.at(r.take(change_len))?;
    let op_len = t.at(columns::total_len(&op_cols))?;
    let op_data = t.at(r.take(op_len))?;
    if !r.is_empty() {
        for _ in 0..heads {
            t.at(r.uleb())?;
        }
        if !r.is_empty() {
            return Err(t.malformed("bytes after a document's head indices"));
        }
    }

    // What automerge will hold once the document is inflated: the chunk as sent, with each
    // deflated column swapped for its inflated bytes. The plain part is counted first, so a
    // chunk that is too large as it stands costs no hashing and no inflating.
    let deflated = change_cols
        .iter()
        .chain(&op_cols)
        .filter(|c| c.spec.deflated())
        .fold(0u64, |acc, c| acc.saturating_add(c.len));
    t.grow((data.len() as u64).saturating_sub(deflated))?;
    header.verify(t)?;

    let change_set = open(&change_cols, change_data, t)?;
    let op_set = open(&op_cols, op_data, t)?;
    let changes = set::count_set(&borrow(&change_set), t)?;
    let ops = set::count_set(&borrow(&op_set), t)?;

    let n = set::values_of(&changes, CHANGE_ACTOR);
    t.changes(n)?;
    for c in &changes {
        if !c.grouped && c.spec.kind() != Kind::Value && c.count.values > n {
            return Err(t.malformed("a change-table column is longer than the table"));
        }
    }
    let claimed = change_ops(&change_set, &changes, n, actors, t)?;
    if !set::actors_within(&ops, actors) {
        return Err(t.malformed("an op names an actor the document does not list"));
    }
    let rows = set::values_of(&ops, OP_ACTOR);
    t.ops(claimed.max(rows))?;
    t.preds(set::group_members(&ops))
}

/// A column set as automerge reads it: each spec (deflate flag cleared) with its bytes.
type Opened<'a> = Vec<(Spec, Cow<'a, [u8]>)>;

fn meta(r: &mut Reader<'_>, room: u64, t: &Tally<'_>) -> Result<Vec<Column>, BudgetError> {
    match columns::parse_meta(r, room) {
        Ok(c) => Ok(c),
        Err(CountError::TooMany(n)) => Err(t.too_many_columns(n)),
        Err(CountError::Malformed(w)) => Err(t.malformed(w)),
    }
}

/// The set's columns as automerge will read them: plain ones borrowed, deflated ones inflated,
/// each under the room the chunk and the call have left.
fn open<'a>(cols: &[Column], data: &'a [u8], t: &mut Tally<'_>) -> Result<Opened<'a>, BudgetError> {
    let mut out = Vec::with_capacity(cols.len());
    for (spec, bytes) in set::slices(cols, data) {
        if !spec.deflated() {
            out.push((spec, Cow::Borrowed(bytes)));
            continue;
        }
        match inflate(bytes, t.room()) {
            Ok(v) => {
                t.grow(v.len() as u64)?;
                out.push((spec.normal(), Cow::Owned(v)));
            }
            Err(Inflate::OverCap { seen }) => return Err(t.overflow(seen)),
            Err(Inflate::Corrupt(what)) => return Err(t.malformed(what)),
        }
    }
    Ok(out)
}

fn borrow<'s>(set: &'s [(Spec, Cow<'_, [u8]>)]) -> Vec<(Spec, &'s [u8])> {
    set.iter().map(|(s, b)| (*s, b.as_ref())).collect()
}

fn column<'s>(set: &'s [(Spec, Cow<'_, [u8]>)], spec: Spec) -> &'s [u8] {
    set.iter()
        .find(|(s, _)| *s == spec)
        .map_or(&[][..], |(_, b)| b.as_ref())
}

/// The ops of every change in the table, as automerge derives them, each against the per-change
/// bound; their sum. `n` changes have already passed the change budget and every column was
/// found no longer than `n`, so the vector below is small.
///
/// Automerge reads these five columns with hexane's unchecked decoders, which panic on a null,
/// on a value that does not fit their type, and (through automerge's indexing) on a dependency
/// that is not an earlier change. Those are refused here, so that counting the ops is also
/// reading them the only way automerge can.
fn change_ops(
    set: &[(Spec, Cow<'_, [u8]>)],
    counted: &[Counted],
    n: u64,
    actors: u64,
    t: &Tally<'_>,
) -> Result<u64, BudgetError> {
    if n == 0 {
        return Ok(0);
    }
    if set::values_of(counted, MAX_OP) != n || set::values_of(counted, DEPS_COUNT) != n {
        return Err(t.malformed("a change-table column is shorter than the table"));
    }
    let mut by = Values::new(column(set, CHANGE_ACTOR), false);
    while let Some(actor) = t.at(by.next_value())? {
        if actor.is_none_or(|a| a as u64 >= actors) {
            return Err(t.malformed("a change by an actor the document does not name"));
        }
    }
    let mut seqs = Deltas::new(column(set, SEQ));
    while let Some(seq) = t.at(seqs.next_value())? {
        u32_value(seq, t)?;
    }
    let mut max_ops: Vec<u64> = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    let mut values = Deltas::new(column(set, MAX_OP));
    while let Some(v) = t.at(values.next_value())? {
        max_ops.push(u32_value(v, t)?);
    }
    let mut counts = Values::new(column(set, DEPS_COUNT), false);
    let mut deps = Deltas::new(column(set, DEPS));
    let mut total = 0u64;
    for (i, &max_op) in max_ops.iter().enumerate() {
        let d = match t.at(counts.next_value())? {
            Some(Some(d)) => u32_value(d, t)?,
            _ => return Err(t.malformed("a change without its dependency count")),
        };
        let mut base = 0;
        for _ in 0..d {
            let dep = t
                .at(deps.next_value())?
                .ok_or_else(|| t.malformed("fewer dependencies than counted"))?;
            let dep = usize::try_from(u32_value(dep, t)?).unwrap_or(usize::MAX);
            if dep >= i {
                return Err(t.malformed("a dependency on a change that does not come before"));
            }
            base = base.max(max_ops[dep]);
        }
        let ops = max_op
            .checked_sub(base)
            .ok_or_else(|| t.malformed("a change's max op is below its dependencies'"))?;
        t.change_ops(ops)?;
        total = total.saturating_add(ops);
    }
    Ok(total)
}

fn u32_value(v: i64, t: &Tally<'_>) -> Result<u64, BudgetError> {
    u32::try_from(v)
        .map(u64::from)
        .map_err(|_| t.malformed("a change-table value beyond what automerge stores"))
}
