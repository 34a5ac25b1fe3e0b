//! A refused push refuses only what broke a rule: after the document is reset to the server's
//! copy, the user's other changes to it are written again and pushed, and only the offending
//! pieces stay in the quarantine, each with its rule. Then the user re-applies what became
//! allowed, or dismisses an entry, and nothing is ever deleted. The server's answers are the
//! protocol's shapes built by hand; tests/tests/nothing_lost.rs runs the same against a server.

mod common;

use automerge::{ActorId, AutoCommit};
use closeloop::sync::apply;
use closeloop::sync::plan::{self, Planned};
use closeloop::sync::quarantine::{self, RefusedWork};
use closeloop::sync::reapply;
use closeloop::sync::state::SyncState;
use closeloop::sync::wire::{self, PushResult, PushStatus, Refusal};
use closeloop::workspace::{Error, NewHazard, PhotoInput, Workspace};
use closeloop_model::doc::hazard;
use closeloop_model::lifecycle::{Event, EventKind, Severity, Status};
use closeloop_model::roles::Role;
use common::*;
use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::sync::Mutex;

fn plan_all(ws: &Mutex<Workspace>, state: &mut SyncState) -> Vec<Planned> {
    let mut w = ws.lock().expect("lock");
    let mut queue: VecDeque<String> = plan::to_push(&mut w, state).into();
    let mut failed = Vec::new();
    let batch = plan::take_batch(&mut w, state, &mut queue, 1000, &mut failed);
    assert!(failed.is_empty(), "{failed:?}");
    batch
}

/// Everything pushed is accepted as it is.
fn accept_all(ws: &Mutex<Workspace>, state: &mut SyncState, root: &Path) {
    let batch = plan_all(ws, state);
    let results: Vec<PushResult> = batch
        .iter()
        .map(|p| PushResult {
            doc_id: p.push.doc_id.clone(),
            status: PushStatus::Accepted,
            heads: p.heads.iter().map(ToString::to_string).collect(),
            refusal: None,
            server_doc: None,
        })
        .collect();
    apply::results(ws, state, root, &batch, &results, &BTreeSet::new()).expect("results");
}

fn refusal(id: &str, rule: &str, server: &[u8]) -> PushResult {
    PushResult {
        doc_id: id.into(),
        status: PushStatus::Refused,
        heads: vec![],
        refusal: Some(Refusal {
            rule: rule.into(),
            reason: format!("refused by {rule}"),
        }),
        server_doc: Some(wire::encode(server)),
    }
}

