//! Documents round-trip through automerge, merge without losing anyone's edit, and answers are
//! judged against their items.

use automerge::AutoCommit;
use closeloop_checklists::{Answer, Purpose, SiteProfile, builtin};
use closeloop_model::calendar::Date;
use closeloop_model::doc::inspection::{self, AnswerValue, ItemAnswer, Outcome, PhotoRef, SignOff};
use closeloop_model::doc::site::{self, Site};
use closeloop_model::doc::tasks::{self, Completion};
use closeloop_model::doc::{DocError, DocKind, Header, appended, hazard, raw_records};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity, Status};
use closeloop_model::roles::{Role, SiteRef};

const SHOP: &str = include_str!("../../checklists/profiles/restaurant-lpg.toml");

fn site_ref() -> SiteRef {
    SiteRef {
        org_id: "org".into(),
        grid_id: "g1".into(),
        site_id: "s1".into(),
    }
}

fn header(kind: DocKind, id: &str) -> Header {
    Header {
        kind,
        id: id.into(),
        site: site_ref(),
    }
}

fn profile() -> SiteProfile {
    SiteProfile::from_toml(SHOP).expect("valid profile")
}

#[test]
fn site_round_trips_and_concurrent_field_edits_both_survive() {
    let mut a = AutoCommit::new();
    let s = Site {
        header: header(DocKind::Site, "s1"),
        name: "川菜馆".into(),
        address: "1 Road".into(),
        location: Some((31.23, 121.47)),
        profile: profile(),
        utc_offset_minutes: Some(480),
    };
    site::create(&mut a, &s).expect("create");
    assert_eq!(site::read(&a).expect("read"), s);

    let mut b = a.fork();
    let mut p1 = s.profile.clone();
    p1.occupants = 150;
    site::set_profile(&mut a, &p1).expect("edit a");
    let mut p2 = s.profile.clone();
    p2.sprinklers = true;
    site::set_profile(&mut b, &p2).expect("edit b");
    a.merge(&mut b).expect("merge");
    let merged = site::read(&a).expect("read").profile;
    assert_eq!(merged.occupants, 150);
    assert!(merged.sprinklers, "both edits kept");
}

#[test]
fn inspection_keeps_answer_history_and_current_answer() {
    let p = profile();
    let checklist = builtin().generate(&p, Purpose::Patrol);
    let mut doc = AutoCommit::new();
    inspection::create(
        &mut doc,
        &header(DocKind::Inspection, "i1"),
        "ins",
        1,
        &checklist,
    )
    .expect("create");
    let item = checklist.items[0].id.clone();
    for (n, value) in [AnswerValue::Fail, AnswerValue::Pass]
        .into_iter()
        .enumerate()
    {
        inspection::answer(
            &mut doc,
            &ItemAnswer {
                id: format!("a{n}"),
                item_id: item.clone(),
                value,
                note: String::new(),
                by: "ins".into(),
                at: 10 + n as i64,
            },
        )
        .expect("answer");
    }
    inspection::attach_photo(
        &mut doc,
        &PhotoRef {
            sha256: "ab".repeat(32),
            thumb_sha256: "cd".repeat(32),
            width: 1600,
            height: 1200,
            bytes: 200_000,
            item_id: Some(item.clone()),
            taken_at: Some("2026:11:21 10:00:00".into()),
            gps: Some((31.2, 121.4)),
            by: "ins".into(),
            at: 12,
        },
    )
    .expect("photo");
    inspection::sign_off(
        &mut doc,
        &SignOff {
            by: "ins".into(),
            at: 20,
            note: String::new(),
        },
    )
    .expect("sign");
    let read = inspection::read(&doc).expect("read");
    assert_eq!(read.answers.len(), 2);
    assert_eq!(
        read.current_answers()[item.as_str()].value,
        AnswerValue::Pass
    );
    assert_eq!(read.unanswered().len(), checklist.items.len() - 1);
    assert_eq!(read.checklist, checklist);
    assert!(read.signed_off.is_some());
    assert_eq!(read.photos[0].gps, Some((31.2, 121.4)));
}

