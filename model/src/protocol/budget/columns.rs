//! Column metadata and how many values a column decodes to, counted run by run: a run of
//! 2^40 copies costs one step here, where automerge's decoders would take 2^40 steps (or
//! allocate 2^40 slots) to expand it.
//!
//! The encodings are the storage format's, chosen by the low three bits of a column spec:
//! unsigned, signed (delta) and string RLE, boolean runs, group counts, value metadata (RLE whose
//! values carry the byte length of each value in their high bits) and raw value bytes.

use super::reader::{Fault, Reader};

/// A column's spec as the wire carries it: id in the high bits, a deflate flag, the type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Spec(pub(super) u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Group,
    Actor,
    Integer,
    Delta,
    Boolean,
    String,
    ValueMeta,
    Value,
}

impl Spec {
    const DEFLATE: u32 = 0b1000;

    pub(super) const fn new(id: u32, kind: Kind) -> Self {
        let bits = match kind {
            Kind::Group => 0,
            Kind::Actor => 1,
            Kind::Integer => 2,
            Kind::Delta => 3,
            Kind::Boolean => 4,
            Kind::String => 5,
            Kind::ValueMeta => 6,
            Kind::Value => 7,
        };
        Self((id << 4) | bits)
    }

    pub(super) fn kind(self) -> Kind {
        match self.0 & 0b111 {
            0 => Kind::Group,
            1 => Kind::Actor,
            2 => Kind::Integer,
            3 => Kind::Delta,
            4 => Kind::Boolean,
            5 => Kind::String,
            6 => Kind::ValueMeta,
            _ => Kind::Value,
        }
    }

    pub(super) fn id(self) -> u32 {
        self.0 >> 4
    }

    pub(super) fn deflated(self) -> bool {
        self.0 & Self::DEFLATE != 0
    }

