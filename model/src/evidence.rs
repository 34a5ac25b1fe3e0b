//! The one rule for evidence JPEGs. The phone reads a camera file's header with [`probe_jpeg`]
//! before deciding whether it can decode it; the server runs [`check_jpeg`] on every uploaded
//! evidence photo, so a file that is not the kind of JPEG the phone makes (HTML or a script behind
//! a JPEG signature, a frame claiming 50,000 × 50,000 pixels, a truncated upload) is refused by
//! the same marker walk on both ends.
//!
//! Pure: walks marker segments, never decodes pixels, and touches every byte at most once.

/// Most pixels the long edge of an evidence JPEG may have by default. The phone writes 1600 px
/// photos and 320 px thumbnails; the rest is margin for other clients (a desktop or web uploader
/// keeping more detail) while a frame this size still decodes in under 50 MB should anyone render it.
pub const DEFAULT_MAX_LONG_EDGE: u32 = 4096;

/// What [`check_jpeg`] accepts beyond the fixed rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvidenceLimits {
    /// Most pixels on the longer side of the frame.
    pub max_long_edge: u32,
}

impl Default for EvidenceLimits {
    fn default() -> Self {
        Self {
            max_long_edge: DEFAULT_MAX_LONG_EDGE,
        }
    }
}

/// How the frame is coded, from its start-of-frame marker. Hierarchical and arithmetic-coded
/// frames are valid JPEG but no camera writes them, so the walk refuses them outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JpegCoding {
    /// SOF0: what cameras and the phone's own encoder write.
    Baseline,
    /// SOF1: sequential like baseline, with more tables allowed; a few scanners write it.
    ExtendedSequential,
    /// SOF2: common on the web. A decoder holds every coefficient of the whole image until the
    /// last scan, whatever size it is asked to produce.
    Progressive,
    /// SOF3: lossless; cameras use it only inside RAW files.
    Lossless,
}

/// One colour component of the frame, as its header declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegComponent {
    /// Component identifier (1, 2, 3 for YCbCr by convention).
    pub id: u8,
    /// Horizontal sampling factor, 1–4.
    pub h: u8,
    /// Vertical sampling factor, 1–4.
    pub v: u8,
    /// Quantisation table index, 0–3.
    pub quant_table: u8,
}

/// What a JPEG's header says, up to and including its frame header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpegInfo<'a> {
    /// Width in pixels (JPEG caps it at 65,535).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bits per sample.
    pub precision: u8,
    pub coding: JpegCoding,
    pub components: Vec<JpegComponent>,
    /// The TIFF structure of the first EXIF APP1 segment before the frame (without `Exif\0\0`).
    pub exif: Option<&'a [u8]>,
}

impl JpegInfo<'_> {
    /// The largest horizontal and vertical sampling factors: one MCU covers `8·h × 8·v` pixels.
    pub fn max_sampling(&self) -> (u8, u8) {
        let h = self.components.iter().map(|c| c.h).max().unwrap_or(1);
        let v = self.components.iter().map(|c| c.v).max().unwrap_or(1);
        (h, v)
    }
}

/// Why a file is not an acceptable evidence JPEG. [`rule`](Self::rule) is stable, for clients and
/// logs; the message is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the file does not start with a JPEG start-of-image marker")]
    NotJpeg,
    #[error("the file ends inside a JPEG segment")]
    Truncated,
    #[error("a JPEG marker is missing at byte {at}")]
    MissingMarker { at: usize },
    #[error("the JPEG has a {marker:#04x} marker at byte {at}, where none belongs")]
    UnexpectedMarker { marker: u8, at: usize },
    #[error("the JPEG segment at byte {at} has an impossible length")]
    BadSegment { at: usize },
    #[error("the JPEG has no frame header")]
    NoFrame,
    /// A coding the walk or the check does not accept; `what` names it in words.
    #[error("the JPEG is {what}")]
    Coding { marker: u8, what: &'static str },
    #[error("the JPEG frame header is invalid: {detail}")]
    BadFrame { detail: String },
    #[error(
        "the JPEG is {width}×{height} pixels; evidence has at most {max_long_edge} on its long edge"
    )]
    TooLarge {
        width: u32,
        height: u32,
        max_long_edge: u32,
    },
    #[error("the JPEG has no scan data: {detail}")]
    NoScan { detail: String },
    #[error("the JPEG does not end with an end-of-image marker")]
    NoEnd,
    #[error("{extra} bytes follow the JPEG's end-of-image marker")]
    TrailingData { extra: usize },
}

