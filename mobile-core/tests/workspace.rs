//! The offline flows of a grid worker, a shop owner and a supervisor, through the Rust API.

mod common;

use closeloop::workspace::{Error, HazardFilter, PhotoInput, Workspace};
use closeloop_checklists::{Answer, Purpose};
use closeloop_model::doc::inspection::{AnswerValue, Outcome};
use closeloop_model::lifecycle::{EventKind, Status};
use closeloop_model::roles::Role;
use common::*;

fn new_restaurant(ws: &mut Workspace) -> String {
    ws.create_site(
        GRID,
        "川菜馆",
        "1 Road",
        Some((31.23, 121.47)),
        profile("restaurant-lpg"),
    )
    .expect("site created")
}

#[test]
fn inspector_inspects_raises_and_fixes_on_the_spot_offline() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut ws = open(dir.path(), inspector());
    let site = new_restaurant(&mut ws);
    let checklist = ws
        .checklist(&site, Purpose::FullInspection)
        .expect("checklist");
    assert!(checklist.items.len() > 30);

    let insp = ws
        .start_inspection(&site, Purpose::FullInspection)
        .expect("start");
    let exits = "fire-law.exits-clear";
    assert_eq!(
        ws.answer(&insp, exits, AnswerValue::Fail, "boxes in corridor")
            .expect("answer"),
        Outcome::Fail {
            reason: "marked failed".into()
        }
    );
    let count_item = checklist
        .items
        .iter()
        .find(|i| matches!(i.answer, Answer::Count { .. }))
        .expect("count item");
    assert!(matches!(
        ws.answer(&insp, &count_item.id, AnswerValue::Count { value: 1 }, "")
            .expect("answer"),
        Outcome::Fail { .. }
    ));
    let wrong = ws
        .answer(&insp, &count_item.id, AnswerValue::Pass, "")
        .expect_err("wrong kind refused");
    assert!(matches!(wrong, Error::Answer(_)), "{wrong}");

    ws.attach_photo(&insp, Some(exits), &PhotoInput::Bytes(jpeg(640, 480)))
        .expect("photo");
    let hz = ws
        .raise_hazard_from_item(&insp, exits, "走廊堆放纸箱", &[])
        .expect("hazard");
    let h = ws.hazard(&hz).expect("read").state();
    assert_eq!(h.status, Some(Status::Reported));
    let report = h.report.expect("report");
    assert_eq!(report.item_id.as_deref(), Some(exits));
    assert!(report.clauses.iter().any(|c| c.contains("Art. 28")));
    assert_eq!(
        h.before_photos.len(),
        1,
        "the item's photo is the hazard's before photo"
    );
    assert!(ws.blobs().has(&h.before_photos[0]));

    assert_eq!(
        ws.hazard_event(
            &hz,
            EventKind::FixedOnSpot,
            "moved the boxes",
            &[PhotoInput::Bytes(jpeg(800, 600))]
        )
        .expect("fixed"),
        Status::FixedOnSpot
    );
    ws.sign_off(&insp, "").expect("sign off");
    let frozen = ws
        .answer(&insp, exits, AnswerValue::Pass, "")
        .expect_err("signed off");
    assert!(
        matches!(&frozen, Error::Denied(d) if d.rule == "inspection.signed_off"),
        "{frozen}"
    );

    let open = ws.hazards(&HazardFilter {
        open_only: true,
        ..HazardFilter::default()
    });
    assert_eq!(open.len(), 1);
    assert_eq!(
        ws.blobs().pending().expect("outbox").len(),
        4,
        "two photos and their thumbnails await upload"
    );
}

