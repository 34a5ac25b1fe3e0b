//! Synthetic camera files for tests and benchmarks (included with `#[path]`, never shipped):
//! deterministic photo-like JPEGs and hand-built EXIF blocks. Nothing in the pipeline uses it.

/// What to write into a synthetic EXIF block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExifFields<'a> {
    /// EXIF orientation, 1–8 (other values are written as given, to test rejection).
    pub orientation: Option<u16>,
    /// DateTimeOriginal, e.g. "2026:11:21 09:30:00".
    pub taken_at: Option<&'a str>,
    /// (latitude, longitude) in signed decimal degrees.
    pub gps: Option<(f64, f64)>,
}

const SHORT: u16 = 3;
const LONG: u16 = 4;
const ASCII: u16 = 2;
const RATIONAL: u16 = 5;
const BYTE: u16 = 1;

struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    value: Vec<u8>,
}

impl Entry {
    fn ascii(tag: u16, text: &str) -> Self {
        let mut value = text.as_bytes().to_vec();
        value.push(0);
        Self {
            tag,
            kind: ASCII,
            count: value.len() as u32,
            value,
        }
    }

    /// Degrees as degrees, minutes and thousandths of seconds, as cameras write them.
    fn dms(tag: u16, degrees: f64) -> Self {
        let degrees = degrees.abs();
        let whole = degrees.trunc();
        let minutes = ((degrees - whole) * 60.0).trunc();
        let millis = ((degrees - whole - minutes / 60.0) * 3_600_000.0).round();
        let mut value = Vec::new();
        for (num, denom) in [
            (whole as u32, 1u32),
            (minutes as u32, 1),
            (millis as u32, 1000),
        ] {
            value.extend_from_slice(&num.to_le_bytes());
            value.extend_from_slice(&denom.to_le_bytes());
        }
        Self {
            tag,
            kind: RATIONAL,
            count: 3,
            value,
        }
    }

    fn pointer(tag: u16) -> Self {
        Self {
            tag,
            kind: LONG,
            count: 1,
            value: vec![0; 4],
        }
    }
}

/// Appends an IFD (entries sorted by tag, values that do not fit inline right after it) and returns
/// the position of each entry's value field, so pointers to later IFDs can be patched in.
fn write_ifd(buf: &mut Vec<u8>, entries: &[Entry]) -> Vec<usize> {
    let start = buf.len();
    let mut data_at = start + 2 + entries.len() * 12 + 4;
    let mut data = Vec::new();
    let mut fields = Vec::new();
    buf.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for e in entries {
        buf.extend_from_slice(&e.tag.to_le_bytes());
        buf.extend_from_slice(&e.kind.to_le_bytes());
        buf.extend_from_slice(&e.count.to_le_bytes());
        fields.push(buf.len());
        if e.value.len() <= 4 {
            let mut inline = e.value.clone();
            inline.resize(4, 0);
            buf.extend_from_slice(&inline);
        } else {
            buf.extend_from_slice(&(data_at as u32).to_le_bytes());
            data.extend_from_slice(&e.value);
            // TIFF offsets must be even.
            if data.len() % 2 == 1 {
                data.push(0);
            }
            data_at = start + 2 + entries.len() * 12 + 4 + data.len();
        }
    }
    buf.extend_from_slice(&0u32.to_le_bytes());
    buf.extend_from_slice(&data);
    fields
}

fn patch(buf: &mut [u8], field: usize, value: usize) {
    buf[field..field + 4].copy_from_slice(&(value as u32).to_le_bytes());
}

