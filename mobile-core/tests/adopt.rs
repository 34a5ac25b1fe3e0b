//! Work done before the first login is taken on by the user who signs in: rewritten in their name
//! and organisation under their actor, same ids, and what they may not do kept visibly in the
//! quarantine. The login itself needs a server (see tests/tests/nothing_lost.rs); here its effect
//! on the workspace is reproduced: the server's user becomes the identity, then adoption runs.

mod common;

use automerge::AutoCommit;
use closeloop::sync::adopt::adopt;
use closeloop::sync::quarantine::{self, RefusedWork};
use closeloop::sync::reapply;
use closeloop::sync::state::SyncState;
use closeloop::workspace::{Identity, NewHazard, PhotoInput, Workspace};
use closeloop_checklists::Purpose;
use closeloop_model::doc::inspection::AnswerValue;
use closeloop_model::doc::{self, hazard, inspection, tasks};
use closeloop_model::lifecycle::Severity;
use closeloop_model::roles::{Role, Scope};
use common::*;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Who the app opens the workspace as before the first login: a typed-in name and grid.
fn provisional(user: &str, org: &str, grids: &[&str]) -> Identity {
    Identity {
        user_id: user.into(),
        display_name: user.into(),
        role: Role::Inspector,
        scope: Scope {
            org_id: org.into(),
            grids: grids.iter().map(|g| g.to_string()).collect(),
            sites: vec![],
        },
        device_id: format!("{user}-phone"),
    }
}

/// The server's description of the user at login.
fn described(user: &str, role: Role, grids: &[&str], sites: &[&str]) -> Identity {
    Identity {
        user_id: user.into(),
        display_name: user.into(),
        role,
        scope: Scope {
            org_id: ORG.into(),
            grids: grids.iter().map(|g| g.to_string()).collect(),
            sites: sites.iter().map(|s| s.to_string()).collect(),
        },
        device_id: "wang-phone".into(),
    }
}

/// What a login does to the workspace once the server has answered.
fn log_in(ws: &Mutex<Workspace>, state: &SyncState, who: Identity) -> Vec<RefusedWork> {
    let provisional = ws
        .lock()
        .expect("lock")
        .provisional_users(&state.known_users());
    ws.lock()
        .expect("lock")
        .set_identity(who)
        .expect("identity");
    adopt(ws, state, provisional).expect("adopt")
}

fn load(ws: &Mutex<Workspace>, id: &str) -> AutoCommit {
    AutoCommit::load(&ws.lock().expect("lock").save_doc(id).expect("save")).expect("load")
}

fn actors(doc: &mut AutoCommit) -> BTreeSet<String> {
    doc.get_changes_meta(&[])
        .iter()
        .map(|c| c.actor.to_hex_string())
        .collect()
}

fn new_site(w: &mut Workspace, grid: &str, name: &str) -> String {
    w.create_site(grid, name, "1 Road", None, profile("restaurant-lpg"))
        .expect("site")
}