/// Appends an event with the device's own actor, past the app's own checks (a modified app).
fn forge_event(w: &mut Workspace, id: &str, event: &Event) {
    let hex = w.actor_hex().to_owned();
    let actor = ActorId::from(
        (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect::<Vec<u8>>(),
    );
    let mut doc = AutoCommit::load(&w.save_doc(id).expect("save"))
        .expect("load")
        .with_actor(actor);
    let heads = doc.get_heads();
    hazard::append_event(&mut doc, event).expect("event");
    w.apply_remote(id, &doc.save_after(&heads)).expect("apply");
}

fn kinds(parts: &[closeloop::workspace::Part]) -> Vec<(String, String)> {
    parts
        .iter()
        .map(|p| (p.label.clone(), p.rule.clone()))
        .collect()
}

/// A reported hazard at a site, both on the "server" (synced), in `ws`.
fn synced_hazard(ws: &Mutex<Workspace>, state: &mut SyncState, root: &Path) -> String {
    let hz = {
        let mut w = ws.lock().expect("lock");
        let site = w
            .create_site(GRID, "川菜馆", "1 Road", None, profile("restaurant-lpg"))
            .expect("site");
        w.raise_hazard(
            &NewHazard {
                site_id: site,
                title: "灭火器过期".into(),
                severity: Severity::General,
                clauses: vec![],
                measure: "更换".into(),
                deadline: None,
            },
            "",
            &[],
        )
        .expect("hazard")
    };
    accept_all(ws, state, root);
    hz
}

#[test]
fn a_refused_push_keeps_the_allowed_comment_and_holds_the_forbidden_accept() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    let ws = Mutex::new(open(root, inspector()));
    let mut state = SyncState::default();
    let hz = synced_hazard(&ws, &mut state, root);
    let server = ws.lock().expect("lock").save_doc(&hz).expect("server copy");

    {
        let mut w = ws.lock().expect("lock");
        w.hazard_event(&hz, EventKind::Commented, "已通知业主", &[])
            .expect("comment");
        let accept = Event {
            id: "evt-forged".into(),
            kind: EventKind::Accepted,
            by: "wang".into(),
            role: Role::Inspector,
            at: T0,
            note: String::new(),
            photos: vec![],
        };
        forge_event(&mut w, &hz, &accept);
    }
    let batch = plan_all(&ws, &mut state);
    let r = apply::results(
        &ws,
        &mut state,
        root,
        &batch,
        &[refusal(&hz, "hazard.accept.supervisor_only", &server)],
        &BTreeSet::new(),
    )
    .expect("results");

    // What was kept and what was not, exactly.
    assert_eq!(r.refused.len(), 1);
    let entry = &r.refused[0];
    assert_eq!(entry.rule, "hazard.accept.supervisor_only");
    assert!(entry.by_server);
    assert_eq!(
        kinds(&entry.kept),
        [("commented: 已通知业主".to_owned(), String::new())]
    );
    assert_eq!(
        kinds(&entry.held),
        [(
            "accepted".to_owned(),
            "hazard.accept.supervisor_only".to_owned()
        )]
    );
    assert!(entry.held[0].reason.contains("supervisor"), "{entry:?}");
    assert_eq!(r.reapplied, vec![hz.clone()], "the comment goes again");

    // The document is the server's copy plus the comment, written as a new change.
    let h = ws.lock().expect("lock").hazard(&hz).expect("hazard");
    let notes: Vec<&str> = h.events.iter().map(|e| e.note.as_str()).collect();
    assert_eq!(notes, ["", "已通知业主"]);
    assert_eq!(h.state().status, Some(Status::Reported));
    assert!(plan::to_push(&mut ws.lock().expect("lock"), &state).contains(&hz));
    let out = ws
        .lock()
        .expect("lock")
        .changes_since(&hz, &state.synced_heads(&hz))
        .expect("changes");
    let mut on_server = AutoCommit::load(&server).expect("server");
    on_server
        .load_incremental(&out.bytes)
        .expect("applies to the server's copy");
    assert_eq!(hazard::read(&on_server).expect("read").events.len(), 2);

    // Listed with what is held; the refused version is on disk whole.
    let listed = quarantine::list(root).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].held.len(), 1);
    let kept =
        AutoCommit::load(&quarantine::bytes(root, &listed[0]).expect("bytes")).expect("load");
    assert_eq!(hazard::read(&kept).expect("read").events.len(), 3);

    // If the server refuses the comment too, nothing is written again: it is held with the
    // server's rule, and the loop ends.
    let batch = plan_all(&ws, &mut state);
    let retried = BTreeSet::from([hz.clone()]);
    let again = apply::results(
        &ws,
        &mut state,
        root,
        &batch,
        &[refusal(&hz, "server.only_rule", &server)],
        &retried,
    )
    .expect("results");
    assert!(again.reapplied.is_empty());
    assert_eq!(
        kinds(&again.refused[0].held),
        [(
            "commented: 已通知业主".to_owned(),
            "server.only_rule".to_owned()
        )]
    );
    assert!(again.refused[0].kept.is_empty());
    assert_eq!(
        ws.lock()
            .expect("lock")
            .hazard(&hz)
            .expect("hz")
            .events
            .len(),
        1
    );
    assert!(!plan::to_push(&mut ws.lock().expect("lock"), &state).contains(&hz));
    assert_eq!(quarantine::list(root).expect("list").len(), 2);
}

