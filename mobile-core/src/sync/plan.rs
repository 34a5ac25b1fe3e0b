//! Deciding what to push: a document needs pushing when its heads differ from the heads known to
//! be on the server (`synced`), and what it pushes is everything after those heads. Pushes are
//! packed into requests under the server's body limit.

use super::state::SyncState;
use super::wire::{self, Push};
use crate::workspace::Workspace;
use automerge::ChangeHash;
use std::collections::{BTreeSet, VecDeque};

/// Base64 bytes of changes in one request. The server refuses bodies over 8 MiB; this leaves room
/// for JSON around them. A single larger document is still sent, alone.
pub const BATCH_BYTES: usize = 6 << 20;
/// Documents in one request, so one answer (and the work between two saves of the sync state)
/// stays small.
pub const BATCH_DOCS: usize = 100;

/// Whether two sets of heads are the same (order does not matter).
pub fn same_heads(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
}

/// Whether a document with heads `current` has changes the server may not have.
pub fn needs_push(current: &[ChangeHash], synced: &[ChangeHash]) -> bool {
    !same_heads(current, synced)
}

/// Documents that need pushing, by id. Reads heads from stored summaries, so unchanged
/// documents are not loaded. A document whose heads cannot be read is included, so that
/// [`take_batch`] reports it rather than it being skipped in silence.
///
/// Sites go first: the server places every other document by its site's record, so a site made
/// offline must reach it before the inspections and hazards made there.
pub fn to_push(ws: &mut Workspace, state: &SyncState) -> Vec<String> {
    let mut out = Vec::new();
    for id in ws.doc_ids() {
        match ws.doc_heads(&id) {
            Ok(heads) if !needs_push(&heads, &state.synced_heads(&id)) => {}
            _ => out.push(id),
        }
    }
    let is_site = |id: &String| {
        ws.doc_summary(id)
            .is_some_and(|s| s.kind == closeloop_model::doc::DocKind::Site)
    };
    out.sort_by_key(|id| !is_site(id));
    out
}

/// One document in a request.
#[derive(Debug, Clone)]
pub struct Planned {
    pub push: Push,
    /// The document's heads when its changes were taken. If the server accepts them, it holds
    /// the whole history up to these heads; changes made after are not covered.
    pub heads: Vec<ChangeHash>,
}

/// Takes the next request's documents from the front of `queue`: at most `max_docs`, within
/// [`BATCH_BYTES`] (a larger document goes alone). A document whose changes turn out to be all on
/// the server already (its synced heads named changes it no longer holds) is marked synced in
/// `state` instead of being sent. A document that cannot be read goes to `failed` with the
/// reason, and the others are still sent.
pub fn take_batch(
    ws: &mut Workspace,
    state: &mut SyncState,
    queue: &mut VecDeque<String>,
    max_docs: usize,
    failed: &mut Vec<(String, String)>,
) -> Vec<Planned> {
    let mut batch = Vec::new();
    let mut size = 0;
    while batch.len() < max_docs {
        let Some(id) = queue.pop_front() else { break };
        if !ws.has_doc(&id) {
            // Removed since planning (its new document was refused): nothing to send.
            continue;
        }
        let out = match ws.changes_since(&id, &state.synced_heads(&id)) {
            Ok(out) => out,
            Err(e) => {
                failed.push((id, e.to_string()));
                continue;
            }
        };
        if out.bytes.is_empty() {
            state.set_synced(&id, &out.heads);
            continue;
        }
        let changes = wire::encode(&out.bytes);
        if !batch.is_empty() && size + changes.len() > BATCH_BYTES {
            queue.push_front(id);
            break;
        }
        size += changes.len();
        batch.push(Planned {
            push: Push {
                doc_id: id,
                changes,
            },
            heads: out.heads,
        });
    }
    batch
}
