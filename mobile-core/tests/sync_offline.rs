//! Sync logic that needs no server: what to push, what an accepted or refused result does, how a
//! feed page lands, and that progress survives an interruption. The answers fed in here are the
//! protocol's JSON shapes built by hand; end-to-end tests against the real server live elsewhere.

mod common;

use automerge::{AutoCommit, ChangeHash};
use closeloop::sync::apply;
use closeloop::sync::plan::{self, Planned};
use closeloop::sync::quarantine;
use closeloop::sync::state::SyncState;
use closeloop::sync::wire::{self, FeedEntry, PushResult, PushStatus, Refusal};
use closeloop::workspace::{NewHazard, Workspace};
use closeloop_model::lifecycle::Severity;
use common::*;
use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::sync::Mutex;

fn new_site(ws: &mut Workspace, name: &str) -> String {
    ws.create_site(GRID, name, "1 Road", None, profile("restaurant-lpg"))
        .expect("site")
}

fn hex(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(ToString::to_string).collect()
}

fn sorted(mut h: Vec<ChangeHash>) -> Vec<ChangeHash> {
    h.sort();
    h
}

/// Takes every document that needs pushing as one batch, as a sync would.
fn plan_all(ws: &Mutex<Workspace>, state: &mut SyncState) -> Vec<Planned> {
    let mut w = ws.lock().expect("lock");
    let mut queue: VecDeque<String> = plan::to_push(&mut w, state).into();
    let mut failed = Vec::new();
    let batch = plan::take_batch(&mut w, state, &mut queue, 1000, &mut failed);
    assert!(failed.is_empty(), "{failed:?}");
    batch
}

fn accepted(p: &Planned, server_heads: &[ChangeHash]) -> PushResult {
    PushResult {
        doc_id: p.push.doc_id.clone(),
        status: PushStatus::Accepted,
        heads: hex(server_heads),
        refusal: None,
        server_doc: None,
    }
}

fn to_push(ws: &Mutex<Workspace>, state: &SyncState) -> Vec<String> {
    plan::to_push(&mut ws.lock().expect("lock"), state)
}

fn heads(ws: &Mutex<Workspace>, id: &str) -> Vec<ChangeHash> {
    sorted(ws.lock().expect("lock").doc_heads(id).expect("heads"))
}

fn apply_results(
    ws: &Mutex<Workspace>,
    state: &mut SyncState,
    root: &Path,
    sent: &[Planned],
    results: &[PushResult],
) -> apply::ResultsApplied {
    apply::results(ws, state, root, sent, results, &BTreeSet::new()).expect("results")
}

fn feed(ws: &Mutex<Workspace>, state: &mut SyncState, entries: &[FeedEntry]) -> apply::FeedApplied {
    apply::feed(ws, state, entries, &|_| {}).expect("feed")
}

fn entry(doc_id: &str, bytes: &[u8]) -> FeedEntry {
    FeedEntry {
        doc_id: doc_id.into(),
        changes: wire::encode(bytes),
        ..FeedEntry::default()
    }
}

#[test]
fn a_document_is_pushed_when_its_heads_differ_from_its_synced_heads() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = Mutex::new(open(dir.path(), inspector()));
    let site = new_site(&mut ws.lock().expect("lock"), "川菜馆");
    let plan_id = format!("tasks-{site}");
    let mut state = SyncState::default();

    let mut all = to_push(&ws, &state);
    all.sort();
    assert_eq!(all, vec![site.clone(), plan_id.clone()], "new documents");

    // Never synced: the whole document goes, and it loads on its own.
    let batch = plan_all(&ws, &mut state);
    assert_eq!(batch.len(), 2);
    for p in &batch {
        let bytes = wire::decode_field(&p.push.changes, "changes").expect("base64");
        let mut copy = AutoCommit::load(&bytes).expect("whole document");
        assert_eq!(sorted(copy.get_heads()), sorted(p.heads.clone()));
    }
    for p in &batch {
        state.set_synced(&p.push.doc_id, &p.heads);
    }
    assert!(to_push(&ws, &state).is_empty(), "nothing changed since");

    // An edit makes only that document due, and only its new changes are sent.
    let synced_before = state.synced_heads(&site);
    let mut p = profile("restaurant-lpg");
    p.occupants += 10;
    ws.lock()
        .expect("lock")
        .update_profile(&site, p)
        .expect("edit");
    let due = to_push(&ws, &state);
    assert!(due.contains(&site), "{due:?}");
    let batch = plan_all(&ws, &mut state);
    let site_push = batch
        .iter()
        .find(|p| p.push.doc_id == site)
        .expect("site pushed");
    let changes = wire::decode_field(&site_push.push.changes, "changes").expect("base64");
    let whole = ws.lock().expect("lock").save_doc(&site).expect("save");
    assert!(changes.len() < whole.len(), "only what the server lacks");
    let mut server = ws
        .lock()
        .expect("lock")
        .save_doc(&site)
        .map(|b| AutoCommit::load(&b).expect("load"))
        .expect("copy")
        .fork_at(&synced_before)
        .expect("server's version");
    server.load_incremental(&changes).expect("apply");
    assert_eq!(sorted(server.get_heads()), heads(&ws, &site));
}

