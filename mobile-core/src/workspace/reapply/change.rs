//! Writing one piece into a document, with the model's own functions, so that what is written
//! again is exactly what the app would have written.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use closeloop_checklists::{Checklist, TaskPlan};
use closeloop_model::doc::inspection::SignOff;
use closeloop_model::doc::site::Site;
use closeloop_model::doc::{DocError, Header, hazard, inspection, keys, site, tasks};
use closeloop_model::lifecycle::{Event, Millis};
use closeloop_model::permission::Denied;

#[derive(Debug, Clone)]
pub(crate) enum Change {
    NewSite(Site),
    NewTaskPlan {
        header: Header,
        plan: TaskPlan,
        generated_at: Millis,
    },
    NewInspection {
        header: Header,
        inspector: String,
        started_at: Millis,
        checklist: Box<Checklist>,
    },
    NewHazard {
        header: Header,
        inspection_id: Option<String>,
        first: Option<Event>,
    },
    SiteDetails(Site),
    Plan {
        plan: TaskPlan,
        generated_at: Millis,
    },
    Record {
        key: &'static str,
        raw: String,
    },
    SignOff(SignOff),
}

impl Change {
    pub fn creates(&self) -> bool {
        matches!(
            self,
            Change::NewSite(_)
                | Change::NewTaskPlan { .. }
                | Change::NewInspection { .. }
                | Change::NewHazard { .. }
        )
    }

    /// The header of the document a creating piece makes.
    pub fn header(&self) -> Option<&Header> {
        match self {
            Change::NewSite(s) => Some(&s.header),
            Change::NewTaskPlan { header, .. }
            | Change::NewInspection { header, .. }
            | Change::NewHazard { header, .. } => Some(header),
            _ => None,
        }
    }

    /// An event record, parsed.
    pub fn event(&self) -> Option<Event> {
        match self {
            Change::Record { key, raw } if *key == keys::EVENTS => serde_json::from_str(raw).ok(),
            _ => None,
        }
    }

    /// Writes the piece into `doc` (uncommitted).
    pub fn write(&self, doc: &mut AutoCommit) -> Result<(), Denied> {
        let malformed = |e: DocError| Denied {
            rule: "doc.malformed",
            reason: format!("the piece cannot be written: {e}"),
        };
        match self {
            Change::NewSite(s) => site::create(doc, s).map_err(malformed),
            Change::NewTaskPlan {
                header,
                plan,
                generated_at,
            } => tasks::create(doc, header, plan, *generated_at).map_err(malformed),
            Change::NewInspection {
                header,
                inspector,
                started_at,
                checklist,
            } => inspection::create(doc, header, inspector, *started_at, checklist)
                .map_err(malformed),
            Change::NewHazard {
                header,
                inspection_id,
                first,
            } => match first {
                Some(first) => {
                    hazard::create(doc, header, inspection_id.as_deref(), first).map_err(malformed)
                }
                None => Err(Denied {
                    rule: "hazard.first_event",
                    reason: "a hazard starts with its report, and this one has none".into(),
                }),
            },
            Change::SiteDetails(s) => write_site_details(doc, s).map_err(malformed),
            Change::Plan { plan, generated_at } => {
                tasks::set_plan(doc, plan, *generated_at).map_err(malformed)
            }
            Change::Record { key, raw } => push_raw(doc, key, raw).map_err(malformed),
            Change::SignOff(s) => inspection::sign_off(doc, s).map_err(malformed),
        }
    }
}

fn write_site_details(doc: &mut AutoCommit, s: &Site) -> Result<(), DocError> {
    let now = site::read(&*doc)?;
    if now.name != s.name {
        doc.put(ROOT, keys::NAME, s.name.as_str())?;
    }
    if now.address != s.address {
        doc.put(ROOT, keys::ADDRESS, s.address.as_str())?;
    }
    if now.location != s.location {
        match s.location {
            Some((lat, lon)) => {
                doc.put(ROOT, keys::LAT, lat)?;
                doc.put(ROOT, keys::LON, lon)?;
            }
            None => {
                doc.delete(ROOT, keys::LAT)?;
                doc.delete(ROOT, keys::LON)?;
            }
        }
    }
    if now.utc_offset_minutes != s.utc_offset_minutes {
        match s.utc_offset_minutes {
            Some(m) => doc.put(ROOT, keys::UTC_OFFSET, i64::from(m))?,
            None => doc.delete(ROOT, keys::UTC_OFFSET)?,
        }
    }
    if now.profile != s.profile {
        site::set_profile(doc, &s.profile)?;
    }
    Ok(())
}

/// Appends a record's JSON text as it is, so a record written again is the same record.
fn push_raw(doc: &mut AutoCommit, key: &'static str, raw: &str) -> Result<(), DocError> {
    let obj = match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::List), id)) => id,
        Some(_) => return Err(DocError::WrongType(key)),
        None => doc.put_object(ROOT, key, ObjType::List)?,
    };
    let end = doc.length(&obj);
    doc.insert(&obj, end, raw)?;
    Ok(())
}