#[test]
fn the_loop_closes_across_roles_and_survives_reopening() {
    let dir = tempfile::tempdir().expect("tmp");
    let (site, hz) = {
        let mut ws = open(dir.path(), inspector());
        let site = new_restaurant(&mut ws);
        let insp = ws.start_inspection(&site, Purpose::Patrol).expect("start");
        ws.answer(&insp, "fire-law.exits-clear", AnswerValue::Fail, "")
            .expect("answer");
        let hz = ws
            .raise_hazard_from_item(&insp, "fire-law.exits-clear", "", &[])
            .expect("raise");
        ws.hazard_event(
            &hz,
            EventKind::Assigned {
                assignee: "zhang".into(),
                deadline: T0 + 86_400_000,
                measure: String::new(),
            },
            "",
            &[],
        )
        .expect("assign");
        (site, hz)
    };
    {
        let mut owner = open(dir.path(), identity("zhang", Role::Owner, &[&site]));
        let accept = owner
            .hazard_event(&hz, EventKind::Accepted, "", &[])
            .expect_err("owner cannot accept");
        assert!(
            matches!(&accept, Error::Denied(d) if d.rule == "hazard.accept.supervisor_only"),
            "{accept}"
        );
        let no_photo = owner
            .hazard_event(&hz, EventKind::RectificationSubmitted, "done", &[])
            .expect_err("needs photo");
        assert!(matches!(no_photo, Error::Invalid { .. }));
        let st = owner
            .hazard_event(
                &hz,
                EventKind::RectificationSubmitted,
                "cleared",
                &[PhotoInput::Bytes(jpeg(800, 600))],
            )
            .expect("rectify");
        assert_eq!(st, Status::RectificationSubmitted);
    }
    let mut sup = open(dir.path(), supervisor());
    let waiting = sup.hazards(&HazardFilter {
        statuses: vec![Status::RectificationSubmitted],
        ..HazardFilter::default()
    });
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        sup.hazard_event(
            &hz,
            EventKind::Rejected {
                reason: "still boxes".into()
            },
            "",
            &[]
        )
        .expect("reject"),
        Status::Rejected
    );
    let again = sup
        .hazard_event(&hz, EventKind::Accepted, "", &[])
        .expect_err("nothing to accept");
    assert!(matches!(again, Error::Lifecycle(_)), "{again}");
    let timeline = sup.hazard(&hz).expect("read").state().timeline;
    assert_eq!(timeline.len(), 4);
    assert!(timeline.iter().all(|t| t.not_applied.is_none()));
}

#[test]
fn scope_and_role_are_checked_before_writing() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut ws = open(dir.path(), identity("zhao", Role::Inspector, &[]));
    let other_grid = ws
        .create_site("grid-9", "X", "", None, profile("small-shop"))
        .expect_err("outside scope");
    assert!(
        matches!(&other_grid, Error::Denied(d) if d.rule == "scope.site"),
        "{other_grid}"
    );
    assert_eq!(ws.summaries().count(), 0, "nothing written");
    drop(ws);
    let mut owner = open(dir.path(), identity("zhang", Role::Owner, &["s1"]));
    let err = owner
        .create_site(GRID, "X", "", None, profile("small-shop"))
        .expect_err("owners do not create sites");
    assert!(matches!(err, Error::Denied(_)));
}

#[test]
fn invalid_input_is_refused_with_the_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut ws = open(dir.path(), inspector());
    let mut p = profile("small-shop");
    p.storeys = 0;
    let e = ws
        .create_site(GRID, "X", "", None, p)
        .expect_err("invalid profile");
    assert!(e.to_string().contains("storeys"), "{e}");
    let e = ws
        .create_site(GRID, "X", "", Some((95.0, 0.0)), profile("small-shop"))
        .expect_err("bad location");
    assert!(matches!(e, Error::Invalid { ref field, .. } if field == "location"));
    let site = ws
        .create_site(GRID, "X", "", None, profile("small-shop"))
        .expect("ok");
    let insp = ws.start_inspection(&site, Purpose::Patrol).expect("start");
    let e = ws
        .answer(&insp, "no.such.item", AnswerValue::Pass, "")
        .expect_err("unknown item");
    assert!(matches!(e, Error::NotFound { .. }));
    let e = ws
        .attach_photo(&insp, None, &PhotoInput::Bytes(b"not a photo".to_vec()))
        .expect_err("not a photo");
    assert!(matches!(e, Error::Photo(_)), "{e}");
    assert!(
        ws.blobs().pending().expect("outbox").is_empty(),
        "nothing stored for a refused photo"
    );
}

