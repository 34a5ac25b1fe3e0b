//! The rich internal error of sync. The exported API folds it into the few cases where the app
//! acts differently: log in again, try later, or a local problem.

use crate::workspace::Error as WorkspaceError;

/// Everything that can stop a login, logout or sync.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server could not be reached, or the connection broke or timed out.
    #[error("network: {0}")]
    Network(String),
    /// The server answered with an error the client cannot fix by itself.
    #[error("server answered {status} {code}: {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
        field: Option<String>,
    },
    /// The server's answer could not be read (not the protocol's shape).
    #[error("unreadable answer from the server: {0}")]
    Malformed(String),
    /// There is no usable session (never logged in, or the refresh token expired or was revoked).
    /// Offline work is untouched; after logging in a sync sends it.
    #[error("log in again: {0}")]
    LoginRequired(String),
    /// A value given by the caller is wrong (e.g. the server address).
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    /// Reading or writing the workspace failed.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
}

impl From<std::io::Error> for SyncError {
    fn from(e: std::io::Error) -> Self {
        SyncError::Workspace(e.into())
    }
}

impl From<crate::store::StoreError> for SyncError {
    fn from(e: crate::store::StoreError) -> Self {
        SyncError::Workspace(e.into())
    }
}

impl SyncError {
    /// The stable error code of a server answer, if this is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            SyncError::Server { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Shorthand.
pub type Result<T, E = SyncError> = std::result::Result<T, E>;
