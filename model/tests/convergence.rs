//! For random concurrent edits on 2–4 replicas merged in any order, every replica derives the same
//! status and timeline; and the fold never panics on any sequence of events.

use automerge::AutoCommit;
use closeloop_model::doc::{DocKind, Header, hazard};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity, fold};
use closeloop_model::roles::{Role, SiteRef};
use proptest::prelude::*;

fn kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        Just(EventKind::Reported(Report {
            title: "again".into(),
            severity: Severity::General,
            clauses: vec![],
            item_id: None,
            gb35181: None,
            measure: String::new(),
            deadline: None,
        })),
        (0i64..1000).prop_map(|d| EventKind::Assigned {
            assignee: "owner".into(),
            deadline: d,
            measure: String::new()
        }),
        Just(EventKind::RectificationSubmitted),
        Just(EventKind::FixedOnSpot),
        Just(EventKind::Accepted),
        Just(EventKind::Rejected {
            reason: "no".into()
        }),
        Just(EventKind::Escalated {
            reason: "major".into()
        }),
        Just(EventKind::Cancelled {
            reason: "false".into()
        }),
        Just(EventKind::Reopened {
            reason: "back".into()
        }),
        Just(EventKind::Commented),
    ]
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![
        Role::Inspector,
        Role::Owner,
        Role::Supervisor,
        Role::Admin,
    ])
}

fn event() -> impl Strategy<Value = Event> {
    (kind(), role(), 0i64..10_000, "[a-z]{1,3}").prop_map(|(kind, role, at, by)| Event {
        id: String::new(),
        kind,
        by,
        role,
        at,
        note: String::new(),
        photos: vec![],
    })
}

fn base() -> AutoCommit {
    let mut doc = AutoCommit::new();
    let header = Header {
        kind: DocKind::Hazard,
        id: "h".into(),
        site: SiteRef {
            org_id: "o".into(),
            grid_id: "g".into(),
            site_id: "s".into(),
        },
    };
    let first = Event {
        id: "e0".into(),
        kind: EventKind::Reported(Report {
            title: "Exit blocked".into(),
            severity: Severity::General,
            clauses: vec![],
            item_id: None,
            gb35181: None,
            measure: String::new(),
            deadline: Some(500),
        }),
        by: "ins".into(),
        role: Role::Inspector,
        at: 0,
        note: String::new(),
        photos: vec![],
    };
    hazard::create(&mut doc, &header, None, &first).expect("create");
    doc
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn fold_never_panics_and_keeps_every_event(events in prop::collection::vec(event(), 0..40)) {
        let s = fold(&events);
        prop_assert_eq!(s.timeline.len(), events.len());
        for (t, e) in s.timeline.iter().zip(&events) {
            prop_assert_eq!(&t.event, e);
        }
    }

    #[test]
    fn replicas_converge_whatever_the_merge_order(
        edits in prop::collection::vec(prop::collection::vec(event(), 0..6), 2..=4),
        order in prop::collection::vec((0usize..4, 0usize..4), 0..12),
    ) {
        let mut origin = base();
        let mut replicas: Vec<AutoCommit> = edits.iter().map(|_| origin.fork()).collect();
        for (r, (replica, evs)) in replicas.iter_mut().zip(&edits).enumerate() {
            for (n, e) in evs.iter().enumerate() {
                let e = Event { id: format!("r{r}e{n}"), ..e.clone() };
                hazard::append_event(replica, &e).expect("append");
            }
        }
        let n = replicas.len();
        // Some random pairwise merges first, then everyone with everyone.
        for (a, b) in order {
            let (a, b) = (a % n, b % n);
            if a != b {
                let mut other = replicas[b].fork();
                replicas[a].merge(&mut other).expect("merge");
            }
        }
        for a in 0..n {
            for b in 0..n {
                if a != b {
                    let mut other = replicas[b].fork();
                    replicas[a].merge(&mut other).expect("merge");
                }
            }
        }
        let states: Vec<_> = replicas.iter().map(|r| hazard::read(r).expect("read").state()).collect();
        let total: usize = 1 + edits.iter().map(Vec::len).sum::<usize>();
        prop_assert_eq!(states[0].timeline.len(), total, "no event lost");
        for s in &states[1..] {
            prop_assert_eq!(s, &states[0]);
        }
    }
}