#[test]
fn answers_are_judged_against_their_bounds() {
    let p = profile();
    let c = builtin().generate(&p, Purpose::FullInspection);
    let today = Date::parse("2026-11-21").expect("date");
    let count = c
        .items
        .iter()
        .find(|i| matches!(i.answer, Answer::Count { .. }))
        .expect("count item");
    let Answer::Count { min } = count.answer else {
        unreachable!()
    };
    assert_eq!(
        inspection::evaluate(count, &AnswerValue::Count { value: min }, today),
        Ok(Outcome::Pass)
    );
    assert!(matches!(
        inspection::evaluate(count, &AnswerValue::Count { value: min - 1 }, today),
        Ok(Outcome::Fail { reason }) if reason.contains("required")
    ));
    assert!(inspection::evaluate(count, &AnswerValue::Pass, today).is_err());

    let date = c
        .items
        .iter()
        .find(|i| matches!(i.answer, Answer::Date { max_age_months: 12 }))
        .expect("yearly date item");
    let ok = AnswerValue::Date {
        value: "2025-11-21".into(),
    };
    let late = AnswerValue::Date {
        value: "2025-11-20".into(),
    };
    assert_eq!(inspection::evaluate(date, &ok, today), Ok(Outcome::Pass));
    assert!(matches!(
        inspection::evaluate(date, &late, today),
        Ok(Outcome::Fail { .. })
    ));
    assert!(
        inspection::evaluate(
            date,
            &AnswerValue::Date {
                value: "2027-01-01".into()
            },
            today
        )
        .is_err()
    );
    assert!(
        inspection::evaluate(
            date,
            &AnswerValue::Date {
                value: "21/11/2025".into()
            },
            today
        )
        .is_err()
    );

    let measure = c
        .items
        .iter()
        .find(|i| matches!(i.answer, Answer::Measure { max: Some(_), .. }))
        .expect("measure");
    let Answer::Measure { max: Some(max), .. } = measure.answer else {
        unreachable!()
    };
    assert_eq!(
        inspection::evaluate(measure, &AnswerValue::Measure { value: max }, today),
        Ok(Outcome::Pass)
    );
    assert!(matches!(
        inspection::evaluate(measure, &AnswerValue::Measure { value: max + 0.5 }, today),
        Ok(Outcome::Fail { .. })
    ));
    assert!(
        inspection::evaluate(measure, &AnswerValue::Measure { value: f64::NAN }, today).is_err()
    );
}

#[test]
fn a_failed_item_prefills_the_hazard_report() {
    let p = profile();
    let c = builtin().generate(&p, Purpose::FullInspection);
    let exits = c
        .items
        .iter()
        .find(|i| i.id == "fire-law.exits-clear")
        .expect("exits item");
    // 2026-11-21 10:00 in UTC+8.
    let now = Date::parse("2026-11-21").expect("date").start_millis(480) + 10 * 3_600_000;
    let r = inspection::report_from_item(exits, c.jurisdiction, "marked failed", now, 480);
    assert!(r.title.starts_with("不符合：疏散通道"), "{}", r.title);
    assert!(
        !r.title.contains("marked failed"),
        "a plain fail adds nothing: {}",
        r.title
    );
    assert_eq!(r.item_id.as_deref(), Some("fire-law.exits-clear"));
    // GB 35181-2017 was withdrawn on 2025-11-01: a failure today is never stamped with its
    // element (the checklist keeps it only as a historical reference).
    assert_eq!(r.gb35181, None);
    assert_eq!(exits.on_fail.gb35181_2017.as_deref(), Some("7.3.3"));
    assert!(r.clauses.iter().any(|c| c.contains("Art. 28")));
    // Fix on the spot: due by the end of today, local time.
    let end_of_day = Date::parse("2026-11-22").expect("date").start_millis(480) - 1;
    assert_eq!(r.deadline, Some(end_of_day));
}

fn event(id: &str, kind: EventKind, by: &str, role: Role, at: i64) -> Event {
    Event {
        id: id.into(),
        kind,
        by: by.into(),
        role,
        at,
        note: String::new(),
        photos: vec![],
    }
}

