//! Evidence blobs: content-addressed upload and download.

use crate::AppState;
use crate::auth::AuthUser;
use crate::blobs::{Fetch, is_sha256};
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::sync::projections;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// `PUT /v1/blobs/{sha256}`.
pub async fn put(
    State(state): State<AppState>,
    user: AuthUser,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<StatusCode> {
    if !is_sha256(&sha256) {
        return Err(ApiError::bad(
            "sha256",
            "the path must be a lowercase hex SHA-256",
        ));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != "image/jpeg" {
        return Err(ApiError::UnsupportedType(format!(
            "evidence is uploaded as image/jpeg, not `{content_type}`"
        )));
    }
    let limit = state.config.max_blob_bytes;
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::TooLarge(format!("a photo may be at most {limit} bytes")))?;
    let actual: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != sha256 {
        return Err(ApiError::BadRequest {
            message: format!("the body's SHA-256 is {actual}, not {sha256}"),
            field: Some("body".into()),
        });
    }
    // A JPEG starts with SOI and ends with EOI; anything else is not the photo the phone made.
    if bytes.len() < 4
        || bytes[..3] != [0xff, 0xd8, 0xff]
        || bytes[bytes.len() - 2..] != [0xff, 0xd9]
    {
        return Err(ApiError::UnsupportedType("the body is not a JPEG".into()));
    }
    let existed = sqlx::query("SELECT 1 AS one FROM blobs WHERE sha256 = $1")
        .bind(&sha256)
        .fetch_optional(&state.db.pool)
        .await?
        .is_some();
    if existed {
        return Ok(StatusCode::OK);
    }
    state
        .blobs
        .put(&sha256, &bytes)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    state.metrics.blob_bytes("up", bytes.len());
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("INSERT INTO blobs (sha256, size, content_type, org_id, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING")
        .bind(&sha256)
        .bind(bytes.len() as i64)
        .bind("image/jpeg")
        .bind(&user.actor.scope.org_id)
        .bind(&user.actor.user_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    let hazards = sqlx::query("SELECT hazard_id FROM hazard_photos WHERE sha256 = $1")
        .bind(&sha256)
        .fetch_all(&mut *tx)
        .await?;
    for h in hazards {
        let id: String = h.try_get("hazard_id")?;
        projections::refresh_evidence(&mut tx, &id)
            .await
            .map_err(ApiError::internal)?;
    }
    tx.commit().await?;
    Ok(StatusCode::CREATED)
}

async fn org_of(state: &AppState, sha256: &str) -> ApiResult<Option<String>> {
    let row = sqlx::query("SELECT org_id FROM blobs WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(row.map(|r| r.try_get("org_id")).transpose()?)
}

/// `GET /v1/blobs/{sha256}`.
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(sha256): Path<String>,
) -> ApiResult<Response> {
    if org_of(&state, &sha256).await?.as_deref() != Some(user.actor.scope.org_id.as_str()) {
        return Err(ApiError::NotFound(format!("blob {sha256}")));
    }
    let cache = (
        header::CACHE_CONTROL,
        "private, max-age=31536000, immutable",
    );
    match state
        .blobs
        .fetch(&sha256)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?
    {
        Fetch::Bytes(bytes) => {
            state.metrics.blob_bytes("down", bytes.len());
            Ok(([(header::CONTENT_TYPE, "image/jpeg"), cache], bytes).into_response())
        }
        // The store serves the bytes itself; the URL expires long before the cache would.
        Fetch::Redirect(url) => Ok((
            StatusCode::TEMPORARY_REDIRECT,
            [
                (header::LOCATION, url.as_str()),
                (header::CACHE_CONTROL, "no-store"),
            ],
        )
            .into_response()),
        Fetch::Missing => Err(ApiError::NotFound(format!("blob {sha256}"))),
    }
}

/// `HEAD /v1/blobs/{sha256}`.
pub async fn head(
    State(state): State<AppState>,
    user: AuthUser,
    Path(sha256): Path<String>,
) -> ApiResult<StatusCode> {
    if org_of(&state, &sha256).await?.as_deref() == Some(user.actor.scope.org_id.as_str()) {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::NotFound(format!("blob {sha256}")))
    }
}
