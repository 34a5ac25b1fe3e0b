//! The inspection document: the checklist as generated (pinned), the answers, photos, sign-off and
//! supervisor comments. Answers are appended, never overwritten: the latest answer per item is the
//! current one, and the history stays visible.

use super::{
    DocError, DocKind, Header, append, get_i64, header_of, init, json_scalar, keys, put_json,
    records, req_str,
};
use crate::calendar::Date;
use crate::lifecycle::{Millis, Report};
use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};
use closeloop_checklists::{Answer, Checklist, ChecklistItem, Jurisdiction, Purpose};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the inspector recorded for an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnswerValue {
    Pass,
    Fail,
    NotApplicable,
    Count {
        value: u32,
    },
    Measure {
        value: f64,
    },
    /// A date as `YYYY-MM-DD`.
    Date {
        value: String,
    },
}

/// One answer, as appended to the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemAnswer {
    pub id: String,
    pub item_id: String,
    #[serde(flatten)]
    pub value: AnswerValue,
    #[serde(default)]
    pub note: String,
    pub by: String,
    pub at: Millis,
}

/// A processed photo attached to an inspection (and optionally to one item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoRef {
    pub sha256: String,
    pub thumb_sha256: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// Capture time from the camera, as it recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    /// (latitude, longitude) from the camera.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps: Option<(f64, f64)>,
    pub by: String,
    pub at: Millis,
}

/// Who signed the inspection off and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    pub by: String,
    pub at: Millis,
    #[serde(default)]
    pub note: String,
}

/// A supervisor's comment, allowed after sign-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    pub by: String,
    pub at: Millis,
    pub text: String,
}

/// An inspection as its document holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub header: Header,
    pub inspector: String,
    pub purpose: Purpose,
    pub started_at: Millis,
    pub checklist: Checklist,
    pub answers: Vec<ItemAnswer>,
    pub photos: Vec<PhotoRef>,
    pub signed_off: Option<SignOff>,
    pub comments: Vec<Comment>,
}

/// Starts an inspection document with its pinned checklist.
pub fn create(
    doc: &mut AutoCommit,
    header: &Header,
    inspector: &str,
    started_at: Millis,
    checklist: &Checklist,
) -> Result<(), DocError> {
    init(doc, header, &[keys::ANSWERS, keys::PHOTOS, keys::COMMENTS])?;
    doc.put(ROOT, keys::INSPECTOR, inspector)?;
    doc.put(ROOT, keys::PURPOSE, checklist.purpose.as_str())?;
    doc.put(ROOT, keys::STARTED_AT, started_at)?;
    put_json(doc, keys::CHECKLIST, checklist)
}

/// Records an answer.
pub fn answer(doc: &mut AutoCommit, a: &ItemAnswer) -> Result<(), DocError> {
    append(doc, keys::ANSWERS, a)
}

/// Attaches a photo.
pub fn attach_photo(doc: &mut AutoCommit, p: &PhotoRef) -> Result<(), DocError> {
    append(doc, keys::PHOTOS, p)
}

/// Signs the inspection off; after this only supervisor comments may be added.
pub fn sign_off(doc: &mut AutoCommit, s: &SignOff) -> Result<(), DocError> {
    put_json(doc, keys::SIGNED_OFF, s)
}

/// Adds a supervisor comment.
pub fn comment(doc: &mut AutoCommit, c: &Comment) -> Result<(), DocError> {
    append(doc, keys::COMMENTS, c)
}

