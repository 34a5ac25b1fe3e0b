//! The storage layer: every query the HTTP handlers need, behind typed functions. Handlers parse,
//! authorise (they pass the caller's reach in) and serialise; they hold no SQL. Queries are built
//! one way ([`sql::Sql`]), and status lists and the overdue rule come from the model's lifecycle.
//! Writes of pushed documents live in `sync/` (one transaction per push) beside it.

pub mod accounts;
pub mod audit;
pub mod blobs;
pub mod devices;
pub mod directory;
pub mod hazards;
pub mod imports;
pub mod inspections;
pub mod people;
pub mod placement;
pub mod reports;
pub mod sessions;
pub mod sites;
pub mod sql;
pub mod stats;
