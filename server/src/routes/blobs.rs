//! Evidence blobs: content-addressed upload and download.

use crate::AppState;
use crate::auth::AuthUser;
use crate::blobs::{Fetch, is_sha256};
use crate::db::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::routes::read_body;
use crate::store::blobs as store;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use closeloop_model::evidence::{EvidenceLimits, JpegCoding, check_jpeg};
use sha2::{Digest, Sha256};

/// Proves `bytes` is the photo it claims to be: the model's evidence rule (JPEG structure, a real
/// frame within the edge limit), a pixel cap, baseline coding (what phones write; a progressive
/// file makes a decoder hold every coefficient of the image), and a decode of the entropy-coded
/// data at 1/8 scale, so a file with a JPEG frame around something else is caught cheaply.
fn verify_photo(bytes: &[u8], config: &crate::config::Config) -> ApiResult<()> {
    let refuse =
        |e: String| ApiError::UnsupportedType(format!("the body is not an evidence photo: {e}"));
    let limits = EvidenceLimits {
        max_long_edge: config.max_photo_edge,
    };
    let info = check_jpeg(bytes, &limits).map_err(|e| refuse(format!("{e} ({})", e.rule())))?;
    if u64::from(info.width) * u64::from(info.height) > config.max_photo_pixels {
        return Err(refuse(format!(
            "{}×{} pixels is more than {}",
            info.width, info.height, config.max_photo_pixels
        )));
    }
    if info.coding != JpegCoding::Baseline {
        return Err(refuse(
            "evidence photos are baseline JPEGs, as phones write them; re-encode it".into(),
        ));
    }
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    let eighth = |v: u32| u16::try_from(v.div_ceil(8)).unwrap_or(u16::MAX);
    decoder
        .scale(eighth(info.width), eighth(info.height))
        .map_err(|e| refuse(e.to_string()))?;
    // The scaled image is 1/64 of the pixels; twice that leaves room for the decoder's rows.
    let budget = usize::try_from(config.max_photo_pixels / 32).unwrap_or(usize::MAX);
    decoder.set_max_decoding_buffer_size(budget.max(1 << 20));
    decoder.decode().map_err(|e| refuse(e.to_string()))?;
    Ok(())
}

/// `PUT /v1/blobs/{sha256}`: 201 when this user's upload is recorded now, 200 when this user had
/// already uploaded it. Whether someone else holds the same bytes is never told.
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
    let bytes = read_body(body, limit, &state.config)
        .await
        .map_err(|e| match e {
            ApiError::TooLarge(_) => {
                ApiError::TooLarge(format!("a photo may be at most {limit} bytes"))
            }
            other => other,
        })?;
    let actual: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != sha256 {
        return Err(ApiError::HashMismatch(format!(
            "the body's SHA-256 is {actual}, not {sha256}"
        )));
    }
    {
        let _turn = state
            .photo_checks
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        let config = state.config.clone();
        let checked = bytes.clone();
        tokio::task::spawn_blocking(move || verify_photo(&checked, &config))
            .await
            .map_err(ApiError::internal)??;
    }
    let pool = &state.db.pool;
    if store::uploaded_by(pool, &sha256, &user.actor.user_id).await? {
        return Ok(StatusCode::OK);
    }
    if !store::stored(pool, &sha256).await? {
        state
            .blobs
            .put(&sha256, &bytes)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        state.metrics.blob_bytes("up", bytes.len());
    }
    store::record_upload(
        pool,
        &sha256,
        bytes.len(),
        &user.actor.scope.org_id,
        &user.actor.user_id,
        now_ms(),
    )
    .await?;
    Ok(StatusCode::CREATED)
}

/// Whether `user` may read the photo: they uploaded it, or a document in their reach references
/// it. Anything else is answered exactly as a photo that does not exist.
async fn readable(state: &AppState, user: &AuthUser, sha256: &str) -> ApiResult<bool> {
    if !is_sha256(sha256) {
        return Ok(false);
    }
    let pool = &state.db.pool;
    Ok(store::uploaded_by(pool, sha256, &user.actor.user_id).await?
        || store::referenced_within(pool, &user.actor.reach(), sha256).await?)
}

fn no_blob(sha256: &str) -> ApiError {
    ApiError::NotFound(format!("blob {sha256}"))
}

/// `GET /v1/blobs/{sha256}`.
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(sha256): Path<String>,
) -> ApiResult<Response> {
    if !readable(&state, &user, &sha256).await? {
        return Err(no_blob(&sha256));
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
            Ok((
                [
                    (header::CONTENT_TYPE, "image/jpeg"),
                    cache,
                    (header::CONTENT_DISPOSITION, "inline"),
                ],
                bytes,
            )
                .into_response())
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
        Fetch::Missing => Err(no_blob(&sha256)),
    }
}

/// `HEAD /v1/blobs/{sha256}`.
pub async fn head(
    State(state): State<AppState>,
    user: AuthUser,
    Path(sha256): Path<String>,
) -> ApiResult<StatusCode> {
    if readable(&state, &user, &sha256).await? && store::stored(&state.db.pool, &sha256).await? {
        Ok(StatusCode::OK)
    } else {
        Err(no_blob(&sha256))
    }
}
