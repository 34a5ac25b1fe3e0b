//! Plain-text rendering of checklists and task plans, as an inspector reads them (and as the
//! golden files hold them).

use crate::diff::{ContentDiff, SiteImpact};
use crate::engine::{Checklist, ChecklistItem, Reason, TaskPlan, months, unit_label};
use crate::load::PackRef;
use crate::model::{Answer, Citation};
use crate::profile::Jurisdiction;
use std::fmt::Write;

/// Which language a reader of this checklist reads first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Zh,
    En,
}

impl From<Jurisdiction> for Lang {
    fn from(j: Jurisdiction) -> Self {
        match j {
            Jurisdiction::Cn => Lang::Zh,
            Jurisdiction::Us => Lang::En,
        }
    }
}

/// Two texts, the reader's language first.
fn pair<'a>(lang: Lang, zh: &'a str, en: &'a str) -> (&'a str, &'a str) {
    match lang {
        Lang::Zh => (zh, en),
        Lang::En => (en, zh),
    }
}

fn packs_line(out: &mut String, packs: &[PackRef]) {
    out.push_str("Packs:\n");
    for p in packs {
        let short = p.content_hash.get(..12).unwrap_or(&p.content_hash);
        let _ = writeln!(out, "  {} {} sha256:{short}", p.id, p.version);
    }
}

fn clause_text(c: &Citation, historical: bool) -> String {
    let flag = if c.verified { "" } else { " [UNVERIFIED]" };
    let old = if historical { " [HISTORICAL]" } else { "" };
    format!("{}{flag}{old}", c.clause)
}

