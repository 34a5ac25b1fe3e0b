//! Where evidence photos are kept: a local folder (the embedded default) or an S3 bucket (production,
//! shared by every replica). Content-addressed by SHA-256, never overwritten. From S3, clients
//! download through short-lived presigned URLs, so photo bytes do not pass through the server.

mod s3;

use std::path::PathBuf;

pub use s3::{S3Settings, S3Store};

/// The blob store.
#[derive(Debug, Clone)]
pub enum BlobStore {
    Folder(PathBuf),
    S3(S3Store),
}

/// How a client gets a stored blob.
#[derive(Debug)]
pub enum Fetch {
    Bytes(Vec<u8>),
    /// A presigned URL that serves the blob without further credentials.
    Redirect(String),
    Missing,
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
            BlobStore::S3(s3) => s3.put(sha256, bytes).await,
        }
    }

    /// Whether the store holds the blob.
    pub async fn exists(&self, sha256: &str) -> std::io::Result<bool> {
        if !valid(sha256) {
            return Ok(false);
        }
        match self {
            BlobStore::Folder(dir) => tokio::fs::try_exists(dir.join(sha256)).await,
            BlobStore::S3(s3) => s3.exists(sha256).await,
        }
    }

    /// The blob's bytes (folder) or a presigned URL for it (S3).
    pub async fn fetch(&self, sha256: &str) -> std::io::Result<Fetch> {
        if !valid(sha256) {
            return Ok(Fetch::Missing);
        }
        match self {
            BlobStore::Folder(dir) => match tokio::fs::read(dir.join(sha256)).await {
                Ok(b) => Ok(Fetch::Bytes(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Fetch::Missing),
                Err(e) => Err(e),
            },
            BlobStore::S3(s3) => s3.presigned_get(sha256).await.map(Fetch::Redirect),
        }
    }

    /// The blob's bytes, for the server's own use (photos embedded in PDFs): `None` when it is
    /// missing or longer than `limit`, which is checked before anything is read.
    pub async fn read(&self, sha256: &str, limit: usize) -> std::io::Result<Option<Vec<u8>>> {
        if !valid(sha256) {
            return Ok(None);
        }
        match self {
            BlobStore::Folder(dir) => {
                let path = dir.join(sha256);
                match tokio::fs::metadata(&path).await {
                    Ok(m) if m.len() <= limit as u64 => match tokio::fs::read(&path).await {
                        Ok(b) => Ok(Some(b)),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                        Err(e) => Err(e),
                    },
                    Ok(_) => Ok(None),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e),
                }
            }
            BlobStore::S3(s3) => s3.get(sha256, limit).await,
        }
    }

    /// Whether the store can be used right now (readiness).
    pub async fn check(&self) -> std::io::Result<()> {
        match self {
            BlobStore::Folder(dir) => tokio::fs::metadata(dir).await.map(|_| ()),
            BlobStore::S3(s3) => s3.check().await,
        }
    }
}

/// Whether `sha256` is a lowercase hex SHA-256.
pub fn is_sha256(sha256: &str) -> bool {
    valid(sha256)
}
