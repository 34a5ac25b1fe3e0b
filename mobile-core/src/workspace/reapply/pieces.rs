//! What one version of a document adds over another, piece by piece: the records of append-only
//! lists, a sign-off, a site's details, a regenerated task plan, or the whole document when it is
//! new.
//!
//! Each piece knows whether this device's own user wrote it (only that work is ever written again
//! in the signed-in user's name; a change under any other actor is someone else's, or forged), and
//! is rewritten for the signed-in user where it was made under a provisional identity (before the
//! first login): `by`, an event's `role`, the inspection's `inspector`, a new document's place.

use super::change::Change;
use super::part::{Part, document_part, record_part};
use crate::workspace::Authors;
use automerge::{AutoCommit, ObjId, ROOT, ReadDoc};
use closeloop_model::doc::inspection::SignOff;
use closeloop_model::doc::site::Site;
use closeloop_model::doc::{
    self, DocError, DocKind, Header, hazard, inspection, keys, site, tasks,
};
use closeloop_model::lifecycle::Event;
use closeloop_model::roles::{Actor, SiteRef};
use serde_json::Value;
use std::collections::BTreeSet;

/// A piece with what writing it takes.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    pub part: Part,
    /// Written by this device's signed-in user (or as them, before the first login).
    pub own: bool,
    pub change: Change,
}

/// Who the pieces are written for and whose work they may be.
pub(crate) struct Rewrite<'a> {
    pub actor: &'a Actor,
    pub authors: &'a Authors,
    /// Where a new document goes: for a site, in the user's organisation; for anything else,
    /// where the phone's copy of its site says (the server places it by that record too).
    pub place: Option<SiteRef>,
}

impl Rewrite<'_> {
    fn user_for(&self, user: &str) -> String {
        if self.authors.provisional.contains(user) {
            self.actor.user_id.clone()
        } else {
            user.to_owned()
        }
    }

    /// A record's JSON with a provisional author replaced by the signed-in user (and an event's
    /// role by theirs). Untouched text stays byte for byte.
    fn record(&self, raw: &str) -> String {
        let Ok(mut v) = serde_json::from_str::<Value>(raw) else {
            return raw.to_owned();
        };
        let Some(by) = v.get("by").and_then(Value::as_str) else {
            return raw.to_owned();
        };
        if !self.authors.provisional.contains(by) {
            return raw.to_owned();
        }
        v["by"] = Value::String(self.actor.user_id.clone());
        if v.get("role").is_some() {
            v["role"] = Value::String(self.actor.role.as_str().to_owned());
        }
        serde_json::to_string(&v).unwrap_or_else(|_| raw.to_owned())
    }

    fn own(&self, id: &ObjId) -> bool {
        match id {
            ObjId::Id(_, actor, _) => self.authors.actors.contains(&actor.to_hex_string()),
            ObjId::Root => false,
        }
    }

    fn header(&self, source: &Header) -> Header {
        let site = match (&self.place, source.kind) {
            (_, DocKind::Site) => SiteRef {
                org_id: self.actor.scope.org_id.clone(),
                ..source.site.clone()
            },
            (Some(place), _) => place.clone(),
            (None, _) => source.site.clone(),
        };
        Header {
            site,
            ..source.clone()
        }
    }
}

/// What identifies a record across copies: its id, or for a photo its hash and item.
fn record_key(raw: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(raw) else {
        return raw.to_owned();
    };
    if let Some(id) = v.get("id").and_then(Value::as_str) {
        return id.to_owned();
    }
    match v.get("sha256").and_then(Value::as_str) {
        Some(sha) => format!(
            "{sha}@{}",
            v.get("item_id").and_then(Value::as_str).unwrap_or("")
        ),
        None => raw.to_owned(),
    }
}

fn keys_of<R: ReadDoc>(doc: Option<&R>, key: &'static str) -> Result<BTreeSet<String>, DocError> {
    match doc {
        None => Ok(BTreeSet::new()),
        Some(d) => Ok(doc::raw_records(d, key)?
            .iter()
            .map(|r| record_key(r))
            .collect()),
    }
}

/// The records `source` adds to `base` in list `key`, in order, rewritten and attributed.
fn added_records(
    base: Option<&AutoCommit>,
    source: &AutoCommit,
    key: &'static str,
    rw: &Rewrite<'_>,
    skip_first: bool,
) -> Result<Vec<Piece>, DocError> {
    let present = keys_of(base, key)?;
    Ok(doc::raw_records_with_ops(source, key)?
        .into_iter()
        .skip(usize::from(skip_first))
        .filter(|(raw, _)| !present.contains(&record_key(raw)))
        .map(|(raw, op)| Piece {
            part: record_part(key, &raw),
            own: rw.own(&op),
            change: Change::Record {
                key,
                raw: rw.record(&raw),
            },
        })
        .collect())
}

fn op_of<R: ReadDoc>(doc: &R, key: &'static str) -> Result<Option<ObjId>, DocError> {
    Ok(doc.get(ROOT, key)?.map(|(_, id)| id))
}

