//! Shrinks pictures to the evidence and thumbnail sizes with a SIMD convolution (Lanczos-3, the same
//! family vipsthumbnail uses), never enlarging them.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::PhotoError;
use super::raster::{Channels, Raster};

/// Largest size with the same aspect ratio whose long edge is at most `max_edge`; unchanged when the
/// picture already fits.
pub(crate) fn fit(width: u32, height: u32, max_edge: u32) -> (u32, u32) {
    let max_edge = max_edge.max(1);
    let long = width.max(height);
    if long <= max_edge {
        return (width, height);
    }
    let scale = |short: u32| {
        let scaled =
            (u64::from(short) * u64::from(max_edge) + u64::from(long) / 2) / u64::from(long);
        (scaled as u32).max(1)
    };
    if width >= height {
        (max_edge, scale(height))
    } else {
        (scale(width), max_edge)
    }
}

/// Resamples `src` to exactly `width` × `height`; returns it untouched when the size already matches.
pub(crate) fn resize(src: Raster, width: u32, height: u32) -> Result<Raster, PhotoError> {
    if (src.width, src.height) == (width, height) {
        return Ok(src);
    }
    let pixel_type = match src.channels {
        Channels::Gray => PixelType::U8,
        Channels::Rgb => PixelType::U8x3,
    };
    let failed = |e: &dyn std::fmt::Display| PhotoError::corrupt(format!("resizing failed: {e}"));
    let from =
        Image::from_vec_u8(src.width, src.height, src.data, pixel_type).map_err(|e| failed(&e))?;
    let mut to = Image::new(width, height, pixel_type);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&from, &mut to, &options)
        .map_err(|e| failed(&e))?;
    Ok(Raster {
        width,
        height,
        channels: src.channels,
        data: to.into_vec(),
    })
}
