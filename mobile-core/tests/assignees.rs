//! An assignment made offline is judged by the model's rule against the directory of the last
//! sync, so the phone refuses what the server would refuse (`assignee.*`).

mod common;

use closeloop::workspace::{DirectoryEntry, Error, NewHazard, Workspace};
use closeloop_model::lifecycle::{EventKind, Severity, Status};
use common::*;

fn entry(id: &str, role: &str, grids: &[&str], sites: &[&str]) -> DirectoryEntry {
    DirectoryEntry {
        user_id: id.into(),
        display_name: id.into(),
        role: role.into(),
        grid_ids: grids.iter().map(|s| s.to_string()).collect(),
        site_ids: sites.iter().map(|s| s.to_string()).collect(),
    }
}

fn assign(ws: &mut Workspace, hz: &str, who: &str) -> Result<Status, Error> {
    ws.hazard_event(
        hz,
        EventKind::Assigned {
            assignee: who.into(),
            deadline: T0 + 86_400_000,
            measure: String::new(),
        },
        "",
        &[],
    )
}

fn rule(r: Result<Status, Error>) -> String {
    match r {
        Err(Error::Denied(d)) => d.rule.to_owned(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_phone_refuses_an_assignee_its_directory_does_not_show_at_the_site() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut ws = open(dir.path(), inspector());
    let site = ws
        .create_site(GRID, "川菜馆", "1 Road", None, profile("restaurant-lpg"))
        .expect("site");
    let hz = ws
        .raise_hazard(
            &NewHazard {
                site_id: site.clone(),
                title: "灭火器过期".into(),
                severity: Severity::General,
                clauses: vec![],
                measure: String::new(),
                deadline: None,
            },
            "",
            &[],
        )
        .expect("hazard");
    // Before any directory arrived the phone knows nobody and leaves it to the server.
    assert_eq!(ws.directory(), None);
    ws.set_directory(&[
        entry("zhang", "owner", &[], &[&site]),
        entry("chen", "owner", &[], &["site-elsewhere"]),
        entry("li", "supervisor", &[], &[]),
        entry("zhao", "inspector", &["grid-other"], &[]),
    ])
    .expect("directory");
    let site_ref = ws.hazard(&hz).expect("read").header.site;
    let names: Vec<String> = ws
        .assignees(&site_ref)
        .into_iter()
        .map(|e| e.user_id)
        .collect();
    assert_eq!(names, ["zhang"]);
    assert_eq!(rule(assign(&mut ws, &hz, "ghost")), "assignee.unknown");
    assert_eq!(rule(assign(&mut ws, &hz, "chen")), "assignee.cannot_act");
    assert_eq!(rule(assign(&mut ws, &hz, "li")), "assignee.cannot_act");
    assert_eq!(rule(assign(&mut ws, &hz, "zhao")), "assignee.cannot_act");
    assert_eq!(
        ws.hazard(&hz).expect("read").state().status,
        Some(Status::Reported),
        "nothing was written by a refused assignment"
    );
    assert_eq!(
        assign(&mut ws, &hz, "zhang").expect("assign"),
        Status::Assigned
    );
    // The directory is kept in the workspace folder across reopening.
    drop(ws);
    let ws = open(dir.path(), inspector());
    assert_eq!(ws.directory().expect("kept").len(), 4);
}
