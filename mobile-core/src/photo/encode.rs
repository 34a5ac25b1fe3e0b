//! Writes a [`Raster`] as a baseline JPEG carrying nothing but pixels: the encoder is given no EXIF,
//! ICC or comment segments, which is how the outputs are stripped of metadata.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use super::PhotoError;
use super::raster::{Channels, Raster};

pub(crate) fn encode(raster: &Raster, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let failed =
        |e: &dyn std::fmt::Display| PhotoError::corrupt(format!("JPEG encoding failed: {e}"));
    let width = u16::try_from(raster.width).map_err(|e| failed(&e))?;
    let height = u16::try_from(raster.height).map_err(|e| failed(&e))?;
    // Photos compress to roughly a bit per pixel at this quality; start near that to avoid regrowth.
    let mut out = Vec::with_capacity(raster.pixel_count() / 4 + 1024);
    let mut encoder = Encoder::new(&mut out, quality.clamp(1, 100));
    // 4:2:0 whatever the quality, as phone cameras and vips do; the encoder's own default switches
    // at quality 90.
    encoder.set_sampling_factor(SamplingFactor::F_2_2);
    let color = match raster.channels {
        Channels::Gray => ColorType::Luma,
        Channels::Rgb => ColorType::Rgb,
    };
    encoder
        .encode(&raster.data, width, height, color)
        .map_err(|e| failed(&e))?;
    Ok(out)
}
