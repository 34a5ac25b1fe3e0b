//! A small blocking HTTP client for the protocol: JSON in, status and bytes out. Callers run it
//! inside `spawn_blocking`. Any status comes back as a [`Reply`]; only a failure to talk to the
//! server at all (refused, unreachable, timed out, broken off) is an error.

use super::error::{Result, SyncError};
use super::wire::ErrorBody;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The largest answer read. A sync page is bounded by its feed limit; this only stops a broken
/// server from filling the phone's memory.
const MAX_REPLY: u64 = 64 << 20;

/// How long to wait before giving up on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Resolving the name and opening the connection.
    pub connect: Duration,
    /// Any single read or write that makes no progress. A slow link that keeps moving is not cut
    /// off, a dead one is.
    pub stall: Duration,
    /// A whole call, however it progresses.
    pub call: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            // The server answers a sync after writing every pushed document: allow for that.
            stall: Duration::from_secs(60),
            // A 10 MiB photo on a slow mobile link.
            call: Duration::from_secs(600),
        }
    }
}

/// The client of one Closeloop server.
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

/// An answer with any status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Checks and normalises a server address: `http` or `https`, no trailing slash.
pub fn normalise_url(server_url: &str) -> Result<String> {
    let url = server_url.trim().trim_end_matches('/');
    let invalid = |reason: &str| SyncError::Invalid {
        field: "server_url".into(),
        reason: reason.into(),
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| invalid("the server address starts with https:// or http://"))?;
    if rest.is_empty() || rest.chars().any(char::is_whitespace) {
        return Err(invalid("the server address has no host or contains spaces"));
    }
    Ok(url.to_owned())
}

fn transport(e: ureq::Error) -> SyncError {
    match e {
        ureq::Error::BodyExceedsLimit(n) => {
            SyncError::Malformed(format!("the answer is larger than {n} bytes"))
        }
        ureq::Error::BadUri(u) => SyncError::Invalid {
            field: "server_url".into(),
            reason: format!("not a usable address: {u}"),
        },
        other => SyncError::Network(other.to_string()),
    }
}

impl Client {
    /// A client of the server at `server_url` with the default timeouts.
    pub fn new(server_url: &str) -> Result<Client> {
        Client::with_timeouts(server_url, Timeouts::default())
    }

    /// A client with the caller's timeouts (tests use short ones).
    pub fn with_timeouts(server_url: &str, t: Timeouts) -> Result<Client> {
        let base = normalise_url(server_url)?;
        let config = ureq::Agent::config_builder()
            // Error statuses are answers of the protocol, read like any other.
            .http_status_as_error(false)
            // Phones have no proxy environment; tests must reach loopback directly.
            .proxy(None)
            .timeout_resolve(Some(t.connect))
            .timeout_connect(Some(t.connect))
            .timeout_per_read(Some(t.stall))
            .timeout_per_write(Some(t.stall))
            .timeout_per_call(Some(t.call))
            .user_agent(concat!("closeloop-mobile-core/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Client {
            agent: config.into(),
            base,
        })
    }

    /// The server's address, normalised.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `POST` a JSON body, with the access token when given.
    pub fn post_json<B: Serialize>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &B,
    ) -> Result<Reply> {
        let json = serde_json::to_vec(body).map_err(|e| SyncError::Invalid {
            field: "body".into(),
            reason: e.to_string(),
        })?;
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Self::read(req.send(&json[..]))
    }

    /// `GET` with the access token.
    pub fn get(&self, path: &str, token: &str) -> Result<Reply> {
        let req = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {token}"));
        Self::read(req.call())
    }

    /// `PUT` raw bytes with the access token.
    pub fn put_bytes(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Reply> {
        let req = self
            .agent
            .put(format!("{}{path}", self.base))
            .header("Content-Type", content_type)
            .header("Authorization", format!("Bearer {token}"));
        Self::read(req.send(bytes))
    }

    fn read(
        sent: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Reply> {
        let mut resp = sent.map_err(transport)?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_REPLY)
            .read_to_vec()
            .map_err(transport)?;
        Ok(Reply { status, body })
    }
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body read as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            SyncError::Malformed(format!(
                "{} answer is not the expected JSON: {e}",
                self.status
            ))
        })
    }

    /// The error this answer carries. A body without the protocol's error shape (a proxy's page,
    /// say) still yields the status, with code `unknown`.
    pub fn error(&self) -> SyncError {
        match serde_json::from_slice::<ErrorBody>(&self.body) {
            Ok(b) => SyncError::Server {
                status: self.status,
                code: b.error,
                message: b.message,
                field: b.field,
            },
            Err(_) => SyncError::Server {
                status: self.status,
                code: "unknown".into(),
                message: String::from_utf8_lossy(&self.body)
                    .chars()
                    .take(200)
                    .collect(),
                field: None,
            },
        }
    }

    /// The stable error code, if the body has one.
    pub fn code(&self) -> Option<String> {
        serde_json::from_slice::<ErrorBody>(&self.body)
            .ok()
            .map(|b| b.error)
    }
}

