//! Properties of the engine over random valid profiles and the shipped packs: determinism,
//! unique ids, every item cited, and an item appears exactly when one of its sources applies.

use closeloop_checklists::{
    ClockTime, Condition, GasSupply, HazardLevel, Jurisdiction, PackSet, Premises, Purpose,
    SiteProfile, Subtype, builtin, builtin_sources,
};
use proptest::prelude::*;
use std::collections::HashSet;

fn profile() -> impl Strategy<Value = SiteProfile> {
    let premises = prop::sample::select(Premises::ALL.to_vec());
    let gas = prop::sample::select(vec![GasSupply::None, GasSupply::Piped, GasSupply::Lpg]);
    let level = prop::sample::select(vec![
        HazardLevel::Light,
        HazardLevel::Medium,
        HazardLevel::Severe,
    ]);
    let jurisdiction = prop::sample::select(vec![Jurisdiction::Cn, Jurisdiction::Us]);
    (
        (premises, gas, level, jurisdiction),
        (
            10.0f64..60_000.0,
            1u32..60,
            2.5f64..5.0,
            0u32..2_000,
            0u32..2_000,
        ),
        prop::collection::vec(any::<bool>(), 22),
        (0u16..1440, 1u16..1440, 0usize..8),
    )
        .prop_map(
            |(
                (premises, gas, hazard_level, jurisdiction),
                (area, storeys, storey_h, occ, sleep),
                flags,
                (opens, open_for, subtype),
            )| {
                let mut height = f64::from(storeys) * storey_h;
                if premises == Premises::HighRiseResidential && height <= 27.0 {
                    height = 27.5 + f64::from(storeys);
                }
                let mixed_living = flags[9];
                let boarding = flags[14] && premises == Premises::SchoolKindergarten;
                let mut sleepers = sleep.min(occ);
                if (mixed_living || boarding) && sleepers == 0 {
                    sleepers = 1;
                }
                // A subtype that fits the premises, or none.
                let subtype = Subtype::ALL[subtype];
                let subtype = if subtype.premises() == Some(premises) {
                    subtype
                } else {
                    Subtype::Unspecified
                };
                let hours = flags[15].then(|| {
                    (
                        ClockTime::from_minutes(opens).expect("in range"),
                        ClockTime::from_minutes((opens + open_for) % 1440).expect("in range"),
                    )
                });
                let residential = matches!(
                    premises,
                    Premises::HighRiseResidential | Premises::ResidentialCompound
                );
                SiteProfile {
                    schema_version: 2,
                    name: None,
                    jurisdiction,
                    premises,
                    floor_area_m2: area,
                    storeys,
                    building_height_m: height,
                    below_ground: flags[0],
                    occupants: occ.max(sleepers),
                    sleepers,
                    public_gathering_place: flags[1],
                    key_fire_safety_unit: flags[2],
                    public_institution: flags[3],
                    gas,
                    kitchen: flags[4],
                    ebike_parking: flags[5] || flags[6],
                    ebike_charging: flags[6],
                    flammable_goods: flags[7],
                    mixed_living,
                    hydrants: flags[10],
                    sprinklers: flags[11],
                    fire_alarm: flags[12],
                    hazard_level,
                    opens_at: hours.map(|h| h.0),
                    closes_at: hours.map(|h| h.1),
                    subtype,
                    boarding,
                    in_residential_building: flags[16],
                    staff_dormitory: flags[17] && !residential,
                    combustible_dust: flags[18],
                    hot_work: flags[19],
                    fire_control_room: flags[20],
                }
            },
        )
}

fn purpose() -> impl Strategy<Value = Purpose> {
    prop::sample::select(Purpose::ALL.to_vec())
}

fn holds(condition: &str, p: &SiteProfile) -> bool {
    Condition::parse(condition)
        .unwrap_or_else(|e| panic!("`{condition}` does not parse: {e:?}"))
        .eval(p)
}

/// The same packs given in the opposite order.
fn reversed() -> PackSet {
    let (docs, mut packs) = builtin_sources();
    packs.reverse();
    PackSet::load(&docs, &packs).expect("shipped packs load")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn generated_profiles_are_valid(p in profile()) {
        prop_assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn generation_is_deterministic(p in profile(), purpose in purpose()) {
        let packs = builtin();
        let a = packs.generate(&p, purpose);
        prop_assert_eq!(&a, &packs.generate(&p, purpose));
        prop_assert_eq!(&a, &reversed().generate(&p, purpose));
        prop_assert_eq!(packs.task_plan(&p), packs.task_plan(&p));
    }

    #[test]
    fn ids_are_unique_and_items_cited(p in profile(), purpose in purpose()) {
        let c = builtin().generate(&p, purpose);
        let mut seen = HashSet::new();
        for item in &c.items {
            prop_assert!(seen.insert(item.id.clone()), "duplicate id {}", item.id);
            prop_assert!(!item.citations.is_empty(), "{} has no citation", item.id);
            prop_assert!(!item.why.is_empty(), "{} says nothing about why", item.id);
        }
    }

    #[test]
    fn an_item_appears_exactly_when_a_source_applies(p in profile(), purpose in purpose()) {
        let packs = builtin();
        let c = packs.generate(&p, purpose);
        let listed: HashSet<&str> = c.items.iter().map(|i| i.id.as_str()).collect();
        let mut expected: HashSet<String> = HashSet::new();
        for view in packs.items() {
            let for_purpose = purpose == Purpose::FullInspection || view.purposes.contains(&purpose);
            let applies = view.jurisdiction == p.jurisdiction
                && view.conditions.iter().all(|cond| holds(cond, &p));
            if for_purpose && applies {
                expected.insert(view.canonical.clone());
            }
        }
        let expected_ref: HashSet<&str> = expected.iter().map(String::as_str).collect();
        prop_assert_eq!(listed, expected_ref);
        // And every stated reason holds when re-checked from its text.
        for item in &c.items {
            for why in &item.why {
                for cond in &why.conditions {
                    prop_assert!(holds(cond, &p), "{}: `{}` is false", item.id, cond);
                }
            }
        }
    }

    #[test]
    fn task_items_are_checklist_items(p in profile()) {
        let packs = builtin();
        let full: HashSet<String> = packs
            .generate(&p, Purpose::FullInspection)
            .items
            .into_iter()
            .map(|i| i.id)
            .collect();
        for task in packs.task_plan(&p).tasks {
            prop_assert!(!task.items.is_empty());
            prop_assert!(!task.citations.is_empty());
            for id in &task.items {
                prop_assert!(full.contains(id), "task {} lists {} outside the checklist", task.id, id);
            }
        }
    }
}