#[test]
fn hazard_events_merge_and_fold_identically_on_both_sides() {
    let mut a = AutoCommit::new();
    let report = EventKind::Reported(Report {
        title: "Exit blocked".into(),
        severity: Severity::General,
        clauses: vec![],
        item_id: None,
        gb35181: None,
        measure: String::new(),
        deadline: Some(100),
    });
    hazard::create(
        &mut a,
        &header(DocKind::Hazard, "h1"),
        Some("i1"),
        &event("e1", report, "ins", Role::Inspector, 1),
    )
    .expect("create");
    let mut b = a.fork();
    hazard::append_event(
        &mut a,
        &event("e2", EventKind::FixedOnSpot, "ins", Role::Inspector, 2),
    )
    .expect("a");
    hazard::append_event(
        &mut b,
        &event(
            "e3",
            EventKind::Cancelled {
                reason: "dup".into(),
            },
            "sup",
            Role::Supervisor,
            3,
        ),
    )
    .expect("b");
    let mut a2 = a.fork();
    a.merge(&mut b).expect("merge");
    b.merge(&mut a2).expect("merge");
    let (ha, hb) = (
        hazard::read(&a).expect("read"),
        hazard::read(&b).expect("read"),
    );
    assert_eq!(ha.events.len(), 3);
    assert_eq!(ha.state(), hb.state());
    assert!(
        ha.state()
            .status
            .is_some_and(|s| s == Status::Cancelled || s == Status::FixedOnSpot)
    );
    assert_eq!(ha.inspection_id.as_deref(), Some("i1"));
}

#[test]
fn append_only_rule_detects_edits_and_deletions() {
    let before = vec!["a".to_owned(), "b".to_owned()];
    let grown = vec![
        "a".to_owned(),
        "x".to_owned(),
        "b".to_owned(),
        "y".to_owned(),
    ];
    assert_eq!(appended(&before, &grown).map(|v| v.len()), Some(2));
    assert_eq!(
        appended(&before, &["a".to_owned(), "B".to_owned()]),
        None,
        "edited record"
    );
    assert_eq!(appended(&before, &["b".to_owned()]), None, "deleted record");
}

#[test]
fn reading_the_wrong_kind_or_a_future_schema_is_a_typed_error() {
    let mut doc = AutoCommit::new();
    hazard::create(
        &mut doc,
        &header(DocKind::Hazard, "h1"),
        None,
        &event("e1", EventKind::Commented, "ins", Role::Inspector, 1),
    )
    .expect("create");
    assert!(matches!(
        site::read(&doc),
        Err(DocError::WrongKind {
            expected: DocKind::Site,
            ..
        })
    ));
    assert_eq!(raw_records(&doc, "events").expect("records").len(), 1);
    use automerge::{ROOT, transaction::Transactable};
    doc.put(ROOT, "schema", 99_i64).expect("put");
    assert_eq!(
        hazard::read(&doc).map(|_| ()),
        Err(DocError::UnsupportedSchema(99))
    );
}

#[test]
fn task_status_follows_periods_in_local_time() {
    let p = profile();
    let plan = builtin().task_plan(&p);
    let mut doc = AutoCommit::new();
    tasks::create(&mut doc, &header(DocKind::TaskPlan, "t1"), &plan, 0).expect("create");
    let offset = 480;
    let morning = Date::parse("2026-11-21").expect("d").start_millis(offset) + 9 * 3_600_000;
    tasks::complete(
        &mut doc,
        &Completion {
            id: "c1".into(),
            task_id: "mps61.task.closing-check".into(),
            by: "owner".into(),
            at: morning,
            inspection_id: None,
            note: String::new(),
        },
    )
    .expect("complete");
    let read = tasks::read(&doc).expect("read");
    let today = read.status(morning + 3_600_000, offset);
    let closing = today
        .iter()
        .find(|t| t.task.id == "mps61.task.closing-check")
        .expect("task");
    assert!(closing.done);
    let tomorrow = read.status(morning + 86_400_000, offset);
    assert!(
        !tomorrow
            .iter()
            .find(|t| t.task.id == "mps61.task.closing-check")
            .expect("task")
            .done
    );
    let two_hourly = today
        .iter()
        .find(|t| t.task.id == "mps61.task.patrol-every-2h")
        .expect("task");
    assert_eq!(two_hourly.period_end - two_hourly.period_start, 7_200_000);
    // Over the three days starting that day, one of three daily closing checks was done.
    let day0 = Date::parse("2026-11-21").expect("d").start_millis(offset);
    let (on_time, due) = read.compliance(day0, day0 + 3 * 86_400_000, offset);
    assert!(due >= 3 && on_time == 1, "{on_time}/{due}");
}
