//! Closeloop's regulation packs and checklist engine.
//!
//! Packs are data (`packs/*.toml`, format in `PACKS.md`): every item cites the clause that
//! requires it and says when it applies. [`PackSet::load`] checks them once; after that,
//! [`PackSet::generate`] turns a [`SiteProfile`] into the checklist the rules require, saying why
//! each item applies, and [`PackSet::task_plan`] into the owner's recurring tasks. No I/O here: the
//! phone and the server run the same code.

mod builtin;
mod condition;
mod diff;
mod engine;
mod fields;
mod load;
mod model;
mod profile;
pub mod render;
mod requirement;
mod schema;

pub use builtin::{DOCUMENTS_FILE, PACK_FILES, builtin, sources as builtin_sources};
pub use condition::{Condition, ConditionError};
pub use diff::{Changed, ContentDiff, PackChange, Recited, Reworded, SiteImpact};
pub use engine::{
    Checklist, ChecklistItem, Matched, Notice, PlannedTask, Reason, Requirement, TaskPlan,
};
pub use fields::{FIELDS, Field, FieldType, Value, field};
pub use load::{Document, ItemView, PackError, PackRef, PackSet, Source, Summary, UNITS};
pub use model::{Answer, Citation, FailSpec, Frequency, PhotoRule, Purpose, Severity};
pub use profile::{
    ClockTime, GasSupply, HazardLevel, Jurisdiction, OpeningHours, PROFILE_SCHEMA_VERSION,
    Premises, ProfileError, SiteProfile, Subtype,
};
pub use requirement::Rule;