impl EvidenceError {
    /// A stable id for the broken rule.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::NotJpeg => "evidence.not_jpeg",
            Self::Truncated => "evidence.truncated",
            Self::MissingMarker { .. } => "evidence.missing_marker",
            Self::UnexpectedMarker { .. } => "evidence.unexpected_marker",
            Self::BadSegment { .. } => "evidence.bad_segment",
            Self::NoFrame => "evidence.no_frame",
            Self::Coding { .. } => "evidence.coding",
            Self::BadFrame { .. } => "evidence.bad_frame",
            Self::TooLarge { .. } => "evidence.too_large",
            Self::NoScan { .. } => "evidence.no_scan",
            Self::NoEnd => "evidence.no_end",
            Self::TrailingData { .. } => "evidence.trailing_data",
        }
    }
}

fn bad_frame(detail: impl Into<String>) -> EvidenceError {
    EvidenceError::BadFrame {
        detail: detail.into(),
    }
}

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const EXIF_PREFIX: &[u8] = b"Exif\0\0";

/// A cursor over marker segments.
#[derive(Debug, Clone)]
struct Walk<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Walk<'a> {
    /// Reads the next marker code, skipping the 0xFF fill bytes that may precede it; returns the
    /// code and where its 0xFF is.
    fn marker(&mut self) -> Result<(u8, usize), EvidenceError> {
        match self.bytes.get(self.pos) {
            None => return Err(EvidenceError::Truncated),
            Some(0xFF) => {}
            Some(_) => return Err(EvidenceError::MissingMarker { at: self.pos }),
        }
        while self.bytes.get(self.pos) == Some(&0xFF) {
            self.pos += 1;
        }
        let code = *self.bytes.get(self.pos).ok_or(EvidenceError::Truncated)?;
        self.pos += 1;
        Ok((code, self.pos - 2))
    }

    /// Reads a length-prefixed segment and returns its payload.
    fn segment(&mut self) -> Result<&'a [u8], EvidenceError> {
        let at = self.pos;
        let len = self
            .bytes
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or(EvidenceError::Truncated)?;
        if len < 2 {
            return Err(EvidenceError::BadSegment { at });
        }
        let payload = self
            .bytes
            .get(at + 2..at + len)
            .ok_or(EvidenceError::Truncated)?;
        self.pos = at + len;
        Ok(payload)
    }

    /// Skips entropy-coded data up to the next marker that is not a restart marker; returns how
    /// many bytes were skipped, leaving the cursor on that marker's 0xFF.
    fn entropy_coded(&mut self) -> Result<usize, EvidenceError> {
        let start = self.pos;
        loop {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            let Some(ff) = rest.iter().position(|&b| b == 0xFF) else {
                return Err(EvidenceError::NoEnd);
            };
            let at = self.pos + ff;
            match self.bytes.get(at + 1) {
                None => return Err(EvidenceError::NoEnd),
                // A stuffed 0xFF data byte, or a restart marker inside the scan.
                Some(0x00 | 0xD0..=0xD7) => self.pos = at + 2,
                // Fill bytes before a marker: the marker starts at the last of them.
                Some(0xFF) => self.pos = at + 1,
                Some(_) => {
                    self.pos = at;
                    return Ok(at - start);
                }
            }
        }
    }
}

/// One marker of a JPEG, in file order, as [`jpeg_segments`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegSegment<'a> {
    /// The marker code, the byte after 0xFF (0xE1 for APP1, 0xDA for a scan, 0xD9 for EOI).
    pub marker: u8,
    /// Offset of the marker's 0xFF.
    pub at: usize,
    /// The payload after the length field; empty for markers without one (EOI, RSTn, TEM).
    pub payload: &'a [u8],
    /// For a scan (SOS): bytes of entropy-coded data after its header, restart markers included.
    pub entropy_bytes: usize,
}

