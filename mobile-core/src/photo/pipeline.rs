//! The pipeline itself: check, decode small, orient, encode, thumbnail, hash. At most one
//! picture at the evidence size and one thumbnail are alive at once, besides the decoder's output,
//! and what the whole run will cost is checked against the budget before decoding starts.

use std::io::Read;
use std::path::Path;

use super::encode::encode;
use super::hash::sha256_hex;
use super::metadata;
use super::probe::{Layout, probe};
use super::resize::{fit, resize};
use super::sniff::{SourceFormat, sniff};
use super::{PhotoConfig, PhotoError, budget, decode_jpeg, decode_png};

/// A photo turned into evidence: two metadata-free JPEGs with their content addresses, and the facts
/// kept from the EXIF block that was dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessedPhoto {
    /// The evidence JPEG, upright, long edge at most [`PhotoConfig::max_edge`].
    pub jpeg: Vec<u8>,
    /// Lowercase hex SHA-256 of `jpeg`.
    pub sha256: String,
    /// Width of `jpeg` in pixels.
    pub width: u32,
    /// Height of `jpeg` in pixels.
    pub height: u32,
    /// The thumbnail JPEG, long edge at most [`PhotoConfig::thumb_edge`].
    pub thumb: Vec<u8>,
    /// Lowercase hex SHA-256 of `thumb`.
    pub thumb_sha256: String,
    /// Width of `thumb` in pixels.
    pub thumb_width: u32,
    /// Height of `thumb` in pixels.
    pub thumb_height: u32,
    /// EXIF DateTimeOriginal as the camera wrote it, e.g. "2026:11:21 09:30:00" (local time, no zone).
    pub taken_at: Option<String>,
    /// (latitude, longitude) in decimal degrees; south and west are negative.
    pub gps: Option<(f64, f64)>,
    /// What the camera file was.
    pub source_format: SourceFormat,
    /// Width of the original, upright (already swapped for a rotated photo).
    pub source_width: u32,
    /// Height of the original, upright.
    pub source_height: u32,
}

/// Turns the bytes of a camera file into evidence. Same bytes and config give the same output bytes
/// on the same device.
///
/// # Errors
/// [`PhotoError`] says why the photo was refused and what the person should do.
pub fn process(bytes: &[u8], cfg: &PhotoConfig) -> Result<ProcessedPhoto, PhotoError> {
    let len = bytes.len() as u64;
    if len > cfg.max_file_bytes {
        return Err(PhotoError::FileTooLarge {
            bytes: len,
            max: cfg.max_file_bytes,
        });
    }
    let format = sniff(bytes)?;
    let header = probe(bytes, format, cfg)?;
    let meta = metadata::read(header.exif);
    let (width, height) = fit(header.width, header.height, cfg.max_edge);
    budget::check(&header, len, (width, height), cfg)?;
    let decoded = match header.layout {
        Layout::Jpeg { .. } => decode_jpeg::decode(bytes, &header, (width, height), cfg)?,
        Layout::Png(layout) => decode_png::decode(bytes, &header, layout, (width, height))?,
    };
    // Orienting after the resize moves a quarter of the pixels a full-size rotation would.
    let main = meta.orientation.apply(resize(decoded, width, height)?);
    let jpeg = encode(&main, cfg.jpeg_quality)?;
    let (width, height) = (main.width, main.height);
    // The thumbnail comes from the evidence picture, never from the original: no second decode.
    let (thumb_width, thumb_height) = fit(width, height, cfg.thumb_edge);
    let thumb = encode(&resize(main, thumb_width, thumb_height)?, cfg.jpeg_quality)?;
    let (source_width, source_height) = if meta.orientation.swaps_axes() {
        (header.height, header.width)
    } else {
        (header.width, header.height)
    };
    Ok(ProcessedPhoto {
        sha256: sha256_hex(&jpeg),
        jpeg,
        width,
        height,
        thumb_sha256: sha256_hex(&thumb),
        thumb,
        thumb_width,
        thumb_height,
        taken_at: meta.taken_at,
        gps: meta.gps,
        source_format: format,
        source_width,
        source_height,
    })
}

/// [`process`] for a file on disk; an oversized file is refused from its size, before it is read.
///
/// # Errors
/// [`PhotoError::Io`] when the file cannot be read, otherwise as [`process`].
pub fn process_file(path: &Path, cfg: &PhotoConfig) -> Result<ProcessedPhoto, PhotoError> {
    let io = |e: std::io::Error| PhotoError::Io(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let too_large = |bytes| PhotoError::FileTooLarge {
        bytes,
        max: cfg.max_file_bytes,
    };
    if size > cfg.max_file_bytes {
        return Err(too_large(size));
    }
    // The file may still grow while we read it (a camera app finishing its write), so the read is
    // capped too.
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(cfg.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > cfg.max_file_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    process(&bytes, cfg)
}
