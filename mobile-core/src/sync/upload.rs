//! Evidence upload (protocol §4): every photo and thumbnail in the outbox is sent on its own, and
//! leaves the outbox only once the server has it. A failed upload stays queued for the next sync
//! and never stops the others or the document sync.

use super::error::{Result, SyncError};
use super::session::Conn;
use crate::store::Blobs;

/// Consecutive failures to reach the server after which the remaining photos are left for the
/// next sync rather than each waiting out its own timeout.
const GIVE_UP_AFTER: usize = 3;

/// What the upload step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uploads {
    pub uploaded: u32,
    /// (sha256, why) of each blob still queued.
    pub failures: Vec<(String, String)>,
}

fn upload_one(conn: &mut Conn, blobs: &Blobs, sha256: &str) -> Result<()> {
    let bytes = blobs.get(sha256)?;
    let path = format!("/v1/blobs/{sha256}");
    let reply = conn.call(|c, t| c.put_bytes(&path, t, "image/jpeg", &bytes))?;
    match reply.status {
        // 201 stored now, 200 already there: both mean the server has it.
        200 | 201 => Ok(blobs.uploaded(sha256)?),
        _ => Err(reply.error()),
    }
}

/// Uploads every pending blob, oldest name first. `progress(done, total)` follows each one.
/// Only a lost session stops the step (nothing more could succeed without one).
pub fn upload_pending(
    conn: &mut Conn,
    blobs: &Blobs,
    progress: &dyn Fn(u32, u32),
) -> Result<Uploads> {
    let pending = blobs.pending()?;
    let total = pending.len() as u32;
    let mut out = Uploads::default();
    progress(0, total);
    let mut unreachable = 0;
    for (i, sha) in pending.iter().enumerate() {
        if unreachable >= GIVE_UP_AFTER {
            out.failures.push((
                sha.clone(),
                "not tried: the server could not be reached".into(),
            ));
            continue;
        }
        match upload_one(conn, blobs, sha) {
            Ok(()) => {
                out.uploaded += 1;
                unreachable = 0;
            }
            Err(e @ SyncError::LoginRequired(_)) => return Err(e),
            Err(e) => {
                if matches!(e, SyncError::Network(_)) {
                    unreachable += 1;
                }
                out.failures.push((sha.clone(), e.to_string()));
            }
        }
        progress(i as u32 + 1, total);
    }
    Ok(out)
}