#[test]
fn work_made_before_the_first_login_is_rewritten_for_the_user_who_signs_in() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = Mutex::new(open(dir.path(), provisional("wang", "", &[GRID])));
    let exits = "fire-law.exits-clear";
    let (site, insp, hz, photo) = {
        let mut w = ws.lock().expect("lock");
        let site = new_site(&mut w, GRID, "川菜馆");
        let insp = w.start_inspection(&site, Purpose::Patrol).expect("start");
        w.answer(&insp, exits, AnswerValue::Fail, "纸箱堵住后门")
            .expect("fail");
        w.answer(&insp, "fire-law.exits-not-locked", AnswerValue::Pass, "")
            .expect("pass");
        let photo = w
            .attach_photo(&insp, Some(exits), &PhotoInput::Bytes(jpeg(800, 600)))
            .expect("photo")
            .sha256;
        let hz = w
            .raise_hazard_from_item(&insp, exits, "", &[PhotoInput::Bytes(jpeg(640, 480))])
            .expect("hazard");
        (site, insp, hz, photo)
    };
    let plan = format!("tasks-{site}");
    let state = SyncState::default();

    let held = log_in(
        &ws,
        &state,
        described("u-wang", Role::Inspector, &[GRID], &[]),
    );
    assert!(held.is_empty(), "{held:?}");
    assert!(quarantine::list(dir.path()).expect("list").is_empty());

    let me = ws.lock().expect("lock").actor_hex().to_owned();
    for id in [&site, &plan, &insp, &hz] {
        let mut d = load(&ws, id);
        let header = doc::header(&d).expect("header");
        assert_eq!(&header.id, id, "same id");
        assert_eq!(
            header.site.org_id, ORG,
            "{id} is in the user's organisation"
        );
        assert_eq!(header.site.grid_id, GRID);
        assert_eq!(
            actors(&mut d),
            BTreeSet::from([me.clone()]),
            "{id} is written by the user's actor alone"
        );
    }
    let i = inspection::read(&load(&ws, &insp)).expect("inspection");
    assert_eq!(i.inspector, "u-wang");
    assert_eq!(i.answers.len(), 2);
    assert!(i.answers.iter().all(|a| a.by == "u-wang"));
    assert_eq!(i.photos.len(), 1);
    assert_eq!(i.photos[0].sha256, photo);
    assert_eq!(i.photos[0].by, "u-wang");
    assert_eq!(
        i.answers[0].note, "纸箱堵住后门",
        "the work itself is untouched"
    );
    let h = hazard::read(&load(&ws, &hz)).expect("hazard");
    assert_eq!(h.inspection_id.as_deref(), Some(insp.as_str()));
    assert!(
        h.events
            .iter()
            .all(|e| e.by == "u-wang" && e.role == Role::Inspector)
    );
    let state_now = h.state();
    assert!(state_now.before_photos.contains(&photo));
    assert_eq!(state_now.before_photos.len(), 2);
    assert!(
        !tasks::read(&load(&ws, &plan))
            .expect("plan")
            .plan
            .tasks
            .is_empty()
    );
    // The lists still show everything, under the same ids.
    let w = ws.lock().expect("lock");
    for id in [&site, &insp, &hz] {
        assert_eq!(w.doc_summary(id).expect("listed").site.org_id, ORG);
    }
    drop(w);

    // Signing in again (an expired session, say) finds nothing more to take on.
    let before: Vec<_> = [&site, &insp, &hz]
        .iter()
        .map(|id| ws.lock().expect("lock").doc_heads(id).expect("heads"))
        .collect();
    assert!(
        log_in(
            &ws,
            &state,
            described("u-wang", Role::Inspector, &[GRID], &[])
        )
        .is_empty()
    );
    let after: Vec<_> = [&site, &insp, &hz]
        .iter()
        .map(|id| ws.lock().expect("lock").doc_heads(id).expect("heads"))
        .collect();
    assert_eq!(before, after);
}

#[test]
fn a_grid_the_user_does_not_have_is_refused_visibly_and_comes_back_once_given() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = Mutex::new(open(dir.path(), provisional("wang", "", &[GRID, "grid-2"])));
    let (mine, elsewhere, hz) = {
        let mut w = ws.lock().expect("lock");
        let mine = new_site(&mut w, GRID, "面馆");
        let elsewhere = new_site(&mut w, "grid-2", "仓库");
        let hz = w
            .raise_hazard(
                &NewHazard {
                    site_id: elsewhere.clone(),
                    title: "消防通道堆放杂物".into(),
                    severity: Severity::Major,
                    clauses: vec![],
                    measure: "清理".into(),
                    deadline: None,
                },
                "",
                &[],
            )
            .expect("hazard");
        (mine, elsewhere, hz)
    };
    let state = SyncState::default();
    let held = log_in(
        &ws,
        &state,
        described("u-wang", Role::Inspector, &[GRID], &[]),
    );

    // Not guessed into another grid: the site, its task plan and its hazard are held, with why.
    let mut ids: Vec<&str> = held.iter().map(|w| w.doc_id.as_str()).collect();
    ids.sort();
    let plan = format!("tasks-{elsewhere}");
    let mut expected = vec![elsewhere.as_str(), plan.as_str(), hz.as_str()];
    expected.sort();
    assert_eq!(ids, expected, "{held:?}");
    for w in &held {
        assert!(!w.by_server);
        assert_eq!(w.rule, "placement.unknown_grid", "{w:?}");
        assert!(w.reason.contains("grid-2"), "{w:?}");
        assert!(w.kept.is_empty());
        assert_eq!(w.held[0].kind, "document");
    }
    let site_entry = held.iter().find(|w| w.doc_id == elsewhere).expect("site");
    assert_eq!(site_entry.title, "仓库");
    let hz_entry = held.iter().find(|w| w.doc_id == hz).expect("hazard");
    assert!(
        hz_entry
            .reason
            .starts_with("its site could not be taken on")
    );
    {
        let w = ws.lock().expect("lock");
        assert!(
            !w.has_doc(&elsewhere) && !w.has_doc(&hz),
            "held, not half-adopted"
        );
        assert_eq!(w.doc_summary(&mine).expect("mine").site.org_id, ORG);
    }
    assert_eq!(quarantine::list(dir.path()).expect("list").len(), 3);

    // Re-applying changes nothing while the grid is not the user's.
    let again = reapply::reapply(&mut ws.lock().expect("lock"), &site_entry.id).expect("again");
    assert_eq!(again.held.len(), 1);
    assert_eq!(again.held[0].rule, "placement.unknown_grid");
    assert!(!ws.lock().expect("lock").has_doc(&elsewhere));

    // Given the grid (a refresh brings the new scope), the work comes back: site first.
    ws.lock()
        .expect("lock")
        .set_identity(described("u-wang", Role::Inspector, &[GRID, "grid-2"], &[]))
        .expect("scope grows");
    for id in [&elsewhere, &plan, &hz] {
        let entry = held.iter().find(|w| &w.doc_id == id).expect("entry");
        let done = reapply::reapply(&mut ws.lock().expect("lock"), &entry.id).expect("reapply");
        assert!(done.held.is_empty(), "{done:?}");
        assert_eq!(done.kept[0].kind, "document");
        let d = load(&ws, id);
        assert_eq!(doc::header(&d).expect("header").site.org_id, ORG);
    }
    let h = hazard::read(&load(&ws, &hz)).expect("hazard");
    assert_eq!(h.events[0].by, "u-wang");
    assert!(quarantine::list(dir.path()).expect("list").is_empty());
    let resolved = std::fs::read_dir(dir.path().join("quarantine/resolved"))
        .expect("kept for support")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".automerge"))
        })
        .count();
    assert_eq!(resolved, 3);
}

