//! One document's append-only log.
//!
//! ```text
//! file   := MAGIC record*
//! record := len:u32le crc32:u32le kind:u8 summary_len:u32le summary bytes
//! ```
//! `len` counts everything after the crc; the crc covers the same bytes. `bytes` are automerge
//! changes (`Changes`) or a whole saved document (`Snapshot`); `summary` is the caller's JSON
//! summary of the document after this record, so listing documents needs no automerge at all.

use super::{Repair, StoreError, quarantine, sync_dir};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"CLDOCv1\n";
const HEADER: usize = 8;
/// Records beyond this many since the last snapshot trigger compaction.
pub const COMPACT_AFTER: usize = 64;
/// A record claiming more than this is treated as damage, not allocated.
const MAX_RECORD: u32 = 64 << 20;

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Changes = 1,
    Snapshot = 2,
}

/// One record as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: RecordKind,
    pub summary: Vec<u8>,
    pub bytes: Vec<u8>,
}

/// A log read from disk.
#[derive(Debug)]
pub struct LoadedDoc {
    pub id: String,
    pub records: Vec<Record>,
    /// What had to be repaired, if anything.
    pub repair: Option<Repair>,
}

impl LoadedDoc {
    /// The summary written with the last record.
    pub fn summary(&self) -> Option<&[u8]> {
        self.records.last().map(|r| r.summary.as_slice())
    }
}

/// The log file of one document, open for appending.
#[derive(Debug)]
pub struct DocLog {
    path: PathBuf,
    file: File,
    /// Records since the last snapshot.
    pub since_snapshot: usize,
}

