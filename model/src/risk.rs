//! Four-colour risk grading (红橙黄蓝) of a site, with the breakdown that produced it.
//!
//! Points come from the site's inherent risk (what it is and holds) and its live state (open
//! hazards, overdue items, self-check compliance). Thresholds and weights are configuration; the
//! defaults are documented in `docs/risk-grading.md`. Every grade carries its breakdown so a
//! supervisor can answer "why is this shop orange?".

use closeloop_checklists::{GasSupply, Premises, SiteProfile};
use serde::{Deserialize, Serialize};

/// The four colours, highest risk first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 重大风险.
    Red,
    /// 较大风险.
    Orange,
    /// 一般风险.
    Yellow,
    /// 低风险.
    Blue,
}

impl Grade {
    /// The name used in APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Red => "red",
            Grade::Orange => "orange",
            Grade::Yellow => "yellow",
            Grade::Blue => "blue",
        }
    }
}

/// Weights and thresholds. Every field has a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RiskConfig {
    /// Points at or above which a site is red, orange, yellow; below yellow it is blue.
    pub red_from: u32,
    pub orange_from: u32,
    pub yellow_from: u32,
    pub per_open_general: u32,
    pub open_general_cap: u32,
    pub per_open_major: u32,
    pub per_overdue: u32,
    pub overdue_cap: u32,
    /// Self-check compliance below these fractions adds points.
    pub compliance_poor_below: f64,
    pub compliance_poor_points: u32,
    pub compliance_bad_below: f64,
    pub compliance_bad_points: u32,
    /// An open major hazard makes the site red whatever its points.
    pub open_major_is_red: bool,
}

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig {
            red_from: 60,
            orange_from: 40,
            yellow_from: 20,
            per_open_general: 4,
            open_general_cap: 20,
            per_open_major: 30,
            per_overdue: 6,
            overdue_cap: 24,
            compliance_poor_below: 0.8,
            compliance_poor_points: 6,
            compliance_bad_below: 0.5,
            compliance_bad_points: 12,
            open_major_is_red: true,
        }
    }
}

/// The live state of a site, as the projections count it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LiveState {
    pub open_general: u32,
    pub open_major: u32,
    pub overdue: u32,
    /// Self-check tasks done on time and due in the period; `None` when none were due.
    pub tasks_on_time: u32,
    pub tasks_due: u32,
}

/// One line of the breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    /// Stable id, e.g. `inherent.gas_lpg`.
    pub id: String,
    pub points: u32,
    pub explain_en: String,
    pub explain_zh: String,
}

/// A grade and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskGrade {
    pub grade: Grade,
    pub points: u32,
    pub inherent_points: u32,
    pub live_points: u32,
    pub factors: Vec<Factor>,
    /// Set when a rule overrode the points (an open major hazard).
    pub override_reason: Option<String>,
}

fn factor(id: &str, points: u32, en: String, zh: String) -> Factor {
    Factor {
        id: id.to_owned(),
        points,
        explain_en: en,
        explain_zh: zh,
    }
}

/// How a Chinese district names each premises type, for the grade's explanation.
fn premises_zh(p: Premises) -> &'static str {
    match p {
        Premises::SmallShop => "小商店",
        Premises::Restaurant => "餐饮场所",
        Premises::Hotel => "宾馆",
        Premises::EntertainmentVenue => "娱乐场所",
        Premises::Warehouse => "仓库",
        Premises::FactoryWorkshop => "生产车间",
        Premises::HighRiseResidential => "高层住宅",
        Premises::ResidentialCompound => "住宅小区",
        Premises::SchoolKindergarten => "学校幼儿园",
        Premises::ClinicCareHome => "医疗养老机构",
        Premises::Office => "办公场所",
    }
}

