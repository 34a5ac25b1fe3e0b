//! Checklists differ by premises: no two premises types of different use get the same items, both
//! for the example sites and for sites that differ in nothing but their premises type.

use closeloop_checklists::{Premises, Purpose, SiteProfile, builtin};
use std::collections::BTreeSet;
use std::path::Path;

fn profile(name: &str) -> SiteProfile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("profiles/{name}.toml"));
    SiteProfile::from_toml(&std::fs::read_to_string(path).expect("profile exists")).expect("valid")
}

fn items(p: &SiteProfile) -> BTreeSet<String> {
    builtin()
        .generate(p, Purpose::FullInspection)
        .items
        .into_iter()
        .map(|i| i.id)
        .collect()
}

/// High-rise flats and a residential compound are the same use (homes).
fn same_use(a: Premises, b: Premises) -> bool {
    let homes = [Premises::HighRiseResidential, Premises::ResidentialCompound];
    a == b || (homes.contains(&a) && homes.contains(&b))
}

fn assert_all_differ(sites: &[(String, SiteProfile)]) {
    let lists: Vec<(&str, Premises, BTreeSet<String>)> = sites
        .iter()
        .map(|(n, p)| (n.as_str(), p.premises, items(p)))
        .collect();
    let mut same = Vec::new();
    for (i, a) in lists.iter().enumerate() {
        for b in &lists[i + 1..] {
            if !same_use(a.1, b.1) && a.2 == b.2 {
                same.push(format!("{} and {}", a.0, b.0));
            }
        }
    }
    assert!(same.is_empty(), "identical checklists: {}", same.join("; "));
}

#[test]
fn example_sites_of_different_use_get_different_checklists() {
    let names = [
        "small-shop",
        "restaurant-lpg",
        "hotel",
        "mixed-use-guesthouse",
        "ktv",
        "warehouse",
        "factory-workshop",
        "high-rise-ebike",
        "residential-compound",
        "kindergarten",
        "boarding-school",
        "care-home",
        "office",
    ];
    let sites: Vec<(String, SiteProfile)> =
        names.iter().map(|n| (n.to_string(), profile(n))).collect();
    let covered: BTreeSet<Premises> = sites.iter().map(|(_, p)| p.premises).collect();
    assert_eq!(
        covered.len(),
        Premises::ALL.len(),
        "an example for every premises type"
    );
    assert_all_differ(&sites);
}

#[test]
fn sites_that_differ_only_in_premises_get_different_checklists() {
    for (base, tall) in [("hotel", true), ("office", false), ("small-shop", false)] {
        let base = profile(base);
        let sites: Vec<(String, SiteProfile)> = Premises::ALL
            .iter()
            .filter(|&&p| tall || p != Premises::HighRiseResidential)
            .map(|&premises| {
                let mut p = base.clone();
                p.premises = premises;
                p.subtype = Default::default();
                p.boarding = false;
                p.validate().unwrap_or_else(|e| panic!("{premises}: {e}"));
                (premises.to_string(), p)
            })
            .collect();
        assert_all_differ(&sites);
    }
}

#[test]
fn kindergartens_and_care_homes_differ_where_the_rules_do() {
    let kindergarten = items(&profile("kindergarten"));
    let care = items(&profile("care-home"));
    for id in [
        "gb50016.children-rooms-floor",
        "mps61.fire.children-rooms",
        "mps61.routes.kindergarten-corridors",
    ] {
        assert!(kindergarten.contains(id) && !care.contains(id), "{id}");
    }
    for id in [
        "mca-eldercare-2023.no-combustible-sandwich-panels",
        "mca-eldercare-2023.no-combustible-decoration",
        "mps61.fire.care-rooms",
        "mps61.routes.care-corridors",
    ] {
        assert!(care.contains(id) && !kindergarten.contains(id), "{id}");
    }
    for id in ["mps61.patrol.night", "gbt40248.night-patrol-2h"] {
        assert!(care.contains(id) && kindergarten.contains(id), "{id}");
    }
}

#[test]
fn each_premises_type_gets_its_own_content() {
    let expect = [
        ("hotel", "gbt40248.night-patrol-2h"),
        ("hotel", "high-rise-2021.control-room.two-per-shift"),
        ("hotel", "mps61.routes.hotel-corridors"),
        ("ktv", "gb50016.ktv-room-doors"),
        ("ktv", "mps61.patrol.ktv-room-signs"),
        ("ktv", "mps61.fire.ktv-rooms"),
        ("warehouse", "work-safety-law-42.no-dormitory-in-building"),
        ("warehouse", "mps61.routes.warehouse-stacking"),
        ("factory-workshop", "mem10-2023.dust-explosion-items"),
        ("factory-workshop", "mps61.hot-work.area-cleared"),
        ("factory-workshop", "work-safety-law-42.dormitory-exits"),
        ("residential-compound", "mps120.property.shared-facilities"),
        ("residential-compound", "mps120.committee.volunteer-team"),
        ("restaurant-lpg", "gb50028.detector-distance-lpg"),
        ("restaurant-lpg", "gb55009.commercial.cylinders-ventilated"),
        ("office", "mps61.fire.office-power-strips"),
        ("office", "mps61.patrol.fire-doors-closed"),
        ("small-shop", "gb50016.shop-under-flats.separate-exits"),
        ("boarding-school", "mps61.fire.dormitory-appliances"),
    ];
    for (site, id) in expect {
        assert!(items(&profile(site)).contains(id), "{site} lacks {id}");
    }
}
