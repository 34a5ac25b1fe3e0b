//! Reads a file's dimensions and EXIF block from its header alone, so a decompression bomb is refused
//! before the decoder allocates anything and metadata is found without decoding pixels.

use super::{PhotoConfig, PhotoError, SourceFormat};

/// What the header of an accepted file says.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// The TIFF structure of the EXIF block, if the file has one.
    pub(crate) exif: Option<&'a [u8]>,
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

fn be16(bytes: &[u8], at: usize) -> Result<u16, PhotoError> {
    let b = bytes.get(at..at + 2).ok_or_else(truncated)?;
    Ok(u16::from_be_bytes([b[0], b[1]]))
}

fn be32(bytes: &[u8], at: usize) -> Result<u32, PhotoError> {
    let b = bytes.get(at..at + 4).ok_or_else(truncated)?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Walks JPEG marker segments up to the frame header (SOF), picking up the first EXIF APP1 on the way.
fn probe_jpeg(bytes: &[u8]) -> Result<Header<'_>, PhotoError> {
    let mut pos = 2; // past SOI
    let mut exif = None;
    loop {
        if *bytes.get(pos).ok_or_else(truncated)? != 0xFF {
            return Err(PhotoError::corrupt("a JPEG marker is missing"));
        }
        // Any number of 0xFF fill bytes may precede a marker code.
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes.get(pos).ok_or_else(truncated)?;
        pos += 1;
        match marker {
            // Markers without a length field.
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 | 0xDA => return Err(PhotoError::corrupt("the JPEG has no frame header")),
            _ => {}
        }
        let len = usize::from(be16(bytes, pos)?);
        if len < 2 {
            return Err(PhotoError::corrupt(
                "a JPEG segment has an impossible length",
            ));
        }
        let segment = bytes.get(pos + 2..pos + len).ok_or_else(truncated)?;
        match marker {
            // DHT, JPG and DAC share the SOF code range but are not frame headers.
            0xC4 | 0xC8 | 0xCC => {}
            0xC0..=0xC3 => {
                let height = be16(segment, 1)?;
                let width = be16(segment, 3)?;
                if width == 0 || height == 0 {
                    return Err(PhotoError::corrupt("the JPEG header gives no image size"));
                }
                return Ok(Header {
                    width: width.into(),
                    height: height.into(),
                    exif,
                });
            }
            // Hierarchical and arithmetic-coded JPEGs: valid, but no camera writes them and the
            // decoder does not read them, so "damaged" would be the wrong advice.
            0xC5..=0xCF => {
                return Err(PhotoError::unsupported(
                    "a hierarchical or arithmetic-coded JPEG",
                ));
            }
            0xE1 if exif.is_none() && segment.starts_with(EXIF_PREFIX) => {
                exif = Some(&segment[EXIF_PREFIX.len()..]);
            }
            _ => {}
        }
        pos += len;
    }
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
    })
}