#[cfg(test)]
mod tests {
    //! Client behaviour on broken answers, against throwaway loopback listeners that answer with
    //! canned bytes (not a Closeloop server: just enough HTTP to exercise the client).

    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::thread;

    fn quick() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(2),
            stall: Duration::from_millis(300),
            call: Duration::from_secs(5),
        }
    }

    /// Serves one connection: reads the request head, then writes `answer` (if any) and, when
    /// `hold` is set, keeps the connection open without answering.
    fn one_shot(answer: Option<Vec<u8>>, hold: Duration) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                if let Some(a) = answer {
                    let _ = s.write_all(&a);
                }
                thread::sleep(hold);
            }
        });
        format!("http://{addr}")
    }

    fn answer(status: &str, body: &str) -> Option<Vec<u8>> {
        Some(
            format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }

    #[test]
    fn urls_are_checked_and_normalised() {
        assert_eq!(
            normalise_url(" https://sync.example.org/ ").expect("ok"),
            "https://sync.example.org"
        );
        assert_eq!(
            normalise_url("http://127.0.0.1:8080").expect("ok"),
            "http://127.0.0.1:8080"
        );
        for bad in ["ftp://x", "127.0.0.1:8080", "https://", "http://a b"] {
            assert!(
                matches!(normalise_url(bad), Err(SyncError::Invalid { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_json_answer_that_is_not_json_is_malformed() {
        let url = one_shot(answer("200 OK", "not json!"), Duration::ZERO);
        let c = Client::with_timeouts(&url, quick()).expect("client");
        let reply = c.post_json("/v1/sync", Some("t"), &"x").expect("answered");
        assert!(reply.ok());
        let parsed: Result<super::super::wire::SyncResponse> = reply.json();
        assert!(matches!(parsed, Err(SyncError::Malformed(_))), "{parsed:?}");
    }

    #[test]
    fn an_error_answer_is_read_with_its_code_or_as_unknown() {
        let url = one_shot(
            answer(
                "401 Unauthorized",
                r#"{"error":"token_expired","message":"expired","field":null}"#,
            ),
            Duration::ZERO,
        );
        let c = Client::with_timeouts(&url, quick()).expect("client");
        let reply = c.post_json("/v1/sync", Some("t"), &"x").expect("answered");
        assert_eq!(reply.status, 401);
        assert_eq!(reply.code().as_deref(), Some("token_expired"));

        let url = one_shot(
            answer("502 Bad Gateway", "<html>upstream</html>"),
            Duration::ZERO,
        );
        let c = Client::with_timeouts(&url, quick()).expect("client");
        let reply = c.post_json("/v1/sync", None, &"x").expect("answered");
        assert!(matches!(
            reply.error(),
            SyncError::Server { status: 502, ref code, .. } if code == "unknown"
        ));
    }

    #[test]
    fn a_server_that_never_answers_times_out_as_a_network_error() {
        let url = one_shot(None, Duration::from_secs(3));
        let c = Client::with_timeouts(&url, quick()).expect("client");
        let started = std::time::Instant::now();
        let r = c.post_json("/v1/sync", Some("t"), &"x");
        assert!(matches!(r, Err(SyncError::Network(_))), "{r:?}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "gave up on time"
        );
    }

    #[test]
    fn a_connection_cut_mid_answer_is_a_network_error() {
        let url = one_shot(
            Some(
                b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{\"results\":["
                    .to_vec(),
            ),
            Duration::ZERO,
        );
        let c = Client::with_timeouts(&url, quick()).expect("client");
        let r = c.post_json("/v1/sync", Some("t"), &"x");
        assert!(matches!(r, Err(SyncError::Network(_))), "{r:?}");
    }

    #[test]
    fn nobody_listening_is_a_network_error() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let c = Client::with_timeouts(&format!("http://{addr}"), quick()).expect("client");
        let r = c.post_json("/v1/auth/login", None, &"x");
        assert!(matches!(r, Err(SyncError::Network(_))), "{r:?}");
    }
}
