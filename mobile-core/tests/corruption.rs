//! A truncated or corrupted file is detected and reported; the rest of the workspace keeps working.

mod common;

use closeloop::store::Repair;
use closeloop_checklists::Purpose;
use closeloop_model::doc::inspection::AnswerValue;
use common::*;
use std::fs;

#[test]
fn damaged_and_truncated_logs_are_reported_and_the_rest_works() {
    let dir = tempfile::tempdir().expect("tmp");
    let (a, b, c, insp) = {
        let mut ws = open(dir.path(), inspector());
        let a = ws
            .create_site(GRID, "A", "", None, profile("small-shop"))
            .expect("a");
        let b = ws
            .create_site(GRID, "B", "", None, profile("small-shop"))
            .expect("b");
        let c = ws
            .create_site(GRID, "C", "", None, profile("small-shop"))
            .expect("c");
        let insp = ws.start_inspection(&c, Purpose::Patrol).expect("insp");
        for item in [
            "fire-law.exits-clear",
            "fire-law.exits-not-locked",
            "mps61.patrol.fire-electricity",
        ] {
            ws.answer(&insp, item, AnswerValue::Pass, "")
                .expect("answer");
        }
        (a, b, c, insp)
    };
    let docs = dir.path().join("docs");
    // A: bytes flipped in the middle of its only record: unreadable, quarantined.
    let pa = docs.join(format!("{a}.log"));
    let mut data = fs::read(&pa).expect("read");
    let mid = data.len() / 2;
    data[mid] ^= 0x5a;
    fs::write(&pa, &data).expect("write");
    // B: cut in half, as a disk that lost its tail might.
    let pb = docs.join(format!("{b}.log"));
    let data = fs::read(&pb).expect("read");
    fs::write(&pb, &data[..data.len() / 2]).expect("write");
    // The inspection: its last answer torn.
    let pi = docs.join(format!("{insp}.log"));
    let data = fs::read(&pi).expect("read");
    fs::write(&pi, &data[..data.len() - 7]).expect("write");
    // And a stray file that is not a log at all.
    fs::write(docs.join("notes.txt"), b"hello").expect("write");

    let mut ws = open(dir.path(), inspector());
    let repairs = ws.repairs().to_vec();
    assert!(
        repairs.iter().any(
            |r| matches!(r, Repair::Unreadable { file, .. } if file.ends_with(format!("{a}.log")))
        ),
        "{repairs:?}"
    );
    assert!(
        repairs.iter().any(
            |r| matches!(r, Repair::Unreadable { file, .. } if file.ends_with(format!("{b}.log")))
        ),
        "{repairs:?}"
    );
    assert!(
        repairs
            .iter()
            .any(|r| matches!(r, Repair::TornTail { doc, .. } if *doc == insp)),
        "{repairs:?}"
    );
    assert!(
        repairs
            .iter()
            .any(|r| matches!(r, Repair::Unreadable { file, .. } if file.ends_with("notes.txt"))),
        "{repairs:?}"
    );
    assert_eq!(
        fs::read_dir(dir.path().join("quarantine"))
            .expect("quarantine")
            .count(),
        3,
        "damaged files kept for support"
    );

    // The rest keeps working: site C, its inspection (less the torn answer), new work.
    assert!(ws.site(&c).is_ok());
    assert!(
        ws.site(&a).is_err(),
        "the damaged site is not silently half-read"
    );
    let i = ws.inspection(&insp).expect("inspection readable");
    assert_eq!(
        i.answers.len(),
        2,
        "the torn, unacknowledged answer is gone; the others stay"
    );
    ws.answer(
        &insp,
        "mps61.patrol.fire-electricity",
        AnswerValue::Pass,
        "again",
    )
    .expect("new answers work");
    ws.create_site(GRID, "D", "", None, profile("small-shop"))
        .expect("new sites work");
    drop(ws);
    let mut ws = open(dir.path(), inspector());
    assert!(
        ws.repairs().is_empty(),
        "repairs are done once: {:?}",
        ws.repairs()
    );
    assert_eq!(ws.inspection(&insp).expect("reads").answers.len(), 3);
}
