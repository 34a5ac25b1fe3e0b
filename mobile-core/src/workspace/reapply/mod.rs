//! Writing the still-allowed pieces of one version of a document again: on top of the copy the
//! device holds now (after a refusal, the server's), or as a new document (never on the server).
//! Each piece is checked first by the model's rules as the server will check it
//! (`validate::check_update`, with placement records from the phone's own site documents) and,
//! for a hazard event, by the lifecycle transition the app checks before any write of its own.
//! What passes becomes new changes under the device's actor and goes with the next push; what
//! does not is held, with its rule.

mod change;
mod part;
mod pieces;

pub use part::{FOREIGN_RULE, Part};

use super::{Authors, Error, Result, Workspace, hex_bytes};
use crate::store::StoreError;
use automerge::{ActorId, AutoCommit};
use change::Change;
use closeloop_model::doc::{self, DocKind, Header, hazard};
use closeloop_model::lifecycle::{check_transition, fold};
use closeloop_model::roles::{Actor, SiteRef};
use closeloop_model::validate::{Records, check_update};
use pieces::Rewrite;
use std::collections::BTreeSet;

/// Where pieces are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Onto {
    /// On top of the document as this device holds it now.
    Local,
    /// As a new document, replacing whatever the device holds under the id (work never synced).
    Nothing,
}

/// Pieces sorted into kept and held, computed but not yet written, so that a caller can make
/// the version they came from durable first ([`Workspace::write_rebuilt`] writes them).
#[derive(Debug)]
pub struct Rebuilt {
    pub doc_id: String,
    /// Written again, in this order.
    pub kept: Vec<Part>,
    /// Not written, each with its rule and reason.
    pub held: Vec<Part>,
    onto: Onto,
    working: AutoCommit,
    /// The header of the new document, when one was made.
    created: Option<Header>,
}

/// Why a piece was held.
struct Held {
    rule: String,
    reason: String,
}

impl From<closeloop_model::permission::Denied> for Held {
    fn from(d: closeloop_model::permission::Denied) -> Held {
        Held {
            rule: d.rule.to_owned(),
            reason: d.reason,
        }
    }
}

/// Writes one piece into `working` and checks the result against `base` as the server will, then
/// (for an event) whether it applies where it lands; uncommitted either way.
fn try_piece(
    actor: &Actor,
    records: &Records,
    base: Option<&AutoCommit>,
    working: &mut AutoCommit,
    change: &Change,
    blob_present: &dyn Fn(&str) -> bool,
) -> Result<(), Held> {
    let landing = change.event().map(|e| {
        let events = hazard::read(&*working)
            .map(|h| h.events)
            .unwrap_or_default();
        (fold(&events), e)
    });
    change.write(working)?;
    check_update(actor, records, base, &*working, blob_present)?;
    if let Some((state, event)) = landing {
        check_transition(&state, &event.kind).map_err(|n| Held {
            rule: n.rule,
            reason: n.reason,
        })?;
    }
    Ok(())
}

impl Workspace {
    fn own_actor_id(&self) -> ActorId {
        ActorId::from(hex_bytes(self.actor_hex()))
    }

    /// What the server's records say of a document's place, as far as this phone knows them:
    /// its site document. Also where a new non-site document goes.
    fn placement(
        &mut self,
        header: &Header,
        existing: Option<&Header>,
    ) -> Result<(Records, Option<SiteRef>)> {
        if header.kind == DocKind::Site {
            // Whether the organisation has the grid only the server knows; the reach rule
            // still refuses a grid the user does not work in.
            let records = Records {
                site: existing.map(|h| h.site.clone()),
                grid_exists: true,
                profiles: Vec::new(),
            };
            return Ok((records, None));
        }
        let site_id = &header.site.site_id;
        let site = self
            .index
            .get(site_id)
            .filter(|s| s.kind == DocKind::Site)
            .map(|s| s.site.clone());
        let profiles = match (&site, header.kind, existing) {
            (Some(_), DocKind::Inspection, None) => {
                doc::site::profile_history(self.docs.get(site_id)?)
            }
            _ => Vec::new(),
        };
        let records = Records {
            site: site.clone(),
            grid_exists: false,
            profiles,
        };
        Ok((records, site))
    }