/// Citations grouped by document, in first-cited order: "title clause, clause; title clause".
/// Clauses of a superseded document (one with a notice) are marked historical.
fn cites_text(lang: Lang, cites: &[Citation], superseded: &[&str]) -> String {
    let mut docs: Vec<(&str, Vec<String>)> = Vec::new();
    for c in cites {
        let title = pair(lang, &c.title_zh, &c.title_en).0;
        let text = clause_text(c, superseded.contains(&c.doc.as_str()));
        match docs.iter_mut().find(|(t, _)| *t == title) {
            Some((_, clauses)) => clauses.push(text),
            None => docs.push((title, vec![text])),
        }
    }
    docs.iter()
        .map(|(t, clauses)| format!("{t} {}", clauses.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn reason_text(r: &Reason) -> String {
    let matched: Vec<String> = r
        .matched
        .iter()
        .map(|m| format!("{} = {}", m.field, m.value))
        .collect();
    let values = if matched.is_empty() {
        String::new()
    } else {
        format!(" ({})", matched.join(", "))
    };
    // Bracket any condition with a top-level `or` so the joined text reads as it is evaluated.
    let conditions: Vec<String> = r
        .conditions
        .iter()
        .map(|c| {
            if c.contains(" or ") && !(c.starts_with('(') && c.ends_with(')')) {
                format!("({c})")
            } else {
                c.clone()
            }
        })
        .collect();
    format!("{}: {}{values}", r.item, conditions.join(" and "))
}

fn answer_text(a: &Answer) -> String {
    match a {
        Answer::PassFail => "pass / fail / n/a".to_owned(),
        Answer::Count { min } => format!("count, at least {min} (or n/a)"),
        Answer::Measure { unit, min, max } => {
            let lo = min.map_or(String::new(), |m| format!(" ≥ {m}"));
            let hi = max.map_or(String::new(), |m| format!(" ≤ {m}"));
            format!("measure in {}{lo}{hi} (or n/a)", unit_label(unit))
        }
        Answer::Date { max_age_months } => {
            format!("date, at most {} ago (or n/a)", months(*max_age_months))
        }
    }
}

fn item(out: &mut String, lang: Lang, n: usize, i: &ChecklistItem, superseded: &[&str]) {
    let (first, second) = pair(lang, &i.text_zh, &i.text_en);
    let advisory = if i.advisory {
        pair(lang, "[建议] ", "[ADVISORY] ").0
    } else {
        ""
    };
    let _ = writeln!(out, "\n{n}. [{}] {advisory}{first}", i.id);
    let _ = writeln!(out, "   {second}");
    let _ = writeln!(
        out,
        "   Answer: {} | {} / {} | photo {}",
        answer_text(&i.answer),
        i.frequency.label_en(),
        i.frequency.label_zh(),
        i.photo.label_en()
    );
    if let Some(r) = &i.requirement {
        let _ = writeln!(out, "   Requirement: {}", r.text_en);
        let _ = writeln!(out, "   要求：{}", r.text_zh);
    }
    let f = &i.on_fail;
    let mut element = f
        .gb35181
        .as_ref()
        .map_or(String::new(), |e| format!(", GB 35181 element {e}"));
    if let Some(e) = &f.gb35181_2017 {
        let _ = write!(element, " (historical ref.: GB 35181-2017 element {e})");
    }
    let days = if f.rectify_days == 0 {
        "fix on the spot".to_owned()
    } else {
        let unit = if f.rectify_days == 1 { "day" } else { "days" };
        format!("rectify within {} {unit}", f.rectify_days)
    };
    let _ = writeln!(
        out,
        "   If failed: {}{element}, {days}: {}",
        f.severity, f.measure_en
    );
    let _ = writeln!(
        out,
        "   Cites: {}",
        cites_text(lang, &i.citations, superseded)
    );
    for r in &i.why {
        let _ = writeln!(out, "   Why: {}", reason_text(r));
    }
}

/// The checklist as text.
pub fn checklist(c: &Checklist, site: &str) -> String {
    let lang = Lang::from(c.jurisdiction);
    let mut out = String::new();
    let (first, second) = pair(lang, c.purpose.label_zh(), c.purpose.label_en());
    let _ = writeln!(out, "{first} / {second} — {site}");
    packs_line(&mut out, &c.packs);
    for n in &c.notices {
        if lang == Lang::Zh && !n.text_zh.is_empty() {
            let _ = writeln!(out, "Notice: {}", n.text_zh);
            let _ = writeln!(out, "        {}", n.text_en);
        } else {
            let _ = writeln!(out, "Notice: {}", n.text_en);
        }
    }
    let unverified = c
        .items
        .iter()
        .flat_map(|i| &i.citations)
        .filter(|c| !c.verified)
        .count();
    let _ = writeln!(
        out,
        "{} items, {} citations ({unverified} unverified)",
        c.items.len(),
        c.items.iter().map(|i| i.citations.len()).sum::<usize>()
    );
    let superseded: Vec<&str> = c.notices.iter().map(|n| n.doc.as_str()).collect();
    for (n, i) in c.items.iter().enumerate() {
        item(&mut out, lang, n + 1, i, &superseded);
    }
    out
}

/// The task plan as text.
pub fn task_plan(plan: &TaskPlan, site: &str) -> String {
    let lang = Lang::from(plan.jurisdiction);
    let mut out = String::new();
    let (first, second) = pair(lang, "自查任务计划", "Recurring task plan");
    let _ = writeln!(out, "{first} / {second} — {site}");
    packs_line(&mut out, &plan.packs);
    for t in &plan.tasks {
        let (first, second) = pair(lang, &t.title_zh, &t.title_en);
        let times = match (t.open_hours, t.times_a_day) {
            (Some(h), Some(n)) => format!(" ({h}: {n} a day / 每日{n}次)"),
            (None, Some(n)) => format!(
                " (no opening hours given: around the clock, {n} a day / 未填营业时间，按全天{n}次)"
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "\n- [{}] {first} / {second}\n  Every: {} / {}{times}\n  Items ({}): {}",
            t.id,
            t.frequency.label_en(),
            t.frequency.label_zh(),
            t.items.len(),
            t.items.join(", ")
        );
        let _ = writeln!(out, "  Cites: {}", cites_text(lang, &t.citations, &[]));
        let _ = writeln!(out, "  Why: {}", reason_text(&t.why));
    }
    out
}

fn list(out: &mut String, title: &str, sign: char, ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title} ({}):", ids.len());
    for id in ids {
        let _ = writeln!(out, "  {sign} {id}");
    }
}

/// What a content update changes, as a reviewer reads it.
pub fn diff(d: &ContentDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Content update: {} items added, {} removed, {} reworded, {} re-cited, {} other changes; {} tasks added, {} removed, {} changed",
        d.items_added.len(),
        d.items_removed.len(),
        d.reworded.len(),
        d.recited.len(),
        d.changed.len(),
        d.tasks_added.len(),
        d.tasks_removed.len(),
        d.tasks_changed.len()
    );
    if !d.packs.is_empty() {
        out.push_str("\nPacks:\n");
        for p in &d.packs {
            let v = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
            let warn = if p.version_not_bumped {
                "  WARNING: content changed but the version did not"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} {} -> {}{warn}",
                p.id,
                v(&p.old_version),
                v(&p.new_version)
            );
        }
    }
    list(&mut out, "Items added", '+', &d.items_added);
    list(&mut out, "Items removed", '-', &d.items_removed);
    if !d.reworded.is_empty() {
        let _ = writeln!(out, "\nReworded ({}):", d.reworded.len());
        for r in &d.reworded {
            let _ = writeln!(out, "  ~ {}", r.id);
            if r.old_zh != r.new_zh {
                let _ = writeln!(out, "      was: {}\n      now: {}", r.old_zh, r.new_zh);
            }
            if r.old_en != r.new_en {
                let _ = writeln!(out, "      was: {}\n      now: {}", r.old_en, r.new_en);
            }
        }
    }
    if !d.recited.is_empty() {
        let _ = writeln!(out, "\nRe-cited ({}):", d.recited.len());
        for r in &d.recited {
            let _ = writeln!(out, "  ~ {}", r.id);
            for c in &r.removed {
                let _ = writeln!(out, "      - {c}");
            }
            for c in &r.added {
                let _ = writeln!(out, "      + {c}");
            }
        }
    }
    let changes = |out: &mut String, title: &str, cs: &[crate::diff::Changed]| {
        if cs.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{title} ({}):", cs.len());
        for c in cs {
            let _ = writeln!(out, "  ~ {} {}: {} -> {}", c.id, c.field, c.old, c.new);
        }
    };
    changes(&mut out, "Other item changes", &d.changed);
    list(&mut out, "Tasks added", '+', &d.tasks_added);
    list(&mut out, "Tasks removed", '-', &d.tasks_removed);
    changes(&mut out, "Task changes", &d.tasks_changed);
    out
}

/// What a content update does to one site.
pub fn impact(i: &SiteImpact, site: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{site} ({}): {} -> {} items ({} added, {} removed, {} changed); {} -> {} tasks",
        i.purpose.as_str(),
        i.old_items,
        i.new_items,
        i.added.len(),
        i.removed.len(),
        i.changed.len(),
        i.old_tasks,
        i.new_tasks
    );
    for (sign, ids) in [
        ("+", &i.added),
        ("-", &i.removed),
        ("~", &i.changed),
        ("+ task", &i.tasks_added),
        ("- task", &i.tasks_removed),
    ] {
        for id in ids {
            let _ = writeln!(out, "  {sign} {id}");
        }
    }
    out
}
