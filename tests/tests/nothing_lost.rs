//! Nothing lost on the phone, against a real server: work done before the first login is taken
//! on and reaches the server; a refused push refuses only what broke a rule; what is held is
//! listed with its rule, re-applied once it is allowed, or dismissed, and never silently gone.

use closeloop::api::*;
use closeloop_e2e::{Cluster, Phone, assigned_hazard, forge, get, own_actor, token};
use closeloop_model::doc::hazard;
use closeloop_model::lifecycle::{Event, EventKind};
use closeloop_model::roles::Role;
use serde_json::Value;

const EXITS: &str = "fire-law.exits-clear";

fn new_site(grid: &str, name: &str) -> NewSite {
    NewSite {
        grid_id: grid.into(),
        name: name.into(),
        address: "示范路 8 号".into(),
        latitude: Some(31.23),
        longitude: Some(121.47),
        profile: closeloop_e2e::restaurant_profile(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_grid_workers_work_from_before_the_first_login_is_all_on_the_server() {
    let cluster = Cluster::start();
    let url = cluster.url().to_owned();
    // A new grid worker, no signal, never logged in: says they work in grid-1 and grid-2.
    let mut wang = Phone::offline("wang", &["grid-1", "grid-2"]);
    let site = wang
        .run(wang.ws.create_site(new_site("grid-1", "新开的面馆")))
        .expect("site")
        .id;
    let insp = wang
        .run(
            wang.ws
                .start_inspection(site.clone(), InspectionPurpose::Patrol),
        )
        .expect("inspection");
    wang.run(wang.ws.answer_item(
        insp.clone(),
        EXITS.into(),
        Answer::Fail,
        "纸箱堵住后门".into(),
    ))
    .expect("fail");
    wang.run(wang.ws.answer_item(
        insp.clone(),
        "fire-law.exits-not-locked".into(),
        Answer::Pass,
        String::new(),
    ))
    .expect("pass");
    let item_photo = wang
        .run(
            wang.ws
                .attach_photo(insp.clone(), Some(EXITS.into()), wang.take_photo("exit", 1)),
        )
        .expect("photo")
        .sha256;
    let hz = wang
        .run(wang.ws.raise_hazard(
            insp.clone(),
            EXITS.into(),
            "后门".into(),
            vec![wang.take_photo("door", 2)],
        ))
        .expect("hazard");
    let hazard_photos = hz.before_photos.clone();
    assert_eq!(hazard_photos.len(), 2, "the item's photo and the extra one");
    let hz = hz.summary.id;
    // And a site in grid-2, which the server will say is not wang's.
    let elsewhere = wang
        .run(wang.ws.create_site(new_site("grid-2", "仓库")))
        .expect("site")
        .id;

    wang.log_in(&url);
    assert!(wang.user.user_id.starts_with("u-"), "{:?}", wang.user);
    // Not guessed into a grid: held at login, with why, before anything is sent.
    let held = wang.run(wang.ws.quarantined()).expect("quarantine");
    let mut held_docs: Vec<&str> = held.iter().map(|q| q.doc_id.as_str()).collect();
    held_docs.sort();
    let plan = format!("tasks-{elsewhere}");
    let mut expected = vec![elsewhere.as_str(), plan.as_str()];
    expected.sort();
    assert_eq!(held_docs, expected, "{held:?}");
    assert!(
        held.iter()
            .all(|q| !q.by_server && q.rule == "placement.unknown_grid"),
        "{held:?}"
    );

    let report = wang.sync();
    assert!(
        report.refused.is_empty() && report.upload_failures.is_empty(),
        "{report:?}"
    );
    assert!(
        report.accepted >= 4,
        "site, task plan, inspection, hazard: {report:?}"
    );
    assert!(
        report.uploaded >= 4,
        "two photos and their thumbnails: {report:?}"
    );
    assert!(wang.sync().refused.is_empty(), "and nothing left to send");

    // The supervisor finds every piece on the server.
    let li = token(&url, "li");
    let s = get(&url, &li, &format!("/v1/sites/{site}"));
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.body["name"], "新开的面馆");
    assert_eq!(s.body["grid_id"], "grid-1");
    let i = get(&url, &li, &format!("/v1/inspections/{insp}"));
    assert_eq!(i.status, 200, "{}", i.body);
    assert_eq!(i.body["inspector"], wang.user.user_id.as_str());
    let items = i.body["items"].as_array().expect("items");
    let exits = items
        .iter()
        .find(|x| x["item_id"] == EXITS)
        .expect("exits item");
    assert_eq!(exits["answer"]["kind"], "fail", "{exits}");
    assert_eq!(strings(&exits["photos"]), vec![item_photo.clone()]);
    assert!(
        items
            .iter()
            .any(|x| x["item_id"] == "fire-law.exits-not-locked" && x["answer"]["kind"] == "pass")
    );
    let h = get(&url, &li, &format!("/v1/hazards/{hz}"));
    assert_eq!(h.status, 200, "{}", h.body);
    assert_eq!(h.body["inspection_id"], insp.as_str());
    let mut on_server = strings(&h.body["photos"]);
    on_server.sort();
    let mut made = hazard_photos.clone();
    made.sort();
    assert_eq!(on_server, made);
    for sha in hazard_photos.iter().chain([&item_photo]) {
        let b = get(&url, &li, &format!("/v1/blobs/{sha}"));
        assert!(
            b.status == 200 || b.status == 307,
            "photo {sha} readable by li: {}",
            b.status
        );
    }
    let timeline = get(&url, &li, &format!("/v1/hazards/{hz}/timeline"));
    assert_eq!(timeline.status, 200, "{}", timeline.body);
    assert!(
        timeline.body.to_string().contains(&wang.user.user_id),
        "reported in wang's name: {}",
        timeline.body
    );
    // What was held never left the phone.
    assert_eq!(
        get(&url, &li, &format!("/v1/sites/{elsewhere}")).status,
        404
    );
    assert_eq!(wang.run(wang.ws.quarantined()).expect("q").len(), 2);
}

#[test]
fn a_mixed_push_sends_the_allowed_comment_and_holds_the_forbidden_accept() {
    let cluster = Cluster::start();
    let url = cluster.url().to_owned();
    let (_wang, zhang, hz) = assigned_hazard(&cluster);
    zhang
        .run(zhang.ws.act_on_hazard(
            hz.clone(),
            HazardAction::Comment,
            "明天上午清理".into(),
            vec![],
        ))
        .expect("comment");
    // A modified app slips in an acceptance, which no owner may make.
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
    assert_eq!(report.refused.len(), 1, "{report:?}");
    let entry = &report.refused[0];
    assert_eq!(entry.doc_id, hz);
    assert_eq!(entry.rule, "hazard.accept.supervisor_only");
    assert!(entry.by_server);
    assert_eq!(
        entry
            .kept
            .iter()
            .map(|p| (p.kind.as_str(), p.label.as_str()))
            .collect::<Vec<_>>(),
        [("event", "commented: 明天上午清理")]
    );
    assert_eq!(entry.held.len(), 1, "{entry:?}");
    assert_eq!(entry.held[0].id, "self-accept");
    assert_eq!(entry.held[0].rule, "hazard.accept.supervisor_only");
    assert!(!entry.held[0].reason.is_empty());

    // The comment is on the server; the acceptance is not.
    let li = token(&url, "li");
    let t = get(&url, &li, &format!("/v1/hazards/{hz}/timeline"));
    assert_eq!(t.status, 200, "{}", t.body);
    let text = t.body.to_string();
    assert!(text.contains("明天上午清理"), "{text}");
    assert!(!text.contains("self-accept"), "{text}");
    assert_eq!(
        get(&url, &li, &format!("/v1/hazards/{hz}")).body["status"],
        "assigned"
    );
    // On the phone: the comment kept, the acceptance listed with its rule.
    let q = zhang.run(zhang.ws.quarantined()).expect("quarantine");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].entry_id, entry.entry_id);
    assert_eq!(q[0].held[0].label, "accepted");
    let local = zhang.run(zhang.ws.hazard(hz.clone())).expect("hazard");
    assert_eq!(local.summary.status, Some(HazardStatus::Assigned));
    assert!(local.timeline.iter().any(|e| e.note == "明天上午清理"));
    assert!(zhang.sync().refused.is_empty(), "the next sync is clean");

    // Re-applying it changes nothing (an owner still may not accept); dismissing takes it off
    // the list and keeps it on disk.
    let again = zhang
        .run(zhang.ws.reapply_quarantined(entry.entry_id.clone()))
        .expect("reapply");
    assert_eq!(again.held.len(), 1);
    zhang
        .run(zhang.ws.dismiss_quarantined(entry.entry_id.clone()))
        .expect("dismiss");
    assert!(zhang.run(zhang.ws.quarantined()).expect("q").is_empty());
    assert!(
        zhang
            .folder()
            .join("quarantine/dismissed")
            .join(format!("{}.automerge", entry.entry_id))
            .exists()
    );
    let e = zhang
        .run(zhang.ws.dismiss_quarantined(entry.entry_id.clone()))
        .expect_err("gone from the list");
    assert!(matches!(e, CoreError::NotFound { .. }), "{e:?}");
}

