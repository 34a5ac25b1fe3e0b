//! The site profile: the facts about a site that decide which rules apply to it.
//!
//! A profile is versioned and validated; every invalid value is refused with a typed error that
//! names the field, so a form on the phone can point at the box to fix.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The profile schema this build writes. It reads every version from 1: a version 1 profile (as
/// stored in older site documents) reads with every later field at its default, and is upgraded
/// in memory, so writing it back stores the current version.
pub const PROFILE_SCHEMA_VERSION: u32 = 2;

/// What a site is used for. Conditions in packs refer to these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Premises {
    SmallShop,
    Restaurant,
    Hotel,
    EntertainmentVenue,
    Warehouse,
    FactoryWorkshop,
    HighRiseResidential,
    ResidentialCompound,
    SchoolKindergarten,
    ClinicCareHome,
    Office,
}

/// Gas supply on the premises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GasSupply {
    None,
    Piped,
    Lpg,
}

/// Hazard level of the premises per GB 50140-2005 ch. 3 and Appendix D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardLevel {
    Light,
    Medium,
    Severe,
}

/// What kind of school, care facility or venue a site is, where the rules tell them apart.
/// `unspecified` (the default, and what version 1 profiles read as) takes the stricter reading
/// wherever a rule depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subtype {
    #[default]
    Unspecified,
    /// 托儿所、幼儿园 (school_kindergarten).
    Kindergarten,
    /// A primary or secondary school (school_kindergarten); boarding or not is `boarding`.
    School,
    /// 养老院、养老机构 (clinic_care_home).
    CareHome,
    /// A hospital with inpatient beds (clinic_care_home).
    Hospital,
    /// An outpatient clinic, nobody staying overnight (clinic_care_home).
    Clinic,
    /// 歌舞娱乐场所 with private rooms: KTV, karaoke (entertainment_venue).
    Ktv,
    /// 网吧 (entertainment_venue).
    InternetCafe,
}

impl Subtype {
    /// Every subtype, for the condition vocabulary.
    pub const ALL: [Subtype; 8] = [
        Subtype::Unspecified,
        Subtype::Kindergarten,
        Subtype::School,
        Subtype::CareHome,
        Subtype::Hospital,
        Subtype::Clinic,
        Subtype::Ktv,
        Subtype::InternetCafe,
    ];

    /// The name used in profiles and pack conditions.
    pub fn as_str(self) -> &'static str {
        match self {
            Subtype::Unspecified => "unspecified",
            Subtype::Kindergarten => "kindergarten",
            Subtype::School => "school",
            Subtype::CareHome => "care_home",
            Subtype::Hospital => "hospital",
            Subtype::Clinic => "clinic",
            Subtype::Ktv => "ktv",
            Subtype::InternetCafe => "internet_cafe",
        }
    }

    /// The premises type a subtype belongs to; `None` for `unspecified`, which fits any.
    pub fn premises(self) -> Option<Premises> {
        match self {
            Subtype::Unspecified => None,
            Subtype::Kindergarten | Subtype::School => Some(Premises::SchoolKindergarten),
            Subtype::CareHome | Subtype::Hospital | Subtype::Clinic => {
                Some(Premises::ClinicCareHome)
            }
            Subtype::Ktv | Subtype::InternetCafe => Some(Premises::EntertainmentVenue),
        }
    }
}

/// A time of day, minutes after midnight, written "HH:MM" in profiles and documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClockTime(u16);

impl ClockTime {
    /// Minutes after midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }

    /// The time `minutes` after midnight, if it is one (0..1440).
    pub fn from_minutes(minutes: u16) -> Option<ClockTime> {
        (minutes < 24 * 60).then_some(ClockTime(minutes))
    }

    /// Parses "HH:MM" (00:00–23:59).
    pub fn parse(s: &str) -> Option<ClockTime> {
        let (h, m) = s.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(ClockTime(h * 60 + m))
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ClockTime::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not a time of day written HH:MM"))
        })
    }
}

/// The hours a site is open each day. `closes` before `opens` means it closes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    pub opens: ClockTime,
    pub closes: ClockTime,
}

