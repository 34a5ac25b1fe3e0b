//! The S3 blob store (aws-sdk-s3): any S3-compatible service, by endpoint, region and addressing
//! style. Objects are `{prefix}{sha256}`, written once with their content type.

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use std::time::Duration;

/// What the server needs to reach a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// `None`: AWS's own endpoint for the region.
    pub endpoint: Option<String>,
    pub region: String,
    /// `https://host/bucket/key` rather than `https://bucket.host/key` (MinIO, most self-hosted).
    pub path_style: bool,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Prepended to every object key.
    pub prefix: String,
    /// How long a presigned download URL stays valid.
    pub presign_seconds: u64,
}

/// A client bound to one bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    settings: S3Settings,
}

fn io(what: &str, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("S3 {what}: {e}"))
}

/// The most specific message an SDK error has (its service code and message, not just "service error").
fn detail<E: std::error::Error + 'static>(e: &aws_sdk_s3::error::SdkError<E>) -> String {
    use std::error::Error;
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl S3Store {
    /// Connects and makes sure the bucket is there, creating it if it is missing and allowed to.
    pub async fn open(settings: S3Settings) -> std::io::Result<S3Store> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .credentials_provider(Credentials::new(
                &settings.access_key_id,
                &settings.secret_access_key,
                None,
                None,
                "closeloop-config",
            ))
            .force_path_style(settings.path_style)
            .http_client(http);
        if let Some(endpoint) = &settings.endpoint {
            conf = conf.endpoint_url(endpoint);
        }
        let store = S3Store {
            client: Client::from_conf(conf.build()),
            settings,
        };
        if store.check().await.is_err() {
            let bucket = &store.settings.bucket;
            store
                .client
                .create_bucket()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| {
                    io(
                        "bucket",
                        format!(
                            "{bucket} cannot be reached and could not be created: {}",
                            detail(&e)
                        ),
                    )
                })?;
        }
        Ok(store)
    }

    fn key(&self, sha256: &str) -> String {
        format!("{}{sha256}", self.settings.prefix)
    }

    /// The bucket answers and we may use it.
    pub async fn check(&self) -> std::io::Result<()> {
        self.client
            .head_bucket()
            .bucket(&self.settings.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| io("head bucket", detail(&e)))
    }

    pub async fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
        if self.exists(sha256).await? {
            return Ok(());
        }
        self.client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(self.key(sha256))
            .content_type("image/jpeg")
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| io("put", detail(&e)))
    }

    pub async fn exists(&self, sha256: &str) -> std::io::Result<bool> {
        match self
            .client
            .head_object()
            .bucket(&self.settings.bucket)
            .key(self.key(sha256))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) => Err(io("head", detail(&e))),
        }
    }

    /// The object's bytes if it is at most `limit` long; `None` if missing or longer.
    pub async fn get(&self, sha256: &str, limit: usize) -> std::io::Result<Option<Vec<u8>>> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(self.key(sha256))
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(io("get", detail(&e))),
        };
        if out
            .content_length()
            .is_some_and(|n| n < 0 || n as u64 > limit as u64)
        {
            return Ok(None);
        }
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| io("get", e))?
            .into_bytes();
        Ok((bytes.len() <= limit).then(|| bytes.to_vec()))
    }

    /// A URL that serves the object for `presign_seconds` without credentials.
    pub async fn presigned_get(&self, sha256: &str) -> std::io::Result<String> {
        let config =
            PresigningConfig::expires_in(Duration::from_secs(self.settings.presign_seconds))
                .map_err(|e| io("presign", e))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(self.key(sha256))
            .response_content_type("image/jpeg")
            .presigned(config)
            .await
            .map_err(|e| io("presign", detail(&e)))?;
        Ok(req.uri().to_owned())
    }
}
