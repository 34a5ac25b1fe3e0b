//! The profile fields a pack condition may name, with their types, and how to read them.
//!
//! This is the one place that maps condition names to profile values, so the condition parser can
//! refuse an unknown field or a wrong-typed comparison when packs load.

use crate::profile::SiteProfile;
use std::fmt;

/// The type of a field, which decides the comparisons allowed on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Bool,
    Number,
    /// One of a fixed set of names.
    Enum(&'static [&'static str]),
}

/// A field's value for one profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Bool(bool),
    Number(f64),
    Enum(&'static str),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Enum(s) => f.write_str(s),
        }
    }
}

/// A field a condition can name.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    /// For a derived field, how it is computed (shown in "why this applies").
    pub derived: Option<&'static str>,
    read: fn(&SiteProfile) -> Value,
}

impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Field {
    /// This field's value for `profile`.
    pub fn read(&self, profile: &SiteProfile) -> Value {
        (self.read)(profile)
    }
}

const PREMISES: &[&str] = &[
    "small_shop",
    "restaurant",
    "hotel",
    "entertainment_venue",
    "warehouse",
    "factory_workshop",
    "high_rise_residential",
    "residential_compound",
    "school_kindergarten",
    "clinic_care_home",
    "office",
];
const GAS: &[&str] = &["none", "piped", "lpg"];
const SUBTYPE: &[&str] = &[
    "unspecified",
    "kindergarten",
    "school",
    "care_home",
    "hospital",
    "clinic",
    "ktv",
    "internet_cafe",
];
const HAZARD: &[&str] = &["light", "medium", "severe"];
const JURISDICTION: &[&str] = &["cn", "us"];

macro_rules! bool_field {
    ($name:ident) => {
        Field {
            name: stringify!($name),
            ty: FieldType::Bool,
            derived: None,
            read: |p| Value::Bool(p.$name),
        }
    };
}

/// Every field a condition may name.
pub static FIELDS: &[Field] = &[
    Field {
        name: "jurisdiction",
        ty: FieldType::Enum(JURISDICTION),
        derived: None,
        read: |p| Value::Enum(p.jurisdiction.as_str()),
    },
    Field {
        name: "premises",
        ty: FieldType::Enum(PREMISES),
        derived: None,
        read: |p| Value::Enum(p.premises.as_str()),
    },
    Field {
        name: "floor_area_m2",
        ty: FieldType::Number,
        derived: None,
        read: |p| Value::Number(p.floor_area_m2),
    },
    Field {
        name: "area_per_storey_m2",
        ty: FieldType::Number,
        derived: Some("floor_area_m2 / storeys"),
        read: |p| Value::Number(p.area_per_storey_m2()),
    },
    Field {
        name: "storeys",
        ty: FieldType::Number,
        derived: None,
        read: |p| Value::Number(f64::from(p.storeys)),
    },
    Field {
        name: "building_height_m",
        ty: FieldType::Number,
        derived: None,
        read: |p| Value::Number(p.building_height_m),
    },
    Field {
        name: "high_rise",
        ty: FieldType::Bool,
        derived: Some("residential over 27 m, or other building of more than one storey over 24 m"),
        read: |p| Value::Bool(p.is_high_rise()),
    },
    bool_field!(below_ground),
    Field {
        name: "occupants",
        ty: FieldType::Number,
        derived: None,
        read: |p| Value::Number(f64::from(p.occupants)),
    },
    Field {
        name: "sleepers",
        ty: FieldType::Number,
        derived: None,
        read: |p| Value::Number(f64::from(p.sleepers)),
    },
    bool_field!(public_gathering_place),
    bool_field!(key_fire_safety_unit),
    bool_field!(public_institution),
    Field {
        name: "gas",
        ty: FieldType::Enum(GAS),
        derived: None,
        read: |p| Value::Enum(p.gas.as_str()),
    },
    bool_field!(kitchen),
    bool_field!(ebike_parking),
    bool_field!(ebike_charging),
    bool_field!(flammable_goods),
    bool_field!(mixed_living),
    bool_field!(hydrants),
    bool_field!(sprinklers),
    bool_field!(fire_alarm),
    Field {
        name: "hazard_level",
        ty: FieldType::Enum(HAZARD),
        derived: None,
        read: |p| Value::Enum(p.hazard_level.as_str()),
    },
    Field {
        name: "open_hours",
        ty: FieldType::Number,
        derived: Some("hours from opens_at to closes_at; 24 when not given"),
        read: |p| Value::Number(p.open_hours()),
    },
    Field {
        name: "subtype",
        ty: FieldType::Enum(SUBTYPE),
        derived: None,
        read: |p| Value::Enum(p.subtype.as_str()),
    },
    bool_field!(boarding),
    bool_field!(in_residential_building),
    bool_field!(staff_dormitory),
    bool_field!(combustible_dust),
    bool_field!(hot_work),
    bool_field!(fire_control_room),
];

/// Looks a field up by the name a condition uses.
pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}
