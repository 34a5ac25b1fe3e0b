//! What an inspector expects of the example sites, asserted item by item (the golden files pin the
//! whole text; these pin the facts that matter, so a pack change that breaks one is caught by name).

use closeloop_checklists::{
    Answer, Checklist, ChecklistItem, Frequency, PACK_FILES, Purpose, SiteProfile, TaskPlan,
    builtin,
};
use std::path::Path;

fn profile(name: &str) -> SiteProfile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("profiles/{name}.toml"));
    SiteProfile::from_toml(&std::fs::read_to_string(path).expect("profile exists")).expect("valid")
}

fn full(name: &str) -> Checklist {
    builtin().generate(&profile(name), Purpose::FullInspection)
}

fn item<'a>(c: &'a Checklist, id: &str) -> &'a ChecklistItem {
    c.items
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

fn has(c: &Checklist, id: &str) -> bool {
    c.items.iter().any(|i| i.id == id)
}

fn any_from(c: &Checklist, pack: &str) -> bool {
    c.items.iter().any(|i| i.why.iter().any(|r| r.pack == pack))
}

fn task<'a>(plan: &'a TaskPlan, id: &str) -> &'a closeloop_checklists::PlannedTask {
    plan.tasks
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("task {id} missing"))
}

#[test]
fn every_pack_file_is_shipped() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("packs");
    for entry in std::fs::read_dir(dir).expect("packs dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".toml") && name != "documents.toml" {
            assert!(
                PACK_FILES.iter().any(|(n, _)| *n == name),
                "{name} is not in builtin.rs"
            );
        }
    }
    let s = builtin().summary();
    assert!(s.items >= 300, "only {} items", s.items);
    let mut sources: Vec<String> = builtin()
        .items()
        .into_iter()
        .flat_map(|i| i.citations.into_iter().map(|c| c.doc))
        .collect();
    sources.sort();
    sources.dedup();
    assert!(
        sources.len() >= 15,
        "only {} sources: {sources:?}",
        sources.len()
    );
}

#[test]
fn restaurant_on_lpg_gets_gas_alarm_and_two_hourly_patrols() {
    let c = full("restaurant-lpg");
    let alarm = item(&c, "work-safety-law.gas-alarm-installed");
    let docs: Vec<&str> = alarm.citations.iter().map(|c| c.doc.as_str()).collect();
    assert!(docs.contains(&"cn-work-safety-law-2021") && docs.contains(&"gb55009-2021"));
    // 300 m² medium hazard: Q = 300 / 75 = 4A, two 2A units.
    assert_eq!(
        item(&c, "gb50140.count-class-a").answer,
        Answer::Count { min: 2 }
    );
    assert!(!any_from(&c, "ebike-notice-2017") && !any_from(&c, "ga703"));
    assert!(!any_from(&c, "osha-1910"));
    let plan = builtin().task_plan(&profile("restaurant-lpg"));
    assert_eq!(
        task(&plan, "mps61.task.patrol-every-2h").frequency,
        Frequency::Every2HoursOpen
    );
    assert!(
        plan.tasks
            .iter()
            .all(|t| t.id != "mps61.task.self-check-daily")
    );
}

#[test]
fn exits_item_merges_every_regulation_that_requires_it() {
    let c = full("restaurant-lpg");
    let exits = item(&c, "fire-law.exits-clear");
    let sources: Vec<&str> = exits.why.iter().map(|r| r.item.as_str()).collect();
    assert!(sources.contains(&"fire-law.exits-clear"));
    assert!(sources.contains(&"mps61.patrol.exits-clear"));
    assert_eq!(exits.on_fail.rectify_days, 0);
    assert!(
        !has(&c, "mps61.patrol.exits-clear"),
        "merged items appear once"
    );
}

#[test]
fn small_shop_has_no_gas_ebike_or_crowd_items() {
    let c = full("small-shop");
    for pack in [
        "work-safety-law",
        "gb55009",
        "ebike-notice-2017",
        "high-rise-2021",
        "ga703",
    ] {
        assert!(
            !any_from(&c, pack),
            "{pack} should not apply to a corner shop"
        );
    }
    assert!(!has(&c, "mps61.patrol.every-2h"));
    let plan = builtin().task_plan(&profile("small-shop"));
    assert_eq!(
        task(&plan, "mps61.task.self-check-daily").frequency,
        Frequency::Daily
    );
}

#[test]
fn mixed_use_guesthouse_is_checked_against_ga703_and_ebike_rules() {
    let c = full("mixed-use-guesthouse");
    assert!(any_from(&c, "ga703"));
    assert!(any_from(&c, "ebike-notice-2017"));
    assert!(has(&c, "fire-law.mixed-use-standard"));
    let merged = item(&c, "fire-law.mixed-use-standard");
    assert!(merged.citations.iter().any(|c| c.doc == "ga703-2007"));
    assert!(
        merged
            .citations
            .iter()
            .any(|c| c.doc == "gb35181-2017" && c.clause == "7.1.3")
    );
}

