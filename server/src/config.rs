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

    /// Checks values that could otherwise fail late.
    pub fn validate(&self) -> Result<(), ConfigError> {
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
