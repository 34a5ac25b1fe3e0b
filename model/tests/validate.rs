//! The push rules: each refusal names its rule, and honest edits pass.

use automerge::{AutoCommit, ROOT, transaction::Transactable};
use closeloop_checklists::{Purpose, SiteProfile, builtin};
use closeloop_model::doc::inspection::{self, AnswerValue, ItemAnswer, SignOff};
use closeloop_model::doc::{DocKind, Header, hazard};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity};
use closeloop_model::roles::{Actor, Role, Scope, SiteRef};
use closeloop_model::validate::{Records, check_update};

fn site() -> SiteRef {
    SiteRef {
        org_id: "org".into(),
        grid_id: "g1".into(),
        site_id: "s1".into(),
    }
}

fn actor(user: &str, role: Role) -> Actor {
    let scope = match role {
        Role::Owner => Scope {
            org_id: "org".into(),
            grids: vec![],
            sites: vec!["s1".into()],
        },
        Role::Inspector => Scope {
            org_id: "org".into(),
            grids: vec!["g1".into()],
            sites: vec![],
        },
        _ => Scope {
            org_id: "org".into(),
            grids: vec![],
            sites: vec![],
        },
    };
    Actor {
        user_id: user.into(),
        role,
        scope,
    }
}

fn ev(id: &str, kind: EventKind, by: &str, role: Role, photos: &[&str]) -> Event {
    Event {
        id: id.into(),
        kind,
        by: by.into(),
        role,
        at: 1,
        note: String::new(),
        photos: photos.iter().map(|s| s.to_string()).collect(),
    }
}

fn report() -> EventKind {
    EventKind::Reported(Report {
        title: "blocked".into(),
        severity: Severity::General,
        clauses: vec![],
        item_id: None,
        gb35181: None,
        measure: String::new(),
        deadline: None,
    })
}

fn new_hazard(by: &str, role: Role, photos: &[&str]) -> AutoCommit {
    let mut d = AutoCommit::new();
    let h = Header {
        kind: DocKind::Hazard,
        id: "h1".into(),
        site: site(),
    };
    hazard::create(&mut d, &h, None, &ev("e1", report(), by, role, photos)).expect("create");
    d
}

const BEFORE: &str = "b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4";
const AFTER: &str = "afafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafaf";

fn known() -> Records {
    Records {
        site: Some(site()),
        grid_exists: true,
        profiles: vec![
            SiteProfile::from_toml(include_str!("../../checklists/profiles/small-shop.toml"))
                .expect("profile"),
        ],
    }
}

fn yes(_: &str) -> bool {
    true
}

fn rule<T: std::fmt::Debug>(r: Result<T, closeloop_model::permission::Denied>) -> &'static str {
    r.expect_err("refused").rule
}

#[test]
fn an_inspectors_report_and_assignment_pass() {
    let wang = actor("wang", Role::Inspector);
    let d = new_hazard("wang", Role::Inspector, &[]);
    assert_eq!(
        check_update::<AutoCommit, _>(&wang, &known(), None, &d, &yes),
        Ok(())
    );
    let mut after = d.clone();
    hazard::append_event(
        &mut after,
        &ev(
            "e2",
            EventKind::Assigned {
                assignee: "zhang".into(),
                deadline: 9,
                measure: String::new(),
            },
            "wang",
            Role::Inspector,
            &[],
        ),
    )
    .expect("append");
    assert_eq!(
        check_update(&wang, &known(), Some(&d), &after, &yes),
        Ok(())
    );
}