#[test]
fn synced_heads_naming_changes_the_document_lost_do_not_hide_anything() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = Mutex::new(open(dir.path(), inspector()));
    let site = new_site(&mut ws.lock().expect("lock"), "面馆");
    let mut state = SyncState::default();
    let current = heads(&ws, &site);
    // E.g. a crash after a refused document was reset but before the state was saved.
    let mut stale = current.clone();
    stale.push(ChangeHash([7; 32]));
    state.set_synced(&site, &stale);
    assert!(to_push(&ws, &state).contains(&site));
    let batch = plan_all(&ws, &mut state);
    assert!(
        batch.iter().all(|p| p.push.doc_id != site),
        "its changes are all on the server: nothing to send"
    );
    assert_eq!(sorted(state.synced_heads(&site)), current);
}

#[test]
fn an_accepted_push_covers_what_was_pushed_not_edits_made_meanwhile() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("a");
    let ws = Mutex::new(open(&root, inspector()));
    let site = new_site(&mut ws.lock().expect("lock"), "茶馆");
    let mut state = SyncState::default();
    let batch = plan_all(&ws, &mut state);
    let pushed = batch
        .iter()
        .find(|p| p.push.doc_id == site)
        .expect("site")
        .clone();

    // The user edits while the request is in flight.
    let mut p = profile("restaurant-lpg");
    p.occupants = 200;
    ws.lock()
        .expect("lock")
        .update_profile(&site, p)
        .expect("edit");

    let results: Vec<PushResult> = batch.iter().map(|p| accepted(p, &p.heads)).collect();
    let r = apply_results(&ws, &mut state, &root, &batch, &results);
    assert_eq!(r.accepted, 2);
    assert!(r.refused.is_empty());
    assert_eq!(
        sorted(state.synced_heads(&site)),
        sorted(pushed.heads.clone())
    );
    assert!(
        to_push(&ws, &state).contains(&site),
        "the edit made during the request is still to push"
    );

    // Progress survives a restart: reload the state after it was saved.
    state.save(&root).expect("save");
    let (back, _) = SyncState::load(&root).expect("load");
    assert_eq!(back, state);
    let due = to_push(&ws, &back);
    assert!(due.contains(&site));

    // The server's heads are used when this device holds them; unknown ones fall back to the
    // pushed heads (the server has changes not received yet).
    let batch = plan_all(&ws, &mut state);
    let p = batch.iter().find(|p| p.push.doc_id == site).expect("site");
    let unknown = vec![ChangeHash([9; 32])];
    apply_results(&ws, &mut state, &root, &batch, &[accepted(p, &unknown)]);
    assert_eq!(sorted(state.synced_heads(&site)), sorted(p.heads.clone()));
    assert!(!to_push(&ws, &state).contains(&site));
}

