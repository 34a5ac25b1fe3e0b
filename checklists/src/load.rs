//! Loading packs: every check a pack must pass happens here, once, with file, line and reason.
//! After `PackSet::load` succeeds, generating a checklist cannot fail.

use crate::condition::Condition;
use crate::model::{Answer, Citation, FailSpec, Frequency, PhotoRule, Purpose};
use crate::profile::Jurisdiction;
use crate::requirement::{Rule, RuleUse};
use crate::schema::{self, RawAnswer, RawBound, RawCite, RawPurpose};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::ops::Range;
use toml::Spanned;

/// One pack or documents file to load: its name (shown in errors) and its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// A pack that failed to load, with where and why. Lines and columns count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct PackError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Identifies exactly which pack content a checklist was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackRef {
    pub id: String,
    pub version: String,
    pub title_zh: String,
    pub title_en: String,
    /// SHA-256 of the pack file, hex.
    pub content_hash: String,
}

/// A regulation document that items cite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub superseded_by: Option<String>,
    pub superseded_on: Option<String>,
    pub note_en: Option<String>,
    pub note_zh: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct PackInfo {
    pub reference: PackRef,
    pub jurisdiction: Jurisdiction,
    pub when: Option<Condition>,
    pub order: i32,
}

#[derive(Debug, Clone)]
pub(crate) enum Bound {
    Fixed(f64),
    Rule(Rule),
}

#[derive(Debug, Clone)]
pub(crate) enum AnswerDef {
    PassFail,
    Count {
        min: Bound,
    },
    Measure {
        unit: String,
        min: Option<Bound>,
        max: Option<Bound>,
    },
    Date {
        max_age_months: u32,
    },
}

impl AnswerDef {
    fn kind(&self) -> &'static str {
        match self {
            AnswerDef::PassFail => Answer::PassFail.kind(),
            AnswerDef::Count { .. } => "count",
            AnswerDef::Measure { .. } => "measure",
            AnswerDef::Date { .. } => "date",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub id: String,
    pub pack: usize,
    pub text_zh: String,
    pub text_en: String,
    pub when: Condition,
    pub purposes: Vec<Purpose>,
    pub frequency: Frequency,
    pub answer: AnswerDef,
    pub photo: PhotoRule,
    pub advisory: bool,
    pub cites: Vec<Citation>,
    pub fail: FailSpec,
}

/// Items that are one requirement: the canonical item and those declared `same_as` it.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub members: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) enum TaskScope {
    Purpose(Purpose),
    Items(Vec<usize>),
}

#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub id: String,
    pub pack: usize,
    pub title_zh: String,
    pub title_en: String,
    pub frequency: Frequency,
    pub when: Condition,
    pub scope: TaskScope,
    pub cites: Vec<Citation>,
}

/// A checked set of packs, ready to generate checklists from.
#[derive(Debug, Clone)]
pub struct PackSet {
    pub(crate) documents: Vec<Document>,
    pub(crate) documents_ref: PackRef,
    pub(crate) packs: Vec<PackInfo>,
    pub(crate) items: Vec<Item>,
    /// Indexed by group; the first member is the canonical item, groups in canonical order.
    pub(crate) groups: Vec<Group>,
    pub(crate) tasks: Vec<Task>,
}

/// A read-only view of one pack item, for tools and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemView {
    pub id: String,
    /// The checklist id the item appears under (its own, or its `same_as` target).
    pub canonical: String,
    pub pack: String,
    pub jurisdiction: Jurisdiction,
    /// Every condition that must hold, as written: the pack's, then the item's.
    pub conditions: Vec<String>,
    /// Purposes besides the full inspection.
    pub purposes: Vec<Purpose>,
    pub text_zh: String,
    pub text_en: String,
    pub frequency: Frequency,
    pub advisory: bool,
    pub citations: Vec<Citation>,
    pub fail: FailSpec,
}

/// Figures for `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub packs: usize,
    pub items: usize,
    pub tasks: usize,
    pub citations: usize,
    pub unverified: usize,
}

impl PackSet {
    /// Loads the document registry and the packs, refusing anything malformed. Every error found is
    /// returned, each with its file, line and reason.
    pub fn load(documents: &Source, packs: &[Source]) -> Result<PackSet, Vec<PackError>> {
        Self::load_with(documents, packs, false)
    }

