//! The vocabulary shared by packs and checklists: frequencies, purposes, answers, severities.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How often an item or task is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// At every visit or inspection.
    PerVisit,
    /// At least every two hours while the premises are open.
    #[serde(rename = "every_2_hours_open")]
    Every2HoursOpen,
    Daily,
    Weekly,
    HalfMonthly,
    Monthly,
    Quarterly,
    HalfYearly,
    Yearly,
}

impl Frequency {
    /// The interval in minutes, used to pick the most frequent of two; per visit counts as most
    /// frequent because it is checked whenever anyone is there.
    pub fn interval_minutes(self) -> u32 {
        match self {
            Frequency::PerVisit => 0,
            Frequency::Every2HoursOpen => 120,
            Frequency::Daily => 24 * 60,
            Frequency::Weekly => 7 * 24 * 60,
            Frequency::HalfMonthly => 15 * 24 * 60,
            Frequency::Monthly => 30 * 24 * 60,
            Frequency::Quarterly => 91 * 24 * 60,
            Frequency::HalfYearly => 182 * 24 * 60,
            Frequency::Yearly => 365 * 24 * 60,
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Frequency::PerVisit => "every visit",
            Frequency::Every2HoursOpen => "every 2 hours while open",
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::HalfMonthly => "every half month",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::HalfYearly => "every 6 months",
            Frequency::Yearly => "yearly",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Frequency::PerVisit => "每次检查",
            Frequency::Every2HoursOpen => "营业期间每2小时",
            Frequency::Daily => "每日",
            Frequency::Weekly => "每周",
            Frequency::HalfMonthly => "每半月",
            Frequency::Monthly => "每月",
            Frequency::Quarterly => "每季度",
            Frequency::HalfYearly => "每半年",
            Frequency::Yearly => "每年",
        }
    }
}

/// What a checklist is generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// 防火巡查: the short walk-round done daily or every two hours.
    Patrol,
    /// 防火检查: the monthly (or quarterly) inspection.
    MonthlyInspection,
    /// The owner's own recurring checks.
    SelfCheck,
    /// Everything that applies: a grid worker's full inspection.
    FullInspection,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 4] = [
        Purpose::Patrol,
        Purpose::MonthlyInspection,
        Purpose::SelfCheck,
        Purpose::FullInspection,
    ];

    /// The name used in packs and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Patrol => "patrol",
            Purpose::MonthlyInspection => "monthly_inspection",
            Purpose::SelfCheck => "self_check",
            Purpose::FullInspection => "full_inspection",
        }
    }

    /// Parses the name used in packs and on the command line.
    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Purpose::Patrol => "fire patrol",
            Purpose::MonthlyInspection => "monthly fire inspection",
            Purpose::SelfCheck => "owner self-check",
            Purpose::FullInspection => "full inspection",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Purpose::Patrol => "防火巡查",
            Purpose::MonthlyInspection => "防火检查",
            Purpose::SelfCheck => "自查",
            Purpose::FullInspection => "全面检查",
        }
    }
}

/// When the inspector must take a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoRule {
    Never,
    OnFail,
    Always,
}

impl PhotoRule {
    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            PhotoRule::Never => "not required",
            PhotoRule::OnFail => "required when failed",
            PhotoRule::Always => "always required",
        }
    }
}

/// How serious a failed item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 一般隐患.
    General,
    /// 重大隐患: a major fire hazard, or an element that counts towards one.
    Major,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::General => "general (一般)",
            Severity::Major => "major (重大)",
        })
    }
}

/// The answer an item takes, with its bounds resolved for one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// Pass, fail or not applicable.
    PassFail,
    /// A count that must reach `min`.
    Count { min: u32 },
    /// A measurement in `unit` that must lie within the bounds given.
    Measure {
        unit: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    /// A date (e.g. of manufacture or last service) no older than `max_age_months`.
    Date { max_age_months: u32 },
}

impl Answer {
    /// The kind's name as written in packs.
    pub fn kind(&self) -> &'static str {
        match self {
            Answer::PassFail => "pass_fail",
            Answer::Count { .. } => "count",
            Answer::Measure { .. } => "measure",
            Answer::Date { .. } => "date",
        }
    }
}

/// What failing an item means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailSpec {
    pub severity: Severity,
    /// The element of the GB 35181 edition in force that the failure corresponds to. GB 35181-2017
    /// was withdrawn on 2025-11-01 and no clause of GB 35181-2025 has been verified, so shipped
    /// packs leave this empty: a failure is never stamped with an element that is not in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gb35181: Option<String>,
    /// The GB 35181-2017 element the failure corresponded to (e.g. "7.3.3"): a historical
    /// reference for comparing with records made before 2025-11-01, never a judgement today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gb35181_2017: Option<String>,
    /// Days allowed to rectify; 0 means fix on the spot.
    pub rectify_days: u32,
    pub measure_zh: String,
    pub measure_en: String,
}

/// A clause that requires an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Citation {
    /// Document id from `documents.toml`.
    pub doc: String,
    pub title_zh: String,
    pub title_en: String,
    /// Clause as the document numbers it, e.g. "Art. 25(2)" or "6.1.1".
    pub clause: String,
    /// False where the clause number or text could not be confirmed from the source.
    pub verified: bool,
}