    /// The spec with the deflate flag cleared: how automerge orders and looks columns up.
    pub(super) fn normal(self) -> Spec {
        Spec(self.0 & !Self::DEFLATE)
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Column {
    pub(super) spec: Spec,
    /// As declared on the wire, which for a deflated column is its compressed length.
    pub(super) len: u64,
}

/// Automerge's `RawColumns::parse`: a count, then (spec, length) pairs, in normalised order.
/// `room` is how many more columns the chunk may declare; the count is compared with it before
/// anything is read, so a count of 2^60 costs nothing.
pub(super) fn parse_meta(r: &mut Reader<'_>, room: u64) -> Result<Vec<Column>, CountError> {
    let n = r.uleb()?;
    if n > room {
        return Err(CountError::TooMany(n));
    }
    let mut cols: Vec<Column> = Vec::new();
    for _ in 0..n {
        let spec = u32::try_from(r.uleb()?).map_err(|_| "column spec too large")?;
        let len = r.uleb()?;
        let spec = Spec(spec);
        if let Some(last) = cols.last() {
            // Automerge accepts equal neighbours here and refuses them one step later; no
            // encoder writes a spec twice, so both are refused at once.
            if spec.normal().0 <= last.spec.normal().0 {
                return Err(CountError::Malformed("columns out of order or repeated"));
            }
        }
        cols.push(Column { spec, len });
    }
    Ok(cols)
}

/// The bytes all columns of a set occupy, or a fault if the lengths overflow (automerge sums
/// them unchecked).
pub(super) fn total_len(cols: &[Column]) -> Result<u64, Fault> {
    cols.iter()
        .try_fold(0u64, |acc, c| acc.checked_add(c.len))
        .ok_or("column lengths overflow")
}

/// What one column decodes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Count {
    /// Values, nulls included: what a decoder yields before it is done.
    pub(super) values: u64,
    /// For a group column, the sum of its counts (the values each grouped column holds); for
    /// value metadata, the sum of the value lengths (the bytes the raw column must hold).
    pub(super) weight: u64,
    /// For an actor column, the largest actor index it names (automerge indexes its actor
    /// table with these, unchecked in places).
    pub(super) max: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum CountError {
    Malformed(Fault),
    /// More values than the limit; the number is how many were counted when it stopped.
    TooMany(u64),
}

impl From<Fault> for CountError {
    fn from(f: Fault) -> Self {
        CountError::Malformed(f)
    }
}

/// Count the values of a column of `kind` in `data`, stopping as soon as `limit` is passed.
/// Raw value columns are bytes, not values: they count as zero here.
pub(super) fn count(kind: Kind, data: &[u8], limit: u64) -> Result<Count, CountError> {
    match kind {
        Kind::Value => Ok(Count::default()),
        Kind::Boolean => count_booleans(data, limit),
        _ => count_rle(kind, data, limit),
    }
}

fn count_booleans(data: &[u8], limit: u64) -> Result<Count, CountError> {
    let mut r = Reader::new(data);
    let mut values = 0u64;
    while !r.is_empty() {
        values = values.saturating_add(r.column_uleb()?);
        if values > limit {
            return Err(CountError::TooMany(values));
        }
    }
    Ok(Count {
        values,
        ..Count::default()
    })
}

fn count_rle(kind: Kind, data: &[u8], limit: u64) -> Result<Count, CountError> {
    let mut r = Reader::new(data);
    let mut values = 0u64;
    let mut weight = 0u64;
    let mut max = 0u64;
    let over = |values: u64| {
        if values > limit {
            Err(CountError::TooMany(values))
        } else {
            Ok(())
        }
    };
    while !r.is_empty() {
        let n = r.column_sleb()?;
        let k = n.unsigned_abs();
        if n == 0 {
            values = values.saturating_add(r.column_uleb()?);
            over(values)?;
        } else if n > 0 {
            values = values.saturating_add(k);
            over(values)?;
            let (w, v) = value_weight(kind, &mut r)?;
            weight = weight.saturating_add(k.saturating_mul(w));
            max = max.max(v);
        } else {
            // Compared before the literals are walked, so a claim of 2^63 literals is refused
            // in one step rather than after reading to the end of the data.
            values = values.saturating_add(k);
            over(values)?;
            for _ in 0..k {
                let (w, v) = value_weight(kind, &mut r)?;
                weight = weight.saturating_add(w);
                max = max.max(v);
            }
        }
    }
    Ok(Count {
        values,
        weight,
        max,
    })
}

/// Read one RLE value; say what it weighs (see [`Count::weight`]) and, for an actor column,
/// which actor it names.
fn value_weight(kind: Kind, r: &mut Reader<'_>) -> Result<(u64, u64), Fault> {
    match kind {
        Kind::Group => r.column_uleb().map(|v| (v, 0)),
        Kind::ValueMeta => r.column_uleb().map(|v| (v >> 4, 0)),
        Kind::Actor => r.column_uleb().map(|v| (0, v)),
        Kind::Delta => r.column_sleb().map(|_| (0, 0)),
        Kind::String => {
            let len = r.column_uleb()?;
            r.take(len).map(|_| (0, 0))
        }
        Kind::Integer | Kind::Boolean | Kind::Value => r.column_uleb().map(|_| (0, 0)),
    }
}

/// The values of an RLE column one by one, runs expanded lazily: for the few small columns (the
/// change table of a document) whose values, not only their number, decide the budget.
pub(super) struct Values<'a> {
    r: Reader<'a>,
    signed: bool,
    left: u64,
    run: Run,
}

enum Run {
    Repeat(Option<i64>),
    Literal,
}

impl<'a> Values<'a> {
    pub(super) fn new(data: &'a [u8], signed: bool) -> Self {
        Self {
            r: Reader::new(data),
            signed,
            left: 0,
            run: Run::Literal,
        }
    }

    fn read(&mut self) -> Result<i64, Fault> {
        if self.signed {
            self.r.column_sleb()
        } else {
            // Unsigned values above i64::MAX cannot be a change index, a count or an op
            // counter automerge accepts; they are refused rather than wrapped.
            i64::try_from(self.r.column_uleb()?).map_err(|_| "column value too large")
        }
    }

