//! Decompression bombs under the pixel cap, built in code (included with `#[path]` by the bomb test
//! and the bomb bench; never shipped). Each file is small, honest about its size and decodes to
//! tens or hundreds of megabytes: the pixels are constant down every column, so after the first row
//! of each pass every PNG row is an all-zero "Up" row and every JPEG block codes in two bits.

use std::io::Write;

/// The PNG colour types of the IHDR chunk.
pub const GREY: u8 = 0;
pub const RGB: u8 = 2;
pub const PALETTE: u8 = 3;
pub const RGBA: u8 = 6;

/// One PNG to build.
#[derive(Debug, Clone)]
pub struct Png {
    pub width: u32,
    pub height: u32,
    pub bit_depth: u8,
    pub color_type: u8,
    pub interlaced: bool,
    /// All samples zero (black, or transparent), so even a single row compresses to nothing.
    pub blank: bool,
    /// Bytes of zeros compressed into zTXt and iCCP chunks and appended to the image data, for a
    /// zlib stream that inflates far beyond what the image needs.
    pub zlib_padding: usize,
    /// Bytes of an eXIf chunk before the image data (stored as is: the file grows by as much).
    pub exif_chunk: usize,
}

impl Png {
    pub fn new(width: u32, height: u32, bit_depth: u8, color_type: u8) -> Self {
        Self {
            width,
            height,
            bit_depth,
            color_type,
            interlaced: false,
            blank: false,
            zlib_padding: 0,
            exif_chunk: 0,
        }
    }

    fn samples(&self) -> usize {
        match self.color_type {
            RGB => 3,
            RGBA => 4,
            4 => 2,
            _ => 1,
        }
    }

    /// Bytes of one filtered row of `width` pixels, filter byte included.
    fn row_len(&self, width: u32) -> usize {
        1 + (width as usize * self.samples() * usize::from(self.bit_depth)).div_ceil(8)
    }

    /// The first row of a pass: four vertical bands, red, green, blue and white (palette entries
    /// 0–3 and four grey levels for the other types), at full opacity.
    fn first_row(&self, xs: impl Iterator<Item = u32>) -> Vec<u8> {
        let mut bits = BitWriter::default();
        let depth = self.bit_depth;
        let max = (1u32 << depth) - 1;
        for x in xs {
            let band = (x as u64 * 4 / u64::from(self.width)) as usize;
            let rgb = [[220, 30, 30], [30, 200, 40], [30, 40, 220], [250, 250, 250]][band];
            let grey = [40, 110, 180, 250][band];
            let scale = |v: u32| v * max / 255;
            match self.color_type {
                PALETTE => bits.push(band as u32, depth),
                GREY => bits.push(scale(grey), depth),
                _ => {
                    for v in rgb {
                        bits.push(scale(v), depth);
                    }
                    if self.color_type == RGBA {
                        bits.push(max, depth);
                    }
                }
            }
        }
        let mut row = vec![0];
        row.extend(bits.finish());
        row
    }

    /// Writes the whole file to `out` without ever holding the image.
    ///
    /// # Panics
    /// If writing fails.
    pub fn write(&self, out: &mut impl Write) {
        out.write_all(b"\x89PNG\r\n\x1a\n").unwrap();
        let mut ihdr = Vec::new();
        ihdr.extend(self.width.to_be_bytes());
        ihdr.extend(self.height.to_be_bytes());
        ihdr.extend([
            self.bit_depth,
            self.color_type,
            0,
            0,
            u8::from(self.interlaced),
        ]);
        chunk(out, b"IHDR", &ihdr);
        if self.color_type == PALETTE {
            chunk(
                out,
                b"PLTE",
                &[220, 30, 30, 30, 200, 40, 30, 40, 220, 250, 250, 250],
            );
        }
        if self.exif_chunk > 0 {
            let mut exif = b"II*\0\x08\0\0\0".to_vec();
            exif.resize(self.exif_chunk, 0);
            chunk(out, b"eXIf", &exif);
        }
        if self.zlib_padding > 0 {
            let mut ztxt = b"Comment\0\0".to_vec();
            ztxt.extend(zeros_compressed(self.zlib_padding));
            chunk(out, b"zTXt", &ztxt);
            let mut iccp = b"icc\0\0".to_vec();
            iccp.extend(zeros_compressed(self.zlib_padding));
            chunk(out, b"iCCP", &iccp);
        }
        let mut z = fdeflate::Compressor::new(Vec::new()).unwrap();
        for (xs, rows) in self.passes() {
            if rows == 0 || xs.is_empty() {
                continue;
            }
            if self.blank {
                write_zeros(&mut z, self.row_len(xs.len() as u32) * rows as usize);
                continue;
            }
            z.write_data(&self.first_row(xs.iter().copied())).unwrap();
            let mut up = vec![0; self.row_len(xs.len() as u32)];
            up[0] = 2;
            for _ in 1..rows {
                z.write_data(&up).unwrap();
            }
        }
        write_zeros(&mut z, self.zlib_padding);
        chunk(out, b"IDAT", &z.finish().unwrap());
        chunk(out, b"IEND", &[]);
    }

