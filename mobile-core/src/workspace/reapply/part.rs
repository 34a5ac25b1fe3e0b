//! How the pieces of a version of a document are shown: one [`Part`] each, with the rule that
//! held it back when it was not written again.

use closeloop_model::doc::{DocKind, keys};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One piece of a version of a document, as the quarantine shows it: what it is and, when it was
/// not written again, the rule that stopped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// `document` (a new document: its header, fixed fields and, for a hazard, its report),
    /// `site_details`, `task_plan`, `answer`, `photo`, `comment`, `sign_off`, `event` or
    /// `completion`.
    pub kind: String,
    /// The record's own id (a photo's SHA-256), or the document id for document-wide pieces.
    pub id: String,
    /// What it is, for people.
    pub label: String,
    /// Empty for a piece that was written; else the stable rule that stopped it, and why.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rule: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl Part {
    pub(super) fn new(kind: &str, id: &str, label: String) -> Part {
        Part {
            kind: kind.to_owned(),
            id: id.to_owned(),
            label,
            rule: String::new(),
            reason: String::new(),
        }
    }

    /// The part, held back by `rule` for `reason`.
    pub fn held(mut self, rule: &str, reason: impl Into<String>) -> Part {
        self.rule = rule.to_owned();
        self.reason = reason.into();
        self
    }
}

/// The rule of a piece written on this device under an actor that is not the signed-in user's:
/// another user's work on a shared phone, or changes nobody here made. Never sent in their name.
pub const FOREIGN_RULE: &str = "reapply.not_your_change";

pub(super) fn short(text: &str, max: usize) -> String {
    let t: String = text.chars().take(max).collect();
    if t.chars().count() < text.chars().count() {
        format!("{t}…")
    } else {
        t
    }
}

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The part a record of `key` is shown as.
pub(super) fn record_part(key: &'static str, raw: &str) -> Part {
    let v: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    let id = str_of(&v, "id");
    match key {
        keys::ANSWERS => {
            let value = v.get("value").map(|x| format!(" {x}")).unwrap_or_default();
            Part::new(
                "answer",
                id,
                format!(
                    "answer to {}: {}{value}",
                    str_of(&v, "item_id"),
                    str_of(&v, "kind")
                ),
            )
        }
        keys::PHOTOS => {
            let sha = str_of(&v, "sha256");
            let item = match str_of(&v, "item_id") {
                "" => String::new(),
                item => format!(" on {item}"),
            };
            Part::new("photo", sha, format!("photo {}{item}", short(sha, 12)))
        }
        keys::COMMENTS => Part::new(
            "comment",
            id,
            format!("comment: {}", short(str_of(&v, "text"), 80)),
        ),
        keys::COMPLETIONS => Part::new(
            "completion",
            id,
            format!("task {} done", str_of(&v, "task_id")),
        ),
        _ => {
            let detail = ["title", "reason", "assignee"]
                .iter()
                .map(|k| str_of(&v, k))
                .find(|s| !s.is_empty())
                .or(Some(str_of(&v, "note")).filter(|s| !s.is_empty()));
            let label = match detail {
                Some(d) => format!("{}: {}", str_of(&v, "type"), short(d, 80)),
                None => str_of(&v, "type").to_owned(),
            };
            Part::new("event", id, label)
        }
    }
}

pub(super) fn document_part(kind: DocKind, id: &str, title: &str) -> Part {
    Part::new(
        "document",
        id,
        format!(
            "new {}: {}",
            crate::workspace::kind_name(kind),
            short(title, 80)
        ),
    )
}