#[test]
fn warehouse_with_flammables_counts_severe_hazard_extinguishers() {
    let c = full("warehouse");
    // 2400 m² severe hazard: Q = 2400 / 50 = 48A, 48 / 3A = 16 units.
    assert_eq!(
        item(&c, "gb50140.count-class-a").answer,
        Answer::Count { min: 16 }
    );
    assert!(has(&c, "mps61.inspect.flammables-precautions"));
    let plan = builtin().task_plan(&profile("warehouse"));
    assert_eq!(
        task(&plan, "mps61.task.patrol-daily").frequency,
        Frequency::Daily
    );
}

#[test]
fn high_rise_with_ebikes_gets_article_37() {
    let c = full("high-rise-ebike");
    assert!(any_from(&c, "high-rise-2021"));
    assert!(c.items.iter().any(|i| {
        i.citations
            .iter()
            .any(|c| c.doc == "cn-mem-order-5-2021" && c.clause == "Art. 37")
    }));
    assert!(
        !has(&c, "gb50140.count-class-a"),
        "homes follow 6.1.3, not the shop count"
    );
}

#[test]
fn ktv_takes_the_1_3_factor_and_gathering_place_rules() {
    let c = full("ktv");
    // 900 m² over 2 storeys, severe: Q = 1.3 × 450 / 50 = 11.7A, ⌈11.7 / 3⌉ = 4 per storey.
    assert_eq!(
        item(&c, "gb50140.count-class-a").answer,
        Answer::Count { min: 8 }
    );
    assert!(has(&c, "mps61.patrol.every-2h"));
    assert!(has(&c, "mps61.training.half-yearly"));
    assert!(
        !c.notices.is_empty(),
        "GB 35181-2017 supersession is announced"
    );
}

#[test]
fn kindergarten_patrols_at_night() {
    let c = full("kindergarten");
    assert!(has(&c, "mps61.patrol.night"));
    let plan = builtin().task_plan(&profile("kindergarten"));
    assert!(
        task(&plan, "mps61.task.night-patrol")
            .items
            .contains(&"mps61.patrol.night".to_owned())
    );
}

#[test]
fn us_office_gets_only_osha_and_nfpa() {
    let c = full("us-office");
    assert!(!c.items.is_empty());
    for i in &c.items {
        assert!(
            i.why
                .iter()
                .all(|r| r.pack == "osha-1910" || r.pack == "nfpa10"),
            "{} is not a US item",
            i.id
        );
    }
    assert!(
        c.packs
            .iter()
            .all(|p| !p.id.starts_with("gb") && p.id != "fire-law")
    );
}

#[test]
fn two_hourly_patrols_count_only_opening_hours() {
    let plan = builtin().task_plan(&profile("restaurant-lpg"));
    let t = task(&plan, "mps61.task.patrol-every-2h");
    // 10:00–22:00: six patrols, not twelve.
    assert_eq!(t.times_a_day, Some(6));
    assert_eq!(
        t.open_hours.map(|h| h.to_string()),
        Some("10:00–22:00".into())
    );
    // A KTV open 18:00–02:00 patrols four times.
    let ktv = builtin().task_plan(&profile("ktv"));
    assert_eq!(
        task(&ktv, "mps61.task.patrol-every-2h").times_a_day,
        Some(4)
    );
    // A hotel gives no hours: it is open around the clock.
    let hotel = builtin().task_plan(&profile("hotel"));
    let t = task(&hotel, "mps61.task.patrol-every-2h");
    assert_eq!((t.open_hours, t.times_a_day), (None, Some(12)));
    // Tasks of other frequencies carry no count.
    assert!(
        plan.tasks
            .iter()
            .filter(|t| t.frequency != Frequency::Every2HoursOpen)
            .all(|t| t.times_a_day.is_none())
    );
}

#[test]
fn version_1_profiles_still_load_and_give_the_same_checklist_as_defaults() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let v2_keys = [
        "opens_at",
        "closes_at",
        "subtype",
        "boarding",
        "in_residential_building",
        "staff_dormitory",
        "combustible_dust",
        "hot_work",
        "fire_control_room",
    ];
    for entry in std::fs::read_dir(dir).expect("profiles") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("text");
        let v1: String = text
            .lines()
            .filter(|l| !v2_keys.iter().any(|k| l.starts_with(&format!("{k} "))))
            .map(|l| l.replace("schema_version = 2", "schema_version = 1") + "\n")
            .collect();
        let old = SiteProfile::from_toml(&v1).expect("v1 profile loads");
        assert_eq!(old.schema_version, 2, "upgraded in memory");
        let mut new = SiteProfile::from_toml(&text).expect("v2 profile loads");
        new.opens_at = None;
        new.closes_at = None;
        new.subtype = Default::default();
        new.boarding = false;
        new.in_residential_building = false;
        new.staff_dormitory = false;
        new.combustible_dust = false;
        new.hot_work = false;
        new.fire_control_room = false;
        assert_eq!(old, new);
        assert_eq!(
            builtin().generate(&old, Purpose::FullInspection),
            builtin().generate(&new, Purpose::FullInspection)
        );
    }
}
