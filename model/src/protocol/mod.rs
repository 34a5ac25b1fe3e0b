//! The sync protocol as both ends speak it: the messages ([`wire`]), the shape of ids, and the
//! budget every automerge payload must fit before anything decodes it ([`budget`]).

pub mod budget;
pub mod wire;

/// The longest document, grid, site or user id.
pub const MAX_ID_LEN: usize = 128;

/// Whether `id` is a document, grid or site id: 1 to 128 of `[A-Za-z0-9_-]`.
pub fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `s` is a lowercase hex SHA-256, the name of a photo.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `s` is an automerge actor id as the protocol writes it: 16 bytes in lowercase hex.
pub fn is_actor_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Reads a feed number (a sync cursor, an event id): decimal digits only, as the server writes
/// them, at most `i64::MAX`.
pub fn parse_seq(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
