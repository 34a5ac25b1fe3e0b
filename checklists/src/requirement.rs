//! Requirements computed from the profile, e.g. how many extinguishers a unit needs.
//!
//! Packs name a rule instead of a number where the number depends on the site; each rule cites
//! the clauses it implements and explains its arithmetic so the inspector can check it.

use crate::profile::{HazardLevel, Premises, SiteProfile};

/// A named rule a pack can use for a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// GB 50140-2005 6.1.1, 6.2.1, 7.3.1, 7.3.3: class A hand-held extinguishers per storey.
    ExtinguishersClassA,
    /// GB 50140-2005 5.2.1: longest travel distance to a hand-held class A extinguisher.
    TravelDistanceClassA,
    /// GB 50140-2005 5.2.2: longest travel distance to a hand-held class B/C extinguisher.
    TravelDistanceClassB,
}

/// What a rule gives for one site: the number and the sentence that explains it.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    pub value: f64,
    pub explain_zh: String,
    pub explain_en: String,
}

/// Which answer kind a rule can bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleUse {
    CountMin,
    MeasureBound,
}

impl Rule {
    /// Looks a rule up by the name used in packs.
    pub fn parse(name: &str) -> Option<Rule> {
        Some(match name {
            "gb50140_extinguishers_class_a" => Rule::ExtinguishersClassA,
            "gb50140_travel_class_a" => Rule::TravelDistanceClassA,
            "gb50140_travel_class_b" => Rule::TravelDistanceClassB,
            _ => return None,
        })
    }

    /// Every rule's pack name, for error messages.
    pub const NAMES: [&'static str; 3] = [
        "gb50140_extinguishers_class_a",
        "gb50140_travel_class_a",
        "gb50140_travel_class_b",
    ];

    /// Which kind of answer the rule bounds.
    pub fn used_for(self) -> RuleUse {
        match self {
            Rule::ExtinguishersClassA => RuleUse::CountMin,
            Rule::TravelDistanceClassA | Rule::TravelDistanceClassB => RuleUse::MeasureBound,
        }
    }

    /// Computes the rule for `p`.
    pub fn compute(self, p: &SiteProfile) -> Computed {
        match self {
            Rule::ExtinguishersClassA => extinguishers_class_a(p),
            Rule::TravelDistanceClassA => {
                let d = match p.hazard_level {
                    HazardLevel::Severe => 15.0,
                    HazardLevel::Medium => 20.0,
                    HazardLevel::Light => 25.0,
                };
                travel(p, d, "A", "5.2.1")
            }
            Rule::TravelDistanceClassB => {
                let d = match p.hazard_level {
                    HazardLevel::Severe => 9.0,
                    HazardLevel::Medium => 12.0,
                    HazardLevel::Light => 15.0,
                };
                travel(p, d, "B/C", "5.2.2")
            }
        }
    }
}

fn level_zh(h: HazardLevel) -> &'static str {
    match h {
        HazardLevel::Light => "轻",
        HazardLevel::Medium => "中",
        HazardLevel::Severe => "严重",
    }
}

/// GB 50140-2005 table 6.2.1: (minimum rating per extinguisher in A, m² protected per A).
fn class_a_table(h: HazardLevel) -> (u32, f64) {
    match h {
        HazardLevel::Severe => (3, 50.0),
        HazardLevel::Medium => (2, 75.0),
        HazardLevel::Light => (1, 100.0),
    }
}

fn travel(p: &SiteProfile, metres: f64, class: &str, clause: &str) -> Computed {
    Computed {
        value: metres,
        explain_zh: format!(
            "{}危险级，手提式 {class} 类灭火器最大保护距离 {metres} m（GB 50140 {clause}）",
            level_zh(p.hazard_level)
        ),
        explain_en: format!(
            "at most {metres} m walk to a hand-held class {class} extinguisher at {} hazard (GB 50140 {clause})",
            p.hazard_level.as_str()
        ),
    }
}

/// Whether 7.3.3 (Q = 1.3·K·S/U) applies: 歌舞娱乐放映游艺场所 and 网吧 (both profiled as
/// entertainment venues), 商场 (shops), 寺庙 (no premises type) and underground places.
pub(crate) fn takes_1_3_factor(p: &SiteProfile) -> bool {
    matches!(
        p.premises,
        Premises::EntertainmentVenue | Premises::SmallShop
    ) || p.below_ground
}

