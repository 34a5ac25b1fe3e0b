//! The engine: from a profile and a pack set to the checklist and the recurring task plan.
//! Pure and deterministic: the same inputs always give the same output, item for item.

use crate::fields::Field;
use crate::load::{AnswerDef, Bound, Item, PackRef, PackSet, TaskScope};
use crate::model::{Answer, Citation, FailSpec, Frequency, PhotoRule, Purpose};
use crate::profile::{Jurisdiction, OpeningHours, SiteProfile};
use serde::{Deserialize, Serialize};

/// A profile value that a condition read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matched {
    pub field: String,
    pub value: String,
    /// For a derived field, how it was computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived: Option<String>,
}

/// Why one source item applies to this site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The pack item this reason is about.
    pub item: String,
    pub pack: String,
    /// The conditions that held: the pack's jurisdiction, its condition if any, and the item's.
    pub conditions: Vec<String>,
    /// The profile values those conditions read.
    pub matched: Vec<Matched>,
}

/// A number the rules require of this site, with its arithmetic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    pub text_zh: String,
    pub text_en: String,
}

/// One line of a checklist: a requirement, possibly cited by several regulations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// Stable id: the canonical pack item's id.
    pub id: String,
    pub text_zh: String,
    pub text_en: String,
    pub frequency: Frequency,
    pub answer: Answer,
    pub requirement: Option<Requirement>,
    pub photo: PhotoRule,
    /// Good practice (a clause that says 宜, or a recommended GB/T standard), not a requirement:
    /// true only when every merged source is advisory.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub advisory: bool,
    pub on_fail: FailSpec,
    pub citations: Vec<Citation>,
    pub why: Vec<Reason>,
}

/// A document cited by the checklist (or referred to by a failure's historical element) that has
/// been superseded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub doc: String,
    pub text_en: String,
    #[serde(default)]
    pub text_zh: String,
}

/// The checklist for one site and purpose, pinned to the pack versions it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checklist {
    pub purpose: Purpose,
    /// The site's jurisdiction, which decides the language shown first.
    pub jurisdiction: Jurisdiction,
    pub packs: Vec<PackRef>,
    pub items: Vec<ChecklistItem>,
    pub notices: Vec<Notice>,
}

/// A recurring job for the site's owner or staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedTask {
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub frequency: Frequency,
    pub citations: Vec<Citation>,
    pub why: Reason,
    /// Checklist item ids the task walks through, in checklist order.
    pub items: Vec<String>,
    /// For a task done every 2 hours while open: the opening hours it runs within (none where
    /// the profile gives none, i.e. around the clock)...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_hours: Option<OpeningHours>,
    /// ...and how many times a day that makes (one per window of
    /// [`OpeningHours::windows`]; 12 around the clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times_a_day: Option<u32>,
}

/// The recurring task plan for a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPlan {
    pub jurisdiction: Jurisdiction,
    pub packs: Vec<PackRef>,
    pub tasks: Vec<PlannedTask>,
}

impl PackSet {
    /// Whether the pack holds and the condition holds, and why.
    fn reason(
        &self,
        pack: usize,
        id: &str,
        when: &crate::condition::Condition,
        p: &SiteProfile,
    ) -> Option<Reason> {
        let info = &self.packs[pack];
        if info.jurisdiction != p.jurisdiction {
            return None;
        }
        if info.when.as_ref().is_some_and(|c| !c.eval(p)) || !when.eval(p) {
            return None;
        }
        let mut conditions = vec![format!("jurisdiction == {}", info.jurisdiction.as_str())];
        let mut fields: Vec<&'static Field> = Vec::new();
        for c in info.when.iter().chain(std::iter::once(when)) {
            if c.source() != "always" {
                conditions.push(c.source().to_owned());
            }
            for f in c.fields() {
                if !fields.iter().any(|g| g.name == f.name) {
                    fields.push(f);
                }
            }
        }
        let matched = fields
            .into_iter()
            .map(|f| Matched {
                field: f.name.to_owned(),
                value: f.read(p).to_string(),
                derived: f.derived.map(str::to_owned),
            })
            .collect();
        Some(Reason {
            item: id.to_owned(),
            pack: info.reference.id.clone(),
            conditions,
            matched,
        })
    }

