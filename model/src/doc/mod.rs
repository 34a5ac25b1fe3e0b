//! Typed views over the automerge documents: one document per site, inspection, hazard and task
//! plan. String keys live in [`keys`] only.
//!
//! Layout: a root map with `schema`, `kind`, `id`, `org_id`, `grid_id`, `site_id`, then the
//! kind's fields. Records that are only ever added (answers, photos, events, completions,
//! comments) are lists of JSON strings: one operation per record, compared whole when the server
//! checks that nothing already there was changed.

pub mod hazard;
pub mod inspection;
pub mod site;
pub mod tasks;

use crate::roles::SiteRef;
use automerge::{
    AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value, transaction::Transactable,
};
use serde::{Serialize, de::DeserializeOwned};
use std::fmt;

/// The document schema this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

/// Every key the documents use.
pub mod keys {
    pub const SCHEMA: &str = "schema";
    pub const KIND: &str = "kind";
    pub const ID: &str = "id";
    pub const ORG: &str = "org_id";
    pub const GRID: &str = "grid_id";
    pub const SITE: &str = "site_id";
    pub const NAME: &str = "name";
    pub const ADDRESS: &str = "address";
    pub const LAT: &str = "lat";
    pub const LON: &str = "lon";
    pub const PROFILE: &str = "profile";
    pub const UTC_OFFSET: &str = "utc_offset_minutes";
    pub const INSPECTOR: &str = "inspector";
    pub const PURPOSE: &str = "purpose";
    pub const STARTED_AT: &str = "started_at";
    pub const CHECKLIST: &str = "checklist";
    pub const ANSWERS: &str = "answers";
    pub const PHOTOS: &str = "photos";
    pub const SIGNED_OFF: &str = "signed_off";
    pub const COMMENTS: &str = "comments";
    pub const INSPECTION: &str = "inspection_id";
    pub const EVENTS: &str = "events";
    pub const PLAN: &str = "plan";
    pub const GENERATED_AT: &str = "generated_at";
    pub const COMPLETIONS: &str = "completions";
}

/// What a document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Site,
    Inspection,
    Hazard,
    TaskPlan,
}

