//! The body of a change chunk (type 1, or type 2 once inflated), read field by field as
//! automerge's `Change::parse_following_header` reads it.
//!
//! Automerge counts a change's ops as the values of its action column: its op iterator stops
//! when that column is done, and every other column is pulled one value per op. So the action
//! column's count is the change's op count, exactly; the other columns are bounded per column,
//! and the pred group's members (one op id each) against the call's pred budget.

use super::BudgetError;
use super::columns::{self, CountError, Kind, Spec};
use super::reader::Reader;
use super::set;
use super::tally::Tally;

const ACTION: Spec = Spec::new(4, Kind::Integer);

pub(super) fn check(body: &[u8], t: &mut Tally<'_>) -> Result<(), BudgetError> {
    let mut r = Reader::new(body);
    let deps = t.at(r.uleb())?;
    let hashes = deps
        .checked_mul(32)
        .ok_or_else(|| t.malformed("too many dependencies"))?;
    t.at(r.take(hashes))?;
    let actor = t.at(r.uleb())?;
    t.at(r.take(actor))?;
    let _seq = t.at(r.uleb())?;
    if t.at(r.uleb())? == 0 {
        return Err(t.malformed("a change's start op is zero"));
    }
    let _time = t.at(r.sleb())?;
    let message_len = t.at(r.uleb())?;
    let message = t.at(r.take(message_len))?;
    if std::str::from_utf8(message).is_err() {
        return Err(t.malformed("a change's message is not UTF-8"));
    }
    let others = t.at(r.uleb())?;
    t.actors(others.saturating_add(1))?;
    for _ in 0..others {
        let len = t.at(r.uleb())?;
        t.at(r.take(len))?;
    }
    let cols = match columns::parse_meta(&mut r, t.limits.max_columns_per_chunk) {
        Ok(c) => c,
        Err(CountError::TooMany(n)) => return Err(t.too_many_columns(n)),
        Err(CountError::Malformed(w)) => return Err(t.malformed(w)),
    };
    if cols.iter().any(|c| c.spec.deflated()) {
        return Err(t.malformed("a change chunk has a deflated column"));
    }
    let len = t.at(columns::total_len(&cols))?;
    let data = t.at(r.take(len))?;
    // What follows the columns is the change's extra bytes, kept by automerge as they are.

    let counted = set::count_set(&set::slices(&cols, data), t)?;
    if !set::actors_within(&counted, others.saturating_add(1)) {
        return Err(t.malformed("an op names an actor the change does not list"));
    }
    let ops = set::values_of(&counted, ACTION);
    t.change_ops(ops)?;
    t.changes(1)?;
    t.ops(ops)?;
    t.preds(set::group_members(&counted))
}
