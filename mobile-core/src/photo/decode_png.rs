//! Decodes a PNG row by row and reduces it as the rows arrive, so memory is about the reduced
//! picture plus a few rows whatever the bit depth or colour type: palettes and low bit depths are
//! expanded by the decoder, 16-bit samples rounded to 8, transparency flattened onto white, each
//! row narrowed to 8-bit grey or RGB before it is summed into boxes (`reduce.rs`).
//!
//! An Adam7-interlaced PNG spreads every row over seven passes, so it is assembled whole (in 8-bit
//! samples) first; `budget.rs` lets that happen only within the budget.

use std::io::Cursor;

use png::{BitDepth, ColorType, Transformations};

use super::probe::{Header, PngLayout};
use super::raster::{self, Channels, Raster};
use super::reduce::{self, BoxReducer};
use super::{PhotoError, budget};

/// Decodes the PNG reduced by whole factors to at least `target` (which must fit inside the
/// header's size).
pub(crate) fn decode(
    bytes: &[u8],
    header: &Header<'_>,
    layout: PngLayout,
    target: (u32, u32),
) -> Result<Raster, PhotoError> {
    // The decoder counts its row buffer and the ancillary chunks it keeps against this; a PNG
    // with megabytes of EXIF is refused rather than copied twice.
    let limit = layout.expanded_row_bytes(header.width) + budget::PNG_CHUNK_BYTES;
    let limits = png::Limits {
        bytes: usize::try_from(limit).unwrap_or(usize::MAX),
    };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    decoder.set_transformations(Transformations::EXPAND);
    // Text and ICC profiles are dropped from evidence anyway; skipping them also skips inflating
    // their compressed payloads.
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder.read_info().map_err(png_error)?;
    let (width, height) = (header.width, header.height);
    if reader.info().size() != (width, height) {
        return Err(PhotoError::corrupt(
            "the PNG's header changed while reading",
        ));
    }
    let (color, depth) = reader.output_color_type();
    let format = RowFormat::of(color, depth)?;
    let factors = reduce::factors(width, height, target);
    let raster = if layout.interlaced {
        interlaced(&mut reader, format, width, height, factors)?
    } else {
        let mut reducer = BoxReducer::new(width, height, factors, format.channels);
        let mut line = vec![0; width as usize * format.channels.count()];
        for _ in 0..height {
            format.narrow(next_row(&mut reader)?, &mut line)?;
            reducer.push_row(&line);
        }
        // The rest of the stream (more image data, later chunks) is never read: the picture is
        // complete, and inflating padding after it would only cost time.
        reducer.finish()
    };
    raster::checked(raster)
}

type Reader<'a> = png::Reader<Cursor<&'a [u8]>>;

fn next_row<'r>(reader: &'r mut Reader<'_>) -> Result<&'r [u8], PhotoError> {
    let row = reader.next_row().map_err(png_error)?;
    let row = row.ok_or_else(|| PhotoError::corrupt("the PNG ends before its last row"))?;
    Ok(row.data())
}

/// The Adam7 passes as (first column, first row, column step, row step), in file order.
const ADAM7: [(u32, u32, u32, u32); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

fn interlaced(
    reader: &mut Reader<'_>,
    format: RowFormat,
    width: u32,
    height: u32,
    factors: (u32, u32),
) -> Result<Raster, PhotoError> {
    let c = format.channels.count();
    let stride = width as usize * c;
    let mut whole = vec![0; stride * height as usize];
    let mut line = vec![0; stride];
    for (x0, y0, dx, dy) in ADAM7 {
        let columns = width.saturating_sub(x0).div_ceil(dx) as usize;
        let rows = height.saturating_sub(y0).div_ceil(dy);
        // The decoder skips empty passes too.
        if columns == 0 || rows == 0 {
            continue;
        }
        let line = &mut line[..columns * c];
        for r in 0..rows {
            format.narrow(next_row(reader)?, line)?;
            let y = (y0 + r * dy) as usize;
            let out = &mut whole[y * stride..(y + 1) * stride];
            for (i, pixel) in line.chunks_exact(c).enumerate() {
                let x = x0 as usize + i * dx as usize;
                out[x * c..(x + 1) * c].copy_from_slice(pixel);
            }
        }
    }
    let whole = Raster {
        width,
        height,
        channels: format.channels,
        data: whole,
    };
    if factors == (1, 1) {
        return Ok(whole);
    }
    let mut reducer = BoxReducer::new(width, height, factors, format.channels);
    for row in whole.data.chunks_exact(stride) {
        reducer.push_row(row);
    }
    Ok(reducer.finish())
}

/// How a decoded row is laid out, and what it narrows to.
#[derive(Debug, Clone, Copy)]
struct RowFormat {
    /// Samples per pixel in the decoder's row, alpha included.
    samples: usize,
    sixteen: bool,
    alpha: bool,
    channels: Channels,
}

impl RowFormat {
    fn of(color: ColorType, depth: BitDepth) -> Result<Self, PhotoError> {
        let (samples, alpha, channels) = match color {
            ColorType::Grayscale => (1, false, Channels::Gray),
            ColorType::GrayscaleAlpha => (2, true, Channels::Gray),
            ColorType::Rgb => (3, false, Channels::Rgb),
            ColorType::Rgba => (4, true, Channels::Rgb),
            // EXPAND turns palettes into RGB(A); anything else is a decoder we did not expect.
            ColorType::Indexed => {
                return Err(PhotoError::unsupported("a PNG with an unexpanded palette"));
            }
        };
        let sixteen = match depth {
            BitDepth::Eight => false,
            BitDepth::Sixteen => true,
            other => {
                return Err(PhotoError::unsupported(format!(
                    "a PNG with {other:?} samples after expansion"
                )));
            }
        };
        Ok(Self {
            samples,
            sixteen,
            alpha,
            channels,
        })
    }

    /// Writes `src` (16-bit samples big-endian, as PNG stores them) as 8-bit grey or RGB into `dst`.
    fn narrow(self, src: &[u8], dst: &mut [u8]) -> Result<(), PhotoError> {
        let c = self.channels.count();
        let pixel_bytes = self.samples * if self.sixteen { 2 } else { 1 };
        if src.len() != dst.len() / c * pixel_bytes {
            return Err(PhotoError::corrupt(
                "a PNG row does not match the image width",
            ));
        }
        for (px, out) in src.chunks_exact(pixel_bytes).zip(dst.chunks_exact_mut(c)) {
            let sample = |i: usize| {
                if self.sixteen {
                    raster::eight_bits(u16::from_be_bytes([px[2 * i], px[2 * i + 1]]))
                } else {
                    px[i]
                }
            };
            if self.alpha {
                let a = sample(self.samples - 1);
                for (i, o) in out.iter_mut().enumerate() {
                    *o = raster::over_white(sample(i), a);
                }
            } else {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = sample(i);
                }
            }
        }
        Ok(())
    }
}

fn png_error(e: png::DecodingError) -> PhotoError {
    match e {
        png::DecodingError::LimitsExceeded => {
            PhotoError::corrupt("the PNG carries more metadata than any photo has")
        }
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::corrupt("the PNG ends early")
        }
        other => PhotoError::corrupt(other.to_string()),
    }
}