/// Walks the markers after SOI up to and including EOI, skipping each scan's entropy-coded data.
/// Yields the first broken rule as its last item; never reads past EOI (trailing bytes start at
/// the EOI segment's `at + 2`).
pub fn jpeg_segments(bytes: &[u8]) -> JpegSegments<'_> {
    JpegSegments {
        walk: Walk { bytes, pos: 2 },
        state: if bytes.starts_with(&[0xFF, SOI]) {
            SegmentsState::Walking
        } else {
            SegmentsState::NotJpeg
        },
    }
}

/// The iterator of [`jpeg_segments`].
#[derive(Debug, Clone)]
pub struct JpegSegments<'a> {
    walk: Walk<'a>,
    state: SegmentsState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegmentsState {
    NotJpeg,
    Walking,
    Done,
}

impl<'a> JpegSegments<'a> {
    fn step(&mut self) -> Result<JpegSegment<'a>, EvidenceError> {
        let (marker, at) = self.walk.marker()?;
        // TEM, RSTn, SOI and EOI have no length field.
        let payload = if matches!(marker, 0x01 | 0xD0..=EOI) {
            &[]
        } else {
            self.walk.segment()?
        };
        let entropy_bytes = if marker == SOS {
            self.walk.entropy_coded()?
        } else {
            0
        };
        Ok(JpegSegment {
            marker,
            at,
            payload,
            entropy_bytes,
        })
    }
}

impl<'a> Iterator for JpegSegments<'a> {
    type Item = Result<JpegSegment<'a>, EvidenceError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.state {
            SegmentsState::Done => None,
            SegmentsState::NotJpeg => {
                self.state = SegmentsState::Done;
                Some(Err(EvidenceError::NotJpeg))
            }
            SegmentsState::Walking => {
                let item = self.step();
                if !matches!(item, Ok(JpegSegment { marker, .. }) if marker != EOI) {
                    self.state = SegmentsState::Done;
                }
                Some(item)
            }
        }
    }
}

/// Reads the header of `bytes` up to its frame header, picking up the first EXIF APP1 segment on
/// the way.
///
/// # Errors
/// The first broken rule; hierarchical and arithmetic-coded frames are refused as
/// [`EvidenceError::Coding`].
pub fn probe_jpeg(bytes: &[u8]) -> Result<JpegInfo<'_>, EvidenceError> {
    to_frame(&mut jpeg_segments(bytes))
}

/// Checks that `bytes` is an evidence JPEG: SOI first; a baseline or progressive Huffman frame of
/// 8-bit grey or colour (1 or 3 components) with a nonzero size within `limits`; at least one scan
/// with entropy-coded data; EOI last, with nothing after it. The server calls it on every upload.
///
/// # Errors
/// The first broken rule, with a stable [`EvidenceError::rule`].
pub fn check_jpeg<'a>(
    bytes: &'a [u8],
    limits: &EvidenceLimits,
) -> Result<JpegInfo<'a>, EvidenceError> {
    let mut segments = jpeg_segments(bytes);
    let info = to_frame(&mut segments)?;
    match info.coding {
        JpegCoding::Baseline | JpegCoding::Progressive => {}
        JpegCoding::ExtendedSequential => {
            return Err(EvidenceError::Coding {
                marker: 0xC1,
                what: "extended sequential, which the phone never writes",
            });
        }
        JpegCoding::Lossless => {
            return Err(EvidenceError::Coding {
                marker: 0xC3,
                what: "lossless, which the phone never writes",
            });
        }
    }
    if info.precision != 8 {
        return Err(bad_frame(format!(
            "{} bits per sample instead of 8",
            info.precision
        )));
    }
    if !matches!(info.components.len(), 1 | 3) {
        return Err(bad_frame(format!(
            "{} colour components instead of 1 (grey) or 3 (colour)",
            info.components.len()
        )));
    }
    if info.width.max(info.height) > limits.max_long_edge {
        return Err(EvidenceError::TooLarge {
            width: info.width,
            height: info.height,
            max_long_edge: limits.max_long_edge,
        });
    }
    check_scans(segments, &info, bytes.len())?;
    Ok(info)
}