fn encode(kind: RecordKind, summary: &[u8], bytes: &[u8]) -> Vec<u8> {
    let len = 1 + 4 + summary.len() + bytes.len();
    let mut body = Vec::with_capacity(len);
    body.push(kind as u8);
    body.extend_from_slice(&(summary.len() as u32).to_le_bytes());
    body.extend_from_slice(summary);
    body.extend_from_slice(bytes);
    let mut out = Vec::with_capacity(8 + len);
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

enum Parsed {
    Records(Vec<Record>),
    /// Records up to `good_end` are sound; what follows is torn (at the very end) or damaged.
    Broken {
        records: Vec<Record>,
        good_end: usize,
        at_tail: bool,
        detail: String,
    },
}

fn parse(data: &[u8]) -> Result<Parsed, String> {
    if data.len() < HEADER || &data[..HEADER] != MAGIC {
        return Err("not a Closeloop document log".to_owned());
    }
    let mut records = Vec::new();
    let mut pos = HEADER;
    while pos < data.len() {
        let rest = &data[pos..];
        let broken = |records: Vec<Record>, at_tail: bool, detail: String| Parsed::Broken {
            records,
            good_end: pos,
            at_tail,
            detail,
        };
        if rest.len() < 8 {
            return Ok(broken(records, true, "record header cut short".to_owned()));
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if !(5..=MAX_RECORD).contains(&len) {
            return Ok(broken(
                records,
                false,
                format!("record length {len} is impossible"),
            ));
        }
        let end = 8 + len as usize;
        if rest.len() < end {
            return Ok(broken(records, true, "last record cut short".to_owned()));
        }
        let body = &rest[8..end];
        if crc32fast::hash(body) != crc {
            let at_tail = pos + end == data.len();
            return Ok(broken(
                records,
                at_tail,
                "record checksum mismatch".to_owned(),
            ));
        }
        let kind = match body[0] {
            1 => RecordKind::Changes,
            2 => RecordKind::Snapshot,
            k => return Ok(broken(records, false, format!("unknown record kind {k}"))),
        };
        let slen = u32::from_le_bytes([body[1], body[2], body[3], body[4]]) as usize;
        if 5 + slen > body.len() {
            return Ok(broken(
                records,
                false,
                "summary longer than its record".to_owned(),
            ));
        }
        records.push(Record {
            kind,
            summary: body[5..5 + slen].to_vec(),
            bytes: body[5 + slen..].to_vec(),
        });
        pos += end;
    }
    Ok(Parsed::Records(records))
}

fn since_snapshot(records: &[Record]) -> usize {
    records
        .iter()
        .rev()
        .take_while(|r| r.kind != RecordKind::Snapshot)
        .count()
}

impl DocLog {
    /// Creates a new log whose first record is a snapshot. Durable on return.
    pub fn create(path: &Path, summary: &[u8], snapshot: &[u8]) -> Result<DocLog, StoreError> {
        let mut data = MAGIC.to_vec();
        data.extend(encode(RecordKind::Snapshot, summary, snapshot));
        super::write_atomic(path, &data)?;
        Ok(DocLog {
            path: path.to_owned(),
            file: OpenOptions::new().append(true).open(path)?,
            since_snapshot: 0,
        })
    }

    /// Appends a record. Durable on return.
    pub fn append(
        &mut self,
        kind: RecordKind,
        summary: &[u8],
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        self.file.write_all(&encode(kind, summary, bytes))?;
        self.file.sync_data()?;
        self.since_snapshot = if kind == RecordKind::Snapshot {
            0
        } else {
            self.since_snapshot + 1
        };
        Ok(())
    }

    /// Rewrites the log as a single snapshot record. Atomic: a crash leaves the old or new file.
    pub fn compact(&mut self, summary: &[u8], snapshot: &[u8]) -> Result<(), StoreError> {
        *self = DocLog::create(&self.path, summary, snapshot)?;
        Ok(())
    }

    /// Opens a log: reads every record, cuts a torn tail, and quarantines a damaged file (keeping its
    /// sound prefix in a fresh log, so the document stays usable).
    pub fn open(root: &Path, path: &Path, id: &str) -> Result<(DocLog, LoadedDoc), StoreError> {
        let mut data = Vec::new();
        File::open(path)?.read_to_end(&mut data)?;
        let parsed = parse(&data).map_err(|detail| StoreError::Damaged(id.to_owned(), detail))?;
        let (records, repair) = match parsed {
            Parsed::Records(records) => (records, None),
            Parsed::Broken {
                records,
                good_end,
                at_tail: true,
                ..
            } if !records.is_empty() => {
                let file = OpenOptions::new().write(true).open(path)?;
                file.set_len(good_end as u64)?;
                file.sync_all()?;
                let dropped = (data.len() - good_end) as u64;
                (
                    records,
                    Some(Repair::TornTail {
                        doc: id.to_owned(),
                        dropped_bytes: dropped,
                    }),
                )
            }
            Parsed::Broken {
                records, detail, ..
            } => {
                if records.is_empty() {
                    return Err(StoreError::Damaged(id.to_owned(), detail));
                }
                let kept = records.len();
                let quarantined = quarantine(root, path)?;
                // Keep the sound prefix as a fresh log; the caller re-snapshots it when it loads.
                let mut fresh = MAGIC.to_vec();
                for r in &records {
                    fresh.extend(encode(r.kind, &r.summary, &r.bytes));
                }
                super::write_atomic(path, &fresh)?;
                let repair = Repair::Damaged {
                    doc: id.to_owned(),
                    kept_records: kept,
                    detail,
                    quarantined,
                };
                (records, Some(repair))
            }
        };
        let log = DocLog {
            path: path.to_owned(),
            file: OpenOptions::new().append(true).open(path)?,
            since_snapshot: since_snapshot(&records),
        };
        Ok((
            log,
            LoadedDoc {
                id: id.to_owned(),
                records,
                repair,
            },
        ))
    }

    /// Reads a log without repairing it (for listing on open).
    pub fn read(path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }
}

/// The summary of the last sound record of `data`, and whether the file needs repair; used to list
/// documents on open without loading them.
pub fn last_summary(data: &[u8]) -> Result<(Option<Vec<u8>>, bool), String> {
    match parse(data)? {
        Parsed::Records(r) => Ok((r.last().map(|r| r.summary.clone()), false)),
        Parsed::Broken { records, .. } => Ok((records.last().map(|r| r.summary.clone()), true)),
    }
}

/// Makes sure the docs folder exists and is durable.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        fs::create_dir_all(dir)?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("d.log");
        let mut log = DocLog::create(&path, b"s0", b"snap").expect("create");
        log.append(RecordKind::Changes, b"s1", b"c1")
            .expect("append");
        let full = fs::read(&path).expect("read");
        // Simulate a crash in the middle of the next append.
        let next = encode(RecordKind::Changes, b"s2", b"c2");
        let mut torn = full.clone();
        torn.extend_from_slice(&next[..next.len() / 2]);
        fs::write(&path, &torn).expect("write");
        let (_, loaded) = DocLog::open(dir.path(), &path, "d").expect("open");
        assert_eq!(loaded.records.len(), 2);
        assert_eq!(loaded.summary(), Some(&b"s1"[..]));
        assert!(
            matches!(loaded.repair, Some(Repair::TornTail { dropped_bytes, .. }) if dropped_bytes as usize == next.len() / 2)
        );
        assert_eq!(
            fs::read(&path).expect("read"),
            full,
            "file cut back to the last sound record"
        );
    }

    #[test]
    fn damage_before_the_end_is_quarantined_and_the_prefix_kept() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("d.log");
        let mut log = DocLog::create(&path, b"s0", b"snap").expect("create");
        log.append(RecordKind::Changes, b"s1", b"c1")
            .expect("append");
        log.append(RecordKind::Changes, b"s2", b"c2")
            .expect("append");
        let mut data = fs::read(&path).expect("read");
        let first_len = 8 + encode(RecordKind::Snapshot, b"s0", b"snap").len();
        data[first_len + 12] ^= 0xff; // flip a byte inside the second record
        fs::write(&path, &data).expect("write");
        let (_, loaded) = DocLog::open(dir.path(), &path, "d").expect("open");
        assert_eq!(loaded.records.len(), 1);
        let Some(Repair::Damaged {
            quarantined,
            kept_records: 1,
            ..
        }) = &loaded.repair
        else {
            panic!("expected damage, got {:?}", loaded.repair)
        };
        assert_eq!(fs::read(quarantined).expect("kept for support"), data);
    }

    #[test]
    fn a_file_that_is_not_a_log_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("d.log");
        fs::write(&path, b"hello").expect("write");
        assert!(matches!(
            DocLog::open(dir.path(), &path, "d"),
            Err(StoreError::Damaged(_, _))
        ));
    }
}