#[test]
fn what_becomes_allowed_is_reapplied_and_a_dismissed_entry_is_set_aside() {
    // A supervisor fixes a hazard on the spot with a photo and accepts it; the photo's upload
    // failed, so the server refuses the acceptance (`evidence.incomplete`).
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    let ws = Mutex::new(open(root, supervisor()));
    let mut state = SyncState::default();
    let hz = synced_hazard(&ws, &mut state, root);
    let server = ws.lock().expect("lock").save_doc(&hz).expect("server copy");
    let photo = {
        let mut w = ws.lock().expect("lock");
        w.hazard_event(
            &hz,
            EventKind::FixedOnSpot,
            "",
            &[PhotoInput::Bytes(jpeg(800, 600))],
        )
        .expect("fix");
        w.hazard_event(&hz, EventKind::Accepted, "", &[])
            .expect("accept");
        w.hazard(&hz).expect("hz").events[1].photos[0].clone()
    };
    let batch = plan_all(&ws, &mut state);
    let r = apply::results(
        &ws,
        &mut state,
        root,
        &batch,
        &[refusal(&hz, "evidence.incomplete", &server)],
        &BTreeSet::new(),
    )
    .expect("results");
    let entry: RefusedWork = r.refused[0].clone();
    // The photo is still in the outbox, so the phone holds the acceptance back as the server did.
    assert_eq!(
        entry
            .kept
            .iter()
            .map(|p| p.label.as_str())
            .collect::<Vec<_>>(),
        ["fixed_on_spot"]
    );
    assert_eq!(entry.held[0].label, "accepted");
    assert_eq!(entry.held[0].rule, "evidence.incomplete");
    assert!(entry.held[0].reason.contains(&photo), "{entry:?}");
    let status = |ws: &Mutex<Workspace>| {
        ws.lock()
            .expect("lock")
            .hazard(&hz)
            .expect("hz")
            .state()
            .status
    };
    assert_eq!(status(&ws), Some(Status::FixedOnSpot));

    // Nothing changed yet: re-applying holds it again.
    let same = reapply::reapply(&mut ws.lock().expect("lock"), &entry.id).expect("reapply");
    assert_eq!(same.held.len(), 1);
    assert_eq!(quarantine::list(root).expect("list").len(), 1);

    // The photo is uploaded; now the acceptance is written again and the entry leaves the list.
    ws.lock()
        .expect("lock")
        .blobs()
        .uploaded(&photo)
        .expect("uploaded");
    let done = reapply::reapply(&mut ws.lock().expect("lock"), &entry.id).expect("reapply");
    assert!(done.held.is_empty(), "{done:?}");
    assert_eq!(
        done.kept
            .iter()
            .map(|p| p.label.as_str())
            .collect::<Vec<_>>(),
        ["fixed_on_spot", "accepted"]
    );
    assert_eq!(status(&ws), Some(Status::Accepted));
    assert!(quarantine::list(root).expect("list").is_empty());
    assert!(
        root.join("quarantine/resolved")
            .join(format!("{}.json", entry.id))
            .exists()
    );
    // Re-applying again finds nothing listed.
    let gone = reapply::reapply(&mut ws.lock().expect("lock"), &entry.id).expect_err("gone");
    assert!(matches!(gone, Error::NotFound { .. }), "{gone:?}");

    // A dismissed entry leaves the list and stays on disk.
    let mut p = profile("restaurant-lpg");
    p.occupants = 999;
    let site = ws
        .lock()
        .expect("lock")
        .hazard(&hz)
        .expect("hz")
        .header
        .site
        .site_id;
    let site_server = ws.lock().expect("lock").save_doc(&site).expect("copy");
    accept_all(&ws, &mut state, root);
    ws.lock()
        .expect("lock")
        .update_profile(&site, p)
        .expect("edit");
    let batch = plan_all(&ws, &mut state);
    let site_push: Vec<Planned> = batch
        .into_iter()
        .filter(|b| b.push.doc_id == site)
        .collect();
    let r = apply::results(
        &ws,
        &mut state,
        root,
        &site_push,
        &[refusal(&site, "server.only_rule", &site_server)],
        &BTreeSet::from([site.clone()]),
    )
    .expect("results");
    let site_entry = r.refused[0].id.clone();
    assert_eq!(quarantine::list(root).expect("list").len(), 1);
    reapply::dismiss(root, &site_entry).expect("dismiss");
    assert!(quarantine::list(root).expect("list").is_empty());
    for ext in ["json", "automerge"] {
        assert!(
            root.join("quarantine/dismissed")
                .join(format!("{site_entry}.{ext}"))
                .exists(),
            "{ext} kept for support"
        );
    }
    assert!(matches!(
        reapply::dismiss(root, &site_entry),
        Err(Error::NotFound { .. })
    ));
    // An id is never a path.
    assert!(matches!(
        reapply::dismiss(root, "../../workspace.json"),
        Err(Error::NotFound { .. })
    ));
}
