//! Plain-text rendering of checklists and task plans, as an inspector reads them (and as the
//! golden files hold them).

use crate::engine::{Checklist, ChecklistItem, Reason, TaskPlan};
use crate::load::PackRef;
use crate::model::{Answer, Citation};
use std::fmt::Write;

fn packs_line(out: &mut String, packs: &[PackRef]) {
    out.push_str("Packs:\n");
    for p in packs {
        let short = p.content_hash.get(..12).unwrap_or(&p.content_hash);
        let _ = writeln!(out, "  {} {} sha256:{short}", p.id, p.version);
    }
}

fn clause_text(c: &Citation) -> String {
    let flag = if c.verified { "" } else { " [UNVERIFIED]" };
    format!("{}{flag}", c.clause)
}

/// Citations grouped by document, in first-cited order: "title clause, clause; title clause".
fn cites_text(cites: &[Citation]) -> String {
    let mut docs: Vec<(&str, Vec<String>)> = Vec::new();
    for c in cites {
        match docs.iter_mut().find(|(t, _)| *t == c.title_zh) {
            Some((_, clauses)) => clauses.push(clause_text(c)),
            None => docs.push((&c.title_zh, vec![clause_text(c)])),
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
    format!("{}: {}{values}", r.item, r.conditions.join(" and "))
}

fn answer_text(a: &Answer) -> String {
    match a {
        Answer::PassFail => "pass / fail / n/a".to_owned(),
        Answer::Count { min } => format!("count, at least {min}"),
        Answer::Measure { unit, min, max } => {
            let lo = min.map_or(String::new(), |m| format!(" ≥ {m}"));
            let hi = max.map_or(String::new(), |m| format!(" ≤ {m}"));
            format!("measure in {unit}{lo}{hi}")
        }
        Answer::Date { max_age_months } => format!("date, at most {max_age_months} months ago"),
    }
}

fn item(out: &mut String, n: usize, i: &ChecklistItem) {
    let _ = writeln!(out, "\n{n}. [{}] {}", i.id, i.text_zh);
    let _ = writeln!(out, "   {}", i.text_en);
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
    let element = f
        .gb35181
        .as_ref()
        .map_or(String::new(), |e| format!(", GB 35181 element {e}"));
    let days = if f.rectify_days == 0 {
        "fix on the spot".to_owned()
    } else {
        let unit = if f.rectify_days == 1 { "day" } else { "days" };
        format!("rectify within {} {unit}", f.rectify_days)
    };
    let _ = writeln!(out, "   If failed: {}{element}, {days}: {}", f.severity, f.measure_en);
    let _ = writeln!(out, "   Cites: {}", cites_text(&i.citations));
    for r in &i.why {
        let _ = writeln!(out, "   Why: {}", reason_text(r));
    }
}

/// The checklist as text.
pub fn checklist(c: &Checklist, site: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} / {} — {site}",
        c.purpose.label_zh(),
        c.purpose.label_en()
    );
    packs_line(&mut out, &c.packs);
    for n in &c.notices {
        let _ = writeln!(out, "Notice: {}", n.text_en);
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
    for (n, i) in c.items.iter().enumerate() {
        item(&mut out, n + 1, i);
    }
    out
}

/// The task plan as text.
pub fn task_plan(plan: &TaskPlan, site: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "自查任务计划 / Recurring task plan — {site}");
    packs_line(&mut out, &plan.packs);
    for t in &plan.tasks {
        let _ = writeln!(
            out,
            "\n- [{}] {} / {}\n  Every: {} / {}\n  Items ({}): {}",
            t.id,
            t.title_zh,
            t.title_en,
            t.frequency.label_en(),
            t.frequency.label_zh(),
            t.items.len(),
            t.items.join(", ")
        );
        let _ = writeln!(out, "  Cites: {}", cites_text(&t.citations));
        let _ = writeln!(out, "  Why: {}", reason_text(&t.why));
    }
    out
}
