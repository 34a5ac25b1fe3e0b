//! Closeloop's shared model: what the phone and the server both need to agree on.
//!
//! - [`lifecycle`]: the hazard's append-only events and the fold that derives its status.
//! - [`permission`]: the one function that answers "may this user do this?".
//! - [`protocol`]: what both ends check of what they receive (ids, payload budgets).
//! - [`risk`]: the four-colour risk grade of a site with its breakdown.
//! - [`roles`]: roles and organisation scopes.
//!
//! Pure: no I/O, no clock, no randomness. Callers pass times and ids in.

pub mod calendar;
pub mod doc;
pub mod lifecycle;
pub mod permission;
pub mod protocol;
pub mod risk;
pub mod roles;
pub mod validate;