#[test]
fn an_acceptance_held_for_its_evidence_is_reapplied_once_the_photo_is_up() {
    let cluster = Cluster::start();
    let url = cluster.url().to_owned();
    let (_wang, zhang, hz) = assigned_hazard(&cluster);
    let after = zhang
        .run(zhang.ws.act_on_hazard(
            hz.clone(),
            HazardAction::SubmitRectification,
            String::new(),
            vec![zhang.take_photo("after", 5)],
        ))
        .expect("rectify")
        .after_photos[0]
        .clone();
    // The photo's upload is held back; the document goes.
    let marker = zhang.folder().join("outbox").join(&after);
    std::fs::remove_file(&marker).expect("hold the upload back");
    zhang.sync();
    let li = Phone::login(&url, "li");
    li.sync();
    li.run(
        li.ws
            .act_on_hazard(hz.clone(), HazardAction::Accept, String::new(), vec![]),
    )
    .expect("accepted offline");
    let report = li.sync();
    assert_eq!(report.refused.len(), 1, "told once: {report:?}");
    let entry = report.refused[0].clone();
    assert_eq!(entry.rule, "evidence.incomplete");
    assert_eq!(entry.held.len(), 1, "{entry:?}");
    assert_eq!(entry.held[0].rule, "evidence.incomplete");
    assert!(entry.held[0].reason.contains(&after), "{entry:?}");
    let listed = li.run(li.ws.quarantined()).expect("quarantine");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].entry_id, entry.entry_id);

    // The photo goes up; the supervisor re-applies, and the next sync sends the acceptance.
    std::fs::write(&marker, b"").expect("queue again");
    assert!(zhang.sync().upload_failures.is_empty());
    let done = li
        .run(li.ws.reapply_quarantined(entry.entry_id.clone()))
        .expect("reapply");
    assert!(done.held.is_empty(), "{done:?}");
    assert_eq!(done.kept[0].label, "accepted");
    assert!(li.run(li.ws.quarantined()).expect("q").is_empty());
    let sent = li.sync();
    assert!(sent.refused.is_empty(), "{sent:?}");
    let t = token(&url, "li");
    assert_eq!(
        get(&url, &t, &format!("/v1/hazards/{hz}")).body["status"],
        "accepted"
    );
}
