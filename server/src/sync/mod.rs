//! Batched sync (docs/sync-protocol.md §3): pushes checked and applied per document, then a page of
//! the feed.

pub mod apply;
pub mod feed;
pub mod projections;
pub mod server_side;
