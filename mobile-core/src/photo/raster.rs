//! The in-memory picture between decoder and encoder: 8-bit grey or RGB, rows top to bottom.
//!
//! Decoders hand over other layouts (CMYK, 16-bit, alpha): the JPEG decoder's whole output is
//! narrowed here in place, inside its own buffer, and PNG rows one at a time as they stream in.

use super::PhotoError;

/// Samples per pixel of a [`Raster`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channels {
    Gray = 1,
    Rgb = 3,
}

impl Channels {
    pub(crate) fn count(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Raster {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) channels: Channels,
    /// `width * height * channels` bytes, row-major.
    pub(crate) data: Vec<u8>,
}

impl Raster {
    pub(crate) fn pixel_count(&self) -> usize {
        self.width as usize * self.height as usize
    }
}

/// Rewrites `data` from `IN`-byte to `OUT`-byte pixels front to back. Safe in place because
/// `OUT <= IN`, so each write lands at or before the pixel being read.
pub(crate) fn narrow_in_place<const IN: usize, const OUT: usize>(
    data: &mut Vec<u8>,
    convert: impl Fn([u8; IN]) -> [u8; OUT],
) {
    const { assert!(OUT <= IN) };
    let count = data.len() / IN;
    for i in 0..count {
        let mut pixel = [0; IN];
        pixel.copy_from_slice(&data[i * IN..(i + 1) * IN]);
        data[i * OUT..(i + 1) * OUT].copy_from_slice(&convert(pixel));
    }
    data.truncate(count * OUT);
}

/// 16-bit native-endian samples to 8-bit, rounding to nearest.
pub(crate) fn sixteen_to_eight(data: &mut Vec<u8>) {
    narrow_in_place::<2, 1>(data, |s| [eight_bits(u16::from_ne_bytes(s))]);
}

/// A 16-bit sample to 8 bits, rounding to nearest.
pub(crate) fn eight_bits(v: u16) -> u8 {
    ((u32::from(v) * 255 + 32_767) / 65_535) as u8
}

/// Composites one channel over white: a transparent screenshot area should look like paper, not ink.
pub(crate) fn over_white(value: u8, alpha: u8) -> u8 {
    let (v, a) = (u32::from(value), u32::from(alpha));
    ((v * a + 255 * (255 - a) + 127) / 255) as u8
}

/// Ink amounts (0 = no ink) to RGB with the naive formula; good enough for the rare CMYK scan.
pub(crate) fn cmyk_to_rgb(data: &mut Vec<u8>) {
    narrow_in_place::<4, 3>(data, |[c, m, y, k]| {
        let white = 255 - u32::from(k);
        let channel = |ink: u8| ((255 - u32::from(ink)) * white / 255) as u8;
        [channel(c), channel(m), channel(y)]
    });
}

/// Guards the encoder and resizer against a decoder returning fewer bytes than its size claims.
pub(crate) fn checked(raster: Raster) -> Result<Raster, PhotoError> {
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
