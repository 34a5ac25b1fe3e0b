//! Server configuration: defaults, then a TOML file, then `CLOSELOOP_*` environment variables,
//! then command-line flags. With no configuration at all the server listens on 127.0.0.1:8080 and
//! keeps everything under `./closeloop-data`.

use serde::Deserialize;
use std::path::PathBuf;

/// Everything the server can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// Folder for the SQLite database, blobs and generated keys.
    pub data_dir: PathBuf,
    /// `sqlite://…` (default: a file in `data_dir`) or `postgres://…`.
    pub database_url: Option<String>,
    /// Folder for photo blobs (default: `data_dir/blobs`).
    pub blob_dir: Option<PathBuf>,
    /// JWT signing keys; the first signs, all verify (rotation). Generated into `data_dir` if empty.
    pub jwt_keys: Vec<JwtKey>,
    /// Issuer claim of access tokens.
    pub jwt_issuer: String,
    pub access_token_seconds: i64,
    pub refresh_token_days: i64,
    /// Largest sync request body.
    pub max_sync_bytes: usize,
    /// Largest blob.
    pub max_blob_bytes: usize,
    /// Most database connections this process holds (default: 4 on SQLite, 16 on PostgreSQL).
    pub db_max_connections: Option<u32>,
    /// Keep photos in this S3 bucket instead of `blob_dir` (needed for several replicas).
    pub s3_bucket: Option<String>,
    /// S3 endpoint, e.g. `http://minio:9000`; unset means AWS's endpoint for `s3_region`.
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    /// Path-style addressing (`endpoint/bucket/key`), as MinIO and most self-hosted S3 want.
    pub s3_path_style: bool,
    /// Credentials; unset means `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// Prepended to each object key.
    pub s3_prefix: String,
    /// Lifetime of presigned download URLs.
    pub s3_presign_seconds: u64,
    /// `text` (default, for people) or `json` (one object per line, for log collectors).
    pub log_format: String,
    /// Longest a shutdown waits for requests in flight before giving up on them.
    pub shutdown_grace_seconds: u64,
    /// When set, `/metrics` answers only `Authorization: Bearer <metrics_token>`.
    pub metrics_token: Option<String>,
}

/// One HMAC key with its id.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct JwtKey {
    pub kid: String,
    /// At least 32 bytes of secret, hex or plain text.
    pub secret: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("closeloop-data"),
            database_url: None,
            blob_dir: None,
            jwt_keys: Vec::new(),
            jwt_issuer: "closeloop".into(),
            access_token_seconds: 15 * 60,
            refresh_token_days: 30,
            max_sync_bytes: 8 << 20,
            max_blob_bytes: 10 << 20,
            db_max_connections: None,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_path_style: false,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_prefix: "blobs/".into(),
            s3_presign_seconds: 300,
            log_format: "text".into(),
            shutdown_grace_seconds: 30,
            metrics_token: None,
        }
    }
}

/// A configuration value that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration {key}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