#[test]
fn forged_names_wrong_roles_and_rewritten_history_are_refused() {
    let d = new_hazard("wang", Role::Inspector, &[]);
    let zhang = actor("zhang", Role::Owner);
    // An owner accepting, even in a supervisor's name, is refused.
    let mut forged = d.clone();
    hazard::append_event(
        &mut forged,
        &ev("e2", EventKind::Accepted, "li", Role::Supervisor, &[]),
    )
    .expect("append");
    assert_eq!(
        rule(check_update(&zhang, &known(), Some(&d), &forged, &yes)),
        "doc.author_mismatch"
    );
    let mut accept = d.clone();
    hazard::append_event(
        &mut accept,
        &ev("e2", EventKind::Accepted, "zhang", Role::Owner, &[]),
    )
    .expect("append");
    assert_eq!(
        rule(check_update(&zhang, &known(), Some(&d), &accept, &yes)),
        "hazard.accept.supervisor_only"
    );
    // Rewriting the report is refused.
    let mut rewritten = d.clone();
    let events = match automerge::ReadDoc::get(&rewritten, ROOT, "events").expect("get") {
        Some((_, id)) => id,
        None => panic!("events list"),
    };
    let original = closeloop_model::doc::raw_records(&d, "events").expect("records")[0].clone();
    rewritten
        .put(&events, 0, original.replace("blocked", "nothing wrong"))
        .expect("put");
    assert_eq!(
        rule(check_update(
            &actor("wang", Role::Inspector),
            &known(),
            Some(&d),
            &rewritten,
            &yes
        )),
        "doc.append_only"
    );
    // Moving the hazard to another site is refused.
    let mut moved = d.clone();
    moved.put(ROOT, "site_id", "s2").expect("put");
    assert_eq!(
        rule(check_update(
            &actor("li", Role::Supervisor),
            &known(),
            Some(&d),
            &moved,
            &yes
        )),
        "doc.header_changed"
    );
    // A hazard in a site outside the pusher's grids is refused.
    let outsider = Actor {
        scope: Scope {
            org_id: "org".into(),
            grids: vec!["g9".into()],
            sites: vec![],
        },
        ..actor("zhao", Role::Inspector)
    };
    let theirs = new_hazard("zhao", Role::Inspector, &[]);
    assert_eq!(
        rule(check_update::<AutoCommit, _>(
            &outsider,
            &known(),
            None,
            &theirs,
            &yes
        )),
        "placement.unknown_site"
    );
}

#[test]
fn acceptance_waits_for_the_evidence() {
    let mut d = new_hazard("wang", Role::Inspector, &[BEFORE]);
    hazard::append_event(
        &mut d,
        &ev(
            "e2",
            EventKind::FixedOnSpot,
            "wang",
            Role::Inspector,
            &[AFTER],
        ),
    )
    .expect("append");
    let li = actor("li", Role::Supervisor);
    let mut accepted = d.clone();
    hazard::append_event(
        &mut accepted,
        &ev("e3", EventKind::Accepted, "li", Role::Supervisor, &[]),
    )
    .expect("append");
    let only_before = |sha: &str| sha == BEFORE;
    let e = check_update(&li, &known(), Some(&d), &accepted, &only_before).expect_err("gate");
    assert_eq!(e.rule, "evidence.incomplete");
    assert!(e.reason.contains(AFTER), "{}", e.reason);
    assert_eq!(
        check_update(&li, &known(), Some(&d), &accepted, &yes),
        Ok(())
    );
}

#[test]
fn a_signed_off_inspection_only_takes_supervisor_comments() {
    let p = SiteProfile::from_toml(include_str!("../../checklists/profiles/small-shop.toml"))
        .expect("profile");
    let c = builtin().generate(&p, Purpose::Patrol);
    let mut d = AutoCommit::new();
    let h = Header {
        kind: DocKind::Inspection,
        id: "i1".into(),
        site: site(),
    };
    inspection::create(&mut d, &h, "wang", 1, &c).expect("create");
    let wang = actor("wang", Role::Inspector);
    assert_eq!(
        check_update::<AutoCommit, _>(&wang, &known(), None, &d, &yes),
        Ok(())
    );
    inspection::sign_off(
        &mut d,
        &SignOff {
            by: "wang".into(),
            at: 2,
            note: String::new(),
        },
    )
    .expect("sign");
    let mut edited = d.clone();
    inspection::answer(
        &mut edited,
        &ItemAnswer {
            id: "a".into(),
            item_id: c.items[0].id.clone(),
            value: AnswerValue::Fail,
            note: String::new(),
            by: "wang".into(),
            at: 3,
        },
    )
    .expect("answer");
    assert_eq!(
        rule(check_update(&wang, &known(), Some(&d), &edited, &yes)),
        "inspection.signed_off"
    );
    let mut unsigned = d.clone();
    unsigned.delete(ROOT, "signed_off").expect("delete");
    assert_eq!(
        rule(check_update(&wang, &known(), Some(&d), &unsigned, &yes)),
        "inspection.signed_off"
    );
    let mut commented = d.clone();
    inspection::comment(
        &mut commented,
        &inspection::Comment {
            id: "c".into(),
            by: "li".into(),
            at: 4,
            text: "ok".into(),
        },
    )
    .expect("comment");
    assert_eq!(
        check_update(
            &actor("li", Role::Supervisor),
            &known(),
            Some(&d),
            &commented,
            &yes
        ),
        Ok(())
    );
    assert_eq!(
        rule(check_update(&wang, &known(), Some(&d), &commented, &yes)),
        "inspection.comment"
    );
}

