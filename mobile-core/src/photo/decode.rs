//! Turns file bytes into a [`Raster`] no bigger than needed: JPEGs are decoded with DCT scaling at the
//! smallest of 1/1, 1/2, 1/4, 1/8 that still covers the target size, so a 12 MP photo is never
//! decoded at full size; PNGs have no such shortcut and are decoded whole, then narrowed in place.

use std::io::Cursor;

use image::ImageDecoder;
use image::codecs::png::PngDecoder;
use jpeg_decoder::PixelFormat;

use super::probe::Header;
use super::raster::{self, Channels, Raster};
use super::{PhotoConfig, PhotoError};

/// Decodes a JPEG at a size of at least `target` (which must fit inside the header's size).
pub(crate) fn jpeg(
    bytes: &[u8],
    header: &Header<'_>,
    target: (u32, u32),
    cfg: &PhotoConfig,
) -> Result<Raster, PhotoError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    // A second line of defence behind the header check, in case the decoder reads another frame.
    decoder.set_max_decoding_buffer_size(
        usize::try_from(cfg.max_pixels.saturating_mul(4)).unwrap_or(usize::MAX),
    );
    let to_u16 = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    decoder
        .scale(to_u16(target.0), to_u16(target.1))
        .map_err(jpeg_error)?;
    let mut data = decoder.decode().map_err(jpeg_error)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoError::corrupt("the JPEG has no frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    // The decoder must have read the frame the header probe checked against the pixel cap.
    if width > header.width || height > header.height {
        return Err(PhotoError::corrupt("the JPEG has more than one frame size"));
    }
    let channels = match info.pixel_format {
        PixelFormat::L8 => Channels::Gray,
        PixelFormat::L16 => {
            raster::sixteen_to_eight(&mut data);
            Channels::Gray
        }
        PixelFormat::RGB24 => Channels::Rgb,
        PixelFormat::CMYK32 => {
            raster::cmyk_to_rgb(&mut data);
            Channels::Rgb
        }
    };
    checked(Raster {
        width,
        height,
        channels,
        data,
    })
}

fn jpeg_error(e: jpeg_decoder::Error) -> PhotoError {
    match e {
        jpeg_decoder::Error::Unsupported(feature) => PhotoError::unsupported(format!(
            "a JPEG using a feature no camera writes ({feature:?})"
        )),
        other => PhotoError::corrupt(other.to_string()),
    }
}

/// Decodes a whole PNG, flattening transparency onto white and reducing 16-bit samples to 8.
pub(crate) fn png(
    bytes: &[u8],
    header: &Header<'_>,
    cfg: &PhotoConfig,
) -> Result<Raster, PhotoError> {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(header.width);
    limits.max_image_height = Some(header.height);
    // Room for the widest layout (16-bit RGBA) plus the decoder's row buffers.
    limits.max_alloc = Some(cfg.max_pixels.saturating_mul(8).saturating_add(1 << 24));
    let decoder = PngDecoder::with_limits(Cursor::new(bytes), limits).map_err(image_error)?;
    let (width, height) = decoder.dimensions();
    let color = decoder.color_type();
    let len = usize::try_from(decoder.total_bytes())
        .map_err(|_| PhotoError::corrupt("the PNG is too large for this phone"))?;
    let mut data = vec![0; len];
    decoder.read_image(&mut data).map_err(image_error)?;
    use image::ColorType as C;
    if matches!(color, C::L16 | C::La16 | C::Rgb16 | C::Rgba16) {
        raster::sixteen_to_eight(&mut data);
    }
    let channels = match color {
        C::L8 | C::L16 => Channels::Gray,
        C::La8 | C::La16 => {
            raster::drop_gray_alpha(&mut data);
            Channels::Gray
        }
        C::Rgb8 | C::Rgb16 => Channels::Rgb,
        C::Rgba8 | C::Rgba16 => {
            raster::drop_rgb_alpha(&mut data);
            Channels::Rgb
        }
        other => {
            return Err(PhotoError::unsupported(format!(
                "a PNG with {other:?} pixels"
            )));
        }
    };
    checked(Raster {
        width,
        height,
        channels,
        data,
    })
}

fn image_error(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Unsupported(u) => {
            PhotoError::unsupported(format!("a PNG variant ({u})"))
        }
        other => PhotoError::corrupt(other.to_string()),
    }
}

/// Guards the encoder and resizer against a decoder returning fewer bytes than its size claims.
fn checked(raster: Raster) -> Result<Raster, PhotoError> {
    if raster.width == 0
        || raster.height == 0
        || raster.data.len() != raster.pixel_count() * raster.channels.count()
    {
        return Err(PhotoError::corrupt(
            "the decoder returned an incomplete picture",
        ));
    }
    Ok(raster)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photo::SourceFormat;
    use crate::photo::probe::probe;

    fn jpeg_of(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([x as u8, y as u8, (x ^ y) as u8])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&img)
            .unwrap();
        out
    }

    /// The point of DCT scaling: a large JPEG is decoded straight to (about) the size needed.
    #[test]
    fn jpeg_is_decoded_at_the_smallest_dct_scale_covering_the_target() {
        let cfg = PhotoConfig::default();
        let bytes = jpeg_of(3200, 2400);
        let header = probe(&bytes, SourceFormat::Jpeg, &cfg).unwrap();
        for (target, decoded) in [
            ((1600, 1200), (1600, 1200)),
            ((1000, 750), (1600, 1200)),
            ((320, 240), (400, 300)),
            ((2000, 1500), (3200, 2400)),
        ] {
            let raster = jpeg(&bytes, &header, target, &cfg).unwrap();
            assert_eq!((raster.width, raster.height), decoded, "target {target:?}");
        }
    }
}