fn err(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

impl Config {
    /// Reads a TOML configuration file.
    pub fn from_file(path: &std::path::Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| err("--config", format!("{}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| err("--config", e.to_string()))
    }

    /// Applies `CLOSELOOP_*` variables from `vars`.
    pub fn apply_env(
        &mut self,
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (k, v) in vars {
            let Some(key) = k.strip_prefix("CLOSELOOP_") else {
                continue;
            };
            self.set(&key.to_ascii_lowercase(), &v)
                .map_err(|e| err(&k, e.reason))?;
        }
        Ok(())
    }

    /// Sets one setting by its name (as in the file, e.g. `bind`, `data_dir`).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        let num = |v: &str| {
            v.parse::<i64>()
                .map_err(|_| err(key, format!("`{v}` is not a number")))
        };
        match key {
            "bind" => self.bind = value.into(),
            "data_dir" => self.data_dir = value.into(),
            "database_url" => self.database_url = Some(value.into()),
            "blob_dir" => self.blob_dir = Some(value.into()),
            "jwt_issuer" => self.jwt_issuer = value.into(),
            "access_token_seconds" => self.access_token_seconds = num(value)?,
            "refresh_token_days" => self.refresh_token_days = num(value)?,
            "max_sync_bytes" => self.max_sync_bytes = num(value)? as usize,
            "max_blob_bytes" => self.max_blob_bytes = num(value)? as usize,
            "db_max_connections" => self.db_max_connections = Some(num(value)? as u32),
            "s3_bucket" => self.s3_bucket = Some(value.into()),
            "s3_endpoint" => self.s3_endpoint = Some(value.into()),
            "s3_region" => self.s3_region = value.into(),
            "s3_path_style" => {
                self.s3_path_style = match value {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(err(key, format!("`{value}` is not true or false"))),
                }
            }
            "s3_access_key_id" => self.s3_access_key_id = Some(value.into()),
            "s3_secret_access_key" => self.s3_secret_access_key = Some(value.into()),
            "s3_prefix" => self.s3_prefix = value.into(),
            "s3_presign_seconds" => self.s3_presign_seconds = num(value)? as u64,
            "log_format" => self.log_format = value.into(),
            "shutdown_grace_seconds" => self.shutdown_grace_seconds = num(value)? as u64,
            "metrics_token" => self.metrics_token = Some(value.into()),
            "jwt_keys" => {
                // kid=secret,kid=secret
                self.jwt_keys = value
                    .split(',')
                    .map(|pair| {
                        let (kid, secret) = pair
                            .split_once('=')
                            .ok_or_else(|| err(key, "use kid=secret,kid=secret"))?;
                        Ok(JwtKey {
                            kid: kid.trim().into(),
                            secret: secret.trim().into(),
                        })
                    })
                    .collect::<Result<_, ConfigError>>()?;
            }
            _ => return Err(err(key, "unknown setting")),
        }
        Ok(())
    }

    /// The database URL, defaulting to a SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("closeloop.db").display()
            )
        })
    }

    /// The blob folder.
    pub fn blob_dir(&self) -> PathBuf {
        self.blob_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("blobs"))
    }

    /// The S3 settings when photos go to a bucket; credentials fall back to the `AWS_*` variables.
    pub fn s3(&self) -> Result<Option<crate::blobs::S3Settings>, ConfigError> {
        let Some(bucket) = self.s3_bucket.clone() else {
            return Ok(None);
        };
        let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let access_key_id = self
            .s3_access_key_id
            .clone()
            .or_else(|| from_env("AWS_ACCESS_KEY_ID"))
            .ok_or_else(|| err("s3_access_key_id", "set it or AWS_ACCESS_KEY_ID"))?;
        let secret_access_key = self
            .s3_secret_access_key
            .clone()
            .or_else(|| from_env("AWS_SECRET_ACCESS_KEY"))
            .ok_or_else(|| err("s3_secret_access_key", "set it or AWS_SECRET_ACCESS_KEY"))?;
        Ok(Some(crate::blobs::S3Settings {
            bucket,
            endpoint: self.s3_endpoint.clone(),
            region: self.s3_region.clone(),
            path_style: self.s3_path_style,
            access_key_id,
            secret_access_key,
            prefix: self.s3_prefix.clone(),
            presign_seconds: self.s3_presign_seconds,
        }))
    }

    /// Checks values that could otherwise fail late.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(err("log_format", "use text or json"));
        }
        if !(1..=7 * 24 * 3600).contains(&self.s3_presign_seconds) {
            return Err(err(
                "s3_presign_seconds",
                "must be between 1 second and 7 days",
            ));
        }
        if self.db_max_connections == Some(0) {
            return Err(err("db_max_connections", "must be at least 1"));
        }
        self.s3()?;
        let postgres = self
            .database_url
            .as_deref()
            .is_some_and(|u| u.starts_with("postgres"));
        if postgres && self.jwt_keys.is_empty() {
            // Keys generated into one replica's data folder would not verify on the others.
            return Err(err(
                "jwt_keys",
                "set them when running on PostgreSQL, so that every replica signs and verifies with the same keys",
            ));
        }
        if self.access_token_seconds < 10 {
            return Err(err("access_token_seconds", "must be at least 10"));
        }
        if self.refresh_token_days < 1 {
            return Err(err("refresh_token_days", "must be at least 1"));
        }
        for k in &self.jwt_keys {
            if k.secret.len() < 32 {
                return Err(err(
                    "jwt_keys",
                    format!("key {} is shorter than 32 bytes", k.kid),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_and_bad_values_name_the_key() {
        let mut c = Config::default();
        c.apply_env(
            [
                ("CLOSELOOP_BIND".to_owned(), "0.0.0.0:9000".to_owned()),
                ("PATH".into(), "x".into()),
            ]
            .into_iter(),
        )
        .expect("applies");
        assert_eq!(c.bind, "0.0.0.0:9000");
        let e = c
            .apply_env(
                [(
                    "CLOSELOOP_ACCESS_TOKEN_SECONDS".to_owned(),
                    "soon".to_owned(),
                )]
                .into_iter(),
            )
            .expect_err("bad");
        assert_eq!(e.key, "CLOSELOOP_ACCESS_TOKEN_SECONDS");
        assert!(c.set("colour", "red").is_err());
        c.set("jwt_keys", "k1=0123456789abcdef0123456789abcdef,k0=short")
            .expect("parses");
        assert!(c.validate().is_err(), "short key refused");
    }
}