impl OpeningHours {
    /// Minutes open each day (1..1440).
    pub fn minutes_open(self) -> u16 {
        let (o, c) = (self.opens.minutes(), self.closes.minutes());
        if c > o { c - o } else { 24 * 60 - o + c }
    }

    /// The windows of `interval` minutes that cover the open hours, as (start, end) in minutes
    /// after midnight (end may pass 1440 for a site that closes after midnight); the last window
    /// ends at closing. A patrol "every 2 h while open" is one patrol in each window.
    pub fn windows(self, interval: u16) -> Vec<(u16, u16)> {
        let start = self.opens.minutes();
        let end = start + self.minutes_open();
        let step = interval.max(1);
        let mut out = Vec::new();
        let mut at = start;
        while at < end {
            out.push((at, (at + step).min(end)));
            at += step;
        }
        out
    }
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", self.opens, self.closes)
    }
}

/// Whose rules the site is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    /// People's Republic of China (national rules).
    Cn,
    /// United States (OSHA, NFPA).
    Us,
}

/// Everything the checklist engine needs to know about a site.
///
/// `floor_area_m2` is the gross floor area of the premises over all storeys; extinguisher
/// provision is computed per storey from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteProfile {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub jurisdiction: Jurisdiction,
    pub premises: Premises,
    pub floor_area_m2: f64,
    pub storeys: u32,
    pub building_height_m: f64,
    /// Any part of the premises is in a basement or semi-basement.
    #[serde(default)]
    pub below_ground: bool,
    /// The most people on the premises at once, sleepers included.
    pub occupants: u32,
    /// People who sleep on the premises.
    #[serde(default)]
    pub sleepers: u32,
    /// 公众聚集场所.
    #[serde(default)]
    pub public_gathering_place: bool,
    /// 消防安全重点单位.
    #[serde(default)]
    pub key_fire_safety_unit: bool,
    /// A government body, association or public institution (机关、团体、事业单位).
    #[serde(default)]
    pub public_institution: bool,
    pub gas: GasSupply,
    #[serde(default)]
    pub kitchen: bool,
    #[serde(default)]
    pub ebike_parking: bool,
    #[serde(default)]
    pub ebike_charging: bool,
    /// Flammable, explosive or otherwise hazardous goods are made, stored, sold or used.
    #[serde(default)]
    pub flammable_goods: bool,
    /// People live in the same premises as the business (三合一 / 多合一).
    #[serde(default)]
    pub mixed_living: bool,
    #[serde(default)]
    pub hydrants: bool,
    #[serde(default)]
    pub sprinklers: bool,
    #[serde(default)]
    pub fire_alarm: bool,
    pub hazard_level: HazardLevel,
    // Version 2. Every field has a default, so version 1 profiles read unchanged, and each is a
    // scalar, so the site document keeps the profile as a flat map that merges field by field.
    /// When the site opens each day; with `closes_at`. Both absent: open around the clock (or
    /// not recorded), so "every 2 hours while open" counts the whole day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<ClockTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<ClockTime>,
    /// Which kind of school, care facility or venue (see [`Subtype`]).
    #[serde(default)]
    pub subtype: Subtype,
    /// Pupils board (寄宿制): a boarding school.
    #[serde(default)]
    pub boarding: bool,
    /// The premises are in a residential building, e.g. a shop on the ground floor of flats
    /// (商业服务网点).
    #[serde(default)]
    pub in_residential_building: bool,
    /// The business houses staff in a dormitory (员工宿舍) on the site.
    #[serde(default)]
    pub staff_dormitory: bool,
    /// Work produces or handles combustible dust (涉爆粉尘: wood, metal, grain, plastics…).
    #[serde(default)]
    pub combustible_dust: bool,
    /// Welding, cutting or other hot work (动火作业) is done on the site, renovation included.
    #[serde(default)]
    pub hot_work: bool,
    /// The site has a fire control room (消防控制室).
    #[serde(default)]
    pub fire_control_room: bool,
}