#[test]
fn what_the_users_role_may_not_do_stays_visible_and_the_rest_is_taken_on() {
    // A restaurant the server sent (another writer, already synced), then an owner's phone used
    // before its first login as if by an inspector: an inspection and a hazard.
    let dir = tempfile::tempdir().expect("tmp");
    let (site, site_bytes) = {
        let mut admin = open(&dir.path().join("admin"), supervisor());
        let site = new_site(&mut admin, GRID, "川菜馆");
        let bytes = admin.save_doc(&site).expect("save");
        (site, bytes)
    };
    let root = dir.path().join("zhang");
    let ws = Mutex::new(open(&root, provisional("zhang", ORG, &[GRID])));
    let mut state = SyncState::default();
    {
        let mut w = ws.lock().expect("lock");
        w.apply_remote(&site, &site_bytes).expect("received");
        let heads = w.doc_heads(&site).expect("heads");
        state.set_synced(&site, &heads);
    }
    let (insp, hz) = {
        let mut w = ws.lock().expect("lock");
        let insp = w
            .start_inspection(&site, Purpose::FullInspection)
            .expect("start");
        w.answer(&insp, "fire-law.exits-clear", AnswerValue::Pass, "")
            .expect("answer");
        let hz = w
            .raise_hazard(
                &NewHazard {
                    site_id: site.clone(),
                    title: "燃气软管老化".into(),
                    severity: Severity::General,
                    clauses: vec![],
                    measure: "更换".into(),
                    deadline: None,
                },
                "",
                &[],
            )
            .expect("hazard");
        (insp, hz)
    };
    let held = log_in(
        &ws,
        &state,
        described("u-zhang", Role::Owner, &[], &[&site]),
    );
    assert_eq!(held.len(), 1, "{held:?}");
    let entry = &held[0];
    assert_eq!(entry.doc_id, insp);
    assert_eq!(entry.rule, "inspection.start");
    assert!(entry.reason.contains("owner"), "{entry:?}");
    assert_eq!(
        entry
            .held
            .iter()
            .map(|p| p.kind.as_str())
            .collect::<Vec<_>>(),
        ["document", "answer"],
        "every piece is named"
    );
    assert!(!entry.by_server);
    // Visible in the list, its version on disk, the document no longer in the lists.
    let listed = quarantine::list(&root).expect("list");
    assert_eq!(listed.len(), 1);
    let saved = AutoCommit::load(&quarantine::bytes(&root, &listed[0]).expect("bytes"))
        .expect("the version is kept");
    assert_eq!(
        inspection::read(&saved).expect("inspection").answers.len(),
        1
    );
    assert!(!ws.lock().expect("lock").has_doc(&insp));
    // An owner reports hazards: that one is taken on, in the owner's name and role.
    let h = hazard::read(&load(&ws, &hz)).expect("hazard");
    assert_eq!(h.events[0].by, "u-zhang");
    assert_eq!(h.events[0].role, Role::Owner);
    // The site the server sent is nobody's provisional work: untouched.
    assert_eq!(
        ws.lock().expect("lock").doc_heads(&site).expect("heads"),
        state.synced_heads(&site)
    );
}
