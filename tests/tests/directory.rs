//! The phone's people directory: fetched at each sync, it tells who a site's hazards may be
//! assigned to, and the phone refuses anyone else by the same rule the server applies.

use closeloop::api::*;
use closeloop_e2e::{Cluster, Phone};

#[test]
fn the_phone_assigns_only_to_the_people_its_directory_shows_at_the_site() {
    let cluster = Cluster::start();
    let site = cluster.restaurant().to_owned();
    let wang = Phone::login(cluster.url(), "wang");
    assert!(
        wang.run(wang.ws.assignees(site.clone()))
            .unwrap_or_default()
            .is_empty(),
        "no directory before the first sync"
    );
    wang.sync();
    let zhang = Phone::login(cluster.url(), "zhang");
    let li = Phone::login(cluster.url(), "li");
    let people = wang
        .run(wang.ws.assignees(site.clone()))
        .expect("assignees");
    let ids: Vec<&str> = people.iter().map(|p| p.user_id.as_str()).collect();
    assert!(ids.contains(&zhang.user.user_id.as_str()), "{people:?}");
    assert!(ids.contains(&wang.user.user_id.as_str()), "{people:?}");
    assert!(
        !ids.contains(&li.user.user_id.as_str()),
        "a supervisor is not given work"
    );

    let insp = wang
        .run(
            wang.ws
                .start_inspection(site.clone(), InspectionPurpose::Patrol),
        )
        .expect("start");
    let item = "fire-law.exits-clear".to_owned();
    wang.run(
        wang.ws
            .answer_item(insp.clone(), item.clone(), Answer::Fail, "堵塞".into()),
    )
    .expect("answer");
    let hazard = wang
        .run(wang.ws.raise_hazard(insp, item, String::new(), vec![]))
        .expect("hazard")
        .summary
        .id;
    let assign = |who: &str| {
        wang.run(wang.ws.act_on_hazard(
            hazard.clone(),
            HazardAction::Assign {
                assignee: who.to_owned(),
                deadline: 1_900_000_000_000,
                measure: String::new(),
            },
            String::new(),
            vec![],
        ))
    };
    for (who, rule) in [
        (li.user.user_id.as_str(), "assignee.cannot_act"),
        ("u-nobody", "assignee.unknown"),
    ] {
        match assign(who) {
            Err(CoreError::NotAllowed { rule: r, .. }) => assert_eq!(r, rule, "{who}"),
            other => panic!("{who}: {other:?}"),
        }
    }
    assign(&zhang.user.user_id).expect("the owner may be assigned");
    let r = wang.sync();
    assert!(r.refused.is_empty(), "{r:?}");
}