fn premises_points(p: Premises) -> u32 {
    match p {
        Premises::EntertainmentVenue => 14,
        Premises::SchoolKindergarten | Premises::ClinicCareHome => 12,
        Premises::Hotel | Premises::HighRiseResidential => 10,
        Premises::Restaurant | Premises::Warehouse | Premises::FactoryWorkshop => 8,
        Premises::SmallShop | Premises::ResidentialCompound => 4,
        Premises::Office => 3,
    }
}

/// Points for what the site is, independent of its current hazards.
pub fn inherent(profile: &SiteProfile) -> Vec<Factor> {
    let mut f = vec![factor(
        "inherent.premises",
        premises_points(profile.premises),
        format!("premises type {}", profile.premises),
        format!("场所类型：{}", premises_zh(profile.premises)),
    )];
    let mut add = |cond: bool, id: &str, pts: u32, en: &str, zh: &str| {
        if cond {
            f.push(factor(id, pts, en.to_owned(), zh.to_owned()));
        }
    };
    add(
        profile.public_gathering_place,
        "inherent.crowd",
        8,
        "public gathering place",
        "公众聚集场所",
    );
    add(
        profile.occupants >= 100,
        "inherent.occupants",
        4,
        "100 or more people at once",
        "同时在场人数 ≥ 100",
    );
    add(
        profile.sleepers > 0,
        "inherent.sleepers",
        5,
        "people sleep on the premises",
        "有人员住宿",
    );
    add(
        profile.gas == GasSupply::Lpg,
        "inherent.gas_lpg",
        8,
        "bottled LPG in use",
        "使用瓶装液化石油气",
    );
    add(
        profile.gas == GasSupply::Piped,
        "inherent.gas_piped",
        3,
        "piped gas in use",
        "使用管道燃气",
    );
    add(
        profile.flammable_goods,
        "inherent.flammables",
        10,
        "flammable or hazardous goods",
        "存放易燃易爆危险品",
    );
    add(
        profile.mixed_living,
        "inherent.mixed_living",
        12,
        "living and business in one place (三合一)",
        "三合一场所",
    );
    add(
        profile.below_ground,
        "inherent.below_ground",
        5,
        "premises below ground",
        "地下或半地下场所",
    );
    add(
        profile.is_high_rise(),
        "inherent.high_rise",
        4,
        "high-rise building",
        "高层建筑",
    );
    add(
        profile.ebike_charging,
        "inherent.ebike_charging",
        4,
        "e-bikes charged on site",
        "场所内电动自行车充电",
    );
    add(
        !profile.fire_alarm && profile.occupants >= 50,
        "inherent.no_alarm",
        3,
        "no fire alarm system for 50 or more people",
        "50人以上场所无火灾自动报警系统",
    );
    f
}

