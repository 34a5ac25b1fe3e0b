//! What nobody may do is refused by the server with its rule, the user's refused work stays
//! visible in quarantine, and nothing else in the same sync is lost.

use automerge::ActorId;
use closeloop::api::*;
use closeloop_e2e::{Cluster, Phone, assigned_hazard, forge, own_actor};
use closeloop_model::doc::{hazard, inspection};
use closeloop_model::lifecycle::{Event, EventKind};
use closeloop_model::roles::Role;

fn rules(report: &SyncReport) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report
        .refused
        .iter()
        .map(|q| (q.doc_id.clone(), q.rule.clone()))
        .collect();
    v.sort();
    v
}

#[test]
fn forged_actor_and_edited_sign_off_are_refused_alone() {
    let cluster = Cluster::start();
    let site = cluster.restaurant().to_owned();
    let wang = Phone::login(cluster.url(), "wang");
    wang.sync();
    let insp = wang
        .run(
            wang.ws
                .start_inspection(site.clone(), InspectionPurpose::Patrol),
        )
        .expect("start");
    wang.run(wang.ws.answer_item(
        insp.clone(),
        "fire-law.exits-clear".into(),
        Answer::Fail,
        "".into(),
    ))
    .expect("answer");
    let h1 = wang
        .run(wang.ws.raise_hazard(
            insp.clone(),
            "fire-law.exits-clear".into(),
            "".into(),
            vec![],
        ))
        .expect("h1")
        .summary
        .id;
    wang.run(wang.ws.answer_item(
        insp.clone(),
        "fire-law.exits-not-locked".into(),
        Answer::Fail,
        "".into(),
    ))
    .expect("answer");
    let h2 = wang
        .run(wang.ws.raise_hazard(
            insp.clone(),
            "fire-law.exits-not-locked".into(),
            "".into(),
            vec![],
        ))
        .expect("h2")
        .summary
        .id;
    wang.run(wang.ws.sign_off(insp.clone(), "".into()))
        .expect("sign");
    assert!(wang.sync().refused.is_empty());
    let user = wang.user.user_id.clone();

    let (insp2, h1b, h2b, user2) = (insp.clone(), h1.clone(), h2.clone(), user.clone());
    let wang = wang.tamper(move |ws| {
        let me = own_actor(ws);
        // An answer slipped into the signed-off inspection with the device's own actor.
        forge(ws, &insp2, me, |d| {
            inspection::answer(
                d,
                &inspection::ItemAnswer {
                    id: "sneaky".into(),
                    item_id: "fire-law.exits-clear".into(),
                    value: inspection::AnswerValue::Pass,
                    note: String::new(),
                    by: user2.clone(),
                    at: 9,
                },
            )
            .expect("answer");
        });
        // An event written under an actor this device never registered.
        forge(ws, &h1b, ActorId::random(), |d| {
            hazard::append_event(
                d,
                &Event {
                    id: "x".into(),
                    kind: EventKind::Commented,
                    by: user2.clone(),
                    role: Role::Inspector,
                    at: 9,
                    note: "forged".into(),
                    photos: vec![],
                },
            )
            .expect("event");
        });
        // And honest work in the same sync.
        ws.hazard_event(
            &h2b,
            EventKind::Escalated {
                reason: "与其他问题构成重大隐患".into(),
            },
            "",
            &[],
        )
        .expect("escalate");
    });
    let report = wang.sync();
    assert_eq!(
        rules(&report),
        {
            let mut v = vec![
                (insp.clone(), "inspection.signed_off".to_owned()),
                (h1.clone(), "sync.actor_not_bound".to_owned()),
            ];
            v.sort();
            v
        },
        "{report:?}"
    );
    // The refused work is visible, and the documents are back to the server's version.
    let q = wang.run(wang.ws.quarantined()).expect("quarantine");
    assert_eq!(q.len(), 2);
    assert!(q.iter().all(|w| !w.reason.is_empty()));
    let i = wang
        .run(wang.ws.inspection(insp.clone()))
        .expect("inspection");
    assert_eq!(
        i.items
            .iter()
            .find(|x| x.item.id == "fire-law.exits-clear")
            .and_then(|x| x.answer.clone()),
        Some(Answer::Fail)
    );
    let hz1 = wang.run(wang.ws.hazard(h1.clone())).expect("h1");
    assert!(hz1.timeline.iter().all(|t| t.note != "forged"));
    // The honest escalation went through.
    let li = Phone::login(cluster.url(), "li");
    li.sync();
    assert_eq!(
        li.run(li.ws.hazard(h2.clone()))
            .expect("h2")
            .summary
            .severity,
        Severity::Major
    );
    // And the next sync is clean.
    assert!(wang.sync().refused.is_empty());
}