#[test]
fn an_acceptance_whose_heads_leave_out_the_push_does_not_mark_it_synced() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("a");
    let ws = Mutex::new(open(&root, inspector()));
    let site = new_site(&mut ws.lock().expect("lock"), "花店");
    let mut state = SyncState::default();
    let batch = plan_all(&ws, &mut state);
    let results: Vec<PushResult> = batch.iter().map(|p| accepted(p, &p.heads)).collect();
    apply_results(&ws, &mut state, &root, &batch, &results);
    let server_heads = heads(&ws, &site);

    let mut p = profile("restaurant-lpg");
    p.storeys = 3;
    ws.lock()
        .expect("lock")
        .update_profile(&site, p)
        .expect("edit");
    let batch = plan_all(&ws, &mut state);
    let sent = batch.iter().find(|p| p.push.doc_id == site).expect("site");
    // "accepted", but with the server's old heads: it did not take the change.
    apply_results(
        &ws,
        &mut state,
        &root,
        std::slice::from_ref(sent),
        &[accepted(sent, &server_heads)],
    );
    assert_eq!(sorted(state.synced_heads(&site)), server_heads);
    assert!(to_push(&ws, &state).contains(&site), "sent again, not lost");
}

#[test]
fn feed_changes_count_as_synced_but_local_edits_still_do_not() {
    let dir = tempfile::tempdir().expect("tmp");
    let a_root = dir.path().join("a");
    let b_root = dir.path().join("b");
    let a = Mutex::new(open(&a_root, inspector()));
    let b = Mutex::new(open(&b_root, supervisor()));
    let site = new_site(&mut a.lock().expect("lock"), "火锅店");
    let mut a_state = SyncState::default();
    let mut b_state = SyncState::default();

    // A pushes; accepted. B receives the site through its feed.
    let batch = plan_all(&a, &mut a_state);
    let results: Vec<PushResult> = batch.iter().map(|p| accepted(p, &p.heads)).collect();
    apply_results(&a, &mut a_state, &a_root, &batch, &results);
    let site_bytes = a.lock().expect("lock").save_doc(&site).expect("save");
    feed(&b, &mut b_state, &[entry(&site, &site_bytes)]);
    assert_eq!(heads(&b, &site), heads(&a, &site));
    assert!(to_push(&b, &b_state).is_empty(), "received is not re-sent");

    // B changes the site; its change reaches A while A has an unsynced edit of its own.
    let before_b = heads(&b, &site);
    let mut pb = profile("restaurant-lpg");
    pb.sprinklers = true;
    b.lock()
        .expect("lock")
        .update_profile(&site, pb)
        .expect("b edits");
    let b_change = {
        let mut w = b.lock().expect("lock");
        w.changes_since(&site, &before_b).expect("changes").bytes
    };
    let mut pa = profile("restaurant-lpg");
    pa.occupants = 300;
    a.lock()
        .expect("lock")
        .update_profile(&site, pa)
        .expect("a edits");
    let a_heads_before_feed = heads(&a, &site);

    let got = feed(&a, &mut a_state, &[entry(&site, &b_change)]);
    assert_eq!(got.received, 1);
    assert!(!got.gap);
    let synced = sorted(a_state.synced_heads(&site));
    assert_eq!(synced, heads(&b, &site), "B's change is on the server");
    assert!(
        to_push(&a, &a_state).contains(&site),
        "A's own edit is not counted as synced"
    );
    // What A pushes next is its edit, which B can apply on top of the server's version.
    let out = a
        .lock()
        .expect("lock")
        .changes_since(&site, &synced)
        .expect("changes");
    let mut server =
        AutoCommit::load(&b.lock().expect("lock").save_doc(&site).expect("save")).expect("load");
    server.load_incremental(&out.bytes).expect("apply");
    let mut merged = a_heads_before_feed;
    merged.extend(heads(&b, &site));
    assert_eq!(sorted(server.get_heads()), heads(&a, &site));
    assert!(
        merged
            .iter()
            .all(|h| server.get_change_by_hash(h).is_some())
    );

    // Loading the same page again (a crash before its cursor was saved) changes nothing.
    let again = heads(&a, &site);
    feed(&a, &mut a_state, &[entry(&site, &b_change)]);
    assert_eq!(heads(&a, &site), again);
    assert_eq!(sorted(a_state.synced_heads(&site)), synced);
}