/// Grades a site from its profile and live state.
pub fn grade(profile: &SiteProfile, live: &LiveState, cfg: &RiskConfig) -> RiskGrade {
    let mut factors = inherent(profile);
    let inherent_points: u32 = factors.iter().map(|f| f.points).sum();
    let mut live_factors = Vec::new();
    if live.open_general > 0 {
        let pts = (live.open_general * cfg.per_open_general).min(cfg.open_general_cap);
        live_factors.push(factor(
            "live.open_general",
            pts,
            format!("{} open general hazard(s)", live.open_general),
            format!("{} 项一般隐患未整改", live.open_general),
        ));
    }
    if live.open_major > 0 {
        live_factors.push(factor(
            "live.open_major",
            live.open_major * cfg.per_open_major,
            format!("{} open major hazard(s)", live.open_major),
            format!("{} 项重大隐患未整改", live.open_major),
        ));
    }
    if live.overdue > 0 {
        live_factors.push(factor(
            "live.overdue",
            (live.overdue * cfg.per_overdue).min(cfg.overdue_cap),
            format!("{} hazard(s) past their deadline", live.overdue),
            format!("{} 项隐患逾期未整改", live.overdue),
        ));
    }
    if live.tasks_due > 0 {
        let rate = f64::from(live.tasks_on_time) / f64::from(live.tasks_due);
        let pct = (rate * 100.0).round();
        if rate < cfg.compliance_bad_below {
            live_factors.push(factor(
                "live.self_check_bad",
                cfg.compliance_bad_points,
                format!("only {pct}% of self-checks done on time"),
                format!("自查按时完成率仅 {pct}%"),
            ));
        } else if rate < cfg.compliance_poor_below {
            live_factors.push(factor(
                "live.self_check_poor",
                cfg.compliance_poor_points,
                format!("{pct}% of self-checks done on time"),
                format!("自查按时完成率 {pct}%"),
            ));
        }
    }
    let live_points: u32 = live_factors.iter().map(|f| f.points).sum();
    factors.extend(live_factors);
    let points = inherent_points + live_points;
    let by_points = if points >= cfg.red_from {
        Grade::Red
    } else if points >= cfg.orange_from {
        Grade::Orange
    } else if points >= cfg.yellow_from {
        Grade::Yellow
    } else {
        Grade::Blue
    };
    let (grade, override_reason) =
        if cfg.open_major_is_red && live.open_major > 0 && by_points != Grade::Red {
            (
                Grade::Red,
                Some("an open major fire hazard makes the site red".to_owned()),
            )
        } else {
            (by_points, None)
        };
    RiskGrade {
        grade,
        points,
        inherent_points,
        live_points,
        factors,
        override_reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quiet corner shop; read from TOML so that fields the profile gains keep their defaults.
    fn shop() -> SiteProfile {
        SiteProfile::from_toml(
            r#"
            schema_version = 1
            jurisdiction = "cn"
            premises = "small_shop"
            floor_area_m2 = 80.0
            storeys = 1
            building_height_m = 4.0
            occupants = 10
            gas = "none"
            hazard_level = "light"
            "#,
        )
        .expect("profile")
    }

    #[test]
    fn a_quiet_shop_is_blue() {
        let g = grade(&shop(), &LiveState::default(), &RiskConfig::default());
        assert_eq!(g.grade, Grade::Blue);
        assert_eq!(g.points, 4);
        assert_eq!(g.factors.len(), 1);
    }

    #[test]
    fn a_mixed_use_lpg_shop_with_overdue_hazards_is_orange_and_says_why() {
        let mut p = shop();
        p.mixed_living = true;
        p.sleepers = 3;
        p.gas = GasSupply::Lpg;
        let live = LiveState {
            open_general: 2,
            overdue: 1,
            ..LiveState::default()
        };
        let g = grade(&p, &live, &RiskConfig::default());
        // 4 shop + 5 sleepers + 8 LPG + 12 三合一 = 29; + 8 open + 6 overdue = 43.
        assert_eq!((g.inherent_points, g.live_points, g.points), (29, 14, 43));
        assert_eq!(g.grade, Grade::Orange);
        let ids: Vec<&str> = g.factors.iter().map(|f| f.id.as_str()).collect();
        assert!(ids.contains(&"inherent.mixed_living") && ids.contains(&"live.overdue"));
    }

    #[test]
    fn an_open_major_hazard_makes_it_red_with_a_reason() {
        let live = LiveState {
            open_major: 1,
            ..LiveState::default()
        };
        let g = grade(&shop(), &live, &RiskConfig::default());
        assert_eq!(g.grade, Grade::Red);
        assert!(g.override_reason.is_some());
        let cfg = RiskConfig {
            open_major_is_red: false,
            ..RiskConfig::default()
        };
        assert_eq!(grade(&shop(), &live, &cfg).grade, Grade::Yellow);
    }

    #[test]
    fn poor_self_check_compliance_adds_points() {
        let live = LiveState {
            tasks_on_time: 4,
            tasks_due: 10,
            ..LiveState::default()
        };
        let g = grade(&shop(), &live, &RiskConfig::default());
        assert_eq!(g.live_points, 12);
        assert!(
            g.factors
                .iter()
                .any(|f| f.explain_en == "only 40% of self-checks done on time")
        );
    }
}