    fn item_applies(&self, item: &Item, p: &SiteProfile, purpose: Purpose) -> Option<Reason> {
        if purpose != Purpose::FullInspection && !item.purposes.contains(&purpose) {
            return None;
        }
        self.reason(item.pack, &item.id, &item.when, p)
    }

    /// The checklist the packs require for `profile` and `purpose`.
    ///
    /// Items several regulations require appear once, citing all of them, under the id of the
    /// canonical item. Bounds are the strictest of the merged items.
    pub fn generate(&self, profile: &SiteProfile, purpose: Purpose) -> Checklist {
        let mut items = Vec::new();
        for group in &self.groups {
            let applying: Vec<(&Item, Reason)> = group
                .members
                .iter()
                .map(|&i| &self.items[i])
                .filter_map(|item| Some((item, self.item_applies(item, profile, purpose)?)))
                .collect();
            if applying.is_empty() {
                continue;
            }
            items.push(self.merge(&self.items[group.members[0]], &applying, profile));
        }
        let historical = items
            .iter()
            .any(|i| i.on_fail.gb35181_2017.is_some())
            .then_some(crate::load::GB35181_2017);
        let notices = self.notices(
            items
                .iter()
                .flat_map(|i| &i.citations)
                .map(|c| c.doc.as_str())
                .chain(historical),
        );
        Checklist {
            purpose,
            jurisdiction: profile.jurisdiction,
            packs: self.pack_refs(profile.jurisdiction),
            items,
            notices,
        }
    }

    fn merge(
        &self,
        canonical: &Item,
        applying: &[(&Item, Reason)],
        p: &SiteProfile,
    ) -> ChecklistItem {
        let mut citations: Vec<Citation> = Vec::new();
        for (item, _) in applying {
            for c in &item.cites {
                if !citations.contains(c) {
                    citations.push(c.clone());
                }
            }
        }
        let frequency = applying
            .iter()
            .map(|(i, _)| i.frequency)
            .min_by_key(|f| f.interval_minutes())
            .unwrap_or(canonical.frequency);
        let photo = applying
            .iter()
            .map(|(i, _)| i.photo)
            .max()
            .unwrap_or(canonical.photo);
        // The first (canonical-most) of the most severe sources gives the measure text.
        let strictest =
            applying
                .iter()
                .map(|(i, _)| &i.fail)
                .fold(&applying[0].0.fail, |best, f| {
                    if f.severity > best.severity { f } else { best }
                });
        let rectify_days = applying
            .iter()
            .map(|(i, _)| i.fail.rectify_days)
            .min()
            .unwrap_or(canonical.fail.rectify_days);
        let gb35181 = applying.iter().find_map(|(i, _)| i.fail.gb35181.clone());
        let gb35181_2017 = applying
            .iter()
            .find_map(|(i, _)| i.fail.gb35181_2017.clone());
        let on_fail = FailSpec {
            rectify_days,
            gb35181,
            gb35181_2017,
            ..strictest.clone()
        };
        let (answer, requirement) = resolve_answer(applying.iter().map(|(i, _)| &i.answer), p);
        ChecklistItem {
            id: canonical.id.clone(),
            text_zh: canonical.text_zh.clone(),
            text_en: canonical.text_en.clone(),
            frequency,
            answer,
            requirement,
            photo,
            advisory: applying.iter().all(|(i, _)| i.advisory),
            on_fail,
            citations,
            why: applying.iter().map(|(_, r)| r.clone()).collect(),
        }
    }

