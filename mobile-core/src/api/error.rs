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
    /// The photo is too big for this phone to turn into evidence: more pixels than allowed, a file
    /// over the size cap, or stored so that decoding it would take more memory than allowed (a
    /// large progressive JPEG or interlaced PNG). Show `reason` and ask for a photo taken with the
    /// camera, at a lower resolution if need be. `width` and `height` are what the file claims;
    /// absent when the file was refused by its size before it was read.
    #[error("{reason}")]
    PhotoTooLarge {
        width: Option<u32>,
        height: Option<u32>,
        reason: String,
    },
    /// The photo file is damaged: cut short (a camera app killed mid-write) or not decodable.
    /// Show `reason` and ask for the photo to be taken again.
    #[error("{reason}")]
    PhotoDamaged { reason: String },
    /// The file is not a kind of image evidence can be made from (GIF, HEIC, a video, a document,
    /// a JPEG variant no camera writes). Show `reason` and ask for a JPEG or PNG, e.g. with the
    /// camera set to its most compatible format.
    #[error("{reason}")]
    PhotoUnsupported { reason: String },
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

impl From<PhotoError> for CoreError {
    fn from(e: PhotoError) -> Self {
        let reason = e.to_string();
        match e {
            PhotoError::Io(detail) => CoreError::Storage { detail },
            PhotoError::TooLarge { width, height, .. }
            | PhotoError::TooLargeToDecode { width, height, .. } => CoreError::PhotoTooLarge {
                width: Some(width),
                height: Some(height),
                reason,
            },
            PhotoError::FileTooLarge { .. } => CoreError::PhotoTooLarge {
                width: None,
                height: None,
                reason,
            },
            PhotoError::Corrupt { .. } => CoreError::PhotoDamaged { reason },
            PhotoError::Unsupported { .. } => CoreError::PhotoUnsupported { reason },
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
            Error::Photo(p) => p.into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_refusals_arrive_as_the_kind_the_app_acts_on() {
        let too_large = PhotoError::TooLargeToDecode {
            width: 7000,
            height: 7000,
            layout: "a progressive JPEG, which has to be decoded whole".into(),
            needed_bytes: 170_000_000,
            max_bytes: 67_108_864,
        };
        let reason = too_large.to_string();
        assert!(
            reason.contains("170 MB") && reason.contains("67 MB"),
            "{reason}"
        );
        match CoreError::from(too_large) {
            CoreError::PhotoTooLarge {
                width,
                height,
                reason: r,
            } => assert_eq!((width, height, r), (Some(7000), Some(7000), reason)),
            other => panic!("{other:?}"),
        }
        let file = CoreError::from(PhotoError::FileTooLarge { bytes: 2, max: 1 });
        assert!(matches!(
            file,
            CoreError::PhotoTooLarge {
                width: None,
                height: None,
                ..
            }
        ));
        assert!(matches!(
            CoreError::from(PhotoError::corrupt("cut short")),
            CoreError::PhotoDamaged { .. }
        ));
        assert!(matches!(
            CoreError::from(PhotoError::unsupported("a GIF image")),
            CoreError::PhotoUnsupported { .. }
        ));
        assert!(matches!(
            CoreError::from(PhotoError::Io("gone".into())),
            CoreError::Storage { .. }
        ));
    }
}
