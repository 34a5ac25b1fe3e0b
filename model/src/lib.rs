//! Closeloop's shared model: what the phone and the server both need to agree on.
//!
//! - [`evidence`]: the one rule for evidence JPEGs (the phone's header probe, the server's upload check).
//! - [`lifecycle`]: the hazard's append-only events and the fold that derives its status.
//! - [`people`]: who may be made responsible for a hazard at a site (the assignment rule).
//! - [`permission`]: the one function that answers "may this user do this?".
//! - [`placement`]: an administrator's move of a site between grids.
//! - [`protocol`]: what both ends check of what they receive (ids, payload budgets).
//! - [`risk`]: the four-colour risk grade of a site with its breakdown.
//! - [`roles`]: roles, scopes and the one reach rule.
//! - [`validate`]: the rules every pushed document must pass.
//!
//! Pure: no I/O, no clock, no randomness. Callers pass times and ids in.

pub mod calendar;
pub mod doc;
pub mod evidence;
pub mod lifecycle;
pub mod people;
pub mod permission;
pub mod placement;
pub mod protocol;
pub mod risk;
pub mod roles;
pub mod rules;
pub mod validate;
