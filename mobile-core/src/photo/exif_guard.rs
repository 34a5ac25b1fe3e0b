//! Refuses EXIF blocks whose structure would make the EXIF reader allocate far more than the block
//! itself. kamadak-exif keeps an entry for every field of every IFD it visits and follows every
//! Exif, GPS and Interop pointer it meets, so a 64 KB block whose first IFD repeats one pointer
//! thousands of times, each to an IFD of thousands of fields, unfolds into millions of entries
//! (hundreds of MB). The walk here visits what the reader would, counting, and gives up early.
//! A refused block is treated as absent, like any unreadable EXIF.

/// Most fields the reader may unfold; cameras write a few hundred.
const MAX_FIELDS: usize = 4096;
/// Largest block read at all: what a JPEG's APP1 segment holds. A PNG's eXIf chunk could be the
/// whole file, and the reader copies the block before parsing it.
const MAX_BYTES: usize = 65_535;
/// The reader stops after this many IFDs in the main chain.
const MAX_IFDS: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Tiff,
    Exif,
    Gps,
    Interop,
}

struct Walk<'a> {
    tiff: &'a [u8],
    little_endian: bool,
    fields: usize,
}

impl Walk<'_> {
    fn u16_at(&self, at: usize) -> Option<u16> {
        let b = self.tiff.get(at..at.checked_add(2)?)?;
        Some(if self.little_endian {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b = self.tiff.get(at..at.checked_add(4)?)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if self.little_endian {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    /// Counts the IFD at `offset` and the child IFDs it points to; returns the next IFD's offset,
    /// or `None` once the count is over the limit or the block is malformed (which the reader
    /// would refuse anyway).
    fn ifd(&mut self, offset: usize, context: Context) -> Option<usize> {
        let count = usize::from(self.u16_at(offset)?);
        self.fields += count;
        if self.fields > MAX_FIELDS {
            return None;
        }
        for i in 0..count {
            let entry = offset + 2 + 12 * i;
            let tag = self.u16_at(entry)?;
            let child = match (context, tag) {
                (Context::Tiff, 0x8769) => Context::Exif,
                (Context::Tiff, 0x8825) => Context::Gps,
                (Context::Exif, 0xA005) => Context::Interop,
                _ => continue,
            };
            // Cameras write pointers as one LONG; anything else is refused rather than guessed.
            if self.u16_at(entry + 2)? != 4 || self.u32_at(entry + 4)? != 1 {
                return None;
            }
            let at = self.u32_at(entry + 8)? as usize;
            self.ifd(at, child)?;
        }
        self.u32_at(offset + 2 + 12 * count).map(|o| o as usize)
    }
}

/// True when `tiff` (an EXIF block without the `Exif\0\0` prefix) is small and plain enough to
/// hand to the EXIF reader.
pub(crate) fn acceptable(tiff: &[u8]) -> bool {
    if tiff.len() > MAX_BYTES {
        return false;
    }
    let little_endian = match tiff.get(..4) {
        Some(b"II*\0") => true,
        Some(b"MM\0*") => false,
        _ => return false,
    };
    let mut walk = Walk {
        tiff,
        little_endian,
        fields: 0,
    };
    let Some(mut next) = walk.u32_at(4).map(|o| o as usize) else {
        return false;
    };
    for _ in 0..MAX_IFDS {
        if next == 0 {
            return true;
        }
        match walk.ifd(next, Context::Tiff) {
            Some(offset) => next = offset,
            None => return false,
        }
    }
    // The reader refuses a ninth IFD: nothing would be read anyway.
    next == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian block: IFD0 with `pointers` Exif pointers, all to one IFD of `fields`
    /// ASCII fields.
    fn pointer_bomb(pointers: u16, fields: u16) -> Vec<u8> {
        let mut out = b"II*\0\x08\0\0\0".to_vec();
        let child = 8 + 2 + 12 * usize::from(pointers) + 4;
        out.extend(pointers.to_le_bytes());
        for _ in 0..pointers {
            out.extend(0x8769u16.to_le_bytes());
            out.extend(4u16.to_le_bytes());
            out.extend(1u32.to_le_bytes());
            out.extend((child as u32).to_le_bytes());
        }
        out.extend(0u32.to_le_bytes());
        out.extend(fields.to_le_bytes());
        for _ in 0..fields {
            out.extend(0x9003u16.to_le_bytes());
            out.extend(2u16.to_le_bytes());
            out.extend(4u32.to_le_bytes());
            out.extend(*b"abc\0");
        }
        out.extend(0u32.to_le_bytes());
        out
    }

    #[test]
    fn an_ordinary_block_is_accepted_and_a_pointer_bomb_is_not() {
        assert!(acceptable(&pointer_bomb(1, 40)));
        assert!(acceptable(&pointer_bomb(3, 300)));
        // 2,700 × 2,700 is 7.3 million fields from a 64 KB block.
        let bomb = pointer_bomb(2700, 2700);
        assert!(bomb.len() < MAX_BYTES);
        assert!(!acceptable(&bomb));
    }

    #[test]
    fn oversized_or_foreign_blocks_are_not_read() {
        let mut big = pointer_bomb(1, 1);
        big.resize(MAX_BYTES + 1, 0);
        assert!(!acceptable(&big));
        assert!(!acceptable(b"GIF89a"));
        assert!(!acceptable(b"II*\0\xff\xff\0\0"));
    }
}