/// Consumes segments up to the frame header and returns what it says.
fn to_frame<'a>(segments: &mut JpegSegments<'a>) -> Result<JpegInfo<'a>, EvidenceError> {
    let mut exif = None;
    for segment in segments {
        let JpegSegment {
            marker, payload, ..
        } = segment?;
        match marker {
            EOI | SOS => return Err(EvidenceError::NoFrame),
            // DHT, JPG and DAC share the SOF code range but are not frame headers.
            0xC4 | 0xC8 | 0xCC => {}
            0xC0..=0xC3 => {
                let coding = match marker {
                    0xC0 => JpegCoding::Baseline,
                    0xC1 => JpegCoding::ExtendedSequential,
                    0xC2 => JpegCoding::Progressive,
                    _ => JpegCoding::Lossless,
                };
                return frame(payload, coding, exif);
            }
            0xC5..=0xC7 | 0xCD..=0xCF => {
                return Err(EvidenceError::Coding {
                    marker,
                    what: "hierarchical",
                });
            }
            0xC9..=0xCB => {
                return Err(EvidenceError::Coding {
                    marker,
                    what: "arithmetic-coded",
                });
            }
            0xE1 if exif.is_none() && payload.starts_with(EXIF_PREFIX) => {
                exif = Some(&payload[EXIF_PREFIX.len()..]);
            }
            // Everything else before the frame, standalone markers included, is passed over.
            _ => {}
        }
    }
    // The walk ends only at EOI or an error, both handled above.
    Err(EvidenceError::NoFrame)
}

/// Parses a frame header's payload (after its length field).
fn frame<'a>(
    segment: &[u8],
    coding: JpegCoding,
    exif: Option<&'a [u8]>,
) -> Result<JpegInfo<'a>, EvidenceError> {
    let [precision, h0, h1, w0, w1, count, rest @ ..] = segment else {
        return Err(bad_frame("it is too short"));
    };
    let count = usize::from(*count);
    if count == 0 || rest.len() != 3 * count {
        return Err(bad_frame("its length does not match its component count"));
    }
    let height = u32::from(u16::from_be_bytes([*h0, *h1]));
    let width = u32::from(u16::from_be_bytes([*w0, *w1]));
    if width == 0 || height == 0 {
        return Err(bad_frame("it gives no image size"));
    }
    let mut components = Vec::with_capacity(count);
    for c in rest.chunks_exact(3) {
        let component = JpegComponent {
            id: c[0],
            h: c[1] >> 4,
            v: c[1] & 0x0F,
            quant_table: c[2],
        };
        if !(1..=4).contains(&component.h) || !(1..=4).contains(&component.v) {
            return Err(bad_frame("a sampling factor is outside 1–4"));
        }
        if component.quant_table > 3 {
            return Err(bad_frame("a quantisation table index is outside 0–3"));
        }
        if components
            .iter()
            .any(|o: &JpegComponent| o.id == component.id)
        {
            return Err(bad_frame("two components have the same identifier"));
        }
        components.push(component);
    }
    Ok(JpegInfo {
        width,
        height,
        precision: *precision,
        coding,
        components,
        exif,
    })
}

