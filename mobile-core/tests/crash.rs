//! Crash safety: a child process does random operations and is killed with SIGKILL at random
//! moments, 200 times. Each time the workspace must reopen without error and every operation the
//! child acknowledged (printed after the call returned) must be there.

mod common;

use closeloop::workspace::{HazardFilter, NewHazard, PhotoInput, Workspace};
use closeloop_checklists::Purpose;
use closeloop_model::doc::inspection::AnswerValue;
use closeloop_model::lifecycle::{EventKind, Severity};
use common::*;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const RUNS: usize = 200;

/// A small deterministic generator, so a failure can be replayed from its seed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn ack(line: String) {
    let mut out = std::io::stdout().lock();
    // The parent only counts lines it received in full.
    let _ = writeln!(out, "ACK {line}");
    let _ = out.flush();
}

/// The child: runs until killed. Ignored unless the parent starts it.
#[test]
#[ignore = "run by crash_safety as a child process"]
fn crash_child() {
    let Ok(dir) = std::env::var("CLOSELOOP_CRASH_DIR") else {
        return;
    };
    let seed: u64 = std::env::var("CLOSELOOP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut rng = Lcg(seed);
    let mut ws =
        Workspace::open(std::path::Path::new(&dir), inspector(), 480).expect("child opens");
    let photo = jpeg(64, 48);
    loop {
        let sites: Vec<String> = ws
            .summaries()
            .filter(|s| s.kind == closeloop_model::doc::DocKind::Site)
            .map(|s| s.id.clone())
            .collect();
        let inspections: Vec<String> = ws.inspections(None).into_iter().map(|s| s.id).collect();
        let hazards: Vec<String> = ws
            .hazards(&HazardFilter::default())
            .into_iter()
            .map(|s| s.id)
            .collect();
        match rng.below(8) {
            0 | 1 if sites.len() < 40 || sites.is_empty() => {
                let id = ws
                    .create_site(GRID, "店", "", None, profile("restaurant-lpg"))
                    .expect("site");
                ack(format!("site {id}"));
            }
            2 if !sites.is_empty() => {
                let id = ws
                    .start_inspection(&sites[rng.below(sites.len())], Purpose::Patrol)
                    .expect("inspection");
                ack(format!("insp {id}"));
            }
            3 | 4 if !inspections.is_empty() => {
                let insp = &inspections[rng.below(inspections.len())];
                let items = ws.inspection(insp).expect("read").checklist.items;
                let item = &items[rng.below(items.len())];
                let value = if rng.below(2) == 0 {
                    AnswerValue::Pass
                } else {
                    AnswerValue::NotApplicable
                };
                ws.answer(insp, &item.id, value, "").expect("answer");
                ack(format!("ans {insp}"));
            }
            5 if !sites.is_empty() => {
                let h = NewHazard {
                    site_id: sites[rng.below(sites.len())].clone(),
                    title: "杂物堵塞通道".into(),
                    severity: Severity::General,
                    clauses: vec![],
                    measure: String::new(),
                    deadline: None,
                };
                let id = ws.raise_hazard(&h, "", &[]).expect("hazard");
                ack(format!("hz {id}"));
            }
            6 if !hazards.is_empty() => {
                let hz = &hazards[rng.below(hazards.len())];
                ws.hazard_event(hz, EventKind::Commented, "still there", &[])
                    .expect("event");
                ack(format!("evt {hz}"));
            }
            7 if !inspections.is_empty() => {
                let insp = &inspections[rng.below(inspections.len())];
                let p = ws
                    .attach_photo(insp, None, &PhotoInput::Bytes(photo.clone()))
                    .expect("photo");
                ack(format!("photo {insp} {}", p.sha256));
            }
            _ => {}
        }
    }
}

#[derive(Default)]
struct Acked {
    sites: Vec<String>,
    inspections: Vec<String>,
    hazards: Vec<String>,
    answers: HashMap<String, usize>,
    events: HashMap<String, usize>,
    photos: HashMap<String, Vec<String>>,
}

impl Acked {
    fn take(&mut self, output: &str) {
        // Only whole lines count: the last one may have been cut by the kill.
        let complete = &output[..output.rfind('\n').map_or(0, |i| i + 1)];
        for line in complete.lines().filter_map(|l| l.strip_prefix("ACK ")) {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["site", id] => self.sites.push((*id).into()),
                ["insp", id] => self.inspections.push((*id).into()),
                ["hz", id] => self.hazards.push((*id).into()),
                ["ans", id] => *self.answers.entry((*id).into()).or_default() += 1,
                ["evt", id] => *self.events.entry((*id).into()).or_default() += 1,
                ["photo", id, sha] => self
                    .photos
                    .entry((*id).into())
                    .or_default()
                    .push((*sha).into()),
                _ => panic!("unexpected line {line}"),
            }
        }
    }

    fn verify(&self, ws: &mut Workspace, run: usize) {
        for id in self
            .sites
            .iter()
            .chain(&self.inspections)
            .chain(&self.hazards)
        {
            assert!(
                ws.summaries().any(|s| &s.id == id),
                "run {run}: acknowledged {id} lost"
            );
        }
        for (insp, n) in &self.answers {
            let got = ws.inspection(insp).expect("inspection loads").answers.len();
            assert!(
                got >= *n,
                "run {run}: {insp} has {got} answers, {n} acknowledged"
            );
        }
        for (hz, n) in &self.events {
            let got = ws.hazard(hz).expect("hazard loads").events.len() - 1;
            assert!(
                got >= *n,
                "run {run}: {hz} has {got} events, {n} acknowledged"
            );
        }
        for (insp, shas) in &self.photos {
            let refs = ws.inspection(insp).expect("inspection loads").photos.len();
            assert!(
                refs >= shas.len(),
                "run {run}: {insp} lost photo references"
            );
            for sha in shas {
                assert!(ws.blobs().has(sha), "run {run}: blob {sha} lost");
                assert!(
                    ws.blobs().pending().expect("outbox").contains(sha),
                    "run {run}: {sha} left the outbox"
                );
            }
        }
    }
}

#[test]
fn crash_safety_under_sigkill() {
    let dir = tempfile::tempdir().expect("tmp");
    let exe = std::env::current_exe().expect("test binary");
    let mut rng = Lcg(0x5eed);
    let mut acked = Acked::default();
    let mut kills_after_acks = 0;
    for run in 0..RUNS {
        let mut child = Command::new(&exe)
            .args([
                "crash_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CLOSELOOP_CRASH_DIR", dir.path())
            .env("CLOSELOOP_CRASH_SEED", (run as u64 + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("child starts");
        std::thread::sleep(Duration::from_millis(20 + rng.below(120) as u64));
        child.kill().expect("SIGKILL");
        let mut out = String::new();
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut out)
            .expect("read");
        let status = child.wait().expect("reaped");
        assert!(!status.success(), "run {run}: child was not killed");
        let before = acked.sites.len() + acked.answers.values().sum::<usize>();
        acked.take(&out);
        if acked.sites.len() + acked.answers.values().sum::<usize>() > before {
            kills_after_acks += 1;
        }
        let (_, clock) = ticking();
        let mut ws = Workspace::open_with_clock(dir.path(), inspector(), 480, clock)
            .unwrap_or_else(|e| panic!("run {run}: workspace does not reopen: {e}"));
        acked.verify(&mut ws, run);
    }
    assert!(
        kills_after_acks > RUNS / 2,
        "most runs did real work before the kill ({kills_after_acks})"
    );
    assert!(!acked.answers.is_empty() && !acked.events.is_empty() && !acked.photos.is_empty());
}
