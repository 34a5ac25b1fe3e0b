//! The sync protocol's rules that both ends apply to what they receive: the shape of ids, and
//! the budget every pushed automerge payload must fit before anything decodes it.

pub mod budget;
