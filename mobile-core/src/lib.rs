//! The phone's offline core. Everything a grid worker or shop owner does works offline, survives
//! the app being killed at any moment, and later merges with what others did.
//!
//! - [`api`] is the whole exported (uniffi) surface; nothing else is exported.
//! - [`store`] keeps one crash-safe log per document.
//! - [`photo`] turns a camera file into evidence: oriented, resized, stripped, hashed.
//! - [`workspace`] is the logic behind the API, in plain Rust.
//! - [`sync`] is the client of the sync protocol: login, evidence upload, push and pull.

pub mod api;
pub mod photo;
pub mod store;
pub mod sync;
pub mod workspace;

uniffi::setup_scaffolding!();
