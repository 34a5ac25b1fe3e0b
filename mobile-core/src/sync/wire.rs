//! The JSON bodies of sync protocol v1 are the model's ([`closeloop_model::protocol::wire`]): the
//! server and the phone read and write one definition. This adds only the phone's error for bytes
//! that are not base64.

pub use closeloop_model::protocol::wire::*;

/// Reads standard base64; `what` names the field for the error.
pub fn decode_field(text: &str, what: &str) -> Result<Vec<u8>, super::SyncError> {
    decode(text).map_err(|e| super::SyncError::Malformed(format!("{what} is not base64: {e}")))
}