/// From after the frame header to EOI: table and application segments, then scans, each with a
/// valid header and entropy-coded data, and nothing after EOI.
fn check_scans(
    segments: JpegSegments<'_>,
    info: &JpegInfo<'_>,
    len: usize,
) -> Result<(), EvidenceError> {
    let mut scans = 0;
    for segment in segments {
        let segment = match segment {
            Err(EvidenceError::Truncated) => return Err(EvidenceError::NoEnd),
            other => other?,
        };
        match segment.marker {
            EOI if scans == 0 => {
                return Err(EvidenceError::NoScan {
                    detail: "the image ends before its first scan".into(),
                });
            }
            EOI => {
                let extra = len - (segment.at + 2);
                return if extra == 0 {
                    Ok(())
                } else {
                    Err(EvidenceError::TrailingData { extra })
                };
            }
            SOS => {
                scan_header(segment.payload, info)?;
                if segment.entropy_bytes == 0 {
                    return Err(EvidenceError::NoScan {
                        detail: "a scan has no entropy-coded data".into(),
                    });
                }
                scans += 1;
            }
            0xC0..=0xCF if !matches!(segment.marker, 0xC4 | 0xC8 | 0xCC) => {
                return Err(bad_frame("the JPEG has a second frame header"));
            }
            // Tables, restart interval, application data and comments may precede any scan.
            0xC4 | 0xDB | 0xDD | 0xE0..=0xEF | 0xFE => {}
            marker => {
                return Err(EvidenceError::UnexpectedMarker {
                    marker,
                    at: segment.at,
                });
            }
        }
    }
    Err(EvidenceError::NoEnd)
}