    /// The columns and row count of each Adam7 pass, or of the one pass of a plain PNG.
    fn passes(&self) -> Vec<(Vec<u32>, u32)> {
        const ADAM7: [(u32, u32, u32, u32); 7] = [
            (0, 0, 8, 8),
            (4, 0, 8, 8),
            (0, 4, 4, 8),
            (2, 0, 4, 4),
            (0, 2, 2, 4),
            (1, 0, 2, 2),
            (0, 1, 1, 2),
        ];
        if !self.interlaced {
            return vec![((0..self.width).collect(), self.height)];
        }
        ADAM7
            .iter()
            .map(|&(x0, y0, dx, dy)| {
                let xs = (x0..self.width).step_by(dx as usize).collect();
                let rows = self.height.saturating_sub(y0).div_ceil(dy);
                (xs, rows)
            })
            .collect()
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    acc: u32,
    n: u8,
}

impl BitWriter {
    fn push(&mut self, value: u32, bits: u8) {
        if bits == 16 {
            self.bytes.extend((value as u16).to_be_bytes());
            return;
        }
        self.acc = (self.acc << bits) | value;
        self.n += bits;
        while self.n >= 8 {
            self.n -= 8;
            self.bytes.push((self.acc >> self.n) as u8);
            self.acc &= (1 << self.n) - 1;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.bytes.push((self.acc << (8 - self.n)) as u8);
        }
        self.bytes
    }
}

fn write_zeros(z: &mut fdeflate::Compressor<Vec<u8>>, mut count: usize) {
    let block = vec![0; 1 << 20];
    while count > 0 {
        let n = count.min(block.len());
        z.write_data(&block[..n]).unwrap();
        count -= n;
    }
}

fn zeros_compressed(count: usize) -> Vec<u8> {
    let mut z = fdeflate::Compressor::new(Vec::new()).unwrap();
    write_zeros(&mut z, count);
    z.finish().unwrap()
}

fn chunk(out: &mut impl Write, kind: &[u8; 4], data: &[u8]) {
    out.write_all(&(data.len() as u32).to_be_bytes()).unwrap();
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.write_all(kind).unwrap();
    out.write_all(data).unwrap();
    out.write_all(&crc.finalize().to_be_bytes()).unwrap();
}

/// One JPEG to build: every block has the same DC value and no AC energy, coded with one-symbol
/// Huffman tables, so a block costs two bits (baseline) or one bit per scan (progressive).
#[derive(Debug, Clone)]
pub struct Jpeg {
    pub width: u16,
    pub height: u16,
    /// Sampling factors (h, v) per component; four components are written as Adobe CMYK.
    pub sampling: Vec<(u8, u8)>,
    pub progressive: bool,
}

impl Jpeg {
    /// A YCbCr 4:2:0 frame, as cameras write.
    pub fn ycbcr420(width: u16, height: u16, progressive: bool) -> Self {
        Self {
            width,
            height,
            sampling: vec![(2, 2), (1, 1), (1, 1)],
            progressive,
        }
    }

