//! The push rules: each refusal names its rule, and honest edits pass.

use automerge::{AutoCommit, ROOT, transaction::Transactable};
use closeloop_checklists::{Purpose, SiteProfile, builtin};
use closeloop_model::doc::inspection::{self, AnswerValue, ItemAnswer, SignOff};
use closeloop_model::doc::{DocKind, Header, hazard};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity};
use closeloop_model::roles::{Actor, Role, Scope, SiteRef};
use closeloop_model::validate::check_update;

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
    assert_eq!(check_update::<AutoCommit, _>(&wang, None, &d, &yes), Ok(()));
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
    assert_eq!(check_update(&wang, Some(&d), &after, &yes), Ok(()));
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
        rule(check_update(&zhang, Some(&d), &forged, &yes)),
        "doc.author_mismatch"
    );
    let mut accept = d.clone();
    hazard::append_event(
        &mut accept,
        &ev("e2", EventKind::Accepted, "zhang", Role::Owner, &[]),
    )
    .expect("append");
    assert_eq!(
        rule(check_update(&zhang, Some(&d), &accept, &yes)),
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
            &outsider, None, &theirs, &yes
        )),
        "scope.site"
    );
}

#[test]
fn acceptance_waits_for_the_evidence() {
    let mut d = new_hazard("wang", Role::Inspector, &["before"]);
    hazard::append_event(
        &mut d,
        &ev(
            "e2",
            EventKind::FixedOnSpot,
            "wang",
            Role::Inspector,
            &["after"],
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
    let only_before = |sha: &str| sha == "before";
    let e = check_update(&li, Some(&d), &accepted, &only_before).expect_err("gate");
    assert_eq!(e.rule, "evidence.incomplete");
    assert!(e.reason.contains("after"), "{}", e.reason);
    assert_eq!(check_update(&li, Some(&d), &accepted, &yes), Ok(()));
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
    assert_eq!(check_update::<AutoCommit, _>(&wang, None, &d, &yes), Ok(()));
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
        rule(check_update(&wang, Some(&d), &edited, &yes)),
        "inspection.signed_off"
    );
    let mut unsigned = d.clone();
    unsigned.delete(ROOT, "signed_off").expect("delete");
    assert_eq!(
        rule(check_update(&wang, Some(&d), &unsigned, &yes)),
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
        check_update(&actor("li", Role::Supervisor), Some(&d), &commented, &yes),
        Ok(())
    );
    assert_eq!(
        rule(check_update(&wang, Some(&d), &commented, &yes)),
        "inspection.comment"
    );
}