/// Why a profile was refused. `field` is the profile key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The text is not a well-formed profile (syntax, unknown key, missing key, unknown value).
    #[error("profile is not readable: {message}")]
    Parse { message: String },
    /// A value is out of range or contradicts another value.
    #[error("profile field `{field}`: {reason}")]
    Invalid { field: &'static str, reason: String },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ProfileError {
    ProfileError::Invalid {
        field,
        reason: reason.into(),
    }
}

impl SiteProfile {
    /// Reads and validates a profile written in TOML, upgrading an older version.
    pub fn from_toml(text: &str) -> Result<Self, ProfileError> {
        let profile: SiteProfile = toml::from_str(text).map_err(|e| ProfileError::Parse {
            message: e.to_string().trim_end().to_owned(),
        })?;
        profile.upgraded()
    }

    /// Reads and validates a profile written in JSON (the form stored in documents), upgrading an
    /// older version.
    pub fn from_json(text: &str) -> Result<Self, ProfileError> {
        let profile: SiteProfile = serde_json::from_str(text).map_err(|e| ProfileError::Parse {
            message: e.to_string(),
        })?;
        profile.upgraded()
    }

    fn upgraded(mut self) -> Result<Self, ProfileError> {
        self.validate()?;
        self.schema_version = PROFILE_SCHEMA_VERSION;
        Ok(self)
    }

    /// The opening hours, if the profile gives them.
    pub fn opening_hours(&self) -> Option<OpeningHours> {
        Some(OpeningHours {
            opens: self.opens_at?,
            closes: self.closes_at?,
        })
    }

    /// Hours open a day: 24 where the profile gives no opening hours.
    pub fn open_hours(&self) -> f64 {
        self.opening_hours()
            .map_or(24.0, |h| f64::from(h.minutes_open()) / 60.0)
    }

    /// Checks every value and every combination the rules depend on.
    pub fn validate(&self) -> Result<(), ProfileError> {
        if !(1..=PROFILE_SCHEMA_VERSION).contains(&self.schema_version) {
            return Err(invalid(
                "schema_version",
                format!(
                    "version {} is not supported; this build reads versions 1 to {PROFILE_SCHEMA_VERSION}",
                    self.schema_version
                ),
            ));
        }
        if !(self.floor_area_m2.is_finite() && self.floor_area_m2 > 0.0) {
            return Err(invalid(
                "floor_area_m2",
                format!(
                    "must be a positive number of square metres, got {}",
                    self.floor_area_m2
                ),
            ));
        }
        if self.floor_area_m2 > 5_000_000.0 {
            return Err(invalid(
                "floor_area_m2",
                format!(
                    "{} m² is larger than any single site; split it into sites",
                    self.floor_area_m2
                ),
            ));
        }
        if self.storeys == 0 || self.storeys > 200 {
            return Err(invalid(
                "storeys",
                format!("must be between 1 and 200, got {}", self.storeys),
            ));
        }
        if !(self.building_height_m.is_finite()
            && self.building_height_m > 0.0
            && self.building_height_m <= 1000.0)
        {
            return Err(invalid(
                "building_height_m",
                format!(
                    "must be between 0 and 1000 m, got {}",
                    self.building_height_m
                ),
            ));
        }
        if self.sleepers > self.occupants {
            return Err(invalid(
                "sleepers",
                format!(
                    "{} sleepers is more than the {} occupants; occupants counts everyone on site, sleepers included",
                    self.sleepers, self.occupants
                ),
            ));
        }
        if self.mixed_living && self.sleepers == 0 {
            return Err(invalid(
                "sleepers",
                "mixed living and business (三合一) premises have people sleeping there; give how many",
            ));
        }
        if self.premises == Premises::HighRiseResidential && self.building_height_m <= 27.0 {
            return Err(invalid(
                "building_height_m",
                format!(
                    "a high-rise residential building is over 27 m tall, got {} m; use residential_compound",
                    self.building_height_m
                ),
            ));
        }
        if self.ebike_charging && !self.ebike_parking {
            return Err(invalid(
                "ebike_parking",
                "e-bikes are charged where they are parked: set ebike_parking too",
            ));
        }
        match (self.opens_at, self.closes_at) {
            (Some(_), None) => {
                return Err(invalid(
                    "closes_at",
                    "give the closing time with the opening time",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "opens_at",
                    "give the opening time with the closing time",
                ));
            }
            (Some(o), Some(c)) if o == c => {
                return Err(invalid(
                    "closes_at",
                    format!(
                        "opens and closes at {o}: leave both out for a site open around the clock"
                    ),
                ));
            }
            _ => {}
        }
        if let Some(p) = self.subtype.premises()
            && p != self.premises
        {
            return Err(invalid(
                "subtype",
                format!(
                    "`{}` is a kind of {p}, but the premises are {}",
                    self.subtype.as_str(),
                    self.premises
                ),
            ));
        }
        if self.boarding {
            if self.premises != Premises::SchoolKindergarten {
                return Err(invalid(
                    "boarding",
                    format!(
                        "boarding describes a school, but the premises are {}",
                        self.premises
                    ),
                ));
            }
            if self.sleepers == 0 {
                return Err(invalid(
                    "sleepers",
                    "a boarding school has pupils sleeping there; give how many",
                ));
            }
        }
        if self.staff_dormitory && self.is_residential() {
            return Err(invalid(
                "staff_dormitory",
                "a staff dormitory belongs to a business; residential premises have residents",
            ));
        }
        Ok(())
    }

