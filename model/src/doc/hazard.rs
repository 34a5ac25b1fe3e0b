//! The hazard document: its place, the inspection it came from, and its append-only events.

use super::{DocError, DocKind, Header, append, get_str, header_of, init, keys, records};
use crate::lifecycle::{Event, HazardState, fold};
use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};

/// A hazard as its document holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hazard {
    pub header: Header,
    pub inspection_id: Option<String>,
    pub events: Vec<Event>,
}

impl Hazard {
    /// The derived status, timeline and dates.
    pub fn state(&self) -> HazardState {
        fold(&self.events)
    }
}

/// Creates a hazard document with its first event (normally `reported`).
pub fn create(
    doc: &mut AutoCommit,
    header: &Header,
    inspection_id: Option<&str>,
    first: &Event,
) -> Result<(), DocError> {
    init(doc, header, &[keys::EVENTS])?;
    if let Some(id) = inspection_id {
        doc.put(ROOT, keys::INSPECTION, id)?;
    }
    append_event(doc, first)
}

/// Appends an event.
pub fn append_event(doc: &mut AutoCommit, event: &Event) -> Result<(), DocError> {
    append(doc, keys::EVENTS, event)
}

/// Reads a hazard document.
pub fn read<R: ReadDoc>(doc: &R) -> Result<Hazard, DocError> {
    Ok(Hazard {
        header: header_of(doc, DocKind::Hazard)?,
        inspection_id: get_str(doc, &ROOT, keys::INSPECTION)?,
        events: records(doc, keys::EVENTS)?,
    })
}