fn hazard_at(place: SiteRef, by: &str, role: Role) -> AutoCommit {
    let mut d = AutoCommit::new();
    let h = Header {
        kind: DocKind::Hazard,
        id: "h9".into(),
        site: place,
    };
    hazard::create(&mut d, &h, None, &ev("e1", report(), by, role, &[])).expect("create");
    d
}

/// The findings of the adversarial review: a document's placement is the server's records, never
/// the header a device pushes.
#[test]
fn placement_comes_from_the_servers_records() {
    let wang = actor("wang", Role::Inspector);
    // A site of another grid, as the server records it: the inspector of g1 may not reach it, and
    // is told exactly what he would be told of a site that does not exist.
    let other_grid = Records {
        site: Some(SiteRef {
            grid_id: "g2".into(),
            site_id: "s2".into(),
            ..site()
        }),
        grid_exists: true,
        profiles: vec![],
    };
    let claimed = hazard_at(
        SiteRef {
            grid_id: "g2".into(),
            site_id: "s2".into(),
            ..site()
        },
        "wang",
        Role::Inspector,
    );
    let outside = check_update::<AutoCommit, _>(&wang, &other_grid, None, &claimed, &yes)
        .expect_err("refused");
    let absent = check_update::<AutoCommit, _>(&wang, &Records::default(), None, &claimed, &yes)
        .expect_err("refused");
    assert_eq!(outside, absent, "outside scope answers as absent");
    assert_eq!(outside.rule, "placement.unknown_site");
    // An owner names his own site but another grid: the server's grid wins, the push is refused.
    let zhang = actor("zhang", Role::Owner);
    let moved = hazard_at(
        SiteRef {
            grid_id: "g2".into(),
            ..site()
        },
        "zhang",
        Role::Owner,
    );
    assert_eq!(
        rule(check_update::<AutoCommit, _>(
            &zhang,
            &known(),
            None,
            &moved,
            &yes
        )),
        "placement.mismatch"
    );
    // Another organisation's header on a known site.
    let foreign = hazard_at(
        SiteRef {
            org_id: "org2".into(),
            ..site()
        },
        "wang",
        Role::Inspector,
    );
    assert_eq!(
        rule(check_update::<AutoCommit, _>(
            &wang,
            &known(),
            None,
            &foreign,
            &yes
        )),
        "placement.mismatch"
    );
}

fn site_doc(id: &str, place: SiteRef) -> AutoCommit {
    let mut d = AutoCommit::new();
    closeloop_model::doc::site::create(
        &mut d,
        &closeloop_model::doc::site::Site {
            header: Header {
                kind: DocKind::Site,
                id: id.into(),
                site: place,
            },
            name: "shop".into(),
            address: String::new(),
            location: None,
            profile: SiteProfile::from_toml(include_str!(
                "../../checklists/profiles/small-shop.toml"
            ))
            .expect("profile"),
            utc_offset_minutes: Some(480),
        },
    )
    .expect("site");
    d
}

