//! The public error: one variant per thing the app does differently.

use crate::photo::PhotoError;
use crate::store::StoreError;
use crate::sync::SyncError;
use crate::workspace::Error;

/// Why a call failed.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum CoreError {
    /// The user's role, area or the item's state does not allow this. Show `reason`; `rule` is a
    /// stable id for logs and support.
    #[error("{reason}")]
    NotAllowed { rule: String, reason: String },
    /// A value the user entered is wrong. Point at `field` and show `reason`.
    #[error("{field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// The site, inspection, hazard, item or task does not exist (any more). Go back.
    #[error("{what} {id} not found")]
    NotFound { what: String, id: String },
    /// The photo cannot be used as evidence. Show `reason` and ask for another photo.
    #[error("{reason}")]
    PhotoRejected { reason: String },
    /// Another process has this workspace open.
    #[error("the workspace is open elsewhere")]
    WorkspaceInUse,
    /// The phone's storage failed (full, read-only or damaged). Nothing was written. `detail` is
    /// for logs and support. (Not called `message`: a Kotlin exception cannot have a field of that
    /// name beside `Throwable.message`, and every language gets the same name.)
    #[error("storage: {detail}")]
    Storage { detail: String },
    /// There is no usable session: never logged in, or it expired or was closed on the server.
    /// Show the login screen with `reason`. Everything done offline is kept and is sent by the
    /// first sync after logging in.
    #[error("log in again: {reason}")]
    LoginRequired { reason: String },
    /// The server could not be reached or did not answer usably (offline, down, timed out).
    /// Nothing was lost and what finished is not redone: try again later. `detail` is for logs.
    #[error("network: {detail}")]
    Network { detail: String },
}

impl From<SyncError> for CoreError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Network(detail) => CoreError::Network { detail },
            SyncError::Malformed(m) => CoreError::Network {
                detail: format!("the server's answer could not be read: {m}"),
            },
            SyncError::LoginRequired(reason) => CoreError::LoginRequired { reason },
            SyncError::Invalid { field, reason } => CoreError::InvalidInput { field, reason },
            SyncError::Workspace(w) => w.into(),
            SyncError::Server {
                status,
                code,
                message,
                field,
            } => match (status, code.as_str()) {
                // A wrong username or password is the user's input to correct.
                (401, "invalid_credentials") => CoreError::InvalidInput {
                    field: field.unwrap_or_else(|| "password".into()),
                    reason: message,
                },
                (401, _) => CoreError::LoginRequired { reason: message },
                // Forbidden, or this device's actor is bound to someone else: not a retry matter.
                (403, _) | (409, _) => CoreError::NotAllowed {
                    rule: code,
                    reason: message,
                },
                _ => CoreError::Network {
                    detail: format!("the server answered {status} {code}: {message}"),
                },
            },
        }
    }
}

impl From<Error> for CoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::Denied(d) => CoreError::NotAllowed {
                rule: d.rule.to_owned(),
                reason: d.reason,
            },
            Error::Lifecycle(n) => CoreError::NotAllowed {
                rule: n.rule,
                reason: n.reason,
            },
            Error::NotFound { what, id } => CoreError::NotFound {
                what: what.to_owned(),
                id,
            },
            Error::Invalid { field, reason } => CoreError::InvalidInput { field, reason },
            Error::Profile(p) => match p {
                closeloop_checklists::ProfileError::Invalid { field, reason } => {
                    CoreError::InvalidInput {
                        field: field.to_owned(),
                        reason,
                    }
                }
                other => CoreError::InvalidInput {
                    field: "profile".into(),
                    reason: other.to_string(),
                },
            },
            Error::Answer(a) => CoreError::InvalidInput {
                field: "answer".into(),
                reason: a.to_string(),
            },
            Error::Photo(PhotoError::Io(m)) => CoreError::Storage { detail: m },
            Error::Photo(p) => CoreError::PhotoRejected {
                reason: p.to_string(),
            },
            Error::Store(StoreError::Locked) => CoreError::WorkspaceInUse,
            Error::Store(s) => CoreError::Storage {
                detail: s.to_string(),
            },
            Error::Doc(d) => CoreError::Storage {
                detail: d.to_string(),
            },
        }
    }
}