#[test]
fn an_owner_accepting_their_own_rectification_is_refused() {
    let cluster = Cluster::start();
    let (_wang, zhang, hz) = assigned_hazard(&cluster);
    zhang
        .run(zhang.ws.act_on_hazard(
            hz.clone(),
            HazardAction::SubmitRectification,
            "".into(),
            vec![zhang.take_photo("after", 3)],
        ))
        .expect("rectify");
    // The app refuses before writing.
    let e = zhang
        .run(
            zhang
                .ws
                .act_on_hazard(hz.clone(), HazardAction::Accept, "".into(), vec![]),
        )
        .expect_err("owner");
    assert!(
        matches!(&e, CoreError::NotAllowed { rule, .. } if rule == "hazard.accept.supervisor_only"),
        "{e:?}"
    );
    // A modified app writes it anyway; the server refuses it.
    let me = zhang.user.user_id.clone();
    let hz2 = hz.clone();
    let zhang = zhang.tamper(move |ws| {
        let actor = own_actor(ws);
        forge(ws, &hz2, actor, |d| {
            hazard::append_event(
                d,
                &Event {
                    id: "self-accept".into(),
                    kind: EventKind::Accepted,
                    by: me.clone(),
                    role: Role::Owner,
                    at: 9,
                    note: String::new(),
                    photos: vec![],
                },
            )
            .expect("event");
        });
    });
    let report = zhang.sync();
    assert_eq!(
        rules(&report),
        vec![(hz.clone(), "hazard.accept.supervisor_only".to_owned())],
        "{report:?}"
    );
    // The refusal refuses only the acceptance: the rectification in the same push was written
    // again on the server's copy and sent in the same sync; the acceptance stays in quarantine.
    let now = zhang.run(zhang.ws.hazard(hz.clone())).expect("hazard");
    assert_eq!(
        now.summary.status,
        Some(HazardStatus::RectificationSubmitted)
    );
    let q = zhang.run(zhang.ws.quarantined()).expect("q");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].kept[0].label, "rectification_submitted");
    assert_eq!(q[0].held[0].id, "self-accept");
    assert!(zhang.sync().refused.is_empty());
    let li = Phone::login(cluster.url(), "li");
    li.sync();
    assert_eq!(
        li.run(li.ws.hazard(hz)).expect("hz").summary.status,
        Some(HazardStatus::RectificationSubmitted)
    );
}

#[test]
fn acceptance_waits_until_the_evidence_is_on_the_server() {
    let cluster = Cluster::start();
    let (_wang, zhang, hz) = assigned_hazard(&cluster);
    let after = zhang
        .run(zhang.ws.act_on_hazard(
            hz.clone(),
            HazardAction::SubmitRectification,
            "".into(),
            vec![zhang.take_photo("after", 5)],
        ))
        .expect("rectify")
        .after_photos[0]
        .clone();
    // The photo's upload has not happened yet (held back), but the document goes.
    let marker = zhang.folder().join("outbox").join(&after);
    std::fs::remove_file(&marker).expect("hold the upload back");
    zhang.sync();
    let li = Phone::login(cluster.url(), "li");
    li.sync();
    li.run(
        li.ws
            .act_on_hazard(hz.clone(), HazardAction::Accept, "".into(), vec![]),
    )
    .expect("accepted offline");
    let report = li.sync();
    assert_eq!(
        rules(&report),
        vec![(hz.clone(), "evidence.incomplete".to_owned())],
        "{report:?}"
    );
    assert!(
        report.refused[0].reason.contains(&after),
        "{:?}",
        report.refused[0]
    );
    assert_eq!(
        li.run(li.ws.hazard(hz.clone())).expect("hz").summary.status,
        Some(HazardStatus::RectificationSubmitted)
    );
    // Once the photo is uploaded, the same acceptance goes through.
    std::fs::write(&marker, b"").expect("queue again");
    let up = zhang.sync();
    assert!(up.uploaded >= 1 && up.upload_failures.is_empty(), "{up:?}");
    li.run(
        li.ws
            .act_on_hazard(hz.clone(), HazardAction::Accept, "".into(), vec![]),
    )
    .expect("accept");
    assert!(li.sync().refused.is_empty());
    zhang.sync();
    assert_eq!(
        zhang.run(zhang.ws.hazard(hz)).expect("hz").summary.status,
        Some(HazardStatus::Accepted)
    );
}

#[test]
fn a_tampered_photo_is_refused_and_retried_alone() {
    let cluster = Cluster::start();
    let site = cluster.restaurant().to_owned();
    let wang = Phone::login(cluster.url(), "wang");
    wang.sync();
    let insp = wang
        .run(wang.ws.start_inspection(site, InspectionPurpose::Patrol))
        .expect("start");
    let good = wang
        .run(
            wang.ws
                .attach_photo(insp.clone(), None, wang.take_photo("good", 6)),
        )
        .expect("photo")
        .sha256;
    let bad = wang
        .run(
            wang.ws
                .attach_photo(insp.clone(), None, wang.take_photo("bad", 7)),
        )
        .expect("photo")
        .sha256;
    // Bytes changed on the phone after hashing (a damaged file, or tampering).
    let path = wang.folder().join("blobs").join(&bad);
    let mut bytes = std::fs::read(&path).expect("blob");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, bytes).expect("tamper");
    let report = wang.sync();
    assert_eq!(report.upload_failures.len(), 1, "{report:?}");
    assert_eq!(report.upload_failures[0].sha256, bad);
    assert!(
        report.upload_failures[0].reason.contains("SHA-256"),
        "{:?}",
        report.upload_failures[0]
    );
    assert!(
        report.uploaded >= 3,
        "the good photo and both thumbnails still went: {report:?}"
    );
    assert!(
        report.refused.is_empty() && report.accepted >= 1,
        "documents still synced: {report:?}"
    );
    let again = wang.sync();
    assert_eq!(
        again.upload_failures.len(),
        1,
        "retried alone, still refused"
    );
    assert_eq!(again.uploaded, 0);
    let _ = good;
}
