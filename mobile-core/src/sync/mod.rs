//! The client of sync protocol v1 (`docs/sync-protocol.md`): log in, upload evidence, push local
//! changes and pull the feed, persisting progress after every step. Blocking code: the exported
//! API runs it inside `spawn_blocking`.
//!
//! - [`http`] talks HTTP, [`wire`] holds the JSON bodies, [`session`] the tokens and actor
//!   registration.
//! - [`state`] is what persists between syncs; [`plan`] decides what to push; [`apply`] takes in
//!   results and the feed; [`quarantine`] keeps refused work and [`reapply`] acts on it;
//!   [`adopt`] takes on work made before the first login; [`upload`] sends photos.
//! - [`run`] puts the steps together.

pub mod adopt;
pub mod apply;
pub mod error;
pub mod http;
pub mod plan;
pub mod quarantine;
pub mod reapply;
pub mod run;
pub mod session;
pub mod state;
pub mod upload;
pub mod wire;

pub use error::SyncError;
pub use run::{Progress, Report, Stage, sync};
pub use session::{login, logout};
