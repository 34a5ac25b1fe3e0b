//! A blocking client of a server-sent event stream: a thread reads the stream and hands each event
//! over a channel, so a test can wait for the next one with a timeout.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

/// One event as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

#[derive(Debug)]
enum Msg {
    Event(SseEvent),
    End,
}

/// An open stream.
#[derive(Debug)]
pub struct EventStream {
    rx: mpsc::Receiver<Msg>,
}

/// What waiting for the next event found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Event(SseEvent),
    /// The server closed the stream.
    Ended,
    TimedOut,
}

impl EventStream {
    /// Opens `url` with a bearer token (and `Last-Event-ID`); `Err` is the HTTP status and body
    /// when the server refuses.
    pub fn open(
        url: &str,
        token: &str,
        last_event_id: Option<&str>,
    ) -> Result<EventStream, (u16, String)> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut req = agent
            .get(url)
            .header("authorization", &format!("Bearer {token}"))
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let res = req.call().map_err(|e| (0, e.to_string()))?;
        let status = res.status().as_u16();
        if status != 200 {
            let body = res.into_body().read_to_string().unwrap_or_default();
            return Err((status, body));
        }
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let reader = BufReader::new(res.into_body().into_reader());
            let mut current = SseEvent {
                event: "message".into(),
                id: None,
                data: String::new(),
            };
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if line.is_empty() {
                    if !current.data.is_empty() || current.event != "message" {
                        let done = std::mem::replace(
                            &mut current,
                            SseEvent {
                                event: "message".into(),
                                id: None,
                                data: String::new(),
                            },
                        );
                        if tx.send(Msg::Event(done)).is_err() {
                            return;
                        }
                    }
                    continue;
                }
                if line.starts_with(':') {
                    continue;
                }
                let (field, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "event" => current.event = value.to_owned(),
                    "id" => current.id = Some(value.to_owned()),
                    "data" => {
                        if !current.data.is_empty() {
                            current.data.push('\n');
                        }
                        current.data.push_str(value);
                    }
                    _ => {}
                }
            }
            let _ = tx.send(Msg::End);
        });
        Ok(EventStream { rx })
    }

    /// The next event, or why there is none within `timeout`.
    pub fn next(&self, timeout: Duration) -> Next {
        match self.rx.recv_timeout(timeout) {
            Ok(Msg::Event(e)) => Next::Event(e),
            Ok(Msg::End) | Err(mpsc::RecvTimeoutError::Disconnected) => Next::Ended,
            Err(mpsc::RecvTimeoutError::Timeout) => Next::TimedOut,
        }
    }

    /// The next event, which must come within `timeout`.
    pub fn expect(&self, timeout: Duration) -> SseEvent {
        match self.next(timeout) {
            Next::Event(e) => e,
            other => panic!("expected an event within {timeout:?}, got {other:?}"),
        }
    }
}
