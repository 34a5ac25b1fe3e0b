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
    /// Longest a client may take to send a request's headers; also how long an idle keep-alive
    /// connection stays open.
    pub header_read_timeout_seconds: u64,
    /// Longest a client may take to send a whole request body.
    pub body_timeout_seconds: u64,
    /// Longest a request body may pause between two pieces.
    pub body_idle_timeout_seconds: u64,
    /// Most connections open at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// Most connections open at once from one address (0: no per-address cap, e.g. behind a
    /// load balancer that connects from one address).
    pub max_connections_per_address: usize,
    /// Take the client's address from the last `X-Forwarded-For` entry (only behind a proxy
    /// that sets it), for the per-address limits.
    pub trust_forwarded_for: bool,
    /// Login attempts one account may make in a burst, and the seconds after which one more is
    /// allowed.
    pub login_burst_per_account: u32,
    pub login_refill_seconds_per_account: u64,
    /// Login and refresh attempts one address may make in a burst, and the seconds per
    /// additional one.
    pub login_burst_per_address: u32,
    pub login_refill_seconds_per_address: u64,
    /// Password checks waiting at once; beyond that a login is answered 429 at once.
    pub max_pending_logins: usize,
    /// Live event streams open at once per user, and in all.
    pub max_event_streams_per_user: usize,
    pub max_event_streams: usize,
    /// Sync requests processed at once per user, and in all (the rest wait their turn).
    pub max_syncs_per_user: usize,
    pub max_concurrent_syncs: usize,
    /// Documents one sync request may push.
    pub max_sync_pushes: usize,
    /// Largest a stored document may grow (its saved bytes); a push beyond is refused.
    pub max_document_bytes: usize,
    /// Bounds on the automerge bytes of one pushed document, checked before anything decodes
    /// them (set as `sync_budget.<field>`, e.g. `sync_budget.max_ops`). Fields a file leaves out
    /// keep the server's defaults.
    #[serde(deserialize_with = "budget_over_server_defaults")]
    pub sync_budget: closeloop_model::protocol::budget::Limits,
    /// Bounds on all the pushes of one request together: inflated bytes and ops.
    pub max_sync_request_inflated_bytes: u64,
    pub max_sync_request_ops: u64,
    /// Bounds on an evidence photo: its edges and pixels, checked by decoding it.
    pub max_photo_edge: u32,
    pub max_photo_pixels: u64,
    /// A console session lasts this long at most, and ends after this long unused.
    pub console_session_hours: i64,
    pub console_idle_minutes: i64,
    /// Mark console cookies `Secure` (set it when the server is reached over TLS; behind a proxy
    /// with `trust_forwarded_for`, `X-Forwarded-Proto: https` does it per request).
    pub console_secure_cookies: bool,
    /// The time zone the console shows times in, minutes east of UTC.
    pub console_utc_offset_minutes: i32,
    /// The font PDFs are set in (a `.ttf`, `.otf` or `.ttc` with Chinese glyphs); unset: the
    /// first found where Linux distributions, macOS and Windows install one. `pdf_font_index`
    /// picks a face of a collection (default: its Simplified Chinese face).
    pub pdf_font: Option<PathBuf>,
    pub pdf_font_index: Option<u32>,
    /// Photos embedded in one PDF at most, and their bytes together; the rest are counted, not
    /// shown.
    pub pdf_max_photos: usize,
    pub pdf_max_photo_bytes: usize,
    /// PDFs being made at once (each holds its photos in memory); the rest are answered 429.
    pub max_concurrent_pdfs: usize,
    /// The newest hazards and inspections a site's archive lists in full.
    pub archive_max_hazards: usize,
    pub archive_max_inspections: usize,
    /// Rows one export may have (a larger one is refused: narrow the filters), the longest it
    /// may take, and exports running at once.
    pub export_max_rows: usize,
    pub export_timeout_seconds: u64,
    pub max_concurrent_exports: usize,
    /// Periodic reports: generated every day at `reports_at` (HH:MM in the console's time zone)
    /// for the day before, on Mondays for the week before, on the 1st for the month before.
    pub reports_enabled: bool,
    pub reports_at: String,
    /// Sites a report names as the worst.
    pub report_worst_sites: usize,
    /// The largest file a bulk import reads, in bytes (an XLSX's contents unpacked count too),
    /// and the most rows it may have.
    pub import_max_bytes: usize,
    pub import_max_rows: usize,
}

