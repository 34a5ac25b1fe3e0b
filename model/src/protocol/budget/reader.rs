//! A cursor over untrusted bytes. Every read is checked, so nothing here can panic or read past
//! the end, whatever the input claims.
//!
//! Automerge reads LEB128 two ways and a byte string must be split exactly where automerge
//! splits it: chunk headers and chunk fields go through automerge's own parser, which refuses
//! overlong encodings (`uleb`, `sleb`); column data goes through the `leb128` crate (change
//! chunks) and `hexane` (documents), which accept them (`column_uleb`, `column_sleb`).

/// Why bytes could not be read; the caller adds which chunk it was.
pub(super) type Fault = &'static str;

pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    pub(super) fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub(super) fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    pub(super) fn byte(&mut self) -> Result<u8, Fault> {
        let b = *self.bytes.get(self.pos).ok_or("truncated")?;
        self.pos += 1;
        Ok(b)
    }

    /// `n` comes from the wire, so it is compared before anything is sliced.
    pub(super) fn take(&mut self, n: u64) -> Result<&'a [u8], Fault> {
        let rest = self.rest();
        if n > rest.len() as u64 {
            return Err("a length runs past the end of its data");
        }
        let (head, _) = rest.split_at(n as usize);
        self.pos += head.len();
        Ok(head)
    }

    /// Automerge's `storage::parse::leb128_u64`, branch for branch.
    pub(super) fn uleb(&mut self) -> Result<u64, Fault> {
        let mut res: u64 = 0;
        let mut shift: u32 = 0;
        loop {
            let byte = self.byte()?;
            res |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            shift += 7;
            if byte & 0x80 == 0 {
                if shift > 64 && byte > 1 {
                    return Err("LEB128 too large");
                } else if shift > 7 && byte == 0 {
                    return Err("overlong LEB128");
                }
                return Ok(res);
            } else if shift > 64 {
                return Err("LEB128 too large");
            }
        }
    }

    /// Automerge's `storage::parse::leb128_i64`, branch for branch.
    pub(super) fn sleb(&mut self) -> Result<i64, Fault> {
        let mut res: i64 = 0;
        let mut shift: u32 = 0;
        let mut prev: u8 = 0;
        loop {
            let byte = self.byte()?;
            res |= i64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            shift += 7;
            if byte & 0x80 == 0 {
                if shift > 64 && byte != 0 && byte != 0x7f {
                    return Err("LEB128 too large");
                } else if shift > 7
                    && ((byte == 0 && prev & 0x40 == 0) || (byte == 0x7f && prev & 0x40 > 0))
                {
                    return Err("overlong LEB128");
                } else if shift < 64 && byte & 0x40 > 0 {
                    res |= -1i64 << shift;
                }
                return Ok(res);
            } else if shift > 64 {
                return Err("LEB128 too large");
            }
            prev = byte;
        }
    }

    /// `leb128::read::unsigned`: overlong encodings pass, a tenth byte above one does not.
    pub(super) fn column_uleb(&mut self) -> Result<u64, Fault> {
        let mut res: u64 = 0;
        let mut shift: u32 = 0;
        loop {
            let byte = self.byte()?;
            if shift == 63 && byte != 0x00 && byte != 0x01 {
                return Err("column value too large");
            }
            res |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                return Ok(res);
            }
            shift += 7;
        }
    }

    /// `leb128::read::signed`: overlong encodings pass, a tenth byte other than the sign does not.
    pub(super) fn column_sleb(&mut self) -> Result<i64, Fault> {
        let mut res: i64 = 0;
        let mut shift: u32 = 0;
        loop {
            let byte = self.byte()?;
            if shift == 63 && byte != 0x00 && byte != 0x7f {
                return Err("column value too large");
            }
            res |= i64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    res |= -1i64 << shift;
                }
                return Ok(res);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uleb(b: &[u8]) -> Result<u64, Fault> {
        Reader::new(b).uleb()
    }

    fn sleb(b: &[u8]) -> Result<i64, Fault> {
        Reader::new(b).sleb()
    }

    #[test]
    fn chunk_leb128_follows_automerge() {
        assert_eq!(uleb(&[1]), Ok(1));
        assert_eq!(uleb(&[0x81, 1]), Ok(129));
        assert!(uleb(&[0x80, 0]).is_err(), "overlong");
        assert!(uleb(&[0x81; 12]).is_err(), "too many bytes");
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(uleb(&max), Ok(u64::MAX));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(uleb(&over).is_err());
        assert_eq!(sleb(&[0x7f]), Ok(-1));
        assert_eq!(sleb(&[0x80, 0x7f]), Ok(-128));
        assert!(sleb(&[0xff, 0x7f]).is_err(), "overlong -1");
        assert!(uleb(&[0x80]).is_err(), "truncated");
    }

    #[test]
    fn column_leb128_accepts_overlong_but_not_overflow() {
        assert_eq!(Reader::new(&[0x80, 0x00]).column_uleb(), Ok(0));
        assert_eq!(Reader::new(&[0xff, 0x7f]).column_sleb(), Ok(-1));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(Reader::new(&over).column_uleb().is_err());
        assert!(Reader::new(&[0x80; 11]).column_uleb().is_err());
        let min = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f];
        assert_eq!(Reader::new(&min).column_sleb(), Ok(i64::MIN));
    }

    #[test]
    fn take_refuses_lengths_past_the_end() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert!(r.take(u64::MAX).is_err());
        assert_eq!(r.take(2), Ok(&[1u8, 2][..]));
        assert_eq!(r.rest(), &[3]);
    }
}
