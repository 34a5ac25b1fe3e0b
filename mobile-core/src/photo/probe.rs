//! Reads a file's dimensions, layout and EXIF block from its header alone, so a decompression bomb
//! is refused before the decoder allocates anything and metadata is found without decoding pixels.
//! JPEG headers are read by the walk the server also checks uploads with
//! ([`closeloop_model::evidence`]).

use closeloop_model::evidence::{self, EvidenceError, JpegCoding, JpegInfo};

use super::{PhotoConfig, PhotoError, SourceFormat};

/// What the header of an accepted file says.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// The TIFF structure of the EXIF block, if the file has one.
    pub(crate) exif: Option<&'a [u8]>,
    pub(crate) layout: Layout<'a>,
}

/// How the pixels are stored, which decides what decoding them costs.
#[derive(Debug)]
pub(crate) enum Layout<'a> {
    Jpeg {
        info: JpegInfo<'a>,
        /// Bytes of APP2 segments anywhere in the file: jpeg-decoder keeps a copy of every ICC
        /// profile chunk, so a file made of them costs its size twice.
        kept_bytes: u64,
    },
    Png(PngLayout),
}

/// The IHDR fields besides the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PngLayout {
    pub(crate) bit_depth: u8,
    /// 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA.
    pub(crate) color_type: u8,
    /// Adam7: the passes spread each row over the whole file, so rows cannot be streamed.
    pub(crate) interlaced: bool,
}

impl PngLayout {
    /// Samples per pixel once palettes are expanded and tRNS is turned into alpha, which the
    /// header alone cannot rule out.
    pub(crate) fn expanded_samples(self) -> u64 {
        match self.color_type {
            0 | 4 => 2,
            _ => 4,
        }
    }

    /// Bytes per expanded sample.
    pub(crate) fn sample_bytes(self) -> u64 {
        if self.bit_depth == 16 { 2 } else { 1 }
    }

    /// Bytes of one row as the decoder hands it over, palettes expanded.
    pub(crate) fn expanded_row_bytes(self, width: u32) -> u64 {
        u64::from(width) * self.expanded_samples() * self.sample_bytes()
    }

    /// Bytes of one row as stored, filter byte included.
    pub(crate) fn raw_row_bytes(self, width: u32) -> u64 {
        let samples = match self.color_type {
            2 => 3,
            4 => 2,
            6 => 4,
            _ => 1,
        };
        1 + (u64::from(width) * samples * u64::from(self.bit_depth)).div_ceil(8)
    }
}

/// Parses the header of `bytes` (already sniffed as `format`) and enforces the pixel cap.
pub(crate) fn probe<'a>(
    bytes: &'a [u8],
    format: SourceFormat,
    cfg: &PhotoConfig,
) -> Result<Header<'a>, PhotoError> {
    let header = match format {
        SourceFormat::Jpeg => probe_jpeg(bytes)?,
        SourceFormat::Png => probe_png(bytes)?,
    };
    if u64::from(header.width) * u64::from(header.height) > cfg.max_pixels {
        return Err(PhotoError::TooLarge {
            width: header.width,
            height: header.height,
            max_pixels: cfg.max_pixels,
        });
    }
    Ok(header)
}

/// The PNG specification caps each dimension at 2^31 - 1.
const PNG_MAX_EDGE: u32 = 0x7FFF_FFFF;

const EXIF_PREFIX: &[u8] = b"Exif\0\0";

fn truncated() -> PhotoError {
    PhotoError::corrupt("the file ends inside its header")
}

fn be32(bytes: &[u8], at: usize) -> Result<u32, PhotoError> {
    let b = bytes.get(at..at + 4).ok_or_else(truncated)?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn probe_jpeg(bytes: &[u8]) -> Result<Header<'_>, PhotoError> {
    let info = evidence::probe_jpeg(bytes).map_err(|e| match e {
        EvidenceError::Truncated => truncated(),
        // Valid, but no camera writes them and the decoder does not read them, so "damaged"
        // would be the wrong advice.
        EvidenceError::Coding { .. } => {
            PhotoError::unsupported("a hierarchical or arithmetic-coded JPEG")
        }
        other => PhotoError::corrupt(other.to_string()),
    })?;
    // Lossless frames cannot be decoded at a reduced size and hold 16 bits per sample.
    if info.coding == JpegCoding::Lossless {
        return Err(PhotoError::unsupported("a lossless JPEG"));
    }
    let mut kept_bytes = 0;
    for segment in evidence::jpeg_segments(bytes) {
        match segment {
            Ok(s) if s.marker == 0xE2 => kept_bytes += s.payload.len() as u64,
            Ok(_) => {}
            // A file cut short has nothing more to keep; the decoder reports the damage.
            Err(EvidenceError::NoEnd | EvidenceError::Truncated) => break,
            // The decoder would skip junk between segments and read on; the walk cannot count
            // what lies beyond, so such a file is refused.
            Err(other) => return Err(PhotoError::corrupt(other.to_string())),
        }
    }
    Ok(Header {
        width: info.width,
        height: info.height,
        exif: info.exif,
        layout: Layout::Jpeg { info, kept_bytes },
    })
}

/// Reads IHDR, then walks chunks up to the first IDAT looking for `eXIf`.
fn probe_png(bytes: &[u8]) -> Result<Header<'_>, PhotoError> {
    if bytes.len() < 8 {
        return Err(truncated());
    }
    if &bytes[..8] != b"\x89PNG\r\n\x1a\n" {
        return Err(PhotoError::corrupt("the PNG signature is damaged"));
    }
    if bytes.get(12..16) != Some(b"IHDR".as_slice()) {
        return Err(if bytes.len() < 16 {
            truncated()
        } else {
            PhotoError::corrupt("the PNG does not start with its header chunk")
        });
    }
    let width = be32(bytes, 16)?;
    let height = be32(bytes, 20)?;
    if width == 0 || height == 0 || width > PNG_MAX_EDGE || height > PNG_MAX_EDGE {
        return Err(PhotoError::corrupt(
            "the PNG header gives an impossible image size",
        ));
    }
    let fields = bytes.get(24..29).ok_or_else(truncated)?;
    let layout = PngLayout {
        bit_depth: fields[0],
        color_type: fields[1],
        interlaced: fields[4] == 1,
    };
    let valid_depth = match layout.color_type {
        0 => matches!(layout.bit_depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(layout.bit_depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(layout.bit_depth, 8 | 16),
        _ => false,
    };
    if !valid_depth || fields[4] > 1 {
        return Err(PhotoError::corrupt(
            "the PNG header gives an impossible pixel format",
        ));
    }
    let mut exif = None;
    let mut pos = 8;
    while let (Ok(len), Some(kind)) = (be32(bytes, pos), bytes.get(pos + 4..pos + 8)) {
        let data_start = pos + 8;
        let data_end = data_start.saturating_add(len as usize);
        if kind == b"IDAT" || kind == b"IEND" {
            break;
        }
        let Some(data) = bytes.get(data_start..data_end) else {
            return Err(truncated());
        };
        if kind == b"eXIf" {
            // Some writers keep the JPEG-style prefix inside the chunk.
            exif = Some(data.strip_prefix(EXIF_PREFIX).unwrap_or(data));
        }
        pos = data_end + 4; // skip CRC
    }
    Ok(Header {
        width,
        height,
        exif,
        layout: Layout::Png(layout),
    })
}
