//! What a content update changes: two pack sets compared item by item, and, for a site, which
//! checklist lines it gains, loses or sees change. A district reads this before rolling an update
//! out to its phones.

use crate::load::{AnswerDef, Bound, Item, PackSet, Task, TaskScope};
use crate::model::{Citation, Purpose};
use crate::profile::SiteProfile;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A pack present in both sets whose content or version differs, or present in one only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackChange {
    pub id: String,
    /// `None` where the pack is new.
    pub old_version: Option<String>,
    /// `None` where the pack was removed.
    pub new_version: Option<String>,
    /// The content changed but the version did not: checklists pinned to the old content would
    /// carry the same version for different rules.
    pub version_not_bumped: bool,
}

/// An item whose wording changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reworded {
    pub id: String,
    pub old_zh: String,
    pub new_zh: String,
    pub old_en: String,
    pub new_en: String,
}

/// An item whose citations changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recited {
    pub id: String,
    /// "doc clause", with " [unverified]" where it is not verified.
    pub removed: Vec<String>,
    pub added: Vec<String>,
}

/// Any other change to an item: what it applies to, how often, what it asks, what failing means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    pub id: String,
    /// The property, e.g. "when", "frequency", "answer", "severity".
    pub field: String,
    pub old: String,
    pub new: String,
}

/// Everything that differs between two pack sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentDiff {
    pub packs: Vec<PackChange>,
    pub items_added: Vec<String>,
    pub items_removed: Vec<String>,
    pub reworded: Vec<Reworded>,
    pub recited: Vec<Recited>,
    pub changed: Vec<Changed>,
    pub tasks_added: Vec<String>,
    pub tasks_removed: Vec<String>,
    pub tasks_changed: Vec<Changed>,
}

impl ContentDiff {
    /// Nothing differs.
    pub fn is_empty(&self) -> bool {
        *self == ContentDiff::default()
    }
}

/// What an update does to one site's checklist for one purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteImpact {
    pub purpose: Purpose,
    pub old_items: usize,
    pub new_items: usize,
    /// Checklist lines the site gains, by id.
    pub added: Vec<String>,
    /// Checklist lines the site loses, by id.
    pub removed: Vec<String>,
    /// Lines on both lists whose text, answer, frequency, citations or failure changed.
    pub changed: Vec<String>,
    pub old_tasks: usize,
    pub new_tasks: usize,
    pub tasks_added: Vec<String>,
    pub tasks_removed: Vec<String>,
}

fn cite_text(c: &Citation) -> String {
    let flag = if c.verified { "" } else { " [unverified]" };
    format!("{} {}{flag}", c.doc, c.clause)
}

fn bound_text(b: &Bound) -> String {
    match b {
        Bound::Fixed(x) => x.to_string(),
        Bound::Rule(r) => format!("{r:?}"),
    }
}

fn answer_text(a: &AnswerDef) -> String {
    let opt = |b: &Option<Bound>| b.as_ref().map_or("-".to_owned(), bound_text);
    match a {
        AnswerDef::PassFail => "pass_fail".to_owned(),
        AnswerDef::Count { min } => format!("count min {}", bound_text(min)),
        AnswerDef::Measure { unit, min, max } => {
            format!("measure {unit} min {} max {}", opt(min), opt(max))
        }
        AnswerDef::Date { max_age_months } => format!("date within {max_age_months} months"),
    }
}

/// Each property of an item that a diff reports on, by name, as text.
fn properties(set: &PackSet, index: usize) -> Vec<(&'static str, String)> {
    let i: &Item = &set.items[index];
    let purposes: Vec<&str> = i.purposes.iter().map(|p| p.as_str()).collect();
    vec![
        ("pack", set.packs[i.pack].reference.id.clone()),
        ("when", i.when.source().to_owned()),
        ("purposes", purposes.join(", ")),
        ("frequency", format!("{:?}", i.frequency)),
        ("answer", answer_text(&i.answer)),
        ("photo", format!("{:?}", i.photo)),
        ("advisory", i.advisory.to_string()),
        ("same_as", set.canonical_id(index).to_owned()),
        ("severity", format!("{:?}", i.fail.severity)),
        ("rectify_days", i.fail.rectify_days.to_string()),
        (
            "gb35181_2017",
            i.fail.gb35181_2017.clone().unwrap_or_default(),
        ),
        ("measure_zh", i.fail.measure_zh.clone()),
        ("measure_en", i.fail.measure_en.clone()),
    ]
}

fn task_properties(t: &Task, set: &PackSet) -> Vec<(&'static str, String)> {
    let scope = match &t.scope {
        TaskScope::Purpose(p) => format!("purpose {}", p.as_str()),
        TaskScope::Items(items) => {
            let ids: Vec<&str> = items.iter().map(|&i| set.items[i].id.as_str()).collect();
            format!("items {}", ids.join(", "))
        }
    };
    let cites: Vec<String> = t.cites.iter().map(cite_text).collect();
    vec![
        ("title_zh", t.title_zh.clone()),
        ("title_en", t.title_en.clone()),
        ("frequency", format!("{:?}", t.frequency)),
        ("when", t.when.source().to_owned()),
        ("scope", scope),
        ("cite", cites.join("; ")),
    ]
}

