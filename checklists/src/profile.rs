//! The site profile: the facts about a site that decide which rules apply to it.
//!
//! A profile is versioned and validated; every invalid value is refused with a typed error that
//! names the field, so a form on the phone can point at the box to fix.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The profile schema this build reads and writes.
pub const PROFILE_SCHEMA_VERSION: u32 = 1;

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
    /// Reads and validates a profile written in TOML.
    pub fn from_toml(text: &str) -> Result<Self, ProfileError> {
        let profile: SiteProfile = toml::from_str(text).map_err(|e| ProfileError::Parse {
            message: e.to_string().trim_end().to_owned(),
        })?;
        profile.validate()?;
        Ok(profile)
    }

    /// Reads and validates a profile written in JSON (the form stored in documents).
    pub fn from_json(text: &str) -> Result<Self, ProfileError> {
        let profile: SiteProfile = serde_json::from_str(text).map_err(|e| ProfileError::Parse {
            message: e.to_string(),
        })?;
        profile.validate()?;
        Ok(profile)
    }

    /// Checks every value and every combination the rules depend on.
    pub fn validate(&self) -> Result<(), ProfileError> {
        if self.schema_version != PROFILE_SCHEMA_VERSION {
            return Err(invalid(
                "schema_version",
                format!(
                    "version {} is not supported; this build reads version {PROFILE_SCHEMA_VERSION}",
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
schema_version = 1
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
        assert_eq!(invalid_field(&with("schema_version = 2")), "schema_version");
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