/// Reads an inspection document.
pub fn read<R: ReadDoc>(doc: &R) -> Result<Inspection, DocError> {
    let header = header_of(doc, DocKind::Inspection)?;
    let purpose_text = req_str(doc, &ROOT, keys::PURPOSE)?;
    Ok(Inspection {
        header,
        inspector: req_str(doc, &ROOT, keys::INSPECTOR)?,
        purpose: Purpose::parse(&purpose_text).ok_or(DocError::WrongType(keys::PURPOSE))?,
        started_at: get_i64(doc, &ROOT, keys::STARTED_AT)?
            .ok_or(DocError::Missing(keys::STARTED_AT))?,
        checklist: json_scalar(doc, keys::CHECKLIST)?.ok_or(DocError::Missing(keys::CHECKLIST))?,
        answers: records(doc, keys::ANSWERS)?,
        photos: records(doc, keys::PHOTOS)?,
        signed_off: json_scalar(doc, keys::SIGNED_OFF)?,
        comments: records(doc, keys::COMMENTS)?,
    })
}

impl Inspection {
    /// The current answer per item: the last one in list order.
    pub fn current_answers(&self) -> HashMap<&str, &ItemAnswer> {
        let mut out = HashMap::new();
        for a in &self.answers {
            out.insert(a.item_id.as_str(), a);
        }
        out
    }

    /// The checklist item with this id.
    pub fn item(&self, id: &str) -> Option<&ChecklistItem> {
        self.checklist.items.iter().find(|i| i.id == id)
    }

    /// Each checklist item with the outcome of its current answer (`None` while unanswered or
    /// when the answer does not fit the item), judged on the day the answer was given in the
    /// site's time zone: an inspection records what was found then, so viewing it later never
    /// turns a pass into a fail. The one answer to "did this item fail?", for the phone's screens,
    /// the server's projections and every API.
    pub fn outcomes(&self, utc_offset_minutes: i32) -> Vec<(&ChecklistItem, Option<Outcome>)> {
        let current = self.current_answers();
        self.checklist
            .items
            .iter()
            .map(|item| {
                let outcome = current
                    .get(item.id.as_str())
                    .and_then(|a| a.outcome(item, utc_offset_minutes).ok());
                (item, outcome)
            })
            .collect()
    }

    /// How many items currently fail (see [`Inspection::outcomes`]).
    pub fn failed_count(&self, utc_offset_minutes: i32) -> usize {
        self.outcomes(utc_offset_minutes)
            .iter()
            .filter(|(_, o)| matches!(o, Some(Outcome::Fail { .. })))
            .count()
    }

    /// Items not yet answered.
    pub fn unanswered(&self) -> Vec<&ChecklistItem> {
        let current = self.current_answers();
        self.checklist
            .items
            .iter()
            .filter(|i| !current.contains_key(i.id.as_str()))
            .collect()
    }
}

impl ItemAnswer {
    /// This answer judged against `item` on the day it was given, in the site's time zone.
    pub fn outcome(
        &self,
        item: &ChecklistItem,
        utc_offset_minutes: i32,
    ) -> Result<Outcome, AnswerError> {
        evaluate(item, &self.value, Date::at(self.at, utc_offset_minutes))
    }
}

/// Whether an answer meets the item, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail { reason: String },
    NotApplicable,
}

/// Why an answer does not fit its item.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnswerError {
    #[error("item {item} takes {expected}, not {given}")]
    WrongKind {
        item: String,
        expected: &'static str,
        given: &'static str,
    },
    #[error("`{0}` is not a date (use YYYY-MM-DD)")]
    BadDate(String),
    #[error("a measurement must be a finite number, got {0}")]
    BadNumber(f64),
    #[error("the date {0} is in the future")]
    FutureDate(String),
}

fn given(v: &AnswerValue) -> &'static str {
    match v {
        AnswerValue::Pass => "pass",
        AnswerValue::Fail => "fail",
        AnswerValue::NotApplicable => "n/a",
        AnswerValue::Count { .. } => "a count",
        AnswerValue::Measure { .. } => "a measurement",
        AnswerValue::Date { .. } => "a date",
    }
}

/// The reason of a pass/fail item answered "fail": the item's own text says what is wrong.
pub const MARKED_FAILED: &str = "marked failed";