    /// A four-component (CMYK) frame without subsampling, as print workflows write.
    pub fn cmyk(width: u16, height: u16) -> Self {
        Self {
            width,
            height,
            sampling: vec![(1, 1); 4],
            progressive: false,
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        if self.sampling.len() == 4 {
            // Adobe APP14, transform 0: the components are CMYK, not YCCK.
            segment(&mut out, 0xEE, b"Adobe\0\x64\0\0\0\0\0");
        }
        let mut dqt = vec![0];
        dqt.extend([1u8; 64]);
        segment(&mut out, 0xDB, &dqt);
        let mut sof = vec![8];
        sof.extend(self.height.to_be_bytes());
        sof.extend(self.width.to_be_bytes());
        sof.push(self.sampling.len() as u8);
        for (i, (h, v)) in self.sampling.iter().enumerate() {
            sof.extend([i as u8 + 1, (h << 4) | v, 0]);
        }
        segment(&mut out, if self.progressive { 0xC2 } else { 0xC0 }, &sof);
        // One DC symbol (difference category 0) and one AC symbol (0x00: end of block, or an EOB
        // run of one in a progressive AC scan), each coded as the single bit 0.
        let mut dht = Vec::new();
        for class in [0x00, 0x10] {
            dht.push(class);
            dht.push(1);
            dht.extend([0u8; 15]);
            dht.push(0);
        }
        segment(&mut out, 0xC4, &dht);
        let all: Vec<usize> = (0..self.sampling.len()).collect();
        if self.progressive {
            self.scan(&mut out, &all, (0, 0), self.interleaved_blocks());
            for c in all {
                self.scan(&mut out, &[c], (1, 63), self.component_blocks(c));
            }
        } else {
            self.scan(&mut out, &all, (0, 63), 2 * self.interleaved_blocks());
        }
        out.extend([0xFF, 0xD9]);
        out
    }

    /// A scan over `components` with spectral selection `band`, whose entropy-coded data is
    /// `bits` zero bits padded with ones.
    fn scan(&self, out: &mut Vec<u8>, components: &[usize], band: (u8, u8), bits: u64) {
        let mut sos = vec![components.len() as u8];
        for &c in components {
            sos.extend([c as u8 + 1, 0x00]);
        }
        sos.extend([band.0, band.1, 0]);
        segment(out, 0xDA, &sos);
        out.extend(std::iter::repeat_n(0u8, (bits / 8) as usize));
        if !bits.is_multiple_of(8) {
            out.push(0xFF >> (bits % 8));
        }
    }

    fn max_sampling(&self) -> (u32, u32) {
        let h = self.sampling.iter().map(|s| s.0).max().unwrap();
        let v = self.sampling.iter().map(|s| s.1).max().unwrap();
        (u32::from(h), u32::from(v))
    }

    /// Blocks in an interleaved scan: every MCU holds h × v blocks of each component.
    fn interleaved_blocks(&self) -> u64 {
        let (hmax, vmax) = self.max_sampling();
        let mcus = u64::from(u32::from(self.width).div_ceil(8 * hmax))
            * u64::from(u32::from(self.height).div_ceil(8 * vmax));
        let per_mcu: u64 = self
            .sampling
            .iter()
            .map(|&(h, v)| u64::from(h) * u64::from(v))
            .sum();
        mcus * per_mcu
    }

    /// Blocks in a scan of component `c` alone: its own size in blocks, without MCU padding.
    fn component_blocks(&self, c: usize) -> u64 {
        let (hmax, vmax) = self.max_sampling();
        let (h, v) = self.sampling[c];
        let w = (u32::from(self.width) * u32::from(h)).div_ceil(hmax);
        let ht = (u32::from(self.height) * u32::from(v)).div_ceil(vmax);
        u64::from(w.div_ceil(8)) * u64::from(ht.div_ceil(8))
    }
}

fn segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    out.extend([0xFF, marker]);
    out.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    out.extend(payload);
}

/// A little-endian EXIF block (TIFF structure) whose first IFD holds `pointers` Exif-IFD pointers,
/// all to one IFD of `fields` fields: an EXIF reader that follows every pointer unfolds
/// `pointers × fields` entries from a block of `12 × (pointers + fields)` bytes.
pub fn exif_pointer_bomb(pointers: u16, fields: u16) -> Vec<u8> {
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    let child = 8 + 2 + 12 * u32::from(pointers) + 4;
    out.extend(pointers.to_le_bytes());
    for _ in 0..pointers {
        out.extend(0x8769u16.to_le_bytes());
        out.extend(4u16.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.extend(child.to_le_bytes());
    }
    out.extend(0u32.to_le_bytes());
    out.extend(fields.to_le_bytes());
    for _ in 0..fields {
        // DateTimeOriginal, ASCII, 4 bytes inline.
        out.extend(0x9003u16.to_le_bytes());
        out.extend(2u16.to_le_bytes());
        out.extend(4u32.to_le_bytes());
        out.extend(*b"abc\0");
    }
    out.extend(0u32.to_le_bytes());
    out
}

/// Inserts `tiff` as an EXIF APP1 segment right after a JPEG's SOI marker.
pub fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    let mut out = jpeg[..2].to_vec();
    segment(&mut out, 0xE1, &payload);
    out.extend(&jpeg[2..]);
    out
}

/// Inserts `count` ICC-profile APP2 segments of 65 KB after a JPEG's SOI marker, as a print
/// workflow splits a large profile (numbered modulo 255, as the field is a byte); jpeg-decoder
/// keeps every one.
pub fn with_icc(jpeg: &[u8], count: u16) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for seq in 0..count {
        let mut payload = b"ICC_PROFILE\0".to_vec();
        payload.extend([(seq % 255) as u8 + 1, count.min(255) as u8]);
        payload.resize(65_000, 0);
        segment(&mut out, 0xE2, &payload);
    }
    out.extend(&jpeg[2..]);
    out
}