#[test]
fn a_received_document_appears_in_lists_with_its_summary_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let a_root = dir.path().join("a");
    let b_root = dir.path().join("b");
    let a = Mutex::new(open(&a_root, inspector()));
    let (site, hazard) = {
        let mut w = a.lock().expect("lock");
        let site = new_site(&mut w, "烧烤店");
        let hazard = w
            .raise_hazard(
                &NewHazard {
                    site_id: site.clone(),
                    title: "灭火器过期".into(),
                    severity: Severity::Major,
                    clauses: vec![],
                    measure: "更换灭火器".into(),
                    deadline: Some(T0 + 86_400_000),
                },
                "",
                &[],
            )
            .expect("hazard");
        (site, hazard)
    };
    let plan_id = format!("tasks-{site}");
    let mut entries = Vec::new();
    for id in [&site, &plan_id, &hazard] {
        let bytes = a.lock().expect("lock").save_doc(id).expect("save");
        entries.push(entry(id, &bytes));
    }

    {
        let b = Mutex::new(open(&b_root, supervisor()));
        let mut state = SyncState::default();
        let got = feed(&b, &mut state, &entries);
        assert_eq!(got.received, 3);
        let w = b.lock().expect("lock");
        let sites: Vec<_> = w
            .summaries()
            .filter(|s| s.id == site)
            .map(|s| s.title.clone())
            .collect();
        assert_eq!(sites, vec!["烧烤店".to_owned()]);
        let hz = w.doc_summary(&hazard).expect("listed");
        assert_eq!(hz.title, "灭火器过期");
        assert_eq!(hz.status.as_deref(), Some("reported"));
        assert_eq!(hz.severity, Some(Severity::Major));
        drop(w);
        assert!(to_push(&b, &state).is_empty());
        for id in [&site, &plan_id, &hazard] {
            assert_eq!(sorted(state.synced_heads(id)), heads(&a, id));
        }
    }
    // Durable: a fresh open lists them from disk.
    let b = open(&b_root, supervisor());
    assert!(b.doc_summary(&hazard).is_some());
    assert_eq!(b.doc_summary(&site).expect("site").title, "烧烤店");
}

#[test]
fn changes_without_their_history_are_reported_as_a_gap() {
    let dir = tempfile::tempdir().expect("tmp");
    let a = Mutex::new(open(&dir.path().join("a"), inspector()));
    let b = Mutex::new(open(&dir.path().join("b"), supervisor()));
    let site = new_site(&mut a.lock().expect("lock"), "小卖部");
    let first = heads(&a, &site);
    let mut p = profile("restaurant-lpg");
    p.kitchen = false;
    a.lock()
        .expect("lock")
        .update_profile(&site, p)
        .expect("edit");
    let later = a
        .lock()
        .expect("lock")
        .changes_since(&site, &first)
        .expect("changes")
        .bytes;
    let mut state = SyncState::default();
    let got = feed(&b, &mut state, &[entry(&site, &later)]);
    assert!(got.gap);
    assert!(!b.lock().expect("lock").has_doc(&site), "nothing half-made");
    assert!(state.synced.is_empty());
}

#[test]
fn an_unreadable_feed_entry_is_an_error_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = Mutex::new(open(dir.path(), supervisor()));
    let mut state = SyncState::default();
    let bad = [FeedEntry {
        doc_id: "site-x".into(),
        changes: "%%% not base64".into(),
        ..FeedEntry::default()
    }];
    assert!(apply::feed(&b, &mut state, &bad, &|_| {}).is_err());
    let garbage = [entry("site-x", b"definitely not automerge")];
    assert!(apply::feed(&b, &mut state, &garbage, &|_| {}).is_err());
    assert!(!b.lock().expect("lock").has_doc("site-x"));
}