/// Whether every change of `source` that `base` lacks was made by this device's user.
fn all_new_changes_own(base: &AutoCommit, source: &mut AutoCommit, rw: &Rewrite<'_>) -> bool {
    source
        .get_changes_meta(&[])
        .iter()
        .filter(|c| ReadDoc::get_change_by_hash(base, &c.hash).is_none())
        .all(|c| rw.authors.actors.contains(&c.actor.to_hex_string()))
}

/// The pieces `source` adds over `base` (a new document when `base` is `None`), in the order
/// they are to be written: the document first, then its records as their lists hold them, a
/// sign-off after the answers and photos it closes.
pub(crate) fn pieces(
    base: Option<&AutoCommit>,
    source: &mut AutoCommit,
    rw: &Rewrite<'_>,
) -> Result<Vec<Piece>, DocError> {
    let header = doc::header(&*source)?;
    let created_by_us = op_of(&*source, keys::KIND)?.is_some_and(|op| rw.own(&op));
    let mut out = Vec::new();
    match header.kind {
        DocKind::Site => {
            let s = site::read(&*source)?;
            match base {
                None => out.push(Piece {
                    part: document_part(header.kind, &header.id, &s.name),
                    own: created_by_us,
                    change: Change::NewSite(Site {
                        header: rw.header(&header),
                        ..s
                    }),
                }),
                Some(b) => {
                    let old = site::read(b)?;
                    let details = |x: &Site| {
                        (
                            x.name.clone(),
                            x.address.clone(),
                            x.location,
                            x.profile.clone(),
                            x.utc_offset_minutes,
                        )
                    };
                    if details(&old) != details(&s) {
                        out.push(Piece {
                            part: Part::new(
                                "site_details",
                                &header.id,
                                "site details: name, address, location, time zone and profile"
                                    .into(),
                            ),
                            own: all_new_changes_own(b, source, rw),
                            change: Change::SiteDetails(s),
                        });
                    }
                }
            }
        }
        DocKind::TaskPlan => {
            let t = tasks::read(&*source)?;
            let plan_op = op_of(&*source, keys::PLAN)?;
            match base {
                None => out.push(Piece {
                    part: document_part(
                        header.kind,
                        &header.id,
                        &format!("{} recurring tasks", t.plan.tasks.len()),
                    ),
                    own: created_by_us,
                    change: Change::NewTaskPlan {
                        header: rw.header(&header),
                        plan: t.plan.clone(),
                        generated_at: t.generated_at,
                    },
                }),
                Some(b) => {
                    let old = tasks::read(b)?;
                    if old.plan != t.plan || old.generated_at != t.generated_at {
                        out.push(Piece {
                            part: Part::new(
                                "task_plan",
                                &header.id,
                                "task plan regenerated from the site's profile".into(),
                            ),
                            own: plan_op.is_some_and(|op| rw.own(&op)),
                            change: Change::Plan {
                                plan: t.plan.clone(),
                                generated_at: t.generated_at,
                            },
                        });
                    }
                }
            }
            out.extend(added_records(base, source, keys::COMPLETIONS, rw, false)?);
        }
        DocKind::Inspection => {
            let i = inspection::read(&*source)?;
            if base.is_none() {
                out.push(Piece {
                    part: document_part(header.kind, &header.id, i.purpose.label_en()),
                    own: created_by_us,
                    change: Change::NewInspection {
                        header: rw.header(&header),
                        inspector: rw.user_for(&i.inspector),
                        started_at: i.started_at,
                        checklist: Box::new(i.checklist.clone()),
                    },
                });
            }
            out.extend(added_records(base, source, keys::ANSWERS, rw, false)?);
            out.extend(added_records(base, source, keys::PHOTOS, rw, false)?);
            let already = match base {
                Some(b) => inspection::read(b)?.signed_off.is_some(),
                None => false,
            };
            if let (Some(s), false) = (&i.signed_off, already) {
                out.push(Piece {
                    part: Part::new("sign_off", &header.id, "sign-off".into()),
                    own: op_of(&*source, keys::SIGNED_OFF)?.is_some_and(|op| rw.own(&op)),
                    change: Change::SignOff(SignOff {
                        by: rw.user_for(&s.by),
                        ..s.clone()
                    }),
                });
            }
            out.extend(added_records(base, source, keys::COMMENTS, rw, false)?);
        }
        DocKind::Hazard => {
            let h = hazard::read(&*source)?;
            let new = base.is_none();
            if new {
                let events = doc::raw_records_with_ops(&*source, keys::EVENTS)?;
                let first = events
                    .first()
                    .and_then(|(raw, _)| serde_json::from_str::<Event>(&rw.record(raw)).ok());
                let first_own = events.first().is_some_and(|(_, op)| rw.own(op));
                let title = h
                    .state()
                    .report
                    .map(|r| r.title)
                    .unwrap_or_else(|| "(no report)".into());
                out.push(Piece {
                    part: document_part(header.kind, &header.id, &title),
                    own: created_by_us && first_own,
                    change: Change::NewHazard {
                        header: rw.header(&header),
                        inspection_id: h.inspection_id.clone(),
                        first,
                    },
                });
            }
            out.extend(added_records(base, source, keys::EVENTS, rw, new)?);
        }
    }
    Ok(out)
}
