//! The exported API, called the way the Kotlin and Swift bindings call it: typed records in,
//! typed records and the small public error out.

mod common;

use closeloop::api::*;

fn user(id: &str, role: UserRole, sites: Vec<String>) -> UserIdentity {
    UserIdentity {
        user_id: id.into(),
        display_name: id.into(),
        role,
        org_id: common::ORG.into(),
        grid_ids: if role == UserRole::Owner {
            vec![]
        } else {
            vec![common::GRID.into()]
        },
        site_ids: sites,
        device_id: format!("{id}-phone"),
    }
}

fn restaurant() -> SiteProfile {
    SiteProfile {
        jurisdiction: Jurisdiction::China,
        premises: PremisesType::Restaurant,
        floor_area_m2: 300.0,
        storeys: 1,
        building_height_m: 5.0,
        below_ground: false,
        occupants: 120,
        sleepers: 0,
        public_gathering_place: true,
        key_fire_safety_unit: false,
        public_institution: false,
        gas: GasSupply::Lpg,
        kitchen: true,
        ebike_parking: false,
        ebike_charging: false,
        flammable_goods: false,
        mixed_living: false,
        hydrants: true,
        sprinklers: false,
        fire_alarm: false,
        hazard_level: HazardLevel::Medium,
        opens_at: None,
        closes_at: None,
        subtype: None,
        boarding: false,
        in_residential_building: false,
        staff_dormitory: false,
        combustible_dust: false,
        hot_work: false,
        fire_control_room: false,
    }
}

#[tokio::test]
async fn profile_version_2_facts_cross_the_api_and_a_bad_time_is_input() {
    let dir = tempfile::tempdir().expect("tmp");
    let folder = dir.path().join("ws").to_string_lossy().into_owned();
    let ws = open_workspace(folder, user("wang", UserRole::Inspector, vec![]), 480)
        .await
        .expect("open");
    let profile = SiteProfile {
        premises: PremisesType::EntertainmentVenue,
        opens_at: Some("18:00".into()),
        closes_at: Some("02:00".into()),
        subtype: Some(SiteSubtype::Ktv),
        in_residential_building: true,
        hot_work: true,
        ..restaurant()
    };
    let site = ws
        .create_site(NewSite {
            grid_id: "grid-1".into(),
            name: "星光KTV".into(),
            address: String::new(),
            latitude: None,
            longitude: None,
            profile: profile.clone(),
        })
        .await
        .expect("site");
    assert_eq!(site.profile, profile);
    let bad = SiteProfile {
        closes_at: Some("25:00".into()),
        ..profile
    };
    let e = ws
        .update_site_profile(site.id, bad)
        .await
        .expect_err("not a time");
    assert!(
        matches!(&e, CoreError::InvalidInput { field, .. } if field == "closes_at"),
        "{e:?}"
    );
}