#[test]
fn a_refusal_keeps_the_local_version_and_resets_to_the_server_copy() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("a");
    let ws = Mutex::new(open(&root, inspector()));
    let site = new_site(&mut ws.lock().expect("lock"), "网吧");
    let mut state = SyncState::default();
    // The server holds the first version.
    let batch = plan_all(&ws, &mut state);
    let results: Vec<PushResult> = batch.iter().map(|p| accepted(p, &p.heads)).collect();
    apply_results(&ws, &mut state, &root, &batch, &results);
    let server_bytes = ws.lock().expect("lock").save_doc(&site).expect("save");
    let server_heads = heads(&ws, &site);

    let mut p = profile("restaurant-lpg");
    p.occupants = 999;
    ws.lock()
        .expect("lock")
        .update_profile(&site, p)
        .expect("local edit");
    let local_heads = heads(&ws, &site);
    let batch = plan_all(&ws, &mut state);
    let sent = batch.iter().find(|p| p.push.doc_id == site).expect("site");
    let refusal = PushResult {
        doc_id: site.clone(),
        status: PushStatus::Refused,
        heads: vec![],
        refusal: Some(Refusal {
            rule: "site.not_yours".into(),
            reason: "only the grid's inspector may change this site".into(),
        }),
        server_doc: Some(wire::encode(&server_bytes)),
    };
    // The phone's rules allow an inspector's edit, so a first refusal would write it again on
    // top of the server's copy (tests/quarantine.rs); this is the refusal of that second push,
    // after which nothing is written again.
    let r = apply::results(
        &ws,
        &mut state,
        &root,
        std::slice::from_ref(sent),
        &[refusal],
        &BTreeSet::from([site.clone()]),
    )
    .expect("results");
    assert_eq!(r.accepted, 0);
    assert_eq!(r.refused.len(), 1);
    assert!(r.reapplied.is_empty());

    // Reset to the server's version, and synced with it.
    assert_eq!(heads(&ws, &site), server_heads);
    assert_eq!(sorted(state.synced_heads(&site)), server_heads);
    assert!(!to_push(&ws, &state).contains(&site));
    let occupants = ws
        .lock()
        .expect("lock")
        .site(&site)
        .expect("site")
        .profile
        .occupants;
    assert_ne!(occupants, 999);

    // The user's version is kept, visible, with the rule and reason.
    let kept = quarantine::list(&root).expect("list");
    assert_eq!(kept.len(), 1);
    let k = &kept[0];
    assert_eq!(k.doc_id, site);
    assert_eq!(k.kind, "site");
    assert_eq!(k.title, "网吧");
    assert_eq!(k.rule, "site.not_yours");
    assert!(k.reason.contains("inspector"));
    assert!(k.at >= T0);
    assert_eq!(k.held.len(), 1);
    assert_eq!(
        (k.held[0].kind.as_str(), k.held[0].rule.as_str()),
        ("site_details", "site.not_yours")
    );
    let mut saved = AutoCommit::load(&quarantine::bytes(&root, k).expect("bytes")).expect("load");
    assert_eq!(sorted(saved.get_heads()), local_heads);

    // The same version refused again (a crash came before the reset) rewrites the same entry.
    let bytes = quarantine::bytes(&root, k).expect("bytes");
    let again = quarantine::keep(&root, k.clone(), &local_heads, &bytes).expect("keep");
    assert_eq!(again.file, k.file);
    assert_eq!(quarantine::list(&root).expect("list").len(), 1);
}

