//! The November 2026 review's corrections (../shared/regulations.md §11), each pinned by a test so
//! that a later content change cannot quietly undo one.

use closeloop_checklists::{
    Answer, Checklist, ItemView, PackSet, Purpose, Severity, SiteProfile, Source, builtin, render,
};
use std::path::Path;

fn profile(name: &str) -> SiteProfile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("profiles/{name}.toml"));
    SiteProfile::from_toml(&std::fs::read_to_string(path).expect("profile exists")).expect("valid")
}

fn full(p: &SiteProfile) -> Checklist {
    builtin().generate(p, Purpose::FullInspection)
}

fn items_of(pack: &str) -> Vec<ItemView> {
    builtin()
        .items()
        .into_iter()
        .filter(|i| i.pack == pack)
        .collect()
}

fn view(id: &str) -> ItemView {
    builtin()
        .items()
        .into_iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

fn clauses(v: &ItemView, doc: &str) -> Vec<String> {
    v.citations
        .iter()
        .filter(|c| c.doc == doc)
        .map(|c| c.clause.clone())
        .collect()
}

#[test]
fn gb50140_the_1_3_factor_is_7_3_3_and_covers_shops() {
    let count = view("gb50140.count-class-a");
    let cited = clauses(&count, "gb50140-2005");
    assert!(cited.contains(&"7.3.3".to_owned()), "{cited:?}");
    assert!(!cited.contains(&"7.3.2".to_owned()), "7.3.2 is the K table");
    // A 600 m² medium-hazard shop: Q = 1.3 × 600 / 75 = 10.4A, six 2A units (not four).
    let mut shop = profile("small-shop");
    shop.floor_area_m2 = 600.0;
    let c = full(&shop);
    let item = c
        .items
        .iter()
        .find(|i| i.id == "gb50140.count-class-a")
        .expect("count item");
    assert_eq!(item.answer, Answer::Count { min: 6 });
    let req = item.requirement.as_ref().expect("explained");
    assert!(req.text_en.contains("1.3 ×") && req.text_en.contains("7.3.3"));
}

#[test]
fn ga703_cites_its_own_numbering_and_4_7_is_advisory() {
    let own = [
        "4.1",
        "4.2",
        "4.3",
        "4.4",
        "4.5",
        "4.6",
        "4.7",
        "4.8",
        "5.1",
        "4.1–4.3",
    ];
    let mut seen_4_7 = false;
    for set_item in builtin().items() {
        for c in set_item.citations.iter().filter(|c| c.doc == "ga703-2007") {
            assert!(
                own.contains(&c.clause.as_str()),
                "{} cites GA 703 `{}`, not the standard's own numbering",
                set_item.id,
                c.clause
            );
            if c.clause == "4.7" {
                seen_4_7 = true;
                assert!(
                    set_item.advisory,
                    "{} cites 4.7 (宜) as a requirement",
                    set_item.id
                );
                assert!(set_item.text_zh.contains('宜'), "{}", set_item.id);
                assert_eq!(set_item.fail.severity, Severity::General);
            }
        }
    }
    assert!(seen_4_7);
    // The overall item names the mandatory clauses; no other item calls itself mandatory.
    let overall = view("ga703.overall");
    assert_eq!(clauses(&overall, "ga703-2007"), ["4.1–4.3"]);
    for v in items_of("ga703").iter().filter(|v| v.id != "ga703.overall") {
        assert!(
            !v.text_zh.contains("强制") && !v.text_en.contains("mandatory"),
            "{} contradicts ga703.overall",
            v.id
        );
    }
    // Nothing anywhere still cites the reprint's appendix numbering.
    assert!(
        builtin()
            .items()
            .iter()
            .flat_map(|v| &v.citations)
            .all(|c| !c.clause.contains("App. A A.1"))
    );
}

#[test]
fn ebike_notice_management_responsibility_is_item_2() {
    let v = view("ebike-notice-2017.management-responsibility");
    assert_eq!(clauses(&v, "cn-mps-ebike-notice-2017"), ["Item 2"]);
    for id in [
        "ebike-notice-2017.no-parking-common-areas",
        "ebike-notice-2017.no-charging-common-areas",
        "ebike-notice-2017.home-avoid",
    ] {
        assert_eq!(clauses(&view(id), "cn-mps-ebike-notice-2017"), ["Item 3"]);
    }
}

#[test]
fn nfpa10_hydrostatic_interval_follows_the_shell_and_damage_check_needs_severe_hazard() {
    let date = |id: &str| {
        let set = builtin();
        let mut p = profile("us-office");
        p.hazard_level = closeloop_checklists::HazardLevel::Severe;
        let c = set.generate(&p, Purpose::FullInspection);
        c.items
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.answer.clone())
    };
    assert_eq!(
        date("nfpa10.hydrotest.twelve-year"),
        Some(Answer::Date {
            max_age_months: 144
        })
    );
    assert_eq!(
        date("nfpa10.hydrotest.stainless-five-year"),
        Some(Answer::Date { max_age_months: 60 })
    );
    assert!(
        view("nfpa10.hydrotest.twelve-year")
            .text_en
            .contains("aluminium")
    );
    assert!(
        view("nfpa10.hydrotest.stainless-five-year")
            .text_en
            .contains("Stainless")
    );
    assert!(
        date("nfpa10.inspect.damage").is_some(),
        "severe hazard: 7.2.2.1–7.2.2.2 apply"
    );
    let light = full(&profile("us-office"));
    assert!(light.items.iter().all(|i| i.id != "nfpa10.inspect.damage"));
    assert_eq!(
        clauses(&view("nfpa10.inspect.damage"), "us-nfpa10"),
        ["7.2.2.1–7.2.2.2 (2007 ed.)"]
    );
    let access = view("nfpa10.inspect.access-visibility");
    assert!(
        access
            .citations
            .iter()
            .any(|c| c.clause == "7.2.2(2) (2007 ed.)" && c.verified)
    );
}

