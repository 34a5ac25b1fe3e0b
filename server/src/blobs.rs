//! Where evidence photos are kept: a local folder by default (S3 comes with the production issue).
//! Content-addressed by SHA-256, written atomically, never overwritten.

use std::path::PathBuf;

/// The blob store.
#[derive(Debug, Clone)]
pub enum BlobStore {
    Folder(PathBuf),
}

fn valid(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl BlobStore {
    /// A folder store, created if needed.
    pub fn folder(dir: PathBuf) -> std::io::Result<BlobStore> {
        std::fs::create_dir_all(&dir)?;
        Ok(BlobStore::Folder(dir))
    }

    /// Stores bytes under their hash; the caller has verified the hash.
    pub async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            BlobStore::Folder(dir) => {
                let path = dir.join(sha256);
                if tokio::fs::try_exists(&path).await? {
                    return Ok(());
                }
                let tmp = dir.join(format!(".{sha256}.{}.tmp", crate::db::random_hex(4)));
                tokio::fs::write(&tmp, bytes).await?;
                let f = tokio::fs::File::open(&tmp).await?;
                f.sync_all().await?;
                tokio::fs::rename(&tmp, &path).await
            }
        }
    }

    /// Reads a blob, if stored.
    pub async fn get(&self, sha256: &str) -> std::io::Result<Option<Vec<u8>>> {
        if !valid(sha256) {
            return Ok(None);
        }
        match self {
            BlobStore::Folder(dir) => match tokio::fs::read(dir.join(sha256)).await {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            },
        }
    }
}

/// Whether `sha256` is a lowercase hex SHA-256.
pub fn is_sha256(sha256: &str) -> bool {
    valid(sha256)
}
