//! Shrinks a picture that arrives row by row by whole factors, averaging each box of source pixels,
//! so a decoder that cannot scale (PNG) never needs the full-size picture: memory is the reduced
//! picture plus one row of sums. The exact evidence size is reached afterwards by the Lanczos
//! resize, from a picture at most about twice that size per axis.

use super::raster::{Channels, Raster};

/// Whole reduction factors (horizontal, vertical) that keep the picture at least `target` in each
/// axis: the smallest reduced size still covering the target.
pub(crate) fn factors(width: u32, height: u32, target: (u32, u32)) -> (u32, u32) {
    (
        (width / target.0.max(1)).max(1),
        (height / target.1.max(1)).max(1),
    )
}

/// The size `width` × `height` reduces to by `factors` (a partial last box still gives a pixel).
pub(crate) fn reduced_size(width: u32, height: u32, factors: (u32, u32)) -> (u32, u32) {
    (width.div_ceil(factors.0), height.div_ceil(factors.1))
}

/// Accumulates rows of `width` 8-bit pixels into the reduced picture.
#[derive(Debug)]
pub(crate) struct BoxReducer {
    width: usize,
    channels: Channels,
    factors: (u32, u32),
    out_width: u32,
    out_height: u32,
    /// Per output sample: the sum of the box's samples in the rows seen so far (64-bit: a box may
    /// hold millions of pixels under an odd configuration).
    sums: Vec<u64>,
    /// Rows added to `sums` since the last output row.
    pending: u32,
    out: Vec<u8>,
}

impl BoxReducer {
    pub(crate) fn new(width: u32, height: u32, factors: (u32, u32), channels: Channels) -> Self {
        let (out_width, out_height) = reduced_size(width, height, factors);
        let row = out_width as usize * channels.count();
        let reducing = factors != (1, 1);
        Self {
            width: width as usize,
            channels,
            factors,
            out_width,
            out_height,
            sums: if reducing { vec![0; row] } else { Vec::new() },
            pending: 0,
            out: Vec::with_capacity(row * out_height as usize),
        }
    }

    /// Adds the next source row (`width × channels` bytes).
    pub(crate) fn push_row(&mut self, row: &[u8]) {
        let c = self.channels.count();
        debug_assert_eq!(row.len(), self.width * c);
        if self.factors == (1, 1) {
            self.out.extend_from_slice(row);
            return;
        }
        let fx = self.factors.0 as usize;
        for (box_index, block) in row.chunks(fx * c).enumerate() {
            let sums = &mut self.sums[box_index * c..(box_index + 1) * c];
            for pixel in block.chunks_exact(c) {
                for (sum, &v) in sums.iter_mut().zip(pixel) {
                    *sum += u64::from(v);
                }
            }
        }
        self.pending += 1;
        if self.pending == self.factors.1 {
            self.emit();
        }
    }

    /// Writes the pending box row out as averages; the last box of a row may be narrower.
    fn emit(&mut self) {
        let c = self.channels.count();
        let fx = self.factors.0 as usize;
        let rows = self.pending;
        for (box_index, sums) in self.sums.chunks_exact_mut(c).enumerate() {
            let columns = (self.width - box_index * fx).min(fx) as u64;
            let count = columns * u64::from(rows);
            for sum in sums.iter_mut() {
                self.out.push(((*sum + count / 2) / count) as u8);
                *sum = 0;
            }
        }
        self.pending = 0;
    }

    /// The reduced picture; a partial last box row is averaged over the rows it has.
    pub(crate) fn finish(mut self) -> Raster {
        if self.pending > 0 {
            self.emit();
        }
        Raster {
            width: self.out_width,
            height: self.out_height,
            channels: self.channels,
            data: self.out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_keep_the_target_covered() {
        for (w, h, target) in [
            (7000, 7000, (1600, 1600)),
            (4000, 3000, (1600, 1200)),
            (3199, 2000, (1600, 1000)),
            (1600, 1200, (1600, 1200)),
            (49_000_000, 1, (1600, 1)),
        ] {
            let f = factors(w, h, target);
            let (rw, rh) = reduced_size(w, h, f);
            assert!(rw >= target.0 && rh >= target.1, "{w}x{h} -> {rw}x{rh}");
            // Smallest such: one more step would undershoot.
            assert!(w / (f.0 + 1) < target.0 || h / (f.1 + 1) < target.1);
        }
        assert_eq!(factors(7000, 7000, (1600, 1600)), (4, 4));
    }

    #[test]
    fn boxes_are_averaged_including_partial_ones_at_the_edges() {
        // 5 × 3 grey, reduced by 2 × 2: boxes of 4, 4, 2 pixels, then a last row of 2, 2, 1.
        let rows: [[u8; 5]; 3] = [
            [0, 10, 20, 30, 40],
            [10, 20, 30, 40, 50],
            [100, 100, 0, 0, 7],
        ];
        let mut r = BoxReducer::new(5, 3, (2, 2), Channels::Gray);
        for row in &rows {
            r.push_row(row);
        }
        let out = r.finish();
        assert_eq!((out.width, out.height), (3, 2));
        assert_eq!(out.data, vec![10, 30, 45, 100, 0, 7]);
    }

    #[test]
    fn factor_one_copies_rows_exactly() {
        let mut r = BoxReducer::new(2, 2, (1, 1), Channels::Rgb);
        r.push_row(&[1, 2, 3, 4, 5, 6]);
        r.push_row(&[7, 8, 9, 10, 11, 12]);
        assert_eq!(r.finish().data, (1..=12).collect::<Vec<u8>>());
    }
}