    /// Loads packs written for an earlier build, to compare a content update with what phones run
    /// now: the old key `fail.gb35181` is read as the historical `fail.gb35181_2017` instead of
    /// being refused. Everything else is checked as [`PackSet::load`] checks it.
    pub fn load_previous(documents: &Source, packs: &[Source]) -> Result<PackSet, Vec<PackError>> {
        Self::load_with(documents, packs, true)
    }

    fn load_with(
        documents: &Source,
        packs: &[Source],
        legacy: bool,
    ) -> Result<PackSet, Vec<PackError>> {
        let mut errs = Vec::new();
        let docs = load_documents(documents, &mut errs);
        let mut loader = Loader {
            legacy,
            docs: &docs.0,
            errs,
            packs: Vec::new(),
            items: Vec::new(),
            tasks: Vec::new(),
            ids: HashMap::new(),
            pending_same_as: Vec::new(),
            pending_task_items: Vec::new(),
        };
        let mut ordered: Vec<&Source> = packs.iter().collect();
        ordered.sort_by(|a, b| a.name.cmp(&b.name));
        for src in ordered {
            loader.load_pack(src);
        }
        let mut groups = loader.resolve_same_as();
        loader.resolve_task_items();
        // Checklists list packs by their `order`, then by file name (the load order).
        let order_of = |item: usize| loader.packs[loader.items[item].pack].order;
        groups.sort_by_key(|g| (order_of(g.members[0]), g.members[0]));
        let pack_order: Vec<i32> = loader.packs.iter().map(|p| p.order).collect();
        loader.tasks.sort_by_key(|t| pack_order[t.pack]);
        let Loader {
            errs,
            packs,
            items,
            tasks,
            ..
        } = loader;
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(PackSet {
            documents: docs.0,
            documents_ref: docs.1,
            packs,
            items,
            groups,
            tasks,
        })
    }

    /// The registry and the packs a checklist for `jurisdiction` is made from, which it is pinned to.
    pub fn pack_refs(&self, jurisdiction: Jurisdiction) -> Vec<PackRef> {
        let mut refs = vec![self.documents_ref.clone()];
        refs.extend(
            self.packs
                .iter()
                .filter(|p| p.jurisdiction == jurisdiction)
                .map(|p| p.reference.clone()),
        );
        refs
    }

    /// The document registry.
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// Counts for the lint summary.
    pub fn summary(&self) -> Summary {
        let cites = self
            .items
            .iter()
            .flat_map(|i| &i.cites)
            .chain(self.tasks.iter().flat_map(|t| &t.cites));
        let (citations, unverified) =
            cites.fold((0, 0), |(n, u), c| (n + 1, u + usize::from(!c.verified)));
        Summary {
            packs: self.packs.len(),
            items: self.items.len(),
            tasks: self.tasks.len(),
            citations,
            unverified,
        }
    }

    /// Every item of every pack, in load order.
    pub fn items(&self) -> Vec<ItemView> {
        let mut canonical = vec![0; self.items.len()];
        for g in &self.groups {
            for &m in &g.members {
                canonical[m] = g.members[0];
            }
        }
        self.items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let pack = &self.packs[item.pack];
                ItemView {
                    id: item.id.clone(),
                    canonical: self.items[canonical[i]].id.clone(),
                    pack: pack.reference.id.clone(),
                    jurisdiction: pack.jurisdiction,
                    conditions: pack
                        .when
                        .iter()
                        .chain(std::iter::once(&item.when))
                        .map(|c| c.source().to_owned())
                        .collect(),
                    purposes: item.purposes.clone(),
                    text_zh: item.text_zh.clone(),
                    text_en: item.text_en.clone(),
                    frequency: item.frequency,
                    advisory: item.advisory,
                    citations: item.cites.clone(),
                    fail: item.fail.clone(),
                }
            })
            .collect()
    }

    pub(crate) fn document(&self, id: &str) -> Option<&Document> {
        self.documents.iter().find(|d| d.id == id)
    }
}

/// Byte offset → (line, column), both from 1; column counts characters.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn error_at(src: &Source, span: Range<usize>, message: impl Into<String>) -> PackError {
    let (line, column) = position(&src.text, span.start);
    PackError {
        file: src.name.clone(),
        line,
        column,
        message: message.into(),
    }
}

fn parse_error(src: &Source, e: &toml::de::Error) -> PackError {
    let span = e.span().unwrap_or(0..0);
    error_at(src, span, e.message().trim_end().to_owned())
}

fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !id.starts_with('.')
        && !id.ends_with('.')
        && !id.contains("..")
}

fn load_documents(src: &Source, errs: &mut Vec<PackError>) -> (Vec<Document>, PackRef) {
    let reference = PackRef {
        id: "documents".to_owned(),
        version: "registry".to_owned(),
        title_zh: "法规文件目录".to_owned(),
        title_en: "Regulation document registry".to_owned(),
        content_hash: sha256_hex(&src.text),
    };
    let file: schema::DocumentsFile = match toml::from_str(&src.text) {
        Ok(f) => f,
        Err(e) => {
            errs.push(parse_error(src, &e));
            return (Vec::new(), reference);
        }
    };
    let mut docs: Vec<Document> = Vec::new();
    for raw in &file.document {
        let d = raw.get_ref();
        let id = d.id.get_ref();
        if !valid_id(id) {
            errs.push(error_at(
                src,
                d.id.span(),
                format!("document id `{id}` must be lowercase letters, digits, `-` and `.`"),
            ));
        } else if docs.iter().any(|x| &x.id == id) {
            errs.push(error_at(
                src,
                d.id.span(),
                format!("duplicate document id `{id}`"),
            ));
        }
        docs.push(Document {
            id: id.clone(),
            title_zh: d.title_zh.clone(),
            title_en: d.title_en.clone(),
            superseded_by: d.superseded_by.as_ref().map(|s| s.get_ref().clone()),
            superseded_on: d.superseded_on.clone(),
            note_en: d.note_en.clone(),
            note_zh: d.note_zh.clone(),
        });
    }
    for raw in &file.document {
        if let Some(by) = &raw.get_ref().superseded_by
            && !docs.iter().any(|d| &d.id == by.get_ref())
        {
            errs.push(error_at(
                src,
                by.span(),
                format!("superseded_by names unknown document `{}`", by.get_ref()),
            ));
        }
    }
    docs.sort_by(|a, b| a.id.cmp(&b.id));
    (docs, reference)
}

struct Loader<'a> {
    /// Reading packs written for an earlier build (see `PackSet::load_previous`).
    legacy: bool,
    docs: &'a [Document],
    errs: Vec<PackError>,
    packs: Vec<PackInfo>,
    items: Vec<Item>,
    tasks: Vec<Task>,
    /// Every item and task id seen, with where it was first defined.
    ids: HashMap<String, (String, usize)>,
    /// (item index, target id, where the same_as was written)
    pending_same_as: Vec<(usize, String, PackError)>,
    /// (task index, listed ids with where each was written)
    pending_task_items: Vec<(usize, Vec<(String, PackError)>)>,
}

fn purpose_of(p: RawPurpose) -> Purpose {
    match p {
        RawPurpose::Patrol => Purpose::Patrol,
        RawPurpose::MonthlyInspection => Purpose::MonthlyInspection,
        RawPurpose::SelfCheck => Purpose::SelfCheck,
    }
}