    /// A residential building over 27 m, or a non-single-storey public building over 24 m: the
    /// scope of 高层民用建筑消防安全管理规定 Art. 2.
    pub fn is_high_rise(&self) -> bool {
        if self.is_residential() {
            self.building_height_m > 27.0
        } else {
            self.storeys > 1 && self.building_height_m > 24.0
        }
    }

    fn is_residential(&self) -> bool {
        matches!(
            self.premises,
            Premises::HighRiseResidential | Premises::ResidentialCompound
        )
    }

    /// Floor area of one calculation unit (one storey) for extinguisher provision.
    pub fn area_per_storey_m2(&self) -> f64 {
        self.floor_area_m2 / f64::from(self.storeys)
    }
}

impl Premises {
    /// The name used in profiles and pack conditions.
    pub fn as_str(self) -> &'static str {
        match self {
            Premises::SmallShop => "small_shop",
            Premises::Restaurant => "restaurant",
            Premises::Hotel => "hotel",
            Premises::EntertainmentVenue => "entertainment_venue",
            Premises::Warehouse => "warehouse",
            Premises::FactoryWorkshop => "factory_workshop",
            Premises::HighRiseResidential => "high_rise_residential",
            Premises::ResidentialCompound => "residential_compound",
            Premises::SchoolKindergarten => "school_kindergarten",
            Premises::ClinicCareHome => "clinic_care_home",
            Premises::Office => "office",
        }
    }

    /// Every premises type, in declaration order.
    pub const ALL: [Premises; 11] = [
        Premises::SmallShop,
        Premises::Restaurant,
        Premises::Hotel,
        Premises::EntertainmentVenue,
        Premises::Warehouse,
        Premises::FactoryWorkshop,
        Premises::HighRiseResidential,
        Premises::ResidentialCompound,
        Premises::SchoolKindergarten,
        Premises::ClinicCareHome,
        Premises::Office,
    ];
}

impl GasSupply {
    /// The name used in profiles and pack conditions.
    pub fn as_str(self) -> &'static str {
        match self {
            GasSupply::None => "none",
            GasSupply::Piped => "piped",
            GasSupply::Lpg => "lpg",
        }
    }
}

impl HazardLevel {
    /// The name used in profiles and pack conditions.
    pub fn as_str(self) -> &'static str {
        match self {
            HazardLevel::Light => "light",
            HazardLevel::Medium => "medium",
            HazardLevel::Severe => "severe",
        }
    }
}

impl Jurisdiction {
    /// The name used in profiles and packs.
    pub fn as_str(self) -> &'static str {
        match self {
            Jurisdiction::Cn => "cn",
            Jurisdiction::Us => "us",
        }
    }
}

impl fmt::Display for Premises {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: &str = r#"
schema_version = 2
jurisdiction = "cn"
premises = "small_shop"
floor_area_m2 = 80
storeys = 1
building_height_m = 4.5
occupants = 12
gas = "none"
hazard_level = "medium"
"#;