#[test]
fn a_new_site_lies_in_a_real_grid_of_ones_own() {
    let wang = actor("wang", Role::Inspector);
    let new = Records::default();
    let in_g1 = site_doc(
        "s7",
        SiteRef {
            site_id: "s7".into(),
            ..site()
        },
    );
    let grid_known = Records {
        site: None,
        grid_exists: true,
        profiles: vec![],
    };
    assert_eq!(
        check_update::<AutoCommit, _>(&wang, &grid_known, None, &in_g1, &yes),
        Ok(())
    );
    // The grid does not exist, or is not one of his: the same answer.
    let unknown = check_update::<AutoCommit, _>(&wang, &new, None, &in_g1, &yes).expect_err("x");
    let in_g2 = site_doc(
        "s7",
        SiteRef {
            grid_id: "g2".into(),
            site_id: "s7".into(),
            ..site()
        },
    );
    let not_his =
        check_update::<AutoCommit, _>(&wang, &grid_known, None, &in_g2, &yes).expect_err("refused");
    assert_eq!(unknown.rule, "placement.unknown_grid");
    assert_eq!(not_his.rule, "placement.unknown_grid");
    // A site document is its own site.
    let liar = site_doc(
        "s7",
        SiteRef {
            site_id: "s1".into(),
            ..site()
        },
    );
    assert_eq!(
        rule(check_update::<AutoCommit, _>(
            &wang,
            &grid_known,
            None,
            &liar,
            &yes
        )),
        "doc.site_id"
    );
}

#[test]
fn rules_the_phone_checked_alone_are_the_servers_too() {
    let wang = actor("wang", Role::Inspector);
    let mut untitled = AutoCommit::new();
    let h = Header {
        kind: DocKind::Hazard,
        id: "h1".into(),
        site: site(),
    };
    let blank = EventKind::Reported(Report {
        title: "  ".into(),
        severity: Severity::General,
        clauses: vec![],
        item_id: None,
        gb35181: None,
        measure: String::new(),
        deadline: None,
    });
    hazard::create(
        &mut untitled,
        &h,
        None,
        &ev("e1", blank, "wang", Role::Inspector, &[]),
    )
    .expect("create");
    assert_eq!(
        rule(check_update::<AutoCommit, _>(
            &wang,
            &known(),
            None,
            &untitled,
            &yes
        )),
        "hazard.title_required"
    );
    let zhang = actor("zhang", Role::Owner);
    let d = new_hazard("wang", Role::Inspector, &[]);
    let mut bare = d.clone();
    hazard::append_event(
        &mut bare,
        &ev(
            "e2",
            EventKind::RectificationSubmitted,
            "zhang",
            Role::Owner,
            &[],
        ),
    )
    .expect("append");
    assert_eq!(
        rule(check_update(&zhang, &known(), Some(&d), &bare, &yes)),
        "hazard.rectify.photo_required"
    );
    let mut not_a_photo = d.clone();
    hazard::append_event(
        &mut not_a_photo,
        &ev(
            "e2",
            EventKind::RectificationSubmitted,
            "zhang",
            Role::Owner,
            &["../x"],
        ),
    )
    .expect("append");
    assert_eq!(
        rule(check_update(&zhang, &known(), Some(&d), &not_a_photo, &yes)),
        "hazard.photo_ref"
    );
}

#[test]
fn a_document_carries_only_the_keys_of_its_kind() {
    let wang = actor("wang", Role::Inspector);
    let d = new_hazard("wang", Role::Inspector, &[]);
    let mut stray = d.clone();
    stray.put(ROOT, "payload", "anything at all").expect("put");
    assert_eq!(
        rule(check_update(&wang, &known(), Some(&d), &stray, &yes)),
        "doc.unknown_key"
    );
    let mut fresh = new_hazard("wang", Role::Inspector, &[]);
    fresh.put(ROOT, "payload", 1).expect("put");
    assert_eq!(
        rule(check_update::<AutoCommit, _>(
            &wang,
            &known(),
            None,
            &fresh,
            &yes
        )),
        "doc.unknown_key"
    );
}

fn inspection_with(c: &closeloop_checklists::Checklist) -> AutoCommit {
    let mut d = AutoCommit::new();
    let h = Header {
        kind: DocKind::Inspection,
        id: "i9".into(),
        site: site(),
    };
    inspection::create(&mut d, &h, "wang", 1, c).expect("create");
    d
}