impl Loader<'_> {
    fn load_pack(&mut self, src: &Source) {
        let file: schema::PackFile = match toml::from_str(&src.text) {
            Ok(f) => f,
            Err(e) => {
                self.errs.push(parse_error(src, &e));
                return;
            }
        };
        let header = &file.pack;
        let pack_id = header.id.get_ref().clone();
        if !valid_id(&pack_id) {
            self.errs.push(error_at(
                src,
                header.id.span(),
                format!("pack id `{pack_id}` must be lowercase letters, digits, `-` and `.`"),
            ));
        }
        if let Some(other) = self.packs.iter().find(|p| p.reference.id == pack_id) {
            self.errs.push(error_at(
                src,
                header.id.span(),
                format!(
                    "duplicate pack id `{pack_id}` (also version {})",
                    other.reference.version
                ),
            ));
        }
        let pack_index = self.packs.len();
        let when = header.when.as_ref().and_then(|w| self.condition(src, w));
        self.packs.push(PackInfo {
            reference: PackRef {
                id: pack_id.clone(),
                version: header.version.clone(),
                title_zh: header.title_zh.clone(),
                title_en: header.title_en.clone(),
                content_hash: sha256_hex(&src.text),
            },
            jurisdiction: header.jurisdiction,
            when,
            order: header.order,
        });
        for raw in &file.item {
            self.load_item(src, pack_index, &pack_id, raw);
        }
        for raw in &file.task {
            self.load_task(src, pack_index, &pack_id, raw);
        }
    }

    fn condition(&mut self, src: &Source, when: &Spanned<String>) -> Option<Condition> {
        match Condition::parse(when.get_ref()) {
            Ok(c) => Some(c),
            Err(e) => {
                let mut err = error_at(src, when.span(), "");
                // The span starts at the opening quote; the condition's columns start after it.
                err.column += e.column;
                err.message = format!("condition `{}`: {}", when.get_ref(), e.message);
                self.errs.push(err);
                None
            }
        }
    }

    fn claim_id(&mut self, src: &Source, pack_id: &str, id: &Spanned<String>, what: &str) -> bool {
        let name = id.get_ref();
        let prefix = format!("{pack_id}.");
        if !valid_id(name) || !name.starts_with(&prefix) {
            self.errs.push(error_at(src, id.span(), format!("{what} id `{name}` must start with `{prefix}` and use lowercase letters, digits, `-` and `.`")));
            return false;
        }
        let here = error_at(src, id.span(), "");
        if let Some((file, line)) = self.ids.get(name) {
            let msg = format!("duplicate id `{name}`: already defined at {file}:{line}");
            self.errs.push(PackError {
                message: msg,
                ..here
            });
            return false;
        }
        self.ids.insert(name.clone(), (here.file, here.line));
        true
    }

    fn citations(
        &mut self,
        src: &Source,
        owner: &Spanned<String>,
        raw: &[Spanned<RawCite>],
    ) -> Vec<Citation> {
        if raw.is_empty() {
            self.errs.push(error_at(src, owner.span(), format!("`{}` has no citation: every item and task must cite the clause that requires it", owner.get_ref())));
        }
        let mut out = Vec::new();
        for c in raw {
            let cite = c.get_ref();
            let Some(doc) = self.docs.iter().find(|d| d.id == cite.doc) else {
                self.errs.push(error_at(
                    src,
                    c.span(),
                    format!(
                        "citation names unknown document `{}` (add it to documents.toml)",
                        cite.doc
                    ),
                ));
                continue;
            };
            if cite.clause.trim().is_empty() {
                self.errs.push(error_at(
                    src,
                    c.span(),
                    format!("citation of `{}` has an empty clause", cite.doc),
                ));
                continue;
            }
            out.push(Citation {
                doc: doc.id.clone(),
                title_zh: doc.title_zh.clone(),
                title_en: doc.title_en.clone(),
                clause: cite.clause.clone(),
                verified: cite.verified,
            });
        }
        out
    }

    fn bound(
        &mut self,
        src: &Source,
        span: Range<usize>,
        raw: &RawBound,
        want: RuleUse,
    ) -> Option<Bound> {
        match raw {
            RawBound::Number(n) if n.is_finite() && *n >= 0.0 => Some(Bound::Fixed(*n)),
            RawBound::Number(n) => {
                self.errs.push(error_at(
                    src,
                    span,
                    format!("bound {n} must be a non-negative number"),
                ));
                None
            }
            RawBound::Rule(name) => match Rule::parse(name) {
                Some(rule) if rule.used_for() == want => Some(Bound::Rule(rule)),
                Some(_) => {
                    self.errs.push(error_at(
                        src,
                        span,
                        format!("rule `{name}` cannot bound this kind of answer"),
                    ));
                    None
                }
                None => {
                    self.errs.push(error_at(
                        src,
                        span,
                        format!("unknown rule `{name}` (known: {})", Rule::NAMES.join(", ")),
                    ));
                    None
                }
            },
        }
    }

    fn answer(&mut self, src: &Source, raw: Option<&Spanned<RawAnswer>>) -> Option<AnswerDef> {
        let Some(raw) = raw else {
            return Some(AnswerDef::PassFail);
        };
        let span = raw.span();
        Some(match raw.get_ref() {
            RawAnswer::PassFail {} => AnswerDef::PassFail,
            RawAnswer::Count { min } => AnswerDef::Count {
                min: self.bound(src, span, min, RuleUse::CountMin)?,
            },
            RawAnswer::Measure { unit, min, max } => {
                if min.is_none() && max.is_none() {
                    self.errs.push(error_at(
                        src,
                        span,
                        "a measurement needs `min`, `max` or both",
                    ));
                    return None;
                }
                if !UNITS.contains(&unit.as_str()) {
                    self.errs.push(error_at(
                        src,
                        span,
                        format!("unknown unit `{unit}` (known: {})", UNITS.join(", ")),
                    ));
                    return None;
                }
                let min = match min {
                    Some(b) => Some(self.bound(src, span.clone(), b, RuleUse::MeasureBound)?),
                    None => None,
                };
                let max = match max {
                    Some(b) => Some(self.bound(src, span.clone(), b, RuleUse::MeasureBound)?),
                    None => None,
                };
                AnswerDef::Measure {
                    unit: unit.clone(),
                    min,
                    max,
                }
            }
            RawAnswer::Date { max_age_months } => {
                if *max_age_months == 0 {
                    self.errs
                        .push(error_at(src, span, "max_age_months must be at least 1"));
                    return None;
                }
                AnswerDef::Date {
                    max_age_months: *max_age_months,
                }
            }
        })
    }

    fn load_item(&mut self, src: &Source, pack: usize, pack_id: &str, raw: &schema::RawItem) {
        let id_ok = self.claim_id(src, pack_id, &raw.id, "item");
        let cites = self.citations(src, &raw.id, &raw.cite);
        for (text, lang) in [
            (&raw.text_zh, "text_zh"),
            (&raw.text_en, "text_en"),
            (&raw.fail.measure_zh, "fail.measure_zh"),
            (&raw.fail.measure_en, "fail.measure_en"),
        ] {
            if text.trim().is_empty() {
                self.errs.push(error_at(
                    src,
                    raw.id.span(),
                    format!("item `{}` has an empty {lang}", raw.id.get_ref()),
                ));
            }
        }
        let element_2017 = match (&raw.fail.gb35181_2017, &raw.fail.gb35181) {
            (Some(e), _) => Some(e),
            (None, Some(e)) if self.legacy => Some(e),
            _ => None,
        };
        if raw.fail.gb35181.is_some() && !self.legacy {
            self.errs.push(error_at(
                src,
                raw.id.span(),
                "fail.gb35181 is refused: GB 35181-2017 was withdrawn on 2025-11-01 and no GB 35181-2025 element is verified; write the 2017 element as fail.gb35181_2017 (a historical reference)",
            ));
        }
        if let Some(el) = element_2017 {
            if !(el.split('.').count() >= 2
                && el
                    .split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())))
            {
                self.errs.push(error_at(
                    src,
                    raw.id.span(),
                    format!("fail.gb35181_2017 `{el}` must be a clause number such as 7.3.3"),
                ));
            }
            if !self.docs.iter().any(|d| d.id == GB35181_2017) {
                self.errs.push(error_at(
                    src,
                    raw.id.span(),
                    format!("fail.gb35181_2017 needs the document `{GB35181_2017}` in documents.toml, whose notice explains the reference"),
                ));
            }
        }
        if raw.advisory && raw.fail.severity == crate::model::Severity::Major {
            self.errs.push(error_at(
                src,
                raw.id.span(),
                format!("item `{}` is advisory (宜 or a recommended standard), so failing it cannot be a major hazard", raw.id.get_ref()),
            ));
        }
        let when = match &raw.when {
            Some(w) => self.condition(src, w),
            None => Some(Condition::always()),
        };
        let answer = self.answer(src, raw.answer.as_ref());
        let (Some(when), Some(answer), true) = (when, answer, id_ok) else {
            return;
        };
        let index = self.items.len();
        if let Some(target) = &raw.same_as {
            let here = error_at(src, target.span(), "");
            self.pending_same_as
                .push((index, target.get_ref().clone(), here));
        }
        let mut purposes: Vec<Purpose> = raw.purposes.iter().map(|p| purpose_of(*p)).collect();
        purposes.dedup();
        self.items.push(Item {
            id: raw.id.get_ref().clone(),
            pack,
            text_zh: raw.text_zh.trim().to_owned(),
            text_en: raw.text_en.trim().to_owned(),
            when,
            purposes,
            frequency: raw.frequency,
            answer,
            photo: raw.photo,
            advisory: raw.advisory,
            cites,
            fail: FailSpec {
                severity: raw.fail.severity,
                gb35181: None,
                gb35181_2017: element_2017.cloned(),
                rectify_days: raw.fail.rectify_days,
                measure_zh: raw.fail.measure_zh.trim().to_owned(),
                measure_en: raw.fail.measure_en.trim().to_owned(),
            },
        });
    }

    fn load_task(&mut self, src: &Source, pack: usize, pack_id: &str, raw: &schema::RawTask) {
        let id_ok = self.claim_id(src, pack_id, &raw.id, "task");
        let cites = self.citations(src, &raw.id, &raw.cite);
        let when = match &raw.when {
            Some(w) => self.condition(src, w),
            None => Some(Condition::always()),
        };
        let scope = match (raw.purpose, raw.items.is_empty()) {
            (Some(p), true) => Some(TaskScope::Purpose(purpose_of(p))),
            (None, false) => Some(TaskScope::Items(Vec::new())),
            _ => {
                self.errs.push(error_at(
                    src,
                    raw.id.span(),
                    format!(
                        "task `{}` needs exactly one of `purpose` or `items`",
                        raw.id.get_ref()
                    ),
                ));
                None
            }
        };
        let (Some(when), Some(scope), true) = (when, scope, id_ok) else {
            return;
        };
        if matches!(scope, TaskScope::Items(_)) {
            let listed = raw
                .items
                .iter()
                .map(|i| (i.get_ref().clone(), error_at(src, i.span(), "")))
                .collect();
            self.pending_task_items.push((self.tasks.len(), listed));
        }
        self.tasks.push(Task {
            id: raw.id.get_ref().clone(),
            pack,
            title_zh: raw.title_zh.clone(),
            title_en: raw.title_en.clone(),
            frequency: raw.frequency,
            when,
            scope,
            cites,
        });
    }

    fn item_index(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|i| i.id == id)
    }

    /// Links `same_as` items to their canonical item and checks the merged answers agree.
    fn resolve_same_as(&mut self) -> Vec<Group> {
        let mut canonical_of: Vec<usize> = (0..self.items.len()).collect();
        let pending = std::mem::take(&mut self.pending_same_as);
        let has_same_as: Vec<usize> = pending.iter().map(|(i, _, _)| *i).collect();
        for (index, target, here) in pending {
            let fail = |msg: String| PackError {
                message: msg,
                ..here.clone()
            };
            let Some(t) = self.item_index(&target) else {
                self.errs
                    .push(fail(format!("same_as names unknown item `{target}`")));
                continue;
            };
            if t == index {
                self.errs
                    .push(fail("an item cannot be the same as itself".to_owned()));
                continue;
            }
            if has_same_as.contains(&t) {
                self.errs.push(fail(format!(
                    "same_as must name a canonical item, but `{target}` is itself `same_as` another"
                )));
                continue;
            }
            let (a, b) = (&self.items[index].answer, &self.items[t].answer);
            if a.kind() != b.kind() {
                self.errs.push(fail(format!(
                    "cannot merge a {} answer into `{target}`, whose answer is {}",
                    a.kind(),
                    b.kind()
                )));
                continue;
            }
            if let (AnswerDef::Measure { unit: u1, .. }, AnswerDef::Measure { unit: u2, .. }) =
                (a, b)
                && u1 != u2
            {
                self.errs.push(fail(format!(
                    "cannot merge a measurement in {u1} into `{target}`, measured in {u2}"
                )));
                continue;
            }
            canonical_of[index] = t;
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of: HashMap<usize, usize> = HashMap::new();
        for (i, &c) in canonical_of.iter().enumerate() {
            if c == i {
                group_of.insert(i, groups.len());
                groups.push(Group { members: vec![i] });
            }
        }
        for (i, &c) in canonical_of.iter().enumerate() {
            if c != i {
                groups[group_of[&c]].members.push(i);
            }
        }
        groups
    }

    fn resolve_task_items(&mut self) {
        for (task, listed) in std::mem::take(&mut self.pending_task_items) {
            let mut indices = Vec::new();
            for (id, here) in listed {
                match self.item_index(&id) {
                    Some(i) => indices.push(i),
                    None => self.errs.push(PackError {
                        message: format!("task lists unknown item `{id}`"),
                        ..here
                    }),
                }
            }
            self.tasks[task].scope = TaskScope::Items(indices);
        }
    }
}

/// The document that `fail.gb35181_2017` refers to.
pub(crate) const GB35181_2017: &str = "gb35181-2017";

/// Units a measurement may use.
pub const UNITS: [&str; 10] = ["m", "cm", "mm", "m2", "in", "ft", "h", "min", "mpa", "pct"];

#[cfg(test)]
mod tests {
    use super::position;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "a = 1\n名称 = \"x\"\n";
        assert_eq!(position(text, 0), (1, 1));
        let offset = text.find('"').expect("quote");
        assert_eq!(position(text, offset), (2, 6));
    }
}