/// A little-endian TIFF structure holding `fields`: what follows `Exif\0\0` in a JPEG's APP1 and
/// fills a PNG's `eXIf` chunk.
pub fn exif_block(fields: &ExifFields<'_>) -> Vec<u8> {
    let mut ifd0 = Vec::new();
    if let Some(o) = fields.orientation {
        ifd0.push(Entry {
            tag: 0x0112,
            kind: SHORT,
            count: 1,
            value: o.to_le_bytes().to_vec(),
        });
    }
    let exif_slot = fields.taken_at.map(|_| {
        ifd0.push(Entry::pointer(0x8769));
        ifd0.len() - 1
    });
    let gps_slot = fields.gps.map(|_| {
        ifd0.push(Entry::pointer(0x8825));
        ifd0.len() - 1
    });
    let mut buf = b"II*\0\x08\0\0\0".to_vec();
    let pointers = write_ifd(&mut buf, &ifd0);
    if let (Some(taken_at), Some(slot)) = (fields.taken_at, exif_slot) {
        let at = buf.len();
        write_ifd(&mut buf, &[Entry::ascii(0x9003, taken_at)]);
        patch(&mut buf, pointers[slot], at);
    }
    if let (Some((lat, lon)), Some(slot)) = (fields.gps, gps_slot) {
        let at = buf.len();
        let version = Entry {
            tag: 0x0000,
            kind: BYTE,
            count: 4,
            value: vec![2, 3, 0, 0],
        };
        let hemisphere = |v: f64, pos, neg| if v < 0.0 { neg } else { pos };
        write_ifd(
            &mut buf,
            &[
                version,
                Entry::ascii(0x0001, hemisphere(lat, "N", "S")),
                Entry::dms(0x0002, lat),
                Entry::ascii(0x0003, hemisphere(lon, "E", "W")),
                Entry::dms(0x0004, lon),
            ],
        );
        patch(&mut buf, pointers[slot], at);
    }
    buf
}

/// Inserts `tiff` as an EXIF APP1 segment right after the JPEG's SOI marker, where cameras put it.
///
/// # Panics
/// If `jpeg` does not start with SOI or `tiff` does not fit one segment.
pub fn jpeg_with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "not a JPEG");
    let len = u16::try_from(2 + 6 + tiff.len()).expect("EXIF block too large for one APP1");
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Inserts `tiff` as an `eXIf` chunk right after the PNG's IHDR chunk.
///
/// # Panics
/// If `png` does not start with a signature and IHDR.
pub fn png_with_exif(png: &[u8], tiff: &[u8]) -> Vec<u8> {
    const IHDR_END: usize = 8 + 8 + 13 + 4;
    assert!(png.len() > IHDR_END && &png[12..16] == b"IHDR", "not a PNG");
    let mut chunk = b"eXIf".to_vec();
    chunk.extend_from_slice(tiff);
    let mut out = png[..IHDR_END].to_vec();
    out.extend_from_slice(&(tiff.len() as u32).to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32fast::hash(&chunk).to_be_bytes());
    out.extend_from_slice(&png[IHDR_END..]);
    out
}

/// Deterministic photo-like RGB pixels: smooth light, hard-edged objects and sensor noise, so the
/// JPEG entropy coder has about as much work as with a real phone photo.
pub fn photo_pixels(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut noise = move || {
        // xorshift64: fixed, dependency-free and identical on every platform.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 59) as i32 - 16
    };
    let (w, h) = (width as f32, height as f32);
    let mut out = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        let fy = y as f32 / h;
        for x in 0..width {
            let fx = x as f32 / w;
            let light = 150.0 + 70.0 * (fx * 5.0 + fy * 3.0).sin() * (fy * 4.0).cos();
            // Blocks of 97 px with hashed tints stand in for objects with hard edges.
            let block = (x / 97).wrapping_mul(2_654_435_761) ^ (y / 97).wrapping_mul(40_503);
            let tint = [
                (block & 63) as f32,
                ((block >> 6) & 63) as f32,
                ((block >> 12) & 63) as f32,
            ];
            for t in tint {
                let v = light - 32.0 + t + noise() as f32;
                out.push(v.clamp(0.0, 255.0) as u8);
            }
        }
    }
    out
}

/// A photo-like baseline 4:2:0 JPEG of `width` × `height` at `quality`, without metadata.
///
/// # Panics
/// If a dimension exceeds 65 535.
pub fn photo_jpeg(width: u32, height: u32, quality: u8, seed: u64) -> Vec<u8> {
    let pixels = photo_pixels(width, height, seed);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder
        .encode(
            &pixels,
            u16::try_from(width).expect("JPEG width"),
            u16::try_from(height).expect("JPEG height"),
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encoding synthetic pixels");
    out
}
