//! Decodes a JPEG into a [`Raster`] no bigger than needed, with DCT scaling at the smallest of 1/1,
//! 1/2, 1/4, 1/8 that still covers the target size, so a 12 MP photo is never decoded at full size.
//! What that costs was checked beforehand (`budget.rs`).

use jpeg_decoder::PixelFormat;

use super::probe::Header;
use super::raster::{self, Channels, Raster};
use super::{PhotoConfig, PhotoError};

/// Decodes a JPEG at a size of at least `target` (which must fit inside the header's size).
pub(crate) fn decode(
    bytes: &[u8],
    header: &Header<'_>,
    target: (u32, u32),
    cfg: &PhotoConfig,
) -> Result<Raster, PhotoError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    // A second line of defence behind the budget, in case the decoder reads another frame.
    decoder
        .set_max_decoding_buffer_size(usize::try_from(cfg.max_decode_bytes).unwrap_or(usize::MAX));
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
    raster::checked(Raster {
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
            let raster = decode(&bytes, &header, target, &cfg).unwrap();
            assert_eq!((raster.width, raster.height), decoded, "target {target:?}");
        }
    }
}
