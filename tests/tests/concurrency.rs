//! Offline replicas acting on the same hazard converge to one status and one timeline, and a
//! sync cut at random points loses and duplicates nothing.

use closeloop::api::*;
use closeloop_e2e::proxy::CuttingProxy;
use closeloop_e2e::{Cluster, Phone, assigned_hazard};
use closeloop_server::routes::admin::{NewUser, insert_user};

fn submitted_hazard(cluster: &Cluster) -> (Phone, Phone, String) {
    let (wang, zhang, hz) = assigned_hazard(cluster);
    zhang
        .run(zhang.ws.act_on_hazard(
            hz.clone(),
            HazardAction::SubmitRectification,
            "".into(),
            vec![zhang.take_photo("after", 9)],
        ))
        .expect("rectify");
    zhang.sync();
    (wang, zhang, hz)
}

#[test]
fn two_supervisors_deciding_offline_converge() {
    let cluster = Cluster::start();
    cluster
        .server
        .block(insert_user(
            &cluster.server.state.db.pool,
            "demo-org",
            &NewUser::demo("chen", "陈主管", "supervisor", &[], &[]),
        ))
        .expect("second supervisor");
    let (wang, zhang, hz) = submitted_hazard(&cluster);
    let li = Phone::login(cluster.url(), "li");
    let chen = Phone::login(cluster.url(), "chen");
    li.sync();
    chen.sync();
    // Both offline: one accepts, the other rejects.
    li.run(
        li.ws
            .act_on_hazard(hz.clone(), HazardAction::Accept, "ok".into(), vec![]),
    )
    .expect("accept");
    chen.run(chen.ws.act_on_hazard(
        hz.clone(),
        HazardAction::Reject {
            reason: "照片不清楚".into(),
        },
        "".into(),
        vec![],
    ))
    .expect("reject");
    let a = li.sync();
    let b = chen.sync();
    assert!(
        a.refused.is_empty() && b.refused.is_empty(),
        "both decisions are kept: {a:?} {b:?}"
    );
    for p in [&li, &chen, &wang, &zhang] {
        p.sync();
    }
    let views: Vec<HazardDetail> = [&li, &chen, &wang, &zhang]
        .iter()
        .map(|p| p.run(p.ws.hazard(hz.clone())).expect("hazard"))
        .collect();
    let status = views[0].summary.status;
    assert!(
        matches!(
            status,
            Some(HazardStatus::Accepted | HazardStatus::Rejected)
        ),
        "{status:?}"
    );
    for v in &views {
        assert_eq!(v.summary.status, status);
        assert_eq!(v.timeline, views[0].timeline);
    }
    // One of the two decisions came second and is shown as not applied, with why.
    let late: Vec<&TimelineEntry> = views[0]
        .timeline
        .iter()
        .filter(|t| t.not_applied.is_some())
        .collect();
    assert_eq!(late.len(), 1, "{:?}", views[0].timeline);
    assert!(
        late[0]
            .not_applied
            .as_deref()
            .unwrap_or_default()
            .starts_with("not applied"),
        "{late:?}"
    );
}

#[test]
fn syncs_cut_at_random_points_lose_and_duplicate_nothing() {
    let cluster = Cluster::start();
    let site = cluster.restaurant().to_owned();
    let target = cluster.url().trim_start_matches("http://").to_owned();
    let proxy = CuttingProxy::start(&target);
    let wang = Phone::login(&proxy.url, "wang");
    wang.sync();
    let insp = wang
        .run(
            wang.ws
                .start_inspection(site.clone(), InspectionPurpose::FullInspection),
        )
        .expect("start");
    let items: Vec<String> = wang
        .run(wang.ws.inspection(insp.clone()))
        .expect("insp")
        .items
        .into_iter()
        .map(|i| i.item.id)
        .collect();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut hazards = Vec::new();
    let mut failures = 0;
    for round in 0..40 {
        let item = items[round % items.len()].clone();
        wang.run(wang.ws.answer_item(
            insp.clone(),
            item.clone(),
            Answer::Fail,
            format!("round {round}"),
        ))
        .ok();
        if round % 4 == 0
            && let Ok(h) = wang.run(wang.ws.raise_hazard(
                insp.clone(),
                item.clone(),
                "".into(),
                vec![wang.take_photo(&format!("p{round}"), round as u8)],
            ))
        {
            hazards.push(h.summary.id);
        }
        // Cut somewhere between the request line and well into a photo or a sync body.
        proxy.set_budget(150 + next() % 40_000);
        match wang.try_sync() {
            Err(_) => failures += 1,
            Ok(r) if !r.upload_failures.is_empty() || !r.push_failures.is_empty() => failures += 1,
            Ok(_) => {}
        }
    }
    let cuts = proxy
        .counters
        .cuts
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        cuts > 10 && failures > 5,
        "the proxy really cut syncs ({cuts} cuts, {failures} disturbed syncs)"
    );
    proxy.set_budget(0);
    let last = wang.sync();
    assert!(
        last.refused.is_empty() && last.upload_failures.is_empty(),
        "{last:?}"
    );
    assert_eq!(wang.sync().pushed, 0, "nothing left to push");

    let li = Phone::login(cluster.url(), "li");
    li.sync();
    let mine = wang.run(wang.ws.inspection(insp.clone())).expect("mine");
    let theirs = li.run(li.ws.inspection(insp.clone())).expect("theirs");
    assert_eq!(mine.items, theirs.items, "every answer arrived once");
    for hz in &hazards {
        let a = wang.run(wang.ws.hazard(hz.clone())).expect("local");
        let b = li.run(li.ws.hazard(hz.clone())).expect("remote");
        assert_eq!(a.timeline, b.timeline);
        let mut ids: Vec<&str> = b.timeline.iter().map(|t| t.event_id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), b.timeline.len(), "no event duplicated");
        assert_eq!(b.before_photos.len(), 1);
    }
    let count: i64 = cluster.server.block(async {
        sqlx_any::query_scalar::<_, i64>("SELECT COUNT(*) FROM hazards")
            .fetch_one(&cluster.server.state.db.pool)
            .await
            .expect("count")
    });
    assert_eq!(
        count as usize,
        hazards.len(),
        "no hazard lost or duplicated on the server"
    );
}