/// The server's budget for one pushed document: the model's defaults, tightened where the
/// measured cost of what automerge loads matters more on a shared server than room to spare
/// (about 600 bytes an op loading changes, 4× the bytes for values): a push of a few thousand
/// ops is what phones send, so 50,000 ops and 8 MiB inflated keep the worst accepted push near
/// 30 MiB.
pub fn default_sync_budget() -> closeloop_model::protocol::budget::Limits {
    closeloop_model::protocol::budget::Limits {
        max_inflated_bytes: 8 << 20,
        max_chunk_inflated_bytes: 8 << 20,
        max_ops_per_change: 50_000,
        max_ops: 50_000,
        max_column_values: 100_000,
        max_preds: 100_000,
        max_changes: 20_000,
        ..Default::default()
    }
}

fn budget_over_server_defaults<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<closeloop_model::protocol::budget::Limits, D::Error> {
    use serde::de::Error;
    let fields = std::collections::BTreeMap::<String, u64>::deserialize(d)?;
    let mut v = serde_json::to_value(default_sync_budget()).map_err(D::Error::custom)?;
    for (k, n) in fields {
        match v.get_mut(&k) {
            Some(slot) => *slot = serde_json::Value::from(n),
            None => return Err(D::Error::custom(format!("sync_budget has no field `{k}`"))),
        }
    }
    serde_json::from_value(v).map_err(D::Error::custom)
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
            header_read_timeout_seconds: 10,
            body_timeout_seconds: 60,
            body_idle_timeout_seconds: 15,
            max_connections: 1024,
            max_connections_per_address: 256,
            trust_forwarded_for: false,
            login_burst_per_account: 10,
            login_refill_seconds_per_account: 60,
            login_burst_per_address: 30,
            login_refill_seconds_per_address: 2,
            max_pending_logins: 32,
            max_event_streams_per_user: 4,
            max_event_streams: 512,
            max_syncs_per_user: 2,
            max_concurrent_syncs: 4,
            max_sync_pushes: 200,
            max_document_bytes: 8 << 20,
            sync_budget: default_sync_budget(),
            max_sync_request_inflated_bytes: 32 << 20,
            max_sync_request_ops: 200_000,
            max_photo_edge: 4096,
            max_photo_pixels: 12_000_000,
            console_session_hours: 12,
            console_idle_minutes: 120,
            console_secure_cookies: false,
            console_utc_offset_minutes: 480,
            pdf_font: None,
            pdf_font_index: None,
            pdf_max_photos: 60,
            pdf_max_photo_bytes: 48 << 20,
            max_concurrent_pdfs: 2,
            archive_max_hazards: 300,
            archive_max_inspections: 100,
            export_max_rows: 200_000,
            export_timeout_seconds: 600,
            max_concurrent_exports: 2,
            reports_enabled: true,
            reports_at: "06:00".into(),
            report_worst_sites: 10,
            import_max_bytes: 16 << 20,
            import_max_rows: 20_000,
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
            // Shells allow no dots in names: `CLOSELOOP_SYNC_BUDGET__MAX_OPS` sets
            // `sync_budget.max_ops`.
            self.set(&key.to_ascii_lowercase().replace("__", "."), &v)
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
        let unsigned = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| err(key, format!("`{v}` is not a whole number of at least 0")))
        };
        let boolean = |v: &str| match v {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(err(key, format!("`{v}` is not true or false"))),
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
            "s3_path_style" => self.s3_path_style = boolean(value)?,
            "s3_access_key_id" => self.s3_access_key_id = Some(value.into()),
            "s3_secret_access_key" => self.s3_secret_access_key = Some(value.into()),
            "s3_prefix" => self.s3_prefix = value.into(),
            "s3_presign_seconds" => self.s3_presign_seconds = num(value)? as u64,
            "log_format" => self.log_format = value.into(),
            "shutdown_grace_seconds" => self.shutdown_grace_seconds = num(value)? as u64,
            "metrics_token" => self.metrics_token = Some(value.into()),
            "header_read_timeout_seconds" => self.header_read_timeout_seconds = unsigned(value)?,
            "body_timeout_seconds" => self.body_timeout_seconds = unsigned(value)?,
            "body_idle_timeout_seconds" => self.body_idle_timeout_seconds = unsigned(value)?,
            "max_connections" => self.max_connections = unsigned(value)? as usize,
            "max_connections_per_address" => {
                self.max_connections_per_address = unsigned(value)? as usize
            }
            "trust_forwarded_for" => self.trust_forwarded_for = boolean(value)?,
            "login_burst_per_account" => self.login_burst_per_account = unsigned(value)? as u32,
            "login_refill_seconds_per_account" => {
                self.login_refill_seconds_per_account = unsigned(value)?
            }
            "login_burst_per_address" => self.login_burst_per_address = unsigned(value)? as u32,
            "login_refill_seconds_per_address" => {
                self.login_refill_seconds_per_address = unsigned(value)?
            }
            "max_pending_logins" => self.max_pending_logins = unsigned(value)? as usize,
            "max_event_streams_per_user" => {
                self.max_event_streams_per_user = unsigned(value)? as usize
            }
            "max_event_streams" => self.max_event_streams = unsigned(value)? as usize,
            "max_syncs_per_user" => self.max_syncs_per_user = unsigned(value)? as usize,
            "max_concurrent_syncs" => self.max_concurrent_syncs = unsigned(value)? as usize,
            "max_sync_pushes" => self.max_sync_pushes = unsigned(value)? as usize,
            "max_document_bytes" => self.max_document_bytes = unsigned(value)? as usize,
            "max_sync_request_inflated_bytes" => {
                self.max_sync_request_inflated_bytes = unsigned(value)?
            }
            "max_sync_request_ops" => self.max_sync_request_ops = unsigned(value)?,
            k if k.starts_with("sync_budget.") => {
                let field = &k["sync_budget.".len()..];
                let mut v =
                    serde_json::to_value(self.sync_budget).map_err(|e| err(key, e.to_string()))?;
                match v.get_mut(field) {
                    Some(slot) => *slot = serde_json::Value::from(unsigned(value)?),
                    None => return Err(err(key, "unknown setting")),
                }
                self.sync_budget =
                    serde_json::from_value(v).map_err(|e| err(key, e.to_string()))?;
            }
            "max_photo_edge" => self.max_photo_edge = unsigned(value)? as u32,
            "max_photo_pixels" => self.max_photo_pixels = unsigned(value)?,
            "console_session_hours" => self.console_session_hours = unsigned(value)? as i64,
            "console_idle_minutes" => self.console_idle_minutes = unsigned(value)? as i64,
            "console_secure_cookies" => self.console_secure_cookies = boolean(value)?,
            "console_utc_offset_minutes" => {
                let m = num(value)?;
                if !closeloop_model::doc::site::valid_offset(m) {
                    return Err(err(key, "a time zone between -720 and 840 minutes"));
                }
                self.console_utc_offset_minutes = m as i32
            }
            "pdf_font" => self.pdf_font = Some(value.into()),
            "pdf_font_index" => self.pdf_font_index = Some(unsigned(value)? as u32),
            "pdf_max_photos" => self.pdf_max_photos = unsigned(value)? as usize,
            "pdf_max_photo_bytes" => self.pdf_max_photo_bytes = unsigned(value)? as usize,
            "max_concurrent_pdfs" => self.max_concurrent_pdfs = unsigned(value)? as usize,
            "archive_max_hazards" => self.archive_max_hazards = unsigned(value)? as usize,
            "archive_max_inspections" => self.archive_max_inspections = unsigned(value)? as usize,
            "export_max_rows" => self.export_max_rows = unsigned(value)? as usize,
            "export_timeout_seconds" => self.export_timeout_seconds = unsigned(value)?,
            "max_concurrent_exports" => self.max_concurrent_exports = unsigned(value)? as usize,
            "reports_enabled" => self.reports_enabled = boolean(value)?,
            "reports_at" => self.reports_at = value.into(),
            "report_worst_sites" => self.report_worst_sites = unsigned(value)? as usize,
            "import_max_bytes" => self.import_max_bytes = unsigned(value)? as usize,
            "import_max_rows" => self.import_max_rows = unsigned(value)? as usize,
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
        for (key, v) in [
            (
                "header_read_timeout_seconds",
                self.header_read_timeout_seconds,
            ),
            ("body_timeout_seconds", self.body_timeout_seconds),
            ("body_idle_timeout_seconds", self.body_idle_timeout_seconds),
            ("max_connections", self.max_connections as u64),
            (
                "login_burst_per_account",
                u64::from(self.login_burst_per_account),
            ),
            (
                "login_refill_seconds_per_account",
                self.login_refill_seconds_per_account,
            ),
            (
                "login_burst_per_address",
                u64::from(self.login_burst_per_address),
            ),
            (
                "login_refill_seconds_per_address",
                self.login_refill_seconds_per_address,
            ),
            ("max_pending_logins", self.max_pending_logins as u64),
            (
                "max_event_streams_per_user",
                self.max_event_streams_per_user as u64,
            ),
            ("max_event_streams", self.max_event_streams as u64),
            ("max_syncs_per_user", self.max_syncs_per_user as u64),
            ("max_concurrent_syncs", self.max_concurrent_syncs as u64),
            ("max_sync_pushes", self.max_sync_pushes as u64),
            ("max_document_bytes", self.max_document_bytes as u64),
            (
                "max_sync_request_inflated_bytes",
                self.max_sync_request_inflated_bytes,
            ),
            ("max_sync_request_ops", self.max_sync_request_ops),
            ("max_photo_edge", u64::from(self.max_photo_edge)),
            ("max_photo_pixels", self.max_photo_pixels),
            ("console_session_hours", self.console_session_hours as u64),
            ("console_idle_minutes", self.console_idle_minutes as u64),
            ("max_concurrent_pdfs", self.max_concurrent_pdfs as u64),
            ("archive_max_hazards", self.archive_max_hazards as u64),
            (
                "archive_max_inspections",
                self.archive_max_inspections as u64,
            ),
            ("export_max_rows", self.export_max_rows as u64),
            ("export_timeout_seconds", self.export_timeout_seconds),
            ("max_concurrent_exports", self.max_concurrent_exports as u64),
            ("report_worst_sites", self.report_worst_sites as u64),
            ("import_max_bytes", self.import_max_bytes as u64),
            ("import_max_rows", self.import_max_rows as u64),
        ] {
            if v == 0 {
                return Err(err(key, "must be at least 1"));
            }
        }
        if crate::reports::period::minute_of_day(&self.reports_at).is_none() {
            return Err(err("reports_at", "a time of day as HH:MM, e.g. 06:00"));
        }
        if self.report_worst_sites > 100 {
            return Err(err("report_worst_sites", "at most 100"));
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

    #[test]
    fn bounds_are_settings_and_zero_is_refused() {
        let mut c = Config::default();
        c.apply_env(
            [(
                "CLOSELOOP_SYNC_BUDGET__MAX_OPS".to_owned(),
                "1234".to_owned(),
            )]
            .into_iter(),
        )
        .expect("applies");
        assert_eq!(c.sync_budget.max_ops, 1234);
        c.set("sync_budget.max_chunks", "7").expect("flag");
        assert_eq!(c.sync_budget.max_chunks, 7);
        assert!(c.set("sync_budget.max_nonsense", "7").is_err());
        c.set("max_connections", "0").expect("parses");
        let e = c.validate().expect_err("refused");
        assert_eq!(e.key, "max_connections");
        let file: Config = toml::from_str("[sync_budget]\nmax_ops = 9\n").expect("toml");
        assert_eq!(file.sync_budget.max_ops, 9);
        assert_eq!(
            file.sync_budget.max_inflated_bytes,
            default_sync_budget().max_inflated_bytes,
            "unset fields keep the server's defaults"
        );
    }
}