    fn notices<'a>(&self, docs: impl Iterator<Item = &'a str>) -> Vec<Notice> {
        let mut docs: Vec<&str> = docs.collect();
        docs.sort_unstable();
        docs.dedup();
        docs.into_iter()
            .filter_map(|id| {
                let d = self.document(id)?;
                let by = d.superseded_by.as_ref()?;
                let by_title = self
                    .document(by)
                    .map_or(by.as_str(), |b| b.title_en.as_str());
                let on = d
                    .superseded_on
                    .as_deref()
                    .map_or(String::new(), |s| format!(" from {s}"));
                let by_title_zh = self
                    .document(by)
                    .map_or(by.as_str(), |b| b.title_zh.as_str());
                let on_zh = d
                    .superseded_on
                    .as_deref()
                    .map_or(String::new(), |s| format!("自{s}起"));
                Some(Notice {
                    doc: d.id.clone(),
                    text_en: format!(
                        "{} is superseded by {by_title}{on}.{}",
                        d.title_en,
                        d.note_en
                            .as_deref()
                            .map_or(String::new(), |n| format!(" {n}"))
                    ),
                    text_zh: format!(
                        "{}{on_zh}由{by_title_zh}代替。{}",
                        d.title_zh,
                        d.note_zh.as_deref().unwrap_or_default()
                    ),
                })
            })
            .collect()
    }

    /// The recurring tasks the site's owner follows, each with its frequency, clauses and items.
    pub fn task_plan(&self, profile: &SiteProfile) -> TaskPlan {
        let mut by_purpose: Vec<(Purpose, Checklist)> = Vec::new();
        let full = self.generate(profile, Purpose::FullInspection);
        let mut tasks = Vec::new();
        for task in &self.tasks {
            let Some(why) = self.reason(task.pack, &task.id, &task.when, profile) else {
                continue;
            };
            let items: Vec<String> = match &task.scope {
                TaskScope::Purpose(purpose) => {
                    if !by_purpose.iter().any(|(p, _)| p == purpose) {
                        by_purpose.push((*purpose, self.generate(profile, *purpose)));
                    }
                    let (_, list) = by_purpose
                        .iter()
                        .find(|(p, _)| p == purpose)
                        .expect("inserted above");
                    list.items.iter().map(|i| i.id.clone()).collect()
                }
                TaskScope::Items(listed) => {
                    let canonical: Vec<&str> =
                        listed.iter().map(|&i| self.canonical_id(i)).collect();
                    full.items
                        .iter()
                        .filter(|i| canonical.contains(&i.id.as_str()))
                        .map(|i| i.id.clone())
                        .collect()
                }
            };
            if items.is_empty() {
                continue;
            }
            let (open_hours, times_a_day) = match task.frequency {
                Frequency::Every2HoursOpen => {
                    let hours = profile.opening_hours();
                    let n = hours.map_or(12, |h| h.windows(120).len() as u32);
                    (hours, Some(n))
                }
                _ => (None, None),
            };
            tasks.push(PlannedTask {
                id: task.id.clone(),
                title_zh: task.title_zh.clone(),
                title_en: task.title_en.clone(),
                frequency: task.frequency,
                citations: task.cites.clone(),
                why,
                items,
                open_hours,
                times_a_day,
            });
        }
        TaskPlan {
            jurisdiction: profile.jurisdiction,
            packs: self.pack_refs(profile.jurisdiction),
            tasks,
        }
    }

    pub(crate) fn canonical_id(&self, item: usize) -> &str {
        let group = self
            .groups
            .iter()
            .find(|g| g.members.contains(&item))
            .expect("every item is in a group");
        &self.items[group.members[0]].id
    }
}

fn bound(b: &Bound, p: &SiteProfile) -> (f64, Option<(String, String)>) {
    match b {
        Bound::Fixed(x) => (*x, None),
        Bound::Rule(rule) => {
            let c = rule.compute(p);
            (c.value, Some((c.explain_zh, c.explain_en)))
        }
    }
}

