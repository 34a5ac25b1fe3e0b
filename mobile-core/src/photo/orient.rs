//! Turns pixels upright according to the EXIF orientation tag, since the outputs carry no EXIF for a
//! viewer to do it.

use super::raster::Raster;

/// The eight EXIF orientations, named by what must be done to the stored pixels to show them upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Orientation {
    /// 1
    #[default]
    Normal,
    /// 2
    FlipHorizontal,
    /// 3
    Rotate180,
    /// 4
    FlipVertical,
    /// 5: mirror across the top-left to bottom-right diagonal.
    Transpose,
    /// 6: the usual portrait photo from a phone held upright.
    Rotate90,
    /// 7: mirror across the top-right to bottom-left diagonal.
    Transverse,
    /// 8
    Rotate270,
}

/// Side of the square tiles walked when rotating: the source column read per tile then stays in
/// cache instead of striding through megabytes per output row.
const TILE: usize = 32;

impl Orientation {
    pub(crate) fn from_exif(value: u32) -> Option<Self> {
        Some(match value {
            1 => Self::Normal,
            2 => Self::FlipHorizontal,
            3 => Self::Rotate180,
            4 => Self::FlipVertical,
            5 => Self::Transpose,
            6 => Self::Rotate90,
            7 => Self::Transverse,
            8 => Self::Rotate270,
            _ => return None,
        })
    }

    pub(crate) fn swaps_axes(self) -> bool {
        matches!(
            self,
            Self::Transpose | Self::Rotate90 | Self::Transverse | Self::Rotate270
        )
    }

    /// Returns the upright picture; consumes `src` so only the output outlives the call.
    pub(crate) fn apply(self, src: Raster) -> Raster {
        if self == Self::Normal {
            return src;
        }
        let (w, h) = (src.width as isize, src.height as isize);
        // Source pixel index of output pixel (x, y) is origin + x * step_x + y * step_y.
        let (origin, step_x, step_y) = match self {
            Self::Normal => (0, 1, w),
            Self::FlipHorizontal => (w - 1, -1, w),
            Self::Rotate180 => (w * h - 1, -1, -w),
            Self::FlipVertical => ((h - 1) * w, 1, -w),
            Self::Transpose => (0, w, 1),
            Self::Rotate90 => ((h - 1) * w, -w, 1),
            Self::Transverse => (w * h - 1, -w, -1),
            Self::Rotate270 => (w - 1, w, -1),
        };
        let (out_w, out_h) = if self.swaps_axes() {
            (src.height, src.width)
        } else {
            (src.width, src.height)
        };
        let walk = Walk {
            origin,
            step_x,
            step_y,
            width: out_w as usize,
            height: out_h as usize,
        };
        let data = match src.channels.count() {
            1 => walk.copy::<1>(&src.data),
            _ => walk.copy::<3>(&src.data),
        };
        Raster {
            width: out_w,
            height: out_h,
            channels: src.channels,
            data,
        }
    }
}

struct Walk {
    origin: isize,
    step_x: isize,
    step_y: isize,
    width: usize,
    height: usize,
}

impl Walk {
    fn copy<const C: usize>(&self, src: &[u8]) -> Vec<u8> {
        let mut out = vec![0; self.width * self.height * C];
        for tile_y in (0..self.height).step_by(TILE) {
            for tile_x in (0..self.width).step_by(TILE) {
                for y in tile_y..(tile_y + TILE).min(self.height) {
                    let row_origin = self.origin + y as isize * self.step_y;
                    let row = &mut out[y * self.width * C..(y + 1) * self.width * C];
                    for x in tile_x..(tile_x + TILE).min(self.width) {
                        let from = (row_origin + x as isize * self.step_x) as usize * C;
                        row[x * C..(x + 1) * C].copy_from_slice(&src[from..from + C]);
                    }
                }
            }
        }
        out
    }
}
