//! Operations: readiness for load balancers and Prometheus metrics.

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `GET /readyz`: whether this replica should get traffic: not draining, database and blob store
/// answering.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, axum::Json<serde_json::Value>) {
    use serde_json::json;
    if state.shutdown.is_draining() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"ready": false, "reason": "shutting down"})),
        );
    }
    let limit = std::time::Duration::from_secs(3);
    let database = match tokio::time::timeout(
        limit,
        sqlx::query("SELECT 1 AS one").fetch_one(&state.db.pool),
    )
    .await
    {
        Ok(Ok(_)) => "ok".to_owned(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 3 s".to_owned(),
    };
    let blobs = match tokio::time::timeout(limit, state.blobs.check()).await {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 3 s".to_owned(),
    };
    let ready = database == "ok" && blobs == "ok";
    if !ready {
        tracing::warn!(%database, %blobs, "not ready");
    }
    (
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        axum::Json(json!({"ready": ready, "database": database, "blobs": blobs})),
    )
}

/// `GET /metrics`: Prometheus text; with `metrics_token` set, only for `Bearer <token>`.
pub async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return crate::error::ApiError::Unauthorized {
                code: "token_invalid",
                message: "the metrics token is required".into(),
            }
            .into_response();
        }
    }
    let pool = &state.db.pool;
    let text = state.metrics.render((
        pool.size(),
        pool.num_idle(),
        pool.options().get_max_connections(),
    ));
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