    /// The next value (`Some(None)` for a null), `None` at the end.
    pub(super) fn next_value(&mut self) -> Result<Option<Option<i64>>, Fault> {
        while self.left == 0 {
            if self.r.is_empty() {
                return Ok(None);
            }
            let n = self.r.column_sleb()?;
            self.left = n.unsigned_abs();
            self.run = match n {
                0 => {
                    self.left = self.r.column_uleb()?;
                    Run::Repeat(None)
                }
                n if n > 0 => Run::Repeat(Some(self.read()?)),
                _ => Run::Literal,
            };
        }
        self.left -= 1;
        match self.run {
            Run::Repeat(v) => Ok(Some(v)),
            Run::Literal => self.read().map(|v| Some(Some(v))),
        }
    }
}

/// A delta column's running values, as automerge's delta decoders rebuild them.
pub(super) struct Deltas<'a> {
    values: Values<'a>,
    at: i64,
}

impl<'a> Deltas<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Self {
            values: Values::new(data, true),
            at: 0,
        }
    }

    /// The next absolute value; nulls are refused, as every delta column read here is
    /// non-nullable.
    pub(super) fn next_value(&mut self) -> Result<Option<i64>, Fault> {
        match self.values.next_value()? {
            None => Ok(None),
            Some(None) => Err("null in a column that cannot hold one"),
            Some(Some(d)) => {
                self.at = self.at.checked_add(d).ok_or("delta overflows")?;
                Ok(Some(self.at))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_count_without_expanding() {
        // A run of 2^40 copies of 1, as one signed count and one value.
        let mut data = vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
        data.push(1);
        let c = count(Kind::Integer, &data, u64::MAX).unwrap();
        assert_eq!(c.values, 1 << 40);
        assert_eq!(
            count(Kind::Integer, &data, 100_000),
            Err(CountError::TooMany(1 << 40))
        );
    }

    #[test]
    fn literal_null_and_repeat_runs_add_up() {
        // repeat 3×7, literal [1, 2], null ×4
        let data = [3, 7, 0x7e, 1, 2, 0, 4];
        let c = count(Kind::Group, &data, 100).unwrap();
        assert_eq!((c.values, c.weight), (9, 21 + 3));
        let mut v = Values::new(&data, false);
        let mut got = Vec::new();
        while let Some(x) = v.next_value().unwrap() {
            got.push(x);
        }
        assert_eq!(
            got,
            [7, 7, 7, 1, 2]
                .map(Some)
                .into_iter()
                .chain([None; 4])
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_literal_claim_is_refused_before_it_is_walked() {
        // i64::MIN literals: automerge's change decoder would panic negating it.
        let data = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f];
        assert!(matches!(
            count(Kind::Actor, &data, 1000),
            Err(CountError::TooMany(_))
        ));
    }

    #[test]
    fn value_metadata_weighs_its_lengths_and_strings_are_skipped() {
        // repeat 2× (len 5, type string = 6): 0x56
        let c = count(Kind::ValueMeta, &[2, 0x56], 10).unwrap();
        assert_eq!((c.values, c.weight), (2, 10));
        let c = count(Kind::Actor, &[0x7e, 3, 1, 2, 9], 10).unwrap();
        assert_eq!((c.values, c.max), (4, 9));
        let c = count(Kind::String, &[0x7e, 2, b'h', b'i', 1, b'x'], 10).unwrap();
        assert_eq!(c.values, 2);
        assert_eq!(
            count(Kind::String, &[1, 9, b'x'], 10),
            Err(CountError::Malformed(
                "a length runs past the end of its data"
            ))
        );
    }

    #[test]
    fn boolean_runs_add_up_and_saturate() {
        assert_eq!(count(Kind::Boolean, &[0, 3, 2], 10).unwrap().values, 5);
        let huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        let mut data = huge.to_vec();
        data.extend(huge);
        assert_eq!(
            count(Kind::Boolean, &data, u64::MAX - 1),
            Err(CountError::TooMany(u64::MAX))
        );
    }

    #[test]
    fn deltas_accumulate() {
        let mut d = Deltas::new(&[0x7d, 2, 3, 0x7f]);
        let mut got = Vec::new();
        while let Some(x) = d.next_value().unwrap() {
            got.push(x);
        }
        assert_eq!(got, [2, 5, 4]);
    }
}
