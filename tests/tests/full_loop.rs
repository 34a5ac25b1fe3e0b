//! The loop the product exists for: an inspector's offline work reaches the server, the owner gets
//! the hazard (and only their own site), their after-photo reaches the supervisor, and the
//! supervisor's decision reaches everyone, with the same complete timeline everywhere.

use closeloop::api::*;
use closeloop_e2e::{Cluster, Phone};

fn hazard_ids(p: &Phone) -> Vec<String> {
    p.run(p.ws.hazards(HazardQuery::default()))
        .expect("list")
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn inspection_to_closure_across_three_phones() {
    let cluster = Cluster::start();
    let site = cluster.restaurant().to_owned();

    // The grid worker gets the sites of their grid, then works offline.
    let wang = Phone::login(cluster.url(), "wang");
    let first = wang.sync();
    assert!(first.received > 0);
    let sites: Vec<String> = wang
        .run(wang.ws.sites())
        .expect("sites")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert!(sites.contains(&site));
    assert_eq!(
        sites.len(),
        3,
        "grid-1 has three demo sites; grid-2's warehouse is not sent"
    );

    let insp = wang
        .run(
            wang.ws
                .start_inspection(site.clone(), InspectionPurpose::FullInspection),
        )
        .expect("start");
    wang.run(wang.ws.answer_item(
        insp.clone(),
        "fire-law.exits-clear".into(),
        Answer::Fail,
        "纸箱堵塞通道".into(),
    ))
    .expect("answer");
    wang.run(wang.ws.attach_photo(
        insp.clone(),
        Some("fire-law.exits-clear".into()),
        wang.take_photo("before", 1),
    ))
    .expect("photo");
    let hazard = wang
        .run(wang.ws.raise_hazard(
            insp.clone(),
            "fire-law.exits-clear".into(),
            "".into(),
            vec![],
        ))
        .expect("hazard");
    let hz = hazard.summary.id.clone();

    let zhang = Phone::login(cluster.url(), "zhang");
    let deadline = 1_900_000_000_000;
    wang.run(wang.ws.act_on_hazard(
        hz.clone(),
        HazardAction::Assign {
            assignee: zhang.user.user_id.clone(),
            deadline,
            measure: "清理通道".into(),
        },
        "".into(),
        vec![],
    ))
    .expect("assign");
    wang.run(wang.ws.sign_off(insp.clone(), "".into()))
        .expect("sign off");
    let pushed = wang.sync();
    assert!(
        pushed.upload_failures.is_empty() && pushed.refused.is_empty(),
        "{pushed:?}"
    );
    assert!(
        pushed.uploaded >= 2,
        "photo and thumbnail uploaded: {pushed:?}"
    );
    assert!(
        wang.progress
            .0
            .lock()
            .expect("lock")
            .iter()
            .any(|p| p.stage == SyncStage::Uploading)
    );

    // The owner receives only their own site's documents.
    zhang.sync();
    let own: Vec<String> = zhang
        .run(zhang.ws.sites())
        .expect("sites")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(own, vec![site.clone()]);
    assert_eq!(hazard_ids(&zhang), vec![hz.clone()]);
    let seen = zhang.run(zhang.ws.hazard(hz.clone())).expect("hazard");
    assert_eq!(seen.summary.status, Some(HazardStatus::Assigned));
    assert_eq!(
        seen.summary.assignee.as_deref(),
        Some(zhang.user.user_id.as_str())
    );

    // Offline, the owner fixes it and submits an after-photo.
    zhang
        .run(zhang.ws.act_on_hazard(
            hz.clone(),
            HazardAction::SubmitRectification,
            "已清理".into(),
            vec![zhang.take_photo("after", 2)],
        ))
        .expect("rectify");
    let r = zhang.sync();
    assert!(
        r.refused.is_empty() && r.upload_failures.is_empty(),
        "{r:?}"
    );

    // The supervisor reviews with both photos on the server, and accepts.
    let li = Phone::login(cluster.url(), "li");
    li.sync();
    let review = li.run(li.ws.hazard(hz.clone())).expect("hazard");
    assert_eq!(
        review.summary.status,
        Some(HazardStatus::RectificationSubmitted)
    );
    assert_eq!(
        (review.before_photos.len(), review.after_photos.len()),
        (1, 1)
    );
    li.run(
        li.ws
            .act_on_hazard(hz.clone(), HazardAction::Accept, "".into(), vec![]),
    )
    .expect("accept");
    let r = li.sync();
    assert!(r.refused.is_empty(), "{r:?}");

    // Everyone converges on the closed hazard with the same timeline.
    wang.sync();
    zhang.sync();
    li.sync();
    let timelines: Vec<Vec<String>> = [&wang, &zhang, &li]
        .iter()
        .map(|p| {
            let h = p.run(p.ws.hazard(hz.clone())).expect("hazard");
            assert_eq!(h.summary.status, Some(HazardStatus::Accepted));
            h.timeline
                .iter()
                .map(|t| format!("{}:{}:{}", t.event_id, t.kind, t.not_applied.is_none()))
                .collect()
        })
        .collect();
    assert_eq!(
        timelines[0].len(),
        4,
        "reported, assigned, rectified, accepted: {:?}",
        timelines[0]
    );
    assert!(
        timelines.iter().all(|t| t == &timelines[0]),
        "{timelines:?}"
    );

    // The server's projection agrees.
    let (status, evidence): (String, i64) = cluster
        .server
        .block(async { sqlx_row(&cluster, &hz).await });
    assert_eq!((status.as_str(), evidence), ("accepted", 1));
}

async fn sqlx_row(cluster: &Cluster, hz: &str) -> (String, i64) {
    use sqlx_any::Row;
    let row = sqlx_any::query("SELECT status, evidence_complete FROM hazards WHERE id = $1")
        .bind(hz)
        .fetch_one(&cluster.server.state.db.pool)
        .await
        .expect("projection");
    (
        row.try_get("status").expect("status"),
        row.try_get("evidence_complete").expect("evidence"),
    )
}
