//! What turning a photo into evidence will cost in memory, worked out from its header before
//! anything is decoded, so a photo the phone cannot afford is refused up front instead of
//! exhausting memory halfway. The figures follow what the decoders allocate (jpeg-decoder 0.3,
//! png 0.18 as driven by `decode_png.rs`) and what the pipeline holds after them; they are upper bounds,
//! checked against measured peaks by `tests/photo_bombs.rs`.

use closeloop_model::evidence::{JpegCoding, JpegInfo};

use super::probe::{Header, Layout, PngLayout};
use super::reduce;
use super::{PhotoConfig, PhotoError};

/// MCU rows of coefficients assumed queued between jpeg-decoder's entropy decoder and its
/// per-component IDCT threads. The IDCT at a reduced scale is cheaper than the decoding that feeds
/// it, so the queue stays a few rows deep; this leaves room for a busy core.
const JPEG_ROWS_IN_FLIGHT: u64 = 16;

/// The inflate window, chunk buffer and other fixed buffers of the PNG decoder.
const PNG_FIXED_BYTES: u64 = 256 * 1024;

/// What the PNG decoder may hold of the ancillary chunks it keeps (palette, transparency and, the
/// only large one, eXIf, which it copies whole); `decode_png.rs` sets this as its limit.
pub(crate) const PNG_CHUNK_BYTES: u64 = 1024 * 1024;

/// Refuses the photo unless decoding it to cover `target` fits [`PhotoConfig::max_decode_bytes`],
/// counting the file's own `file_bytes`.
pub(crate) fn check(
    header: &Header<'_>,
    file_bytes: u64,
    target: (u32, u32),
    cfg: &PhotoConfig,
) -> Result<(), PhotoError> {
    let cost = match &header.layout {
        Layout::Jpeg { info, kept_bytes } => {
            let cost = jpeg(info, target);
            Cost {
                bytes: cost.bytes + kept_bytes,
                ..cost
            }
        }
        Layout::Png(layout) => png(*layout, header.width, header.height, target),
    };
    let needed_bytes = file_bytes.saturating_add(cost.bytes);
    if needed_bytes <= cfg.max_decode_bytes {
        return Ok(());
    }
    Err(PhotoError::TooLargeToDecode {
        width: header.width,
        height: header.height,
        layout: cost.layout.to_owned(),
        needed_bytes,
        max_bytes: cfg.max_decode_bytes,
    })
}

/// Peak bytes besides the file, and how the layout is described when that is too much.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Cost {
    pub(crate) bytes: u64,
    pub(crate) layout: &'static str,
}

/// jpeg-decoder's DCT scale for `target`: the smallest of 1/8, 1/4, 1/2, 1/1 (as eighths) that
/// reaches the target in either axis, as its `Decoder::scale` chooses.
fn dct_scale(width: u32, height: u32, target: (u32, u32)) -> u64 {
    let target = (target.0.min(65_535), target.1.min(65_535));
    let scaled = |len: u32, s: u32| (len * s).div_ceil(8);
    [1, 2, 4]
        .into_iter()
        .find(|&s| scaled(width, s) >= target.0 || scaled(height, s) >= target.1)
        .unwrap_or(8)
        .into()
}

/// A JPEG decoded by jpeg-decoder at the DCT scale covering `target`: per component, one plane at
/// that scale (its blocks padded to whole MCUs), the interleaved output at that scale, coefficient
/// rows in flight to the IDCT threads and, for a progressive frame, every coefficient of the whole
/// image (64 × 2 bytes per block), kept until the last scan whatever the scale.
pub(crate) fn jpeg(info: &JpegInfo<'_>, target: (u32, u32)) -> Cost {
    let (width, height) = (info.width, info.height);
    let scale = dct_scale(width, height, target);
    let (hmax, vmax) = info.max_sampling();
    let mcus_x = u64::from(width.div_ceil(8 * u32::from(hmax)));
    let mcus_y = u64::from(height.div_ceil(8 * u32::from(vmax)));
    let (mut blocks, mut row_blocks) = (0u64, 0u64);
    for c in &info.components {
        let (h, v) = (u64::from(c.h), u64::from(c.v));
        blocks += mcus_x * h * mcus_y * v;
        row_blocks += mcus_x * h * v;
    }
    let components = info.components.len() as u64;
    let out_w = (u64::from(width) * scale).div_ceil(8);
    let out_h = (u64::from(height) * scale).div_ceil(8);
    let output = out_w * out_h * components;
    let planes = blocks * scale * scale;
    let in_flight = JPEG_ROWS_IN_FLIGHT * row_blocks * 128;
    let progressive = info.coding == JpegCoding::Progressive;
    let coefficients = if progressive { blocks * 128 } else { 0 };
    let decoding = coefficients + planes + output + in_flight;
    let channels = if components == 1 { 1 } else { 3 };
    let after = after_decode((out_w, out_h), output, channels, target);
    Cost {
        bytes: decoding.max(after),
        layout: if progressive {
            "a progressive JPEG, which has to be decoded whole"
        } else {
            "a JPEG of this size"
        },
    }
}