#[test]
fn owners_see_todays_tasks_and_complete_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let site = {
        let mut ws = open(dir.path(), inspector());
        new_restaurant(&mut ws)
    };
    let mut owner = open(dir.path(), identity("zhang", Role::Owner, &[&site]));
    let due = owner.due_tasks(None).expect("tasks");
    let patrol = due
        .iter()
        .find(|t| t.status.task.id == "mps61.task.patrol-every-2h")
        .expect("2-hourly patrol due");
    let task_id = patrol.status.task.id.clone();
    let insp = owner
        .start_inspection(&site, Purpose::SelfCheck)
        .expect("self-check");
    owner
        .complete_task(&site, &task_id, Some(&insp), "")
        .expect("complete");
    let due = owner.due_tasks(None).expect("tasks");
    assert!(
        due.iter().all(|t| t.status.task.id != task_id),
        "done for this period"
    );
    let e = owner
        .complete_task(&site, "no-such-task", None, "")
        .expect_err("unknown");
    assert!(matches!(e, Error::NotFound { .. }));
}

#[test]
fn editing_the_profile_regenerates_the_task_plan() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut ws = open(dir.path(), inspector());
    let site = ws
        .create_site(GRID, "小店", "", None, profile("small-shop"))
        .expect("site");
    assert!(
        ws.tasks(&site)
            .expect("tasks")
            .iter()
            .all(|t| t.status.task.id != "mps61.task.patrol-every-2h")
    );
    let mut p = profile("small-shop");
    p.public_gathering_place = true;
    ws.update_profile(&site, p).expect("update");
    assert!(
        ws.tasks(&site)
            .expect("tasks")
            .iter()
            .any(|t| t.status.task.id == "mps61.task.patrol-every-2h")
    );
    assert!(ws.site(&site).expect("site").profile.public_gathering_place);
}

#[test]
fn a_second_process_cannot_open_the_same_workspace() {
    let dir = tempfile::tempdir().expect("tmp");
    let _ws = open(dir.path(), inspector());
    let (_, clock) = ticking();
    let e = Workspace::open_with_clock(dir.path(), inspector(), 480, clock).expect_err("locked");
    assert!(e.to_string().contains("another process"), "{e}");
}

#[test]
fn an_answer_is_judged_in_the_sites_time_zone_not_the_phones() {
    let dir = tempfile::tempdir().expect("tmp");
    // 2026-12-01 20:00 UTC: already 2 December at a site in UTC+8.
    const EVENING_UTC: i64 = 1_796_155_200_000;
    let fixed = || Box::new(|| EVENING_UTC) as Box<dyn Fn() -> i64 + Send>;
    let site = {
        let mut ws =
            Workspace::open_with_clock(dir.path(), inspector(), 480, fixed()).expect("open");
        new_restaurant(&mut ws)
    };
    // The same phone set to UTC (a traveller's phone, or a wrong setting): the site's zone rules.
    let mut ws = Workspace::open_with_clock(dir.path(), inspector(), 0, fixed()).expect("open");
    assert_eq!(ws.site(&site).expect("site").utc_offset(), 480);
    let insp = ws
        .start_inspection(&site, Purpose::FullInspection)
        .expect("start");
    let item = ws
        .inspection(&insp)
        .expect("inspection")
        .checklist
        .items
        .iter()
        .find(|i| matches!(i.answer, Answer::Date { .. }))
        .expect("a dated item")
        .id
        .clone();
    let date = |value: &str| AnswerValue::Date {
        value: value.into(),
    };
    let today_at_site = ws.answer(&insp, &item, date("2026-12-02"), "");
    assert!(
        matches!(today_at_site, Ok(Outcome::Pass)),
        "2 December is today at the site, not a future date: {today_at_site:?}"
    );
    let tomorrow = ws.answer(&insp, &item, date("2026-12-03"), "");
    assert!(tomorrow.is_err(), "3 December is still in the future there");
}
