//! Raw DEFLATE (what automerge writes for compressed change chunks and deflated document
//! columns) inflated under a hard cap.
//!
//! Automerge itself calls `read_to_end` on the stream, which grows its buffer for as long as the
//! stream produces: that is the bomb. Here the output buffer never grows beyond `cap + 1` bytes,
//! one more than allowed, which is how a stream that would pass the cap is told from one that
//! ends exactly on it. Nothing is reserved up front from anything the sender claims.

use flate2::{Decompress, FlushDecompress, Status};

/// The smallest step the buffer grows by: small enough that a tiny column costs little, large
/// enough that inflating a few MiB takes a handful of steps.
const MIN_STEP: usize = 32 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Inflate {
    /// The stream is corrupt, truncated, or followed by stray bytes.
    Corrupt(&'static str),
    /// The stream produced more than the cap; `seen` is how much was inflated when it stopped.
    OverCap { seen: u64 },
}

pub(super) fn inflate(input: &[u8], cap: u64) -> Result<Vec<u8>, Inflate> {
    let hard = usize::try_from(cap.saturating_add(1)).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::new();
    let mut d = Decompress::new(false);
    loop {
        if out.len() == out.capacity() {
            if out.len() >= hard {
                return Err(Inflate::OverCap {
                    seen: out.len() as u64,
                });
            }
            let want = out.capacity().saturating_mul(2).max(MIN_STEP).min(hard);
            out.reserve_exact(want - out.len());
        }
        let consumed = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
        let before = (d.total_in(), d.total_out());
        let status = d
            .decompress_vec(
                input.get(consumed..).unwrap_or_default(),
                &mut out,
                FlushDecompress::None,
            )
            .map_err(|_| Inflate::Corrupt("a deflate stream is corrupt"))?;
        match status {
            Status::StreamEnd => {
                if d.total_in() != input.len() as u64 {
                    return Err(Inflate::Corrupt("bytes follow the end of a deflate stream"));
                }
                if out.len() >= hard {
                    return Err(Inflate::OverCap {
                        seen: out.len() as u64,
                    });
                }
                return Ok(out);
            }
            Status::Ok | Status::BufError => {
                let stuck = (d.total_in(), d.total_out()) == before;
                if stuck && out.len() < out.capacity() {
                    return Err(Inflate::Corrupt("a deflate stream is truncated"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut c = Compress::new(Compression::default(), false);
        let mut out = Vec::with_capacity(data.len() + 64);
        c.compress_vec(data, &mut out, FlushCompress::Finish)
            .unwrap();
        out
    }

    #[test]
    fn inflates_what_deflate_wrote() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert_eq!(inflate(&deflate(&data), 100_000), Ok(data));
    }

    #[test]
    fn a_stream_of_exactly_the_cap_passes_one_more_byte_does_not() {
        let data = vec![0u8; 70_000];
        assert!(inflate(&deflate(&data), 70_000).is_ok());
        assert_eq!(
            inflate(&deflate(&data), 69_999),
            Err(Inflate::OverCap { seen: 70_000 })
        );
        assert!(inflate(&deflate(&[]), 0).is_ok());
    }

    #[test]
    fn truncated_garbage_and_trailing_bytes_are_corrupt() {
        let data = vec![5u8; 10_000];
        let good = deflate(&data);
        assert!(matches!(
            inflate(&good[..good.len() - 1], 1 << 20),
            Err(Inflate::Corrupt(_))
        ));
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(matches!(
            inflate(&trailing, 1 << 20),
            Err(Inflate::Corrupt(_))
        ));
        assert!(matches!(
            inflate(&[0xff; 16], 1 << 20),
            Err(Inflate::Corrupt(_))
        ));
        assert!(matches!(inflate(&[], 1 << 20), Err(Inflate::Corrupt(_))));
    }
}