/// Q = 1.3·K·S/U where 7.3.3 applies, Q = K·S/U otherwise (7.3.1); count = max(2, ⌈Q / rating⌉)
/// per storey (6.1.1, 6.2.1). K (7.3.2) is taken as 1.0: the reductions for hydrants and
/// sprinklers are not applied because their values are unverified, which errs towards more
/// extinguishers, never fewer.
fn extinguishers_class_a(p: &SiteProfile) -> Computed {
    let (rating, per_a) = class_a_table(p.hazard_level);
    let area = p.area_per_storey_m2();
    let boosted = takes_1_3_factor(p);
    let factor = if boosted { 1.3 } else { 1.0 };
    let q = factor * area / per_a;
    let by_rating = (q / f64::from(rating) - 1e-9).ceil().max(0.0) as u32;
    let per_storey = by_rating.max(2);
    let total = per_storey * p.storeys;
    let area_txt = fmt_num(area);
    let q_txt = fmt_num(q);
    let factor_txt = if boosted { "1.3 × " } else { "" };
    let formula = if boosted { "7.3.3" } else { "7.3.1" };
    let storeys_en = if p.storeys > 1 {
        format!(", {total} in all over {} storeys", p.storeys)
    } else {
        String::new()
    };
    let storeys_zh = if p.storeys > 1 {
        format!("，{} 层共 {total} 具", p.storeys)
    } else {
        String::new()
    };
    Computed {
        value: f64::from(total),
        explain_zh: format!(
            "每层（计算单元）至少 {per_storey} 具 {rating}A 灭火器{storeys_zh}：Q = {factor_txt}{area_txt} m² ÷ {per_a} m²/A = {q_txt}A，⌈{q_txt} ÷ {rating}A⌉ = {by_rating}，且每个计算单元不少于 2 具（GB 50140 6.1.1、6.2.1、{formula}）；K 取 1.0，未计消火栓/喷淋折减"
        ),
        explain_en: format!(
            "at least {per_storey} extinguishers rated {rating}A per storey (calculation unit){storeys_en}: Q = {factor_txt}{area_txt} m² / {per_a} m²/A = {q_txt}A, ceil({q_txt} / {rating}A) = {by_rating}, and never fewer than 2 per unit (GB 50140 6.1.1, 6.2.1, {formula}); K taken as 1.0, no reduction for hydrants or sprinklers"
        ),
    }
}

fn fmt_num(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{GasSupply, Jurisdiction};

    fn shop(area: f64, storeys: u32, level: HazardLevel) -> SiteProfile {
        SiteProfile {
            schema_version: 2,
            name: None,
            jurisdiction: Jurisdiction::Cn,
            premises: Premises::SmallShop,
            floor_area_m2: area,
            storeys,
            building_height_m: 4.0 * f64::from(storeys),
            below_ground: false,
            occupants: 5,
            sleepers: 0,
            public_gathering_place: false,
            key_fire_safety_unit: false,
            public_institution: false,
            gas: GasSupply::None,
            kitchen: false,
            ebike_parking: false,
            ebike_charging: false,
            flammable_goods: false,
            mixed_living: false,
            hydrants: false,
            sprinklers: false,
            fire_alarm: false,
            hazard_level: level,
            opens_at: None,
            closes_at: None,
            subtype: Default::default(),
            boarding: false,
            in_residential_building: false,
            staff_dormitory: false,
            combustible_dust: false,
            hot_work: false,
            fire_control_room: false,
        }
    }

    #[test]
    fn small_units_still_need_two() {
        let c = Rule::ExtinguishersClassA.compute(&shop(60.0, 1, HazardLevel::Light));
        assert_eq!(c.value, 2.0);
    }

    #[test]
    fn medium_hazard_600_m2_needs_four_2a_units() {
        // Q = 600 / 75 = 8A; 8A / 2A = 4 extinguishers (an office: 7.3.3 does not apply).
        let mut p = shop(600.0, 1, HazardLevel::Medium);
        p.premises = Premises::Office;
        let c = Rule::ExtinguishersClassA.compute(&p);
        assert_eq!(c.value, 4.0);
        assert!(
            c.explain_en.contains("Q = 600 m² / 75 m²/A = 8A"),
            "{}",
            c.explain_en
        );
    }

    #[test]
    fn severe_hazard_rounds_up_and_counts_every_storey() {
        // 1000 m² over 2 storeys: 500 m² per storey; Q = 10A; 10 / 3A = 3.33 → 4 per storey.
        let mut p = shop(1000.0, 2, HazardLevel::Severe);
        p.premises = Premises::Warehouse;
        let c = Rule::ExtinguishersClassA.compute(&p);
        assert_eq!(c.value, 8.0);
        assert!(c.explain_en.contains("8 in all over 2 storeys"));
    }

    #[test]
    fn entertainment_venues_take_the_1_3_factor() {
        let mut p = shop(300.0, 1, HazardLevel::Medium);
        p.premises = Premises::EntertainmentVenue;
        // Q = 1.3 × 300 / 75 = 5.2A → 3 units of 2A.
        let c = Rule::ExtinguishersClassA.compute(&p);
        assert_eq!(c.value, 3.0);
    }

    #[test]
    fn shops_and_underground_places_take_the_1_3_factor_under_7_3_3() {
        // Q = 1.3 × 600 / 75 = 10.4A → ⌈10.4 / 2A⌉ = 6, not the 4 that Q = K·S/U gives.
        let c = Rule::ExtinguishersClassA.compute(&shop(600.0, 1, HazardLevel::Medium));
        assert_eq!(c.value, 6.0);
        assert!(c.explain_en.contains("1.3 × 600") && c.explain_en.contains("7.3.3"));
        let mut office = shop(600.0, 1, HazardLevel::Medium);
        office.premises = Premises::Office;
        let c = Rule::ExtinguishersClassA.compute(&office);
        assert_eq!(c.value, 4.0);
        assert!(c.explain_en.contains("7.3.1") && !c.explain_en.contains("7.3.3"));
        office.below_ground = true;
        assert_eq!(Rule::ExtinguishersClassA.compute(&office).value, 6.0);
    }

    #[test]
    fn travel_distances_follow_hazard_level() {
        let light = shop(50.0, 1, HazardLevel::Light);
        let severe = shop(50.0, 1, HazardLevel::Severe);
        assert_eq!(Rule::TravelDistanceClassA.compute(&light).value, 25.0);
        assert_eq!(Rule::TravelDistanceClassA.compute(&severe).value, 15.0);
        assert_eq!(Rule::TravelDistanceClassB.compute(&severe).value, 9.0);
    }
}
