//! The console in Debian's Chromium, driven by playwright-core (tests/browser/console.mjs)
//! against a real server process: the supervisor signs in, reviews two rectifications with both
//! photos loaded, rejects one with a reason and accepts the other by keyboard, watches the
//! dashboard follow a phone's sync without a reload, switches language; an owner is offered no
//! verdict and a forged one is refused. Screenshots of every page go to target/screenshots/console
//! (not committed; look at them).

use closeloop::api::{Answer, AnswerKind, HazardAction, InspectionPurpose};
use closeloop_e2e::Phone;
use closeloop_e2e::adversary::{ORG_A, Target};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_closeloop-replica"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// An inspection of `site` failing `fails` pass/fail items, each raised as a hazard with a photo.
fn hazards_at(phone: &Phone, site: &str, fails: usize, seed: u8) -> Vec<String> {
    let insp = phone
        .run(
            phone
                .ws
                .start_inspection(site.to_owned(), InspectionPurpose::Patrol),
        )
        .expect("start");
    let items: Vec<String> = phone
        .run(phone.ws.inspection(insp.clone()))
        .expect("inspection")
        .items
        .into_iter()
        .filter(|i| matches!(i.item.answer, AnswerKind::PassFail))
        .map(|i| i.item.id)
        .take(fails)
        .collect();
    let mut out = Vec::new();
    for (n, item) in items.into_iter().enumerate() {
        phone
            .run(
                phone
                    .ws
                    .answer_item(insp.clone(), item.clone(), Answer::Fail, String::new()),
            )
            .expect("answer");
        let photo = phone.take_photo(&format!("before-{seed}-{n}"), seed + n as u8);
        out.push(
            phone
                .run(
                    phone
                        .ws
                        .raise_hazard(insp.clone(), item, String::new(), vec![photo]),
                )
                .expect("hazard")
                .summary
                .id,
        );
    }
    out
}

#[test]
fn a_supervisor_reviews_decides_and_watches_in_a_real_browser() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium is needed: apt-get install chromium chromium-driver (.ci/run does)"
    );
    let browser = root().join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").exists(),
        "run scripts/tools/browser (npm ci in tests/browser; scripts/test does)"
    );
    let t = Target::start(bin(), &[("login-burst-per-address", "1000")]);
    let restaurant = t.site(ORG_A, "川菜馆");
    // Wang finds three hazards at the restaurant and hands them to its owner, who fixes two.
    let wang = Phone::login(&t.url, "wang");
    wang.sync();
    let zhang = Phone::login(&t.url, "zhang");
    let hz = hazards_at(&wang, &restaurant, 3, 40);
    for id in &hz {
        wang.run(wang.ws.act_on_hazard(
            id.clone(),
            HazardAction::Assign {
                assignee: zhang.user.user_id.clone(),
                deadline: 1_900_000_000_000,
                measure: "立即清理".into(),
            },
            String::new(),
            vec![],
        ))
        .expect("assign");
    }
    wang.sync();
    zhang.sync();
    for (n, id) in hz[..2].iter().enumerate() {
        zhang
            .run(zhang.ws.act_on_hazard(
                id.clone(),
                HazardAction::SubmitRectification,
                "已整改".into(),
                vec![zhang.take_photo(&format!("after-{n}"), 90 + n as u8)],
            ))
            .expect("rectify");
    }
    let r = zhang.sync();
    assert!(
        r.refused.is_empty() && r.upload_failures.is_empty(),
        "{r:?}"
    );

    let shots = root().join("target/screenshots/console");
    let mut child = Command::new("node")
        .arg(browser.join("console.mjs"))
        .arg(&t.url)
        .arg(&shots)
        .args([&hz[0], &hz[1], &hz[2]])
        .env("CHROMIUM", &chromium)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut done = false;
    for line in stdout.lines() {
        let line = line.expect("line");
        match line.as_str() {
            "PHONE" => {
                // A phone finds a new hazard at another site and syncs.
                let shop = t.site(ORG_A, "便利店");
                hazards_at(&wang, &shop, 1, 70);
                wang.sync();
                writeln!(stdin, "SYNCED").expect("answer the script");
            }
            "DONE" => done = true,
            other => println!("{other}"),
        }
    }
    let status = child.wait().expect("node ends");
    assert!(
        status.success() && done,
        "the browser script failed: {status}\n{}",
        t.log()
    );
}
