//! HTTP handlers, one file per area, and what every handler shares: bounded body reading and
//! query parsing that answer in the API's own error format.

pub mod admin;
pub mod auth;
pub mod blobs;
pub mod documents;
pub mod events;
pub mod hazards;
pub mod inspections;
pub mod ops;
pub mod people;
pub mod sites;
pub mod sync;

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use axum::body::{Body, Bytes};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use std::time::Duration;
use tokio::time::Instant;

/// Reads a body of at most `limit` bytes within the configured time: the whole body in
/// `body_timeout_seconds`, and no pause between two pieces longer than
/// `body_idle_timeout_seconds`. A client that trickles its body is cut off, not waited for.
pub async fn read_body(body: Body, limit: usize, config: &Config) -> ApiResult<Bytes> {
    let deadline = Instant::now() + Duration::from_secs(config.body_timeout_seconds);
    let idle = Duration::from_secs(config.body_idle_timeout_seconds);
    let too_large = || ApiError::TooLarge(format!("the request body is larger than {limit} bytes"));
    let mut body = http_body_util::Limited::new(body, limit);
    let mut out = Vec::new();
    loop {
        let until = deadline.min(Instant::now() + idle);
        let frame = match tokio::time::timeout_at(until, body.frame()).await {
            Err(_) => {
                return Err(ApiError::Timeout(format!(
                    "the request body did not arrive in time (at most {} s in all, {} s without data)",
                    config.body_timeout_seconds, config.body_idle_timeout_seconds
                )));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(
                    if e.downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                    {
                        too_large()
                    } else {
                        ApiError::BadRequest {
                            message: "the request body could not be read".into(),
                            field: None,
                        }
                    },
                );
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            out.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(out))
}

/// Reads a JSON object body of at most `limit` bytes (see [`read_body`]), answering in the API's
/// own error format. Every body of this API is an object: an array is refused even where serde
/// would read one positionally into a struct.
pub async fn json_body<T: DeserializeOwned>(
    body: Body,
    limit: usize,
    config: &Config,
) -> ApiResult<T> {
    let bytes = read_body(body, limit, config).await?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::BadRequest {
            message: "the body must be a JSON object".into(),
            field: None,
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest {
        message: format!("the body is not valid JSON for this call: {e}"),
        field: None,
    })
}

/// Query parameters, answering a malformed query string in the API's error format (axum's own
/// extractor answers text/plain).
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(q).map(Query).map_err(|e| {
            let text = e.to_string();
            // serde names the parameter in messages like "unknown field `x`" or "missing field `x`".
            let field = text
                .split('`')
                .nth(1)
                .map(str::to_owned)
                .unwrap_or_else(|| "query".into());
            ApiError::BadRequest {
                message: format!("the query string is not valid for this call: {text}"),
                field: Some(field),
            }
        })
    }
}

/// A path parameter that must be an id of the protocol's shape; anything else is "not found",
/// as a well-formed id that does not exist would be.
#[derive(Debug, Clone)]
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::NotFound("resource".into()))?;
        if closeloop_model::protocol::is_id(&id) {
            Ok(IdPath(id))
        } else {
            Err(ApiError::NotFound("resource".into()))
        }
    }
}

/// Unmatched routes answer in the API's error format.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("route".into())
}
