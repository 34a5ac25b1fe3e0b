//! The pack files as written: serde structures mirroring the TOML, before any checking.
//! `load` turns them into a checked `PackSet`. The format is documented in `PACKS.md`.

use crate::model::{Frequency, PhotoRule, Severity};
use crate::profile::Jurisdiction;
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentsFile {
    pub document: Vec<Spanned<RawDocument>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDocument {
    pub id: Spanned<String>,
    pub title_zh: String,
    pub title_en: String,
    #[serde(default)]
    pub superseded_by: Option<Spanned<String>>,
    #[serde(default)]
    pub superseded_on: Option<String>,
    #[serde(default)]
    pub note_en: Option<String>,
    #[serde(default)]
    pub note_zh: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackFile {
    pub pack: RawPackHeader,
    #[serde(default)]
    pub item: Vec<RawItem>,
    #[serde(default)]
    pub task: Vec<RawTask>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPackHeader {
    pub id: Spanned<String>,
    pub version: String,
    pub title_zh: String,
    pub title_en: String,
    pub jurisdiction: Jurisdiction,
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    /// Where the pack's items go in a checklist: lower first; ties by file name.
    #[serde(default = "default_order")]
    pub order: i32,
}

fn default_order() -> i32 {
    100
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawItem {
    pub id: Spanned<String>,
    pub text_zh: String,
    pub text_en: String,
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    #[serde(default)]
    pub purposes: Vec<RawPurpose>,
    pub frequency: Frequency,
    #[serde(default)]
    pub answer: Option<Spanned<RawAnswer>>,
    #[serde(default = "default_photo")]
    pub photo: PhotoRule,
    /// The clause says 宜 (should) or comes from a recommended (GB/T) standard: good practice,
    /// shown as advisory, never as a requirement.
    #[serde(default)]
    pub advisory: bool,
    #[serde(default)]
    pub same_as: Option<Spanned<String>>,
    #[serde(default)]
    pub cite: Vec<Spanned<RawCite>>,
    pub fail: RawFail,
}

fn default_photo() -> PhotoRule {
    PhotoRule::OnFail
}

/// Purposes an item serves besides the full inspection, which takes every item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawPurpose {
    Patrol,
    MonthlyInspection,
    SelfCheck,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum RawAnswer {
    PassFail {},
    Count {
        min: RawBound,
    },
    Measure {
        unit: String,
        #[serde(default)]
        min: Option<RawBound>,
        #[serde(default)]
        max: Option<RawBound>,
    },
    Date {
        max_age_months: u32,
    },
}

/// A bound given as a number or as the name of a rule that computes it from the profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawBound {
    Number(f64),
    Rule(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCite {
    pub doc: String,
    pub clause: String,
    #[serde(default = "yes")]
    pub verified: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFail {
    pub severity: Severity,
    /// The old key, refused with a reason: the 2017 element must be written as historical.
    #[serde(default)]
    pub gb35181: Option<String>,
    #[serde(default)]
    pub gb35181_2017: Option<String>,
    pub rectify_days: u32,
    pub measure_zh: String,
    pub measure_en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTask {
    pub id: Spanned<String>,
    pub title_zh: String,
    pub title_en: String,
    pub frequency: Frequency,
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    /// The task walks the checklist generated for this purpose...
    #[serde(default)]
    pub purpose: Option<RawPurpose>,
    /// ...or these items.
    #[serde(default)]
    pub items: Vec<Spanned<String>>,
    #[serde(default)]
    pub cite: Vec<Spanned<RawCite>>,
}