/// A checklist is what the packs generate for the site, not what a client says it is.
#[test]
fn an_inspection_carries_the_checklist_the_packs_generate_for_its_site() {
    let wang = actor("wang", Role::Inspector);
    let shop = SiteProfile::from_toml(include_str!("../../checklists/profiles/small-shop.toml"))
        .expect("profile");
    let real = builtin().generate(&shop, Purpose::Patrol);
    assert_eq!(
        check_update::<AutoCommit, _>(&wang, &known(), None, &inspection_with(&real), &yes),
        Ok(())
    );
    // A hand-made one-item checklist.
    let mut one = real.clone();
    one.items.truncate(1);
    assert_eq!(
        rule(check_update::<AutoCommit, _>(
            &wang,
            &known(),
            None,
            &inspection_with(&one),
            &yes
        )),
        "inspection.checklist_mismatch"
    );
    // An item's clause rewritten.
    let mut reworded = real.clone();
    reworded.items[0].text_zh = "随便检查一下".into();
    assert_eq!(
        rule(check_update::<AutoCommit, _>(
            &wang,
            &known(),
            None,
            &inspection_with(&reworded),
            &yes
        )),
        "inspection.checklist_mismatch"
    );
    // Packs this server does not have.
    let mut foreign = real.clone();
    foreign.packs[0].content_hash = "0".repeat(64);
    assert_eq!(
        rule(check_update::<AutoCommit, _>(
            &wang,
            &known(),
            None,
            &inspection_with(&foreign),
            &yes
        )),
        "inspection.unknown_pack"
    );
    // The checklist of another site's profile is not this site's.
    let kitchen = SiteProfile::from_toml(include_str!(
        "../../checklists/profiles/restaurant-lpg.toml"
    ))
    .expect("profile");
    let theirs = builtin().generate(&kitchen, Purpose::Patrol);
    assert_eq!(
        rule(check_update::<AutoCommit, _>(
            &wang,
            &known(),
            None,
            &inspection_with(&theirs),
            &yes
        )),
        "inspection.checklist_mismatch"
    );
    // A profile the site had before counts: the checklist was made then.
    let mut history = known();
    history.profiles.push(kitchen);
    assert_eq!(
        check_update::<AutoCommit, _>(&wang, &history, None, &inspection_with(&theirs), &yes),
        Ok(())
    );
}

/// An answer is to an item of the checklist and of the kind the item takes: the same judgement
/// the phone makes before writing it.
#[test]
fn answers_are_to_the_checklists_items_in_their_kind() {
    let wang = actor("wang", Role::Inspector);
    let shop = SiteProfile::from_toml(include_str!("../../checklists/profiles/small-shop.toml"))
        .expect("profile");
    let c = builtin().generate(&shop, Purpose::FullInspection);
    let d = inspection_with(&c);
    let pass_fail = c
        .items
        .iter()
        .find(|i| matches!(i.answer, closeloop_checklists::Answer::PassFail))
        .expect("a pass/fail item");
    let dated = c
        .items
        .iter()
        .find(|i| matches!(i.answer, closeloop_checklists::Answer::Date { .. }))
        .expect("a dated item");
    // 2026-12-01 20:00 UTC.
    const AT: i64 = 1_796_155_200_000;
    let with = |item: &str, value: AnswerValue| {
        let mut e = d.clone();
        inspection::answer(
            &mut e,
            &ItemAnswer {
                id: "a1".into(),
                item_id: item.into(),
                value,
                note: String::new(),
                by: "wang".into(),
                at: AT,
            },
        )
        .expect("answer");
        check_update(&wang, &known(), Some(&d), &e, &yes)
    };
    assert_eq!(with(&pass_fail.id, AnswerValue::Fail), Ok(()));
    assert_eq!(
        rule(with("made.up.item", AnswerValue::Pass)),
        "inspection.unknown_item"
    );
    assert_eq!(
        rule(with(&pass_fail.id, AnswerValue::Count { value: 3 })),
        "inspection.answer"
    );
    let date = |v: &str| AnswerValue::Date { value: v.into() };
    assert_eq!(rule(with(&dated.id, date("1 Dec"))), "inspection.answer");
    // Already 2 December east of UTC+4: a site there may date it today.
    assert_eq!(with(&dated.id, date("2026-12-02")), Ok(()));
    assert_eq!(
        rule(with(&dated.id, date("2026-12-03"))),
        "inspection.answer",
        "the future everywhere"
    );
}