/// Peak resident memory of this process so far, in KiB (Linux `VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What the pipeline must do with a bomb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Turned into evidence within the memory bound.
    Processed,
    /// Refused up front as too large to decode.
    TooLarge,
    /// Refused as damaged, without holding what it asks for.
    Damaged,
}

/// One bomb: a name for reports, how to build it and what must happen to it.
#[derive(Debug, Clone, Copy)]
pub struct Bomb {
    pub name: &'static str,
    pub build: fn() -> Vec<u8>,
    pub expect: Expect,
}

/// 7000 × 7000: 49 MP, just under the default 50 MP cap.
const EDGE: u32 = 7000;

/// Every bomb the test feeds the pipeline and the bench measures.
pub const BOMBS: &[Bomb] = &[
    Bomb {
        name: "png-rgba16-49mp",
        build: || Png::new(EDGE, EDGE, 16, RGBA).to_vec(),
        expect: Expect::Processed,
    },
    Bomb {
        name: "png-rgb8-49mp",
        build: || Png::new(EDGE, EDGE, 8, RGB).to_vec(),
        expect: Expect::Processed,
    },
    Bomb {
        name: "png-grey16-49mp",
        build: || Png::new(EDGE, EDGE, 16, GREY).to_vec(),
        expect: Expect::Processed,
    },
    Bomb {
        name: "png-palette2-49mp",
        build: || Png::new(EDGE, EDGE, 2, PALETTE).to_vec(),
        expect: Expect::Processed,
    },
    Bomb {
        name: "png-zlib-padding",
        build: || {
            Png {
                zlib_padding: 256 << 20,
                ..Png::new(2000, 2000, 8, RGB)
            }
            .to_vec()
        },
        expect: Expect::Processed,
    },
    Bomb {
        name: "png-exif-32mb",
        build: || {
            Png {
                exif_chunk: 32 << 20,
                ..Png::new(640, 480, 8, RGB)
            }
            .to_vec()
        },
        expect: Expect::Damaged,
    },
    Bomb {
        name: "png-one-row-49mp",
        build: || {
            Png {
                blank: true,
                ..Png::new(EDGE * EDGE, 1, 16, RGBA)
            }
            .to_vec()
        },
        expect: Expect::TooLarge,
    },
    Bomb {
        name: "png-interlaced-3mp",
        build: || {
            Png {
                interlaced: true,
                ..Png::new(2000, 1500, 8, RGB)
            }
            .to_vec()
        },
        expect: Expect::Processed,
    },
    Bomb {
        name: "png-interlaced-49mp",
        build: || {
            Png {
                interlaced: true,
                ..Png::new(EDGE, EDGE, 8, RGB)
            }
            .to_vec()
        },
        expect: Expect::TooLarge,
    },
    Bomb {
        name: "jpeg-baseline-49mp",
        build: || Jpeg::ycbcr420(EDGE as u16, EDGE as u16, false).to_vec(),
        expect: Expect::Processed,
    },
    Bomb {
        name: "jpeg-cmyk-49mp",
        build: || Jpeg::cmyk(EDGE as u16, EDGE as u16).to_vec(),
        expect: Expect::Processed,
    },
    Bomb {
        name: "jpeg-progressive-12mp",
        build: || Jpeg::ycbcr420(4000, 3000, true).to_vec(),
        expect: Expect::Processed,
    },
    Bomb {
        name: "jpeg-exif-pointers",
        build: || {
            with_exif(
                &Jpeg::ycbcr420(640, 480, false).to_vec(),
                &exif_pointer_bomb(2700, 2700),
            )
        },
        expect: Expect::Processed,
    },
    Bomb {
        name: "jpeg-icc-16mb",
        build: || with_icc(&Jpeg::ycbcr420(640, 480, false).to_vec(), 250),
        expect: Expect::Processed,
    },
    Bomb {
        name: "jpeg-progressive-12mp-icc-32mb",
        build: || with_icc(&Jpeg::ycbcr420(4000, 3000, true).to_vec(), 500),
        expect: Expect::TooLarge,
    },
    Bomb {
        name: "jpeg-progressive-49mp",
        build: || Jpeg::ycbcr420(EDGE as u16, EDGE as u16, true).to_vec(),
        expect: Expect::TooLarge,
    },
];