    /// Sorts the pieces `source` (a saved version of document `id`) adds into what the
    /// signed-in user may still write and what not, building the result `onto` the local copy or
    /// as a new document. Nothing is written yet.
    pub fn rebuild(
        &mut self,
        id: &str,
        source: &[u8],
        onto: Onto,
        authors: &Authors,
    ) -> Result<Rebuilt> {
        let unreadable = |why: String| Error::Store(StoreError::Damaged(id.to_owned(), why));
        let mut source = AutoCommit::load(source).map_err(|e| unreadable(e.to_string()))?;
        let actor = self.actor();
        let pending: BTreeSet<String> = self.blobs.pending()?.into_iter().collect();
        // A photo still in the outbox is not on the server; any other the server checks itself.
        let blob_present = |sha: &str| !pending.contains(sha);
        let mut base = match onto {
            Onto::Local => Some(self.docs.get(id)?.fork()),
            Onto::Nothing => None,
        };
        let base_header = match &base {
            Some(b) => Some(doc::header(b)?),
            None => None,
        };
        let header = doc::header(&source).map_err(|e| unreadable(e.to_string()))?;
        let (records, place) = self.placement(&header, base_header.as_ref())?;
        let rewrite = Rewrite {
            actor: &actor,
            authors,
            place,
        };
        let found = pieces::pieces(base.as_ref(), &mut source, &rewrite)
            .map_err(|e| unreadable(e.to_string()))?;
        let mut working = match base.as_mut() {
            Some(b) => b.fork().with_actor(self.own_actor_id()),
            None => self.new_doc(),
        };
        let mut out = Rebuilt {
            doc_id: id.to_owned(),
            kept: Vec::new(),
            held: Vec::new(),
            onto,
            working: AutoCommit::new(),
            created: None,
        };
        let mut exists = base.is_some();
        let mut not_created: Option<Held> = None;
        for p in found {
            if !p.own {
                out.held.push(p.part.held(
                    FOREIGN_RULE,
                    "written on this device by someone other than you, so it is not sent in your name",
                ));
                continue;
            }
            if !exists && !p.change.creates() {
                let why = not_created.as_ref().map_or(
                    ("doc.malformed", "the document it belongs to was not made"),
                    |h| (h.rule.as_str(), h.reason.as_str()),
                );
                out.held.push(p.part.held(why.0, why.1));
                continue;
            }
            match try_piece(
                &actor,
                &records,
                base.as_ref(),
                &mut working,
                &p.change,
                &blob_present,
            ) {
                Ok(()) => {
                    working.commit();
                    if p.change.creates() {
                        exists = true;
                        out.created = p.change.header().cloned();
                    }
                    out.kept.push(p.part);
                }
                Err(held) => {
                    working.rollback();
                    out.held.push(p.part.held(&held.rule, held.reason.clone()));
                    if p.change.creates() {
                        not_created = Some(held);
                    }
                }
            }
        }
        out.working = working;
        Ok(out)
    }

    /// Writes what [`Workspace::rebuild`] kept: new changes on the local copy, or the new document
    /// in place of what the device held under the id (removed when the document itself was
    /// held: its version is wherever the caller kept it). Durable on return.
    pub fn write_rebuilt(&mut self, rebuilt: Rebuilt) -> Result<()> {
        let Rebuilt {
            doc_id,
            kept,
            onto,
            mut working,
            created,
            ..
        } = rebuilt;
        match (onto, created) {
            (Onto::Local, _) if kept.is_empty() => Ok(()),
            (Onto::Local, _) => self.edit_doc(&doc_id, |doc| {
                doc.merge(&mut working)?;
                Ok(())
            }),
            (Onto::Nothing, Some(_)) if self.has_doc(&doc_id) => {
                self.replace_doc(&doc_id, Some(&working.save()))?;
                Ok(())
            }
            (Onto::Nothing, Some(header)) => self.create_doc(&header, working),
            (Onto::Nothing, None) if self.has_doc(&doc_id) => {
                self.replace_doc(&doc_id, None)?;
                Ok(())
            }
            (Onto::Nothing, None) => Ok(()),
        }
    }
}