/// A scan header names 1–4 of the frame's components, each once.
fn scan_header(segment: &[u8], info: &JpegInfo<'_>) -> Result<(), EvidenceError> {
    let no_scan = |detail: &str| EvidenceError::NoScan {
        detail: detail.into(),
    };
    let Some((&count, rest)) = segment.split_first() else {
        return Err(no_scan("a scan header is empty"));
    };
    let count = usize::from(count);
    if !(1..=4).contains(&count) || rest.len() != 2 * count + 3 {
        return Err(no_scan(
            "a scan header's length does not match its components",
        ));
    }
    let ids: Vec<u8> = rest[..2 * count].chunks_exact(2).map(|c| c[0]).collect();
    for (i, id) in ids.iter().enumerate() {
        if !info.components.iter().any(|c| c.id == *id) || ids[..i].contains(id) {
            return Err(no_scan("a scan names a component the frame does not have"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small valid JPEG in the shape the phone's encoder writes: APP0, DQT, SOF, DHT, one scan.
    fn jpeg(sof: u8, width: u16, height: u16, components: u8) -> Vec<u8> {
        let mut out = vec![0xFF, SOI];
        push_segment(&mut out, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let mut dqt = vec![0];
        dqt.extend([1u8; 64]);
        push_segment(&mut out, 0xDB, &dqt);
        let mut frame = vec![8];
        frame.extend(height.to_be_bytes());
        frame.extend(width.to_be_bytes());
        frame.push(components);
        for id in 1..=components {
            frame.extend([id, if id == 1 { 0x22 } else { 0x11 }, 0]);
        }
        push_segment(&mut out, sof, &frame);
        let mut dht = vec![0x00, 1];
        dht.extend([0u8; 15]);
        dht.push(0);
        push_segment(&mut out, 0xC4, &dht);
        let mut sos = vec![components];
        for id in 1..=components {
            sos.extend([id, 0x00]);
        }
        sos.extend([0, 63, 0]);
        push_segment(&mut out, SOS, &sos);
        // Entropy-coded bytes, a stuffed 0xFF and a restart marker among them.
        out.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        out.extend([0xFF, EOI]);
        out
    }

    fn push_segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
        out.extend([0xFF, marker]);
        out.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        out.extend(payload);
    }

    fn check(bytes: &[u8]) -> Result<JpegInfo<'_>, EvidenceError> {
        check_jpeg(bytes, &EvidenceLimits::default())
    }

    fn rule(bytes: &[u8]) -> &'static str {
        check(bytes).expect_err("refused").rule()
    }

    #[test]
    fn a_phone_shaped_jpeg_passes_with_its_frame_described() {
        let bytes = jpeg(0xC0, 1600, 1200, 3);
        let info = check(&bytes).unwrap();
        assert_eq!((info.width, info.height), (1600, 1200));
        assert_eq!(info.coding, JpegCoding::Baseline);
        assert_eq!(info.precision, 8);
        assert_eq!(info.max_sampling(), (2, 2));
        assert_eq!(
            info.components[1],
            JpegComponent {
                id: 2,
                h: 1,
                v: 1,
                quant_table: 0
            }
        );
        assert_eq!(info.exif, None);
        let grey_progressive = jpeg(0xC2, 320, 240, 1);
        assert_eq!(
            check(&grey_progressive).unwrap().coding,
            JpegCoding::Progressive
        );
    }

    #[test]
    fn html_between_soi_and_eoi_is_refused() {
        let mut bytes = vec![0xFF, SOI];
        bytes.extend(b"<html><body><script>alert(document.cookie)</script></body></html>");
        bytes.extend([0xFF, EOI]);
        assert_eq!(rule(&bytes), "evidence.missing_marker");
        assert_eq!(
            probe_jpeg(&bytes).unwrap_err(),
            EvidenceError::MissingMarker { at: 2 }
        );
    }

    #[test]
    fn a_header_claiming_50000_by_50000_is_refused() {
        let bytes = jpeg(0xC0, 50_000, 50_000, 3);
        assert_eq!(
            check(&bytes).unwrap_err(),
            EvidenceError::TooLarge {
                width: 50_000,
                height: 50_000,
                max_long_edge: 4096
            }
        );
        assert_eq!(rule(&bytes), "evidence.too_large");
        // The probe only reads; the size is the caller's to judge.
        assert_eq!(probe_jpeg(&bytes).unwrap().width, 50_000);
        let tight = EvidenceLimits {
            max_long_edge: 1600,
        };
        assert!(check_jpeg(&jpeg(0xC0, 1600, 900, 3), &tight).is_ok());
        assert!(check_jpeg(&jpeg(0xC0, 900, 1601, 3), &tight).is_err());
    }

    #[test]
    fn start_and_end_markers_are_required() {
        let good = jpeg(0xC0, 64, 64, 3);
        assert_eq!(rule(b"GIF89a"), "evidence.not_jpeg");
        assert_eq!(rule(&good[1..]), "evidence.not_jpeg");
        assert_eq!(rule(&good[..good.len() - 2]), "evidence.no_end");
        assert_eq!(rule(&good[..good.len() - 1]), "evidence.no_end");
        let mut trailing = good.clone();
        trailing.extend(b"<?php system($_GET['c']); ?>");
        assert_eq!(
            check(&trailing).unwrap_err(),
            EvidenceError::TrailingData { extra: 28 }
        );
    }

    #[test]
    fn truncation_anywhere_is_refused() {
        let good = jpeg(0xC0, 64, 64, 3);
        for cut in 2..good.len() {
            assert!(check(&good[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(
            probe_jpeg(&good[..10]).unwrap_err(),
            EvidenceError::Truncated
        );
    }

    #[test]
    fn only_baseline_and_progressive_huffman_frames_pass_the_check() {
        for (sof, expected) in [
            (0xC1, "evidence.coding"),
            (0xC3, "evidence.coding"),
            (0xC5, "evidence.coding"),
            (0xC9, "evidence.coding"),
            (0xCA, "evidence.coding"),
        ] {
            assert_eq!(rule(&jpeg(sof, 64, 64, 3)), expected, "SOF {sof:#04x}");
        }
        assert_eq!(
            probe_jpeg(&jpeg(0xC1, 64, 64, 3)).unwrap().coding,
            JpegCoding::ExtendedSequential
        );
        assert_eq!(
            probe_jpeg(&jpeg(0xC9, 64, 64, 3)).unwrap_err(),
            EvidenceError::Coding {
                marker: 0xC9,
                what: "arithmetic-coded"
            }
        );
        assert_eq!(rule(&jpeg(0xC0, 64, 64, 4)), "evidence.bad_frame");
        assert_eq!(rule(&jpeg(0xC0, 64, 64, 2)), "evidence.bad_frame");
    }

    #[test]
    fn impossible_frame_headers_are_refused_by_the_probe_too() {
        let good = jpeg(0xC0, 64, 64, 3);
        let sof = good.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let mut zero_width = good.clone();
        zero_width[sof + 7..sof + 9].copy_from_slice(&[0, 0]);
        let mut zero_sampling = good.clone();
        zero_sampling[sof + 11] = 0x02;
        let mut duplicate_id = good.clone();
        duplicate_id[sof + 13] = 1;
        for bytes in [zero_width, zero_sampling, duplicate_id] {
            assert!(matches!(
                probe_jpeg(&bytes),
                Err(EvidenceError::BadFrame { .. })
            ));
            assert_eq!(rule(&bytes), "evidence.bad_frame");
        }
    }

    #[test]
    fn a_frame_without_a_scan_or_scan_data_is_refused() {
        let good = jpeg(0xC0, 64, 64, 3);
        let sos = good.windows(2).position(|w| w == [0xFF, SOS]).unwrap();
        let mut no_scan = good[..sos].to_vec();
        no_scan.extend([0xFF, EOI]);
        assert_eq!(rule(&no_scan), "evidence.no_scan");
        let mut empty_scan = good[..sos + 2 + 12].to_vec();
        empty_scan.extend([0xFF, EOI]);
        assert_eq!(rule(&empty_scan), "evidence.no_scan");
        let mut unknown_component = good.clone();
        unknown_component[sos + 5] = 9;
        assert_eq!(rule(&unknown_component), "evidence.no_scan");
    }

    #[test]
    fn exif_is_found_before_the_frame_and_fill_bytes_are_skipped() {
        let good = jpeg(0xC0, 64, 48, 1);
        let mut bytes = vec![0xFF, SOI];
        push_segment(&mut bytes, 0xE1, b"Exif\0\0II*\0tiff");
        bytes.extend([0xFF, 0xFF, 0xFF]);
        bytes.extend(&good[2..]);
        let info = check(&bytes).unwrap();
        assert_eq!(info.exif, Some(b"II*\0tiff".as_slice()));
        assert_eq!((info.width, info.height), (64, 48));
    }

    #[test]
    fn segments_come_in_file_order_and_end_at_eoi_or_the_first_error() {
        let mut bytes = jpeg(0xC0, 64, 64, 3);
        let segments: Vec<_> = jpeg_segments(&bytes).map(Result::unwrap).collect();
        let markers: Vec<u8> = segments.iter().map(|s| s.marker).collect();
        assert_eq!(markers, [0xE0, 0xDB, 0xC0, 0xC4, SOS, EOI]);
        // The restart marker and the stuffed byte belong to the scan's data.
        assert_eq!(segments[4].entropy_bytes, 7);
        assert_eq!(segments[1].payload.len(), 65);
        assert_eq!(segments[5].at + 2, bytes.len());
        bytes.extend(b"trailer");
        assert_eq!(
            jpeg_segments(&bytes).count(),
            6,
            "nothing is read after EOI"
        );
        let cut: Vec<_> = jpeg_segments(&bytes[..30]).collect();
        assert_eq!(cut.last(), Some(&Err(EvidenceError::Truncated)));
        assert!(cut[..cut.len() - 1].iter().all(Result::is_ok));
        assert_eq!(
            jpeg_segments(b"GIF89a").collect::<Vec<_>>(),
            [Err(EvidenceError::NotJpeg)]
        );
    }

    #[test]
    fn rules_are_distinct() {
        let all = [
            EvidenceError::NotJpeg,
            EvidenceError::Truncated,
            EvidenceError::MissingMarker { at: 0 },
            EvidenceError::UnexpectedMarker { marker: 0, at: 0 },
            EvidenceError::BadSegment { at: 0 },
            EvidenceError::NoFrame,
            EvidenceError::Coding {
                marker: 0,
                what: "",
            },
            bad_frame(""),
            EvidenceError::TooLarge {
                width: 0,
                height: 0,
                max_long_edge: 0,
            },
            EvidenceError::NoScan {
                detail: String::new(),
            },
            EvidenceError::NoEnd,
            EvidenceError::TrailingData { extra: 0 },
        ];
        let mut rules: Vec<_> = all.iter().map(EvidenceError::rule).collect();
        rules.sort_unstable();
        rules.dedup();
        assert_eq!(rules.len(), all.len());
    }
}
