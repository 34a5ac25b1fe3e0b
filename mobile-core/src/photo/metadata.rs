//! Extracts the three EXIF facts evidence needs — orientation, capture time, GPS position — so the
//! pixels can be turned upright and the rest of the metadata dropped.
//!
//! Damaged or odd EXIF never rejects a photo: the pixels are still good evidence, so a field that
//! cannot be read is simply absent. So is a block built to make the reader allocate far more than
//! its own size (`exif_guard.rs`).

use exif::{Exif, In, Tag, Value};

use super::exif_guard;
use super::orient::Orientation;

/// What the EXIF block says about the photo.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Metadata {
    pub(crate) orientation: Orientation,
    pub(crate) taken_at: Option<String>,
    pub(crate) gps: Option<(f64, f64)>,
}

/// Reads `tiff` (an EXIF block without the `Exif\0\0` prefix); `None` gives defaults.
pub(crate) fn read(tiff: Option<&[u8]>) -> Metadata {
    let tiff = tiff.filter(|t| exif_guard::acceptable(t));
    let Some(exif) = tiff.and_then(|t| exif::Reader::new().read_raw(t.to_vec()).ok()) else {
        return Metadata::default();
    };
    Metadata {
        orientation: exif
            .get_field(Tag::Orientation, In::PRIMARY)
            .and_then(|f| f.value.get_uint(0))
            .and_then(Orientation::from_exif)
            .unwrap_or_default(),
        taken_at: taken_at(&exif),
        gps: gps(&exif),
    }
}

/// DateTimeOriginal exactly as the camera wrote it ("YYYY:MM:DD HH:MM:SS"); cameras without a clock
/// write spaces and colons, which mean "unknown".
fn taken_at(exif: &Exif) -> Option<String> {
    let field = exif.get_field(Tag::DateTimeOriginal, In::PRIMARY)?;
    let Value::Ascii(ref parts) = field.value else {
        return None;
    };
    let raw = std::str::from_utf8(parts.first()?).ok()?;
    let text = raw.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    text.chars()
        .any(|c| c.is_ascii_digit() && c != '0')
        .then(|| text.to_owned())
}

/// Latitude and longitude in signed decimal degrees. A position without its hemisphere reference
/// is dropped: evidence placed in the wrong hemisphere is worse than none.
fn gps(exif: &Exif) -> Option<(f64, f64)> {
    let lat = coordinate(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S', 90.0)?;
    let lon = coordinate(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W', 180.0)?;
    Some((lat, lon))
}

fn coordinate(exif: &Exif, value: Tag, reference: Tag, negative: u8, limit: f64) -> Option<f64> {
    let Value::Rational(ref dms) = exif.get_field(value, In::PRIMARY)?.value else {
        return None;
    };
    let Value::Ascii(ref refs) = exif.get_field(reference, In::PRIMARY)?.value else {
        return None;
    };
    let hemisphere = refs.first()?.first()?.to_ascii_uppercase();
    let mut degrees = 0.0;
    for (part, scale) in dms.iter().zip([1.0, 60.0, 3600.0]) {
        if part.denom == 0 {
            return None;
        }
        degrees += part.to_f64() / scale;
    }
    if dms.is_empty() || !degrees.is_finite() || degrees > limit {
        return None;
    }
    Some(if hemisphere == negative {
        -degrees
    } else {
        degrees
    })
}