/// A PNG streamed row by row (`decode_png.rs`): the decoder's buffers for a few rows, one converted row
/// and a row of sums, the picture reduced by whole factors as it arrives and, for an interlaced
/// PNG, the whole picture in 8-bit samples, since its passes spread every row over the file.
pub(crate) fn png(layout: PngLayout, width: u32, height: u32, target: (u32, u32)) -> Cost {
    let channels: u64 = if matches!(layout.color_type, 0 | 4) {
        1
    } else {
        3
    };
    let w = u64::from(width);
    let expanded_row = layout.expanded_row_bytes(width);
    // Raw rows sit in the unfiltering buffer (current and previous, plus slack as it refills).
    let rows = 3 * layout.raw_row_bytes(width)
        + 2 * expanded_row
        + w * channels
        + PNG_FIXED_BYTES
        + PNG_CHUNK_BYTES;
    let (rw, rh) = reduce::reduced_size(width, height, reduce::factors(width, height, target));
    let (rw, rh) = (u64::from(rw), u64::from(rh));
    let reduced = rw * rh * channels;
    let sums = rw * channels * 8;
    let whole = if layout.interlaced {
        w * u64::from(height) * channels
    } else {
        0
    };
    let decoding = rows + sums + reduced + whole;
    let after = after_decode((rw, rh), reduced, channels, target);
    Cost {
        bytes: decoding.max(after),
        layout: if layout.interlaced {
            "an interlaced PNG, which has to be decoded whole"
        } else {
            "a PNG with rows this long"
        },
    }
}

/// After decoding: the decoded picture (`decoded_bytes`, which may hold more than `channels` per
/// pixel, e.g. CMYK narrowed in place) beside the resizer's intermediate (vertical pass first:
/// decoded width × target height) and the evidence picture; then the evidence picture, its
/// upright copy and the encoder's output.
fn after_decode(decoded: (u64, u64), decoded_bytes: u64, channels: u64, target: (u32, u32)) -> u64 {
    let evidence = u64::from(target.0) * u64::from(target.1) * channels;
    let resizing = if decoded == (u64::from(target.0), u64::from(target.1)) {
        decoded_bytes
    } else {
        decoded_bytes + decoded.0 * u64::from(target.1) * channels + evidence
    };
    resizing.max(3 * evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use closeloop_model::evidence::JpegComponent;

    fn info(
        width: u32,
        height: u32,
        coding: JpegCoding,
        sampling: &[(u8, u8)],
    ) -> JpegInfo<'static> {
        JpegInfo {
            width,
            height,
            precision: 8,
            coding,
            components: sampling
                .iter()
                .enumerate()
                .map(|(i, &(h, v))| JpegComponent {
                    id: i as u8 + 1,
                    h,
                    v,
                    quant_table: 0,
                })
                .collect(),
            exif: None,
        }
    }

    const YCC420: &[(u8, u8)] = &[(2, 2), (1, 1), (1, 1)];
    const MB: u64 = 1_000_000;

    #[test]
    fn dct_scale_matches_the_decoders_choice() {
        assert_eq!(dct_scale(7000, 7000, (1600, 1600)), 2);
        assert_eq!(dct_scale(4000, 3000, (1600, 1200)), 4);
        assert_eq!(dct_scale(3200, 2400, (320, 240)), 1);
        assert_eq!(dct_scale(800, 600, (800, 600)), 8);
    }

    #[test]
    fn a_progressive_frame_costs_its_coefficients_whatever_the_scale() {
        let target = (1600, 1600);
        let baseline = jpeg(&info(7000, 7000, JpegCoding::Baseline, YCC420), target);
        let progressive = jpeg(&info(7000, 7000, JpegCoding::Progressive, YCC420), target);
        // 49 MP at 4:2:0 is 1.15 million blocks of 64 two-byte coefficients.
        assert!(progressive.bytes >= 147 * MB, "{progressive:?}");
        assert!(baseline.bytes < 30 * MB, "{baseline:?}");
        assert!(progressive.layout.contains("progressive"));
    }

    #[test]
    fn a_twelve_megapixel_progressive_jpeg_fits_the_default_budget() {
        let cost = jpeg(
            &info(4000, 3000, JpegCoding::Progressive, YCC420),
            (1600, 1200),
        );
        assert!(
            cost.bytes < PhotoConfig::default().max_decode_bytes,
            "{cost:?}"
        );
    }

    #[test]
    fn a_streamed_png_costs_its_reduced_picture_not_its_pixels() {
        let rgba16 = PngLayout {
            bit_depth: 16,
            color_type: 6,
            interlaced: false,
        };
        let streamed = png(rgba16, 7000, 7000, (1600, 1600));
        assert!(streamed.bytes < 30 * MB, "{streamed:?}");
        let interlaced = png(
            PngLayout {
                interlaced: true,
                ..rgba16
            },
            7000,
            7000,
            (1600, 1600),
        );
        assert!(interlaced.bytes > 147 * MB, "{interlaced:?}");
        // One row of 49 million 16-bit RGBA pixels is 392 MB by itself.
        let one_row = png(rgba16, 49_000_000, 1, (1600, 1));
        assert!(one_row.bytes > 392 * MB, "{one_row:?}");
    }
}