impl DocKind {
    /// The name stored in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Site => "site",
            DocKind::Inspection => "inspection",
            DocKind::Hazard => "hazard",
            DocKind::TaskPlan => "task_plan",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<DocKind> {
        [
            DocKind::Site,
            DocKind::Inspection,
            DocKind::Hazard,
            DocKind::TaskPlan,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

impl DocKind {
    /// Every key a document of this kind may have at its root.
    pub fn root_keys(self) -> &'static [&'static str] {
        use keys::*;
        const HEADER: [&str; 6] = [SCHEMA, KIND, ID, ORG, GRID, SITE];
        match self {
            DocKind::Site => &[
                HEADER[0], HEADER[1], HEADER[2], HEADER[3], HEADER[4], HEADER[5], NAME, ADDRESS,
                LAT, LON, PROFILE, UTC_OFFSET,
            ],
            DocKind::Inspection => &[
                HEADER[0], HEADER[1], HEADER[2], HEADER[3], HEADER[4], HEADER[5], INSPECTOR,
                PURPOSE, STARTED_AT, CHECKLIST, ANSWERS, PHOTOS, SIGNED_OFF, COMMENTS,
            ],
            DocKind::Hazard => &[
                HEADER[0], HEADER[1], HEADER[2], HEADER[3], HEADER[4], HEADER[5], INSPECTION,
                EVENTS,
            ],
            DocKind::TaskPlan => &[
                HEADER[0],
                HEADER[1],
                HEADER[2],
                HEADER[3],
                HEADER[4],
                HEADER[5],
                PLAN,
                GENERATED_AT,
                COMPLETIONS,
            ],
        }
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What every document says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    pub kind: DocKind,
    pub id: String,
    pub site: SiteRef,
}

/// A document that does not have the shape its kind requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    #[error("document has no `{0}`")]
    Missing(&'static str),
    #[error("`{0}` has the wrong type")]
    WrongType(&'static str),
    #[error("`{key}`[{index}] is not a valid record: {message}")]
    BadRecord {
        key: &'static str,
        index: usize,
        message: String,
    },
    #[error("document schema {0} is newer than this app understands; update the app")]
    UnsupportedSchema(i64),
    #[error("expected a {expected} document, found {found}")]
    WrongKind { expected: DocKind, found: String },
    #[error("automerge: {0}")]
    Automerge(String),
}

impl From<automerge::AutomergeError> for DocError {
    fn from(e: automerge::AutomergeError) -> Self {
        DocError::Automerge(e.to_string())
    }
}

pub(crate) fn get_str<R: ReadDoc>(
    doc: &R,
    obj: &ObjId,
    key: &'static str,
) -> Result<Option<String>, DocError> {
    match doc.get(obj, key)? {
        None => Ok(None),
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(v) => Ok(Some(v.to_string())),
            _ => Err(DocError::WrongType(key)),
        },
        Some(_) => Err(DocError::WrongType(key)),
    }
}

pub(crate) fn req_str<R: ReadDoc>(
    doc: &R,
    obj: &ObjId,
    key: &'static str,
) -> Result<String, DocError> {
    get_str(doc, obj, key)?.ok_or(DocError::Missing(key))
}

pub(crate) fn get_i64<R: ReadDoc>(
    doc: &R,
    obj: &ObjId,
    key: &'static str,
) -> Result<Option<i64>, DocError> {
    match doc.get(obj, key)? {
        None => Ok(None),
        Some((Value::Scalar(s), _)) => s.as_i64().map(Some).ok_or(DocError::WrongType(key)),
        Some(_) => Err(DocError::WrongType(key)),
    }
}

pub(crate) fn get_f64<R: ReadDoc>(
    doc: &R,
    obj: &ObjId,
    key: &'static str,
) -> Result<Option<f64>, DocError> {
    match doc.get(obj, key)? {
        None => Ok(None),
        Some((Value::Scalar(s), _)) => s.as_f64().map(Some).ok_or(DocError::WrongType(key)),
        Some(_) => Err(DocError::WrongType(key)),
    }
}

pub(crate) fn json_scalar<R: ReadDoc, T: DeserializeOwned>(
    doc: &R,
    key: &'static str,
) -> Result<Option<T>, DocError> {
    let Some(text) = get_str(doc, &ROOT, key)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| DocError::BadRecord {
            key,
            index: 0,
            message: e.to_string(),
        })
}

fn list<R: ReadDoc>(doc: &R, key: &'static str) -> Result<Option<ObjId>, DocError> {
    match doc.get(&ROOT, key)? {
        None => Ok(None),
        Some((Value::Object(ObjType::List), id)) => Ok(Some(id)),
        Some(_) => Err(DocError::WrongType(key)),
    }
}

/// The raw JSON strings of an append-only list, in list order.
pub fn raw_records<R: ReadDoc>(doc: &R, key: &'static str) -> Result<Vec<String>, DocError> {
    Ok(raw_records_with_ops(doc, key)?
        .into_iter()
        .map(|(text, _)| text)
        .collect())
}

/// The raw JSON strings of an append-only list with the id of the operation that inserted each
/// (which tells who wrote it), in list order.
pub fn raw_records_with_ops<R: ReadDoc>(
    doc: &R,
    key: &'static str,
) -> Result<Vec<(String, ObjId)>, DocError> {
    let Some(obj) = list(doc, key)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(doc.length(&obj));
    for (index, item) in doc.list_range(&obj, ..).enumerate() {
        match &item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => {
                out.push((s.to_string(), item.id()))
            }
            _ => {
                return Err(DocError::BadRecord {
                    key,
                    index,
                    message: "not a JSON string".to_owned(),
                });
            }
        }
    }
    Ok(out)
}

/// The records of an append-only list, in list order.
pub fn records<R: ReadDoc, T: DeserializeOwned>(
    doc: &R,
    key: &'static str,
) -> Result<Vec<T>, DocError> {
    raw_records(doc, key)?
        .iter()
        .enumerate()
        .map(|(index, text)| {
            serde_json::from_str(text).map_err(|e| DocError::BadRecord {
                key,
                index,
                message: e.to_string(),
            })
        })
        .collect()
}

/// Appends a record to an append-only list, creating the list if needed.
pub fn append<T: Serialize>(
    doc: &mut AutoCommit,
    key: &'static str,
    record: &T,
) -> Result<(), DocError> {
    let obj = match list(doc, key)? {
        Some(obj) => obj,
        None => doc.put_object(ROOT, key, ObjType::List)?,
    };
    let text = serde_json::to_string(record).map_err(|e| DocError::BadRecord {
        key,
        index: doc.length(&obj),
        message: e.to_string(),
    })?;
    let end = doc.length(&obj);
    doc.insert(&obj, end, text)?;
    Ok(())
}

/// Writes a value as a JSON string scalar.
pub(crate) fn put_json<T: Serialize>(
    doc: &mut AutoCommit,
    key: &'static str,
    value: &T,
) -> Result<(), DocError> {
    let text = serde_json::to_string(value).map_err(|e| DocError::BadRecord {
        key,
        index: 0,
        message: e.to_string(),
    })?;
    doc.put(ROOT, key, text)?;
    Ok(())
}

/// Starts a document: header fields and the empty lists its kind appends to.
pub(crate) fn init(
    doc: &mut AutoCommit,
    header: &Header,
    lists: &[&'static str],
) -> Result<(), DocError> {
    doc.put(ROOT, keys::SCHEMA, SCHEMA_VERSION)?;
    doc.put(ROOT, keys::KIND, header.kind.as_str())?;
    doc.put(ROOT, keys::ID, header.id.as_str())?;
    doc.put(ROOT, keys::ORG, header.site.org_id.as_str())?;
    doc.put(ROOT, keys::GRID, header.site.grid_id.as_str())?;
    doc.put(ROOT, keys::SITE, header.site.site_id.as_str())?;
    for key in lists {
        doc.put_object(ROOT, *key, ObjType::List)?;
    }
    Ok(())
}

/// Reads the header of any document, checking its schema version.
pub fn header<R: ReadDoc>(doc: &R) -> Result<Header, DocError> {
    let schema = get_i64(doc, &ROOT, keys::SCHEMA)?.ok_or(DocError::Missing(keys::SCHEMA))?;
    if schema > SCHEMA_VERSION {
        return Err(DocError::UnsupportedSchema(schema));
    }
    let kind_text = req_str(doc, &ROOT, keys::KIND)?;
    let kind = DocKind::parse(&kind_text).ok_or(DocError::WrongKind {
        expected: DocKind::Site,
        found: kind_text,
    })?;
    Ok(Header {
        kind,
        id: req_str(doc, &ROOT, keys::ID)?,
        site: SiteRef {
            org_id: req_str(doc, &ROOT, keys::ORG)?,
            grid_id: req_str(doc, &ROOT, keys::GRID)?,
            site_id: req_str(doc, &ROOT, keys::SITE)?,
        },
    })
}

pub(crate) fn header_of<R: ReadDoc>(doc: &R, expected: DocKind) -> Result<Header, DocError> {
    let h = header(doc)?;
    if h.kind != expected {
        return Err(DocError::WrongKind {
            expected,
            found: h.kind.as_str().to_owned(),
        });
    }
    Ok(h)
}

/// Whether every record of `before` is still in `after`, unchanged and in the same order: the
/// rule for append-only lists. Returns the records `after` adds.
pub fn appended<'a>(before: &[String], after: &'a [String]) -> Option<Vec<&'a String>> {
    let mut added = Vec::new();
    let mut old = before.iter().peekable();
    for rec in after {
        if old.peek().is_some_and(|o| *o == rec) {
            old.next();
        } else {
            added.push(rec);
        }
    }
    old.peek().is_none().then_some(added)
}