#[test]
fn gb55009_commercial_clause_numbers_are_unverified() {
    let mut commercial = 0;
    for v in items_of("gb55009") {
        for c in v.citations.iter().filter(|c| c.doc == "gb55009-2021") {
            if v.id.starts_with("gb55009.commercial.") {
                commercial += 1;
                assert!(
                    !c.verified,
                    "{} cites an unconfirmed number as verified",
                    v.id
                );
            } else if c.clause.starts_with("6.1.") {
                assert!(c.verified, "{}: household 6.1.x clauses are V", v.id);
            }
        }
    }
    assert!(commercial >= 5);
}

#[test]
fn gb35181_2017_elements_are_historical_only() {
    let set = builtin();
    for v in set.items() {
        assert_eq!(
            v.fail.gb35181, None,
            "{} is stamped with an element in force",
            v.id
        );
    }
    let ktv = profile("ktv");
    let c = full(&ktv);
    assert!(c.items.iter().all(|i| i.on_fail.gb35181.is_none()));
    let text = render::checklist(&c, "ktv");
    assert!(text.contains("historical ref.: GB 35181-2017 element 7.3.3"));
    assert!(text.contains("[HISTORICAL]"));
    let notice = c
        .notices
        .iter()
        .find(|n| n.doc == "gb35181-2017")
        .expect("notice");
    assert!(
        notice.text_en.contains("has not been verified"),
        "{}",
        notice.text_en
    );
    assert!(notice.text_zh.contains("未经核实"));
    // Where the sheet has a requirement in force behind an element, the item cites it first.
    for id in [
        "gb35181-2017.6-1.flammables-siting",
        "gb35181-2017.6-2.flammables-separation",
        "gb35181-2017.6-6.sprinklers-alarm",
        "gb35181-2017.7-2-2.fire-doors-shutters",
        "gb35181-2017.7-3-6.signs-lighting",
        "gb35181-2017.7-3-6.signs-lighting-high-rise",
        "gb35181-2017.7-3-7.stair-doors",
        "gb35181-2017.7-5.smoke-control",
        "gb35181-2017.7-7-2.fire-alarm-working",
    ] {
        let v = view(id);
        assert_ne!(v.citations[0].doc, "gb35181-2017", "{id}");
        assert!(v.fail.gb35181_2017.is_some(), "{id} keeps its 2017 element");
    }
}

#[test]
fn a_pack_stamping_an_element_as_in_force_is_refused() {
    let docs = Source {
        name: "documents.toml".into(),
        text: "[[document]]\nid = \"law\"\ntitle_zh = \"法\"\ntitle_en = \"Law\"\n".into(),
    };
    let pack = Source {
        name: "p.toml".into(),
        text: "[pack]\nid = \"p\"\nversion = \"1\"\njurisdiction = \"cn\"\ntitle_zh = \"包\"\ntitle_en = \"Pack\"\n\n[[item]]\nid = \"p.x\"\ntext_zh = \"好\"\ntext_en = \"Good\"\nfrequency = \"daily\"\ncite = [{ doc = \"law\", clause = \"Art. 1\" }]\n[item.fail]\nseverity = \"general\"\ngb35181 = \"7.3.3\"\nrectify_days = 1\nmeasure_zh = \"改\"\nmeasure_en = \"Fix\"\n".into(),
    };
    let errs = PackSet::load(&docs, &[pack]).expect_err("refused");
    assert!(errs[0].message.contains("gb35181_2017"), "{errs:?}");
}

#[test]
fn mps61_night_patrols_only_where_article_25_names_them() {
    let night = |p: &SiteProfile| full(p).items.iter().any(|i| i.id == "mps61.patrol.night");
    let plan_has = |p: &SiteProfile| {
        builtin()
            .task_plan(p)
            .tasks
            .iter()
            .any(|t| t.id == "mps61.task.night-patrol")
    };
    let kindergarten = profile("kindergarten");
    assert!(night(&kindergarten) && plan_has(&kindergarten));
    let boarding = profile("boarding-school");
    assert!(night(&boarding) && plan_has(&boarding));
    let mut day_school = boarding.clone();
    day_school.boarding = false;
    day_school.sleepers = 0;
    assert!(
        !night(&day_school) && !plan_has(&day_school),
        "day schools are not named"
    );
    let care = profile("care-home");
    assert!(night(&care) && plan_has(&care));
    let mut hospital = care.clone();
    hospital.subtype = closeloop_checklists::Subtype::Hospital;
    assert!(night(&hospital));
    let mut clinic = care.clone();
    clinic.subtype = closeloop_checklists::Subtype::Clinic;
    clinic.sleepers = 0;
    assert!(
        !night(&clinic) && !plan_has(&clinic),
        "outpatient clinics are not named"
    );
    let v = view("mps61.patrol.night");
    assert!(v.text_zh.contains("托儿所") && v.text_en.contains("nurseries"));
}
