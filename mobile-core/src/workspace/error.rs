//! The rich internal error of the workspace. The exported API maps it onto a small public enum.

use crate::photo::PhotoError;
use crate::store::StoreError;
use closeloop_checklists::ProfileError;
use closeloop_model::doc::DocError;
use closeloop_model::doc::inspection::AnswerError;
use closeloop_model::lifecycle::NotApplied;
use closeloop_model::permission::Denied;

/// Everything that can go wrong in a workspace operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not allowed: {0}")]
    Denied(#[from] Denied),
    #[error("{}", .0.reason)]
    Lifecycle(NotApplied),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Answer(#[from] AnswerError),
    #[error(transparent)]
    Photo(#[from] PhotoError),
    #[error("document: {0}")]
    Doc(#[from] DocError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Store(StoreError::Io(e))
    }
}

impl From<automerge::AutomergeError> for Error {
    fn from(e: automerge::AutomergeError) -> Self {
        Error::Doc(DocError::from(e))
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;
