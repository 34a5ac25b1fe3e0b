//! Figures for the offline store: opening a workspace of 5,000 documents (target < 1 s) and
//! answering an item (target p99 < 5 ms), each with an fsync before returning.
//! Run: `cargo bench -p closeloop-mobile-core --bench workspace`. The workspace is built once
//! under `target/bench-workspace-5000` and reused.

use closeloop::workspace::{Identity, NewHazard, Workspace};
use closeloop_checklists::{Purpose, SiteProfile};
use closeloop_model::doc::inspection::AnswerValue;
use closeloop_model::lifecycle::Severity;
use closeloop_model::roles::{Role, Scope};
use std::path::PathBuf;
use std::time::Instant;

const DOCS: usize = 5_000;

fn identity() -> Identity {
    Identity {
        user_id: "wang".into(),
        display_name: "wang".into(),
        role: Role::Inspector,
        scope: Scope {
            org_id: "org-1".into(),
            grids: vec!["grid-1".into()],
            sites: vec![],
        },
        device_id: "bench".into(),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it, and
    // then it only has to build.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-workspace-5000");
    let profile = SiteProfile::from_toml(include_str!(
        "../../checklists/profiles/restaurant-lpg.toml"
    ))
    .expect("profile");
    let exists = dir.join("docs").read_dir().map(|d| d.count()).unwrap_or(0) >= DOCS;
    if !exists {
        let _ = std::fs::remove_dir_all(&dir);
        let started = Instant::now();
        let mut ws = Workspace::open(&dir, identity(), 480).expect("open");
        // Each site brings its task plan: 1,000 sites + 1,000 plans + 2,000 inspections + 1,000 hazards.
        let mut sites = Vec::new();
        for n in 0..1_000 {
            sites.push(
                ws.create_site("grid-1", &format!("site {n}"), "", None, profile.clone())
                    .expect("site"),
            );
        }
        for n in 0..2_000 {
            let insp = ws
                .start_inspection(&sites[n % sites.len()], Purpose::Patrol)
                .expect("inspection");
            ws.answer(&insp, "fire-law.exits-clear", AnswerValue::Pass, "")
                .expect("answer");
        }
        for site in &sites {
            let h = NewHazard {
                site_id: site.clone(),
                title: "通道堵塞".into(),
                severity: Severity::General,
                clauses: vec![],
                measure: String::new(),
                deadline: None,
            };
            ws.raise_hazard(&h, "", &[]).expect("hazard");
        }
        println!(
            "built a {DOCS}-document workspace in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }

    let mut opens = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let ws = Workspace::open(&dir, identity(), 480).expect("open");
        opens.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(ws.summaries().count() >= DOCS);
    }
    opens.sort_by(f64::total_cmp);
    println!(
        "open {DOCS} documents: median {:.0} ms, max {:.0} ms (target < 1000 ms)",
        percentile(&opens, 0.5),
        opens[opens.len() - 1]
    );

    let mut ws = Workspace::open(&dir, identity(), 480).expect("open");
    let site = ws
        .summaries()
        .find(|s| s.kind == closeloop_model::doc::DocKind::Site)
        .expect("site")
        .id
        .clone();
    let insp = ws
        .start_inspection(&site, Purpose::FullInspection)
        .expect("inspection");
    let items: Vec<String> = ws
        .inspection(&insp)
        .expect("read")
        .checklist
        .items
        .iter()
        .filter(|i| matches!(i.answer, closeloop_checklists::Answer::PassFail))
        .map(|i| i.id.clone())
        .collect();
    let mut times = Vec::new();
    for n in 0..1_000 {
        let t = Instant::now();
        ws.answer(&insp, &items[n % items.len()], AnswerValue::Pass, "")
            .expect("answer");
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "answer an item (1,000 answers on one inspection, fsync each): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 < 5 ms)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1]
    );
}
