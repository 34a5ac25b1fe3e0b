//! The JSON bodies of sync protocol v1 (`docs/sync-protocol.md`), field for field: one definition
//! that the server writes and reads and the phone reads and writes. Reading is lenient where
//! another implementation may differ without meaning anything else (a list absent or `null` is
//! empty, a feed entry's informational fields may be missing); the server refuses unknown fields
//! in what it is sent.

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize};

/// Reads a list that may be absent or `null` as empty.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `POST /v1/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    pub device_id: String,
}

/// `POST /v1/auth/refresh` and `POST /v1/auth/logout`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// The user as the server describes them (login, refresh, `GET /v1/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub org_id: String,
    #[serde(default, deserialize_with = "list")]
    pub grid_ids: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    pub site_ids: Vec<String>,
}

/// The answer to login and refresh.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenPair {
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub refresh_expires_at: i64,
    /// Always sent by this server; read when present, since a refresh answer "has the same
    /// shape" and another implementation might leave it out.
    #[serde(default)]
    pub user: Option<UserInfo>,
}

/// `POST /v1/devices/actors`, and its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorIds {
    pub actor_ids: Vec<String>,
}

/// `POST /v1/sync`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// The previous answer's cursor; `null` on a device's first sync.
    pub cursor: Option<String>,
    #[serde(default)]
    pub push: Vec<Push>,
    /// Most feed entries wanted (1–1000, default 500).
    #[serde(default)]
    pub feed_limit: Option<i64>,
}

/// One pushed document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Push {
    pub doc_id: String,
    /// Base64 of automerge change bytes.
    pub changes: String,
}

/// The answer to `POST /v1/sync`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncResponse {
    #[serde(default, deserialize_with = "list")]
    pub results: Vec<PushResult>,
    #[serde(default, deserialize_with = "list")]
    pub feed: Vec<FeedEntry>,
    pub cursor: Option<String>,
    pub more: bool,
}

/// What the server did with one pushed document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    Accepted,
    Refused,
}

/// The result for one pushed document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResult {
    pub doc_id: String,
    pub status: PushStatus,
    /// The server's heads after an accepted push (hex).
    #[serde(
        default,
        deserialize_with = "list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub heads: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// Base64 of the server's whole document after a refusal, when the pusher may read it;
    /// absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_doc: Option<String>,
}

/// Why a push was refused: a stable rule id and a reason for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub rule: String,
    pub reason: String,
}

/// One change batch of the feed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FeedEntry {
    pub doc_id: String,
    /// site, inspection, hazard or task_plan.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub site_id: String,
    #[serde(default)]
    pub seq: i64,
    /// Base64 of automerge change bytes.
    pub changes: String,
}

/// The body of every 4xx and 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Standard base64 with padding, as the protocol carries automerge bytes inside JSON.
pub fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads standard base64.
pub fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    base64::engine::general_purpose::STANDARD.decode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in docs/sync-protocol.md §3 reads, and what the server writes reads back.
    #[test]
    fn the_protocol_example_round_trips() {
        let text = r#"{
          "results": [
            { "doc_id": "hzd-01", "status": "accepted", "heads": ["9c2e"] },
            { "doc_id": "insp-07", "status": "refused",
              "refusal": { "rule": "inspection.signed_off", "reason": "signed off" },
              "server_doc": "AAAA" }
          ],
          "feed": [
            { "doc_id": "hzd-01", "kind": "hazard", "site_id": "site-1", "seq": 1240, "changes": "AAAA" }
          ],
          "cursor": "1240",
          "more": false
        }"#;
        let r: SyncResponse = serde_json::from_str(text).expect("reads");
        assert_eq!(r.results[1].status, PushStatus::Refused);
        assert_eq!(r.feed[0].seq, 1240);
        let again: SyncResponse =
            serde_json::from_str(&serde_json::to_string(&r).expect("writes")).expect("reads");
        assert_eq!(again.results[0].heads, ["9c2e"]);
        let lean: SyncResponse =
            serde_json::from_str(r#"{"results": null, "feed": [{"doc_id": "d", "changes": ""}], "cursor": null, "more": false}"#)
                .expect("lenient");
        assert!(lean.results.is_empty());
        assert!(
            serde_json::from_str::<SyncRequest>(r#"{"cursor": null, "surprise": 1}"#).is_err(),
            "unknown fields are refused"
        );
        let unknown = serde_json::from_str::<SyncResponse>(
            r#"{"results":[{"doc_id":"d","status":"maybe"}],"cursor":"0","more":false}"#,
        );
        assert!(unknown.is_err(), "an unknown status is not guessed at");
        let refused: PushResult = serde_json::from_str(
            r#"{"doc_id":"d","status":"refused","heads":null,"refusal":{"rule":"r","reason":"x"}}"#,
        )
        .expect("reads");
        assert!(refused.heads.is_empty() && refused.server_doc.is_none());
    }

    /// What the phone sends has the shape the protocol document shows.
    #[test]
    fn requests_have_the_protocol_shape() {
        let req = SyncRequest {
            cursor: None,
            push: vec![Push {
                doc_id: "d".into(),
                changes: encode(&[0, 1, 2]),
            }],
            feed_limit: Some(500),
        };
        assert_eq!(
            serde_json::to_value(&req).expect("json"),
            serde_json::json!({
                "cursor": null,
                "push": [{ "doc_id": "d", "changes": "AAEC" }],
                "feed_limit": 500
            })
        );
        assert_eq!(decode("AAEC").ok(), Some(vec![0, 1, 2]));
    }
}
