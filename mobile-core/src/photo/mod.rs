//! Turns a camera file into evidence: a JPEG or PNG is checked from its header (refusing bombs,
//! damaged and foreign files, and any photo whose decoding would not fit the memory budget),
//! decoded no larger than needed (JPEGs with DCT scaling, PNGs streamed and reduced row by row),
//! turned upright, resized to the evidence size and a thumbnail, re-encoded without metadata and
//! content-addressed with SHA-256. Capture time and GPS position are lifted out of the EXIF block
//! before it is dropped.
//!
//! Pure functions over bytes; the store and the API decide where files live.

mod budget;
mod config;
mod decode_jpeg;
mod decode_png;
mod encode;
mod error;
mod exif_guard;
mod hash;
mod metadata;
mod orient;
mod pipeline;
mod probe;
mod raster;
mod reduce;
mod resize;
mod sniff;

pub use config::PhotoConfig;
pub use error::PhotoError;
pub use pipeline::{ProcessedPhoto, process, process_file};
pub use sniff::SourceFormat;