/// Judges `value` against `item` on `today`. Dates pass while `today` is on or before the day the
/// maximum age runs out.
pub fn evaluate(
    item: &ChecklistItem,
    value: &AnswerValue,
    today: Date,
) -> Result<Outcome, AnswerError> {
    let wrong = |expected| AnswerError::WrongKind {
        item: item.id.clone(),
        expected,
        given: given(value),
    };
    Ok(match (&item.answer, value) {
        (_, AnswerValue::NotApplicable) => Outcome::NotApplicable,
        (Answer::PassFail, AnswerValue::Pass) => Outcome::Pass,
        (Answer::PassFail, AnswerValue::Fail) => Outcome::Fail {
            reason: MARKED_FAILED.to_owned(),
        },
        (Answer::PassFail, _) => return Err(wrong("pass, fail or n/a")),
        (Answer::Count { min }, AnswerValue::Count { value }) => {
            if value >= min {
                Outcome::Pass
            } else {
                Outcome::Fail {
                    reason: format!("{value} counted, at least {min} required"),
                }
            }
        }
        (Answer::Count { .. }, _) => return Err(wrong("a count")),
        (Answer::Measure { unit, min, max }, AnswerValue::Measure { value }) => {
            if !value.is_finite() {
                return Err(AnswerError::BadNumber(*value));
            }
            if let Some(lo) = min.filter(|lo| value < lo) {
                Outcome::Fail {
                    reason: format!("{value} {unit} measured, at least {lo} {unit} required"),
                }
            } else if let Some(hi) = max.filter(|hi| value > hi) {
                Outcome::Fail {
                    reason: format!("{value} {unit} measured, at most {hi} {unit} allowed"),
                }
            } else {
                Outcome::Pass
            }
        }
        (Answer::Measure { .. }, _) => return Err(wrong("a measurement")),
        (Answer::Date { max_age_months }, AnswerValue::Date { value }) => {
            let d = Date::parse(value).ok_or_else(|| AnswerError::BadDate(value.clone()))?;
            if d > today {
                return Err(AnswerError::FutureDate(value.clone()));
            }
            let expires = d.add_months(*max_age_months);
            if today <= expires {
                Outcome::Pass
            } else {
                Outcome::Fail {
                    reason: format!(
                        "dated {d}, older than {max_age_months} months (expired {expires})"
                    ),
                }
            }
        }
        (Answer::Date { .. }, _) => return Err(wrong("a date")),
    })
}

/// The hazard report a failed item pre-fills: its clauses, severity, GB 35181 element, measure and
/// a deadline `rectify_days` after `now` (the end of today for a fix on the spot).
pub fn report_from_item(
    item: &ChecklistItem,
    jurisdiction: Jurisdiction,
    reason: &str,
    now: Millis,
    offset_minutes: i32,
) -> Report {
    let today = Date::at(now, offset_minutes);
    let days = i64::from(item.on_fail.rectify_days.max(1));
    let deadline = today.start_millis(offset_minutes) + days * 86_400_000 - 1;
    let zh = jurisdiction == Jurisdiction::Cn;
    let (text, measure) = if zh {
        (&item.text_zh, &item.on_fail.measure_zh)
    } else {
        (&item.text_en, &item.on_fail.measure_en)
    };
    // A plain "fail" adds nothing to the item's text; a measured or dated reason does.
    let title = match (zh, reason == MARKED_FAILED || reason.is_empty()) {
        (true, true) => format!("不符合：{text}"),
        (true, false) => format!("不符合：{text}（{reason}）"),
        (false, true) => format!("Failed: {text}"),
        (false, false) => format!("Failed: {text} ({reason})"),
    };
    Report {
        title,
        severity: item.on_fail.severity.into(),
        clauses: item
            .citations
            .iter()
            .map(|c| {
                let flag = if c.verified { "" } else { " [unverified]" };
                format!(
                    "{} {}{flag}",
                    if zh { &c.title_zh } else { &c.title_en },
                    c.clause
                )
            })
            .collect(),
        item_id: Some(item.id.clone()),
        gb35181: item.on_fail.gb35181.clone(),
        measure: measure.clone(),
        deadline: Some(deadline),
    }
}