/// Resolves merged answers (all of one kind, checked at load) to the strictest bounds.
fn resolve_answer<'a>(
    answers: impl Iterator<Item = &'a AnswerDef>,
    p: &SiteProfile,
) -> (Answer, Option<Requirement>) {
    let mut answer: Option<Answer> = None;
    let mut explain: Vec<(String, String)> = Vec::new();
    for def in answers {
        let next = match def {
            AnswerDef::PassFail => Answer::PassFail,
            AnswerDef::Count { min } => {
                let (v, e) = bound(min, p);
                explain.extend(e);
                Answer::Count {
                    min: v.ceil() as u32,
                }
            }
            AnswerDef::Measure { unit, min, max } => {
                let min = min.as_ref().map(|b| bound(b, p));
                let max = max.as_ref().map(|b| bound(b, p));
                for (_, e) in min.iter().chain(max.iter()) {
                    explain.extend(e.clone());
                }
                Answer::Measure {
                    unit: unit.clone(),
                    min: min.map(|(v, _)| v),
                    max: max.map(|(v, _)| v),
                }
            }
            AnswerDef::Date { max_age_months } => Answer::Date {
                max_age_months: *max_age_months,
            },
        };
        answer = Some(match (answer, next) {
            (None, n) => n,
            (Some(Answer::Count { min: a }), Answer::Count { min: b }) => {
                Answer::Count { min: a.max(b) }
            }
            (
                Some(Answer::Measure {
                    unit,
                    min: a0,
                    max: a1,
                }),
                Answer::Measure {
                    min: b0, max: b1, ..
                },
            ) => Answer::Measure {
                unit,
                min: stricter(a0, b0, f64::max),
                max: stricter(a1, b1, f64::min),
            },
            (Some(Answer::Date { max_age_months: a }), Answer::Date { max_age_months: b }) => {
                Answer::Date {
                    max_age_months: a.min(b),
                }
            }
            (Some(a), _) => a,
        });
    }
    let answer = answer.unwrap_or(Answer::PassFail);
    let requirement = requirement_text(&answer, &explain);
    (answer, requirement)
}

fn stricter(a: Option<f64>, b: Option<f64>, pick: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(pick(x, y)),
        (x, y) => x.or(y),
    }
}

fn requirement_text(answer: &Answer, explain: &[(String, String)]) -> Option<Requirement> {
    if !explain.is_empty() {
        return Some(Requirement {
            text_zh: explain
                .iter()
                .map(|(z, _)| z.as_str())
                .collect::<Vec<_>>()
                .join("；"),
            text_en: explain
                .iter()
                .map(|(_, e)| e.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    let (zh, en) = match answer {
        Answer::PassFail => return None,
        Answer::Count { min } => (format!("不少于 {min}"), format!("at least {min}")),
        Answer::Measure { unit, min, max } => {
            let unit = unit_label(unit);
            match (min, max) {
                (Some(a), Some(b)) => (
                    format!("{a}–{b} {unit}"),
                    format!("between {a} and {b} {unit}"),
                ),
                (Some(a), None) => (format!("不小于 {a} {unit}"), format!("at least {a} {unit}")),
                (None, Some(b)) => (format!("不大于 {b} {unit}"), format!("at most {b} {unit}")),
                (None, None) => return None,
            }
        }
        Answer::Date { max_age_months } => (
            format!("距今不超过 {max_age_months} 个月"),
            format!("no more than {}", months(*max_age_months)),
        ),
    };
    Some(Requirement {
        text_zh: zh,
        text_en: en,
    })
}

/// "1 month", "12 months".
pub(crate) fn months(n: u32) -> String {
    if n == 1 {
        "1 month".to_owned()
    } else {
        format!("{n} months")
    }
}

/// How a unit is shown to people.
pub(crate) fn unit_label(unit: &str) -> &str {
    match unit {
        "pct" => "%",
        "m2" => "m²",
        "mpa" => "MPa",
        other => other,
    }
}