impl PackSet {
    /// What changes from `old` to `self`: packs, items (added, removed, reworded, re-cited, or
    /// changed otherwise) and tasks, each list sorted by id.
    pub fn diff(&self, old: &PackSet) -> ContentDiff {
        let mut d = ContentDiff::default();
        let old_packs: BTreeMap<&str, &crate::load::PackInfo> = old
            .packs
            .iter()
            .map(|p| (p.reference.id.as_str(), p))
            .collect();
        let new_packs: BTreeMap<&str, &crate::load::PackInfo> = self
            .packs
            .iter()
            .map(|p| (p.reference.id.as_str(), p))
            .collect();
        let ids: BTreeSet<&str> = old_packs.keys().chain(new_packs.keys()).copied().collect();
        for id in ids {
            let (o, n) = (old_packs.get(id), new_packs.get(id));
            let same = matches!((o, n), (Some(o), Some(n)) if o.reference == n.reference);
            if same {
                continue;
            }
            d.packs.push(PackChange {
                id: id.to_owned(),
                old_version: o.map(|p| p.reference.version.clone()),
                new_version: n.map(|p| p.reference.version.clone()),
                version_not_bumped: matches!((o, n), (Some(o), Some(n))
                    if o.reference.version == n.reference.version
                        && o.reference.content_hash != n.reference.content_hash),
            });
        }

        let old_items: BTreeMap<&str, usize> = old
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.as_str(), i))
            .collect();
        let new_items: BTreeMap<&str, usize> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.as_str(), i))
            .collect();
        for (&id, &n) in &new_items {
            let Some(&o) = old_items.get(id) else {
                d.items_added.push(id.to_owned());
                continue;
            };
            let (oi, ni) = (&old.items[o], &self.items[n]);
            if oi.text_zh != ni.text_zh || oi.text_en != ni.text_en {
                d.reworded.push(Reworded {
                    id: id.to_owned(),
                    old_zh: oi.text_zh.clone(),
                    new_zh: ni.text_zh.clone(),
                    old_en: oi.text_en.clone(),
                    new_en: ni.text_en.clone(),
                });
            }
            let oc: Vec<String> = oi.cites.iter().map(cite_text).collect();
            let nc: Vec<String> = ni.cites.iter().map(cite_text).collect();
            if oc != nc {
                d.recited.push(Recited {
                    id: id.to_owned(),
                    removed: oc.iter().filter(|c| !nc.contains(c)).cloned().collect(),
                    added: nc.iter().filter(|c| !oc.contains(c)).cloned().collect(),
                });
            }
            for ((field, a), (_, b)) in properties(old, o).into_iter().zip(properties(self, n)) {
                if a != b {
                    d.changed.push(Changed {
                        id: id.to_owned(),
                        field: field.to_owned(),
                        old: a,
                        new: b,
                    });
                }
            }
        }
        d.items_removed = old_items
            .keys()
            .filter(|id| !new_items.contains_key(*id))
            .map(|id| (*id).to_owned())
            .collect();

        let old_tasks: BTreeMap<&str, &Task> =
            old.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
        let new_tasks: BTreeMap<&str, &Task> =
            self.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
        for (&id, n) in &new_tasks {
            let Some(o) = old_tasks.get(id) else {
                d.tasks_added.push(id.to_owned());
                continue;
            };
            for ((field, a), (_, b)) in task_properties(o, old)
                .into_iter()
                .zip(task_properties(n, self))
            {
                if a != b {
                    d.tasks_changed.push(Changed {
                        id: id.to_owned(),
                        field: field.to_owned(),
                        old: a,
                        new: b,
                    });
                }
            }
        }
        d.tasks_removed = old_tasks
            .keys()
            .filter(|id| !new_tasks.contains_key(*id))
            .map(|id| (*id).to_owned())
            .collect();
        d
    }

    /// What moving from `old` to `self` does to the checklist for `profile` and `purpose`, and to
    /// the site's task plan.
    pub fn impact(&self, old: &PackSet, profile: &SiteProfile, purpose: Purpose) -> SiteImpact {
        let before = old.generate(profile, purpose);
        let after = self.generate(profile, purpose);
        let b: BTreeMap<&str, _> = before.items.iter().map(|i| (i.id.as_str(), i)).collect();
        let a: BTreeMap<&str, _> = after.items.iter().map(|i| (i.id.as_str(), i)).collect();
        // Reasons name pack items and conditions; a line "changes" only if what it asks does.
        let same = |x: &crate::engine::ChecklistItem, y: &crate::engine::ChecklistItem| {
            x.text_zh == y.text_zh
                && x.text_en == y.text_en
                && x.answer == y.answer
                && x.frequency == y.frequency
                && x.citations == y.citations
                && x.on_fail == y.on_fail
                && x.photo == y.photo
                && x.advisory == y.advisory
        };
        let old_plan = old.task_plan(profile);
        let new_plan = self.task_plan(profile);
        let ot: BTreeSet<&str> = old_plan.tasks.iter().map(|t| t.id.as_str()).collect();
        let nt: BTreeSet<&str> = new_plan.tasks.iter().map(|t| t.id.as_str()).collect();
        SiteImpact {
            purpose,
            old_items: before.items.len(),
            new_items: after.items.len(),
            added: a
                .keys()
                .filter(|k| !b.contains_key(*k))
                .map(|k| (*k).to_owned())
                .collect(),
            removed: b
                .keys()
                .filter(|k| !a.contains_key(*k))
                .map(|k| (*k).to_owned())
                .collect(),
            changed: a
                .iter()
                .filter(|(k, y)| b.get(*k).is_some_and(|x| !same(x, y)))
                .map(|(k, _)| (*k).to_owned())
                .collect(),
            old_tasks: old_plan.tasks.len(),
            new_tasks: new_plan.tasks.len(),
            tasks_added: nt.difference(&ot).map(|s| (*s).to_owned()).collect(),
            tasks_removed: ot.difference(&nt).map(|s| (*s).to_owned()).collect(),
        }
    }
}
