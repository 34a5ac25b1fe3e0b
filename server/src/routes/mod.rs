//! HTTP handlers, one file per area.

pub mod admin;
pub mod auth;
pub mod blobs;
pub mod events;
pub mod hazards;
pub mod inspections;
pub mod ops;
pub mod sites;
pub mod sync;

use crate::error::{ApiError, ApiResult};
use axum::body::Body;
use serde::de::DeserializeOwned;

/// Reads a JSON body of at most `limit` bytes, answering 413 or 400 in the API's own error format.
pub async fn json_body<T: DeserializeOwned>(body: Body, limit: usize) -> ApiResult<T> {
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::TooLarge(format!("the request body is larger than {limit} bytes"))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest {
        message: format!("the body is not valid JSON for this call: {e}"),
        field: None,
    })
}
