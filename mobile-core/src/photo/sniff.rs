//! Tells what kind of file we were handed from its first bytes, so that anything other than JPEG or
//! PNG is refused with a message naming what it is, before a parser sees it.

use super::PhotoError;

/// The two formats accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// JPEG, what every phone camera writes.
    Jpeg,
    /// PNG, e.g. a screenshot of a meter or a document.
    Png,
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// ISO-BMFF brands that mean a still image in a format we do not decode.
const HEIF_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
];
const AVIF_BRANDS: &[&[u8; 4]] = &[b"avif", b"avis"];

/// Returns the format of `bytes`, or says what the file is instead.
pub(crate) fn sniff(bytes: &[u8]) -> Result<SourceFormat, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::corrupt("the file is empty"));
    }
    // Only the first marker is checked: a JPEG cut short after it is damaged, not another format.
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return Ok(SourceFormat::Jpeg);
    }
    if bytes.starts_with(&PNG_SIGNATURE[..4]) {
        return Ok(SourceFormat::Png);
    }
    Err(PhotoError::unsupported(describe_other(bytes)))
}

/// Names a file that is neither JPEG nor PNG, in words for the person who picked it.
fn describe_other(bytes: &[u8]) -> &'static str {
    let at = |range: std::ops::Range<usize>| bytes.get(range).unwrap_or_default();
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "a GIF image"
    } else if bytes.starts_with(b"RIFF") && at(8..12) == b"WEBP" {
        "a WebP image"
    } else if at(4..8) == b"ftyp" {
        let brand = at(8..12);
        if HEIF_BRANDS.iter().any(|b| b.as_slice() == brand) {
            "a HEIC image"
        } else if AVIF_BRANDS.iter().any(|b| b.as_slice() == brand) {
            "an AVIF image"
        } else {
            "a video"
        }
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        "a TIFF or camera RAW image"
    } else if bytes.starts_with(b"%PDF") {
        "a PDF document"
    } else if bytes.starts_with(b"PK\x03\x04") {
        "a ZIP archive"
    } else if looks_like_text(bytes) {
        "text"
    } else if bytes.starts_with(b"BM") {
        "a BMP image"
    } else {
        "unrecognised data"
    }
}

/// True when the start of the file is printable UTF-8, i.e. someone picked a note or a log.
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // The 1024-byte cut may split a character; what precedes it still counts.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty()
        && text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
}
