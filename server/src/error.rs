//! The one API error type. 4xx bodies say what was wrong and which field; 5xx detail is logged and
//! never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
        message: String,
        field: Option<String>,
    },
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedType(String),
    #[error("internal: {0}")]
    Internal(String),
    /// A part the server depends on (the blob store) is not answering; worth retrying later.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// PDFs cannot be made: no font with Chinese glyphs was found (the detail, naming the files
    /// tried, is logged; the caller is told what an administrator can do).
    #[error("no PDF font: {0}")]
    NoPdfFont(String),
    /// The body's SHA-256 is not the one the path names.
    #[error("{0}")]
    HashMismatch(String),
    /// Too many attempts or requests; try again after `retry_after` seconds.
    #[error("{message}")]
    TooMany { message: String, retry_after: u64 },
    /// The client took too long to send its request.
    #[error("{0}")]
    Timeout(String),
    /// The route exists, not for this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A decision the model's rules refuse: `error` is the rule id, the same a push would meet.
    /// 409 when the hazard's state does not allow it now (`lifecycle.*`), else 403.
    #[error("{reason}")]
    Refused { rule: String, reason: String },
}

use closeloop_model::protocol::wire::ErrorBody;

impl ApiError {
    /// A 400 naming the field at fault.
    pub fn bad(field: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// Anything the client cannot fix; the detail goes to the log only.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = match self {
            ApiError::BadRequest { message, field } => {
                (StatusCode::BAD_REQUEST, "bad_request", message, field)
            }
            ApiError::Unauthorized { code, message } => {
                (StatusCode::UNAUTHORIZED, code, message, None)
            }
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m, None),
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
                None,
            ),
            ApiError::Conflict { code, message } => (StatusCode::CONFLICT, code, message, None),
            ApiError::HashMismatch(m) => (
                StatusCode::BAD_REQUEST,
                "hash_mismatch",
                m,
                Some("body".to_owned()),
            ),
            ApiError::TooMany {
                message,
                retry_after,
            } => {
                let mut res = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(ErrorBody {
                        error: "too_many_requests".into(),
                        message,
                        field: None,
                    }),
                )
                    .into_response();
                if let Ok(v) = retry_after.max(1).to_string().parse() {
                    res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
                }
                return res;
            }
            ApiError::Timeout(m) => (StatusCode::REQUEST_TIMEOUT, "timeout", m, None),
            ApiError::Refused { rule, reason } => {
                let status = if rule.starts_with("lifecycle.") {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::FORBIDDEN
                };
                return (
                    status,
                    Json(ErrorBody {
                        error: rule,
                        message: reason,
                        field: None,
                    }),
                )
                    .into_response();
            }
            ApiError::MethodNotAllowed(m) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                m,
                None,
            ),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", m, None),
            ApiError::UnsupportedType(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                m,
                None,
            ),
            ApiError::Unavailable(detail) => {
                tracing::warn!(%detail, "dependency unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the photo store is not answering; try again later".to_owned(),
                    None,
                )
            }
            ApiError::NoPdfFont(detail) => {
                tracing::warn!(%detail, "no PDF font");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "PDFs cannot be made: the server has no font with Chinese glyphs (an \
                     administrator installs one, e.g. fonts-noto-cjk, or sets pdf_font)"
                        .to_owned(),
                    None,
                )
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request".to_owned(),
                    None,
                )
            }
        };
        (
            status,
            Json(ErrorBody {
                error: code.into(),
                message,
                field,
            }),
        )
            .into_response()
    }
}

/// Shorthand.
pub type ApiResult<T> = Result<T, ApiError>;