#[tokio::test]
async fn an_inspection_through_the_exported_api() {
    let dir = tempfile::tempdir().expect("tmp");
    let folder = dir.path().join("ws").to_string_lossy().into_owned();
    let ws = open_workspace(
        folder.clone(),
        user("wang", UserRole::Inspector, vec![]),
        480,
    )
    .await
    .expect("open");
    assert_eq!(ws.actor_id().expect("actor").len(), 32);
    let site = ws
        .create_site(NewSite {
            grid_id: common::GRID.into(),
            name: "川菜馆".into(),
            address: "1 Road".into(),
            latitude: Some(31.2),
            longitude: Some(121.4),
            profile: restaurant(),
        })
        .await
        .expect("site");
    assert_eq!(
        site.profile,
        restaurant(),
        "profile round-trips through the FFI records"
    );

    let checklist = ws
        .checklist(site.id.clone(), InspectionPurpose::FullInspection)
        .await
        .expect("checklist");
    let count = checklist
        .items
        .iter()
        .find(|i| matches!(i.answer, AnswerKind::Count { .. }))
        .expect("count item");
    assert!(
        count
            .requirement
            .as_deref()
            .is_some_and(|r| r.contains("2A")),
        "{:?}",
        count.requirement
    );
    assert!(count.why.iter().all(|w| w.contains("jurisdiction == cn")));

    let insp = ws
        .start_inspection(site.id.clone(), InspectionPurpose::FullInspection)
        .await
        .expect("start");
    let outcome = ws
        .answer_item(
            insp.clone(),
            "fire-law.exits-clear".into(),
            Answer::Fail,
            "boxes".into(),
        )
        .await
        .expect("answer");
    assert_eq!(
        outcome,
        AnswerOutcome::Fail {
            reason: "marked failed".into()
        }
    );

    let photo_path = dir.path().join("exit.jpg");
    std::fs::write(&photo_path, common::jpeg(1024, 768)).expect("write photo");
    let photo = ws
        .attach_photo(
            insp.clone(),
            Some("fire-law.exits-clear".into()),
            photo_path.to_string_lossy().into_owned(),
        )
        .await
        .expect("photo");
    assert_eq!((photo.width, photo.height), (1024, 768));

    let bad_path = dir.path().join("bad.jpg");
    std::fs::write(&bad_path, b"\xff\xd8\xff\xe0 truncated").expect("write");
    let err = ws
        .attach_photo(insp.clone(), None, bad_path.to_string_lossy().into_owned())
        .await
        .expect_err("corrupt");
    assert!(matches!(err, CoreError::PhotoDamaged { .. }), "{err:?}");

    let hazard = ws
        .raise_hazard(
            insp.clone(),
            "fire-law.exits-clear".into(),
            "".into(),
            vec![],
        )
        .await
        .expect("hazard");
    assert_eq!(hazard.summary.status, Some(HazardStatus::Reported));
    assert_eq!(hazard.before_photos, vec![photo.sha256.clone()]);
    let err = ws
        .act_on_hazard(
            hazard.summary.id.clone(),
            HazardAction::Accept,
            "".into(),
            vec![],
        )
        .await
        .expect_err("inspector");
    assert!(
        matches!(&err, CoreError::NotAllowed { rule, .. } if rule == "hazard.accept.supervisor_only"),
        "{err:?}"
    );

    let inspection = ws.inspection(insp.clone()).await.expect("inspection");
    let exits = inspection
        .items
        .iter()
        .find(|i| i.item.id == "fire-law.exits-clear")
        .expect("item");
    assert_eq!(exits.answer, Some(Answer::Fail));
    assert_eq!(exits.photos.len(), 1);
    assert_eq!(inspection.unanswered as usize, inspection.items.len() - 1);

    let open = ws
        .hazards(HazardQuery {
            open_only: true,
            ..HazardQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(open.len(), 1);
    assert!(ws.pending_uploads().await.expect("outbox") >= 2);

    let err = open_workspace(folder, user("wang", UserRole::Inspector, vec![]), 480)
        .await
        .expect_err("in use");
    assert!(matches!(err, CoreError::WorkspaceInUse), "{err:?}");
}

#[tokio::test]
async fn invalid_input_names_the_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = open_workspace(
        dir.path().to_string_lossy().into_owned(),
        user("wang", UserRole::Inspector, vec![]),
        480,
    )
    .await
    .expect("open");
    let mut p = restaurant();
    p.sleepers = 500;
    let err = ws
        .create_site(NewSite {
            grid_id: common::GRID.into(),
            name: "x".into(),
            address: "".into(),
            latitude: None,
            longitude: None,
            profile: p,
        })
        .await
        .expect_err("invalid");
    assert!(
        matches!(&err, CoreError::InvalidInput { field, .. } if field == "sleepers"),
        "{err:?}"
    );
    let err = ws
        .create_site(NewSite {
            grid_id: common::GRID.into(),
            name: "x".into(),
            address: "".into(),
            latitude: Some(1.0),
            longitude: None,
            profile: restaurant(),
        })
        .await
        .expect_err("half a location");
    assert!(
        matches!(&err, CoreError::InvalidInput { field, .. } if field == "location"),
        "{err:?}"
    );
    let err = ws
        .inspection("insp-nope".into())
        .await
        .expect_err("missing");
    assert!(matches!(err, CoreError::NotFound { .. }));
}

#[test]
fn every_premises_type_round_trips() {
    for premises in [
        PremisesType::SmallShop,
        PremisesType::Restaurant,
        PremisesType::Hotel,
        PremisesType::EntertainmentVenue,
        PremisesType::Warehouse,
        PremisesType::FactoryWorkshop,
        PremisesType::HighRiseResidential,
        PremisesType::ResidentialCompound,
        PremisesType::SchoolKindergarten,
        PremisesType::ClinicCareHome,
        PremisesType::Office,
    ] {
        let p = SiteProfile {
            premises,
            building_height_m: 30.0,
            ..restaurant()
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        let dir = tempfile::tempdir().expect("tmp");
        rt.block_on(async {
            let ws = open_workspace(
                dir.path().to_string_lossy().into_owned(),
                user("wang", UserRole::Inspector, vec![]),
                480,
            )
            .await
            .expect("open");
            let site = ws
                .create_site(NewSite {
                    grid_id: common::GRID.into(),
                    name: "x".into(),
                    address: "".into(),
                    latitude: None,
                    longitude: None,
                    profile: p.clone(),
                })
                .await
                .expect("site");
            assert_eq!(site.profile.premises, premises);
        });
    }
}