#[test]
fn a_refused_new_document_is_rebuilt_once_then_removed_but_kept_in_quarantine() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("a");
    let ws = Mutex::new(open(&root, inspector()));
    let site = new_site(&mut ws.lock().expect("lock"), "洗衣店");
    let mut state = SyncState::default();
    let refuse_all = |batch: &[Planned]| -> Vec<PushResult> {
        batch
            .iter()
            .map(|p| PushResult {
                doc_id: p.push.doc_id.clone(),
                status: PushStatus::Refused,
                heads: vec![],
                refusal: Some(Refusal {
                    rule: "sync.actor_not_bound".into(),
                    reason: "this device is not registered for you".into(),
                }),
                server_doc: None,
            })
            .collect()
    };
    // The phone's own rules allow both documents, so they are rebuilt as new and go again.
    let batch = plan_all(&ws, &mut state);
    let r = apply_results(&ws, &mut state, &root, &batch, &refuse_all(&batch));
    assert_eq!(r.refused.len(), 2);
    assert!(
        r.refused
            .iter()
            .all(|w| w.held.is_empty() && w.kept.len() == 1)
    );
    assert_eq!(r.reapplied.len(), 2);
    assert!(ws.lock().expect("lock").has_doc(&site));
    assert_eq!(to_push(&ws, &state).len(), 2);
    assert!(
        quarantine::list(&root).expect("list").is_empty(),
        "nothing held"
    );

    // Refused again: nothing is rebuilt a second time. Gone from the lists, kept in quarantine.
    let batch = plan_all(&ws, &mut state);
    let retried: BTreeSet<String> = batch.iter().map(|p| p.push.doc_id.clone()).collect();
    let r = apply::results(
        &ws,
        &mut state,
        &root,
        &batch,
        &refuse_all(&batch),
        &retried,
    )
    .expect("results");
    assert_eq!(r.refused.len(), 2);
    assert!(r.reapplied.is_empty());
    let w = ws.lock().expect("lock");
    assert!(!w.has_doc(&site));
    assert_eq!(w.summaries().count(), 0, "gone from lists");
    drop(w);
    assert!(state.synced.is_empty());
    assert!(to_push(&ws, &state).is_empty());
    let kept = quarantine::list(&root).expect("list");
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().any(|k| k.doc_id == site && k.title == "洗衣店"));
    for k in &kept {
        assert_eq!(k.held.len(), 1, "{k:?}");
        assert_eq!(k.held[0].kind, "document");
        assert_eq!(k.rule, "sync.actor_not_bound");
    }
    // The site is held by the server's word; its task plan also because the site is gone.
    let rule_of = |id: &str| {
        kept.iter()
            .find(|k| k.doc_id == id)
            .map(|k| k.held[0].rule.clone())
            .expect("entry")
    };
    assert_eq!(rule_of(&site), "sync.actor_not_bound");
    assert_eq!(rule_of(&format!("tasks-{site}")), "placement.unknown_site");
    // Still gone after a restart, and the quarantine still there.
    drop(ws);
    let w = open(&root, inspector());
    assert!(!w.has_doc(&site));
    assert_eq!(quarantine::list(&root).expect("list").len(), 2);
}

#[test]
fn an_unreadable_document_is_reported_and_the_others_still_go() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("a");
    let site = {
        let mut w = open(&root, inspector());
        new_site(&mut w, "药店")
    };
    // A log whose records are sound but whose automerge bytes are not.
    closeloop::store::DocLog::create(&root.join("docs/site-broken.log"), b"{}", b"garbage")
        .expect("write");
    let ws = Mutex::new(open(&root, inspector()));
    let mut state = SyncState::default();
    let mut w = ws.lock().expect("lock");
    let mut queue: VecDeque<String> = plan::to_push(&mut w, &state).into();
    assert!(queue.contains(&"site-broken".to_owned()));
    let mut failed = Vec::new();
    let batch = plan::take_batch(&mut w, &mut state, &mut queue, 1000, &mut failed);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "site-broken");
    assert!(batch.iter().any(|p| p.push.doc_id == site));
    assert_eq!(batch.len(), 2);
}

#[test]
fn every_change_of_a_new_document_carries_the_users_actor() {
    // The server refuses changes whose actor is not bound to the device (`sync.actor_not_bound`),
    // so even a document's first change must be written with the registered actor.
    let dir = tempfile::tempdir().expect("tmp");
    let ws = Mutex::new(open(dir.path(), inspector()));
    let site = new_site(&mut ws.lock().expect("lock"), "书店");
    {
        let mut w = ws.lock().expect("lock");
        let insp = w
            .start_inspection(&site, closeloop_checklists::Purpose::Patrol)
            .expect("inspection");
        w.raise_hazard(
            &NewHazard {
                site_id: site.clone(),
                title: "插线板串接".into(),
                severity: Severity::General,
                clauses: vec![],
                measure: "拆除".into(),
                deadline: None,
            },
            "",
            &[],
        )
        .expect("hazard");
        assert!(w.has_doc(&insp));
    }
    let actor = ws.lock().expect("lock").actor_hex().to_owned();
    let mut state = SyncState::default();
    let batch = plan_all(&ws, &mut state);
    assert_eq!(batch.len(), 4, "site, task plan, inspection, hazard");
    for p in &batch {
        let bytes = wire::decode_field(&p.push.changes, "changes").expect("base64");
        let mut doc = AutoCommit::load(&bytes).expect("load");
        for c in doc.get_changes(&[]) {
            assert_eq!(c.actor_id().to_hex_string(), actor, "{}", p.push.doc_id);
        }
    }
}