    fn with(extra: &str) -> String {
        let keys: Vec<&str> = extra
            .lines()
            .filter_map(|l| l.split('=').next())
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        let base: Vec<&str> = SHOP
            .lines()
            .filter(|l| !keys.iter().any(|k| l.starts_with(&format!("{k} "))))
            .collect();
        format!("{}\n{extra}\n", base.join("\n"))
    }

    fn invalid_field(text: &str) -> &'static str {
        match SiteProfile::from_toml(text) {
            Err(ProfileError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn integers_are_accepted_for_areas_and_defaults_apply() {
        let p = SiteProfile::from_toml(SHOP).expect("valid");
        assert_eq!(p.floor_area_m2, 80.0);
        assert!(!p.kitchen && p.sleepers == 0);
        assert!(!p.is_high_rise());
    }

    #[test]
    fn each_invalid_value_names_its_field() {
        assert_eq!(invalid_field(&with("schema_version = 3")), "schema_version");
        assert_eq!(invalid_field(&with("schema_version = 0")), "schema_version");
        assert_eq!(invalid_field(&with("opens_at = \"09:00\"")), "closes_at");
        assert_eq!(invalid_field(&with("closes_at = \"09:00\"")), "opens_at");
        assert_eq!(
            invalid_field(&with("opens_at = \"09:00\"\ncloses_at = \"09:00\"")),
            "closes_at"
        );
        assert_eq!(
            invalid_field(&with("subtype = \"kindergarten\"")),
            "subtype"
        );
        assert_eq!(invalid_field(&with("boarding = true")), "boarding");
        assert_eq!(
            invalid_field(&with("premises = \"school_kindergarten\"\nboarding = true")),
            "sleepers"
        );
        assert_eq!(
            invalid_field(&with(
                "premises = \"residential_compound\"\nstaff_dormitory = true"
            )),
            "staff_dormitory"
        );
        assert_eq!(invalid_field(&with("floor_area_m2 = 0")), "floor_area_m2");
        assert_eq!(
            invalid_field(&with("floor_area_m2 = -5.0")),
            "floor_area_m2"
        );
        assert_eq!(invalid_field(&with("floor_area_m2 = nan")), "floor_area_m2");
        assert_eq!(invalid_field(&with("floor_area_m2 = 9e9")), "floor_area_m2");
        assert_eq!(invalid_field(&with("storeys = 0")), "storeys");
        assert_eq!(
            invalid_field(&with("building_height_m = inf")),
            "building_height_m"
        );
        assert_eq!(invalid_field(&with("sleepers = 20")), "sleepers");
        assert_eq!(invalid_field(&with("mixed_living = true")), "sleepers");
        assert_eq!(
            invalid_field(&with("ebike_charging = true")),
            "ebike_parking"
        );
        assert_eq!(
            invalid_field(&with("premises = \"high_rise_residential\"")),
            "building_height_m"
        );
    }

    #[test]
    fn unreadable_profiles_say_which_key() {
        let e = SiteProfile::from_toml(&with("premises = \"shop\"")).expect_err("refused");
        assert!(
            matches!(&e, ProfileError::Parse { message } if message.contains("unknown variant `shop`") && message.contains("premises")),
            "{e}"
        );
        let e = SiteProfile::from_toml(&with("basement = true")).expect_err("refused");
        assert!(e.to_string().contains("unknown field `basement`"), "{e}");
        let e = SiteProfile::from_toml("schema_version = 1").expect_err("refused");
        assert!(e.to_string().contains("missing field"), "{e}");
        let e = SiteProfile::from_toml(&with("opens_at = \"25:00\"\ncloses_at = \"09:00\""))
            .expect_err("refused");
        assert!(e.to_string().contains("HH:MM"), "{e}");
    }

    /// A version 1 profile as a site document stores it: a flat map of scalars, integers where
    /// the phone wrote whole numbers, and none of the version 2 keys.
    const V1_STORED: &str = r#"{"schema_version":1,"jurisdiction":"cn","premises":"restaurant",
        "floor_area_m2":300,"storeys":1,"building_height_m":5,"below_ground":false,
        "occupants":120,"sleepers":0,"public_gathering_place":true,"key_fire_safety_unit":false,
        "public_institution":false,"gas":"lpg","kitchen":true,"ebike_parking":false,
        "ebike_charging":false,"flammable_goods":false,"mixed_living":false,"hydrants":true,
        "sprinklers":false,"fire_alarm":false,"hazard_level":"medium"}"#;

    #[test]
    fn a_version_1_profile_from_a_site_document_still_reads() {
        let p = SiteProfile::from_json(V1_STORED).expect("v1 reads");
        assert_eq!(
            p.schema_version, PROFILE_SCHEMA_VERSION,
            "upgraded in memory"
        );
        assert_eq!(p.opening_hours(), None);
        assert_eq!(p.open_hours(), 24.0);
        assert_eq!(p.subtype, Subtype::Unspecified);
        assert!(!p.boarding && !p.hot_work && !p.fire_control_room);
        // Written back, every new field is a scalar or absent: the document stays a flat map.
        let serde_json::Value::Object(map) = serde_json::to_value(&p).expect("serialises") else {
            panic!("a map")
        };
        assert!(map.values().all(|v| !v.is_object() && !v.is_array()));
        assert_eq!(
            SiteProfile::from_json(&serde_json::to_string(&map).unwrap()),
            Ok(p)
        );
    }

    #[test]
    fn opening_hours_count_only_the_open_part_of_the_day() {
        let p = SiteProfile::from_toml(&with("opens_at = \"10:00\"\ncloses_at = \"22:00\""))
            .expect("valid");
        let h = p.opening_hours().expect("hours");
        assert_eq!(h.minutes_open(), 720);
        assert_eq!(h.windows(120).len(), 6);
        assert_eq!(p.open_hours(), 12.0);
        // Past midnight: 18:00–02:00 is 8 hours, 4 windows, the last ending at 26:00.
        let late = OpeningHours {
            opens: ClockTime::parse("18:00").unwrap(),
            closes: ClockTime::parse("02:00").unwrap(),
        };
        assert_eq!(late.minutes_open(), 480);
        assert_eq!(
            late.windows(120),
            [(1080, 1200), (1200, 1320), (1320, 1440), (1440, 1560)]
        );
        // 09:00–20:30: six windows, the last one shorter.
        let odd = OpeningHours {
            opens: ClockTime::parse("09:00").unwrap(),
            closes: ClockTime::parse("20:30").unwrap(),
        };
        assert_eq!(odd.windows(120).last(), Some(&(1140, 1230)));
        assert_eq!(odd.windows(120).len(), 6);
    }

    #[test]
    fn json_round_trip_keeps_every_value() {
        let p = SiteProfile::from_toml(&with("kitchen = true\ngas = \"lpg\"")).expect("valid");
        let json = serde_json::to_string(&p).expect("serialises");
        assert_eq!(SiteProfile::from_json(&json).expect("reads back"), p);
    }

    #[test]
    fn high_rise_follows_the_regulation_scope() {
        let mut p = SiteProfile::from_toml(SHOP).expect("valid");
        p.storeys = 8;
        p.building_height_m = 25.0;
        assert!(p.is_high_rise(), "public building over 24 m");
        p.premises = Premises::ResidentialCompound;
        assert!(!p.is_high_rise(), "residential needs over 27 m");
        p.building_height_m = 27.5;
        assert!(p.is_high_rise());
    }

    #[test]
    fn subtype_names_match_the_condition_vocabulary() {
        let f = crate::fields::field("subtype").expect("subtype field");
        let crate::fields::FieldType::Enum(names) = f.ty else {
            panic!("subtype is an enum")
        };
        let ours: Vec<&str> = Subtype::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ours.as_slice());
    }

    #[test]
    fn field_names_match_the_condition_vocabulary() {
        for premises in Premises::ALL {
            let f = crate::fields::field("premises").expect("premises field");
            let crate::fields::FieldType::Enum(names) = f.ty else {
                panic!("premises is an enum")
            };
            assert!(names.contains(&premises.as_str()), "{premises}");
            assert_eq!(names.len(), Premises::ALL.len());
        }
    }
}
