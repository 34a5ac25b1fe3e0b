//! The JSON bodies of sync protocol v1 (`docs/sync-protocol.md`), field for field. Fields the
//! client does not use (a feed entry's `kind`, `site_id`, `seq`) are ignored when read.

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize};

/// Reads a list that may be absent or `null` as empty: another server implementation may write
/// either for "none".
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `POST /v1/auth/login`.
#[derive(Debug, Serialize)]
pub struct LoginRequest<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub device_id: &'a str,
}

/// `POST /v1/auth/refresh` and `POST /v1/auth/logout`.
#[derive(Debug, Serialize)]
pub struct RefreshRequest<'a> {
    pub refresh_token: &'a str,
}

/// The answer to login and refresh.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub refresh_expires_at: i64,
    /// Always sent at login; a refresh answer has "the same shape", so it is read when present.
    #[serde(default)]
    pub user: Option<WireUser>,
}

/// The user as the server describes them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireUser {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub org_id: String,
    #[serde(default, deserialize_with = "list")]
    pub grid_ids: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    pub site_ids: Vec<String>,
}

/// `POST /v1/devices/actors`, and its answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Actors {
    pub actor_ids: Vec<String>,
}

/// `POST /v1/sync`.
#[derive(Debug, Serialize)]
pub struct SyncRequest<'a> {
    pub cursor: Option<&'a str>,
    pub push: Vec<Push>,
    pub feed_limit: u32,
}

/// One pushed document.
#[derive(Debug, Clone, Serialize)]
pub struct Push {
    pub doc_id: String,
    /// Base64 of automerge change bytes.
    pub changes: String,
}

/// The answer to `POST /v1/sync`.
#[derive(Debug, Deserialize)]
pub struct SyncResponse {
    #[serde(default, deserialize_with = "list")]
    pub results: Vec<PushResult>,
    #[serde(default, deserialize_with = "list")]
    pub feed: Vec<FeedEntry>,
    pub cursor: Option<String>,
    pub more: bool,
}

/// What the server did with one pushed document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    Accepted,
    Refused,
}

/// The result for one pushed document.
#[derive(Debug, Clone, Deserialize)]
pub struct PushResult {
    pub doc_id: String,
    pub status: PushStatus,
    /// The server's heads after an accepted push (hex).
    #[serde(default, deserialize_with = "list")]
    pub heads: Vec<String>,
    #[serde(default)]
    pub refusal: Option<Refusal>,
    /// Base64 of the server's whole document after a refusal; absent if it has none.
    #[serde(default)]
    pub server_doc: Option<String>,
}

/// Why a push was refused.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refusal {
    pub rule: String,
    pub reason: String,
}

/// One change batch of the feed.
#[derive(Debug, Clone, Deserialize)]
pub struct FeedEntry {
    pub doc_id: String,
    /// Base64 of automerge change bytes.
    pub changes: String,
}

/// The body of every 4xx and 5xx answer.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub field: Option<String>,
}

/// Standard base64 with padding, as the protocol requires.
pub fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads standard base64; `what` names the field for the error.
pub fn decode(text: &str, what: &str) -> Result<Vec<u8>, super::SyncError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| super::SyncError::Malformed(format!("{what} is not base64: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_example_reads_and_absent_or_null_lists_are_empty() {
        let json = r#"{
          "results": [
            { "doc_id": "hzd-01", "status": "accepted", "heads": ["9c2e"] },
            { "doc_id": "insp-07", "status": "refused",
              "refusal": { "rule": "inspection.signed_off", "reason": "signed off" },
              "server_doc": "AAEC" },
            { "doc_id": "hzd-02", "status": "refused", "heads": null,
              "refusal": { "rule": "r", "reason": "x" } }
          ],
          "feed": [
            { "doc_id": "hzd-01", "kind": "hazard", "site_id": "site-1", "seq": 1240, "changes": "AAEC" }
          ],
          "cursor": "1240",
          "more": false
        }"#;
        let r: SyncResponse = serde_json::from_str(json).expect("reads");
        assert_eq!(r.results.len(), 3);
        assert_eq!(r.results[0].status, PushStatus::Accepted);
        assert_eq!(r.results[0].heads, vec!["9c2e".to_owned()]);
        assert_eq!(r.results[1].status, PushStatus::Refused);
        assert!(r.results[1].heads.is_empty());
        assert_eq!(
            decode(r.results[1].server_doc.as_deref().unwrap_or(""), "d").ok(),
            Some(vec![0, 1, 2])
        );
        assert!(r.results[2].heads.is_empty() && r.results[2].server_doc.is_none());
        assert_eq!(r.feed[0].doc_id, "hzd-01");
        assert_eq!(r.cursor.as_deref(), Some("1240"));

        let empty: SyncResponse =
            serde_json::from_str(r#"{"results":null,"cursor":"0","more":true}"#).expect("reads");
        assert!(empty.results.is_empty() && empty.feed.is_empty() && empty.more);

        let unknown = serde_json::from_str::<SyncResponse>(
            r#"{"results":[{"doc_id":"d","status":"maybe"}],"cursor":"0","more":false}"#,
        );
        assert!(unknown.is_err(), "an unknown status is not guessed at");
    }

    #[test]
    fn requests_have_the_protocol_shape() {
        let req = SyncRequest {
            cursor: None,
            push: vec![Push {
                doc_id: "d".into(),
                changes: encode(&[0, 1, 2]),
            }],
            feed_limit: 500,
        };
        assert_eq!(
            serde_json::to_value(&req).expect("json"),
            serde_json::json!({
                "cursor": null,
                "push": [{ "doc_id": "d", "changes": "AAEC" }],
                "feed_limit": 500
            })
        );
    }
}
