//! Prometheus metrics in the text exposition format, kept per server state: requests by route and
//! status with a latency histogram, sync batches and documents, refusals by rule, blob bytes, live
//! event streams, and the database pool.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Upper bounds of the request latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Counters and gauges of one server process.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Latency>>,
    sync_batches: AtomicU64,
    write_conflicts: AtomicU64,
    sync_documents: Mutex<BTreeMap<&'static str, u64>>,
    refusals: Mutex<BTreeMap<String, u64>>,
    blob_bytes: Mutex<BTreeMap<&'static str, u64>>,
    event_streams: AtomicI64,
    events_published: AtomicU64,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K, by: u64) {
    if let Ok(mut m) = map.lock() {
        *m.entry(key).or_default() += by;
    }
}

/// Escapes a label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// One finished request; `route` is the matched route pattern, never the raw path.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        bump(
            &self.requests,
            (method.to_owned(), route.to_owned(), status),
            1,
        );
        if let Ok(mut m) = self.latency.lock() {
            let l = m.entry(route.to_owned()).or_default();
            for (i, le) in BUCKETS.iter().enumerate() {
                if seconds <= *le {
                    l.buckets[i] += 1;
                }
            }
            l.count += 1;
            l.sum += seconds;
        }
    }

    /// One sync request with `accepted` and `refused` documents.
    pub fn sync_batch(&self, accepted: usize, refused: usize) {
        self.sync_batches.fetch_add(1, Ordering::Relaxed);
        bump(&self.sync_documents, "accepted", accepted as u64);
        bump(&self.sync_documents, "refused", refused as u64);
    }

    /// A push that found its document changed by another writer since it read it, and tried again.
    pub fn write_conflict(&self) {
        self.write_conflicts.fetch_add(1, Ordering::Relaxed);
    }

    /// A refused push, by the rule that refused it.
    pub fn refusal(&self, rule: &str) {
        bump(&self.refusals, rule.to_owned(), 1);
    }

    /// Photo bytes in (`up`) or out (`down`) through this server.
    pub fn blob_bytes(&self, direction: &'static str, n: usize) {
        bump(&self.blob_bytes, direction, n as u64);
    }

    /// An event stream opened (`+1`) or closed (`-1`).
    pub fn event_stream(&self, delta: i64) {
        self.event_streams.fetch_add(delta, Ordering::Relaxed);
    }

    /// A hazard change delivered to this process's streams.
    pub fn event_published(&self) {
        self.events_published.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text; `pool` is (open connections, idle connections, maximum).
    pub fn render(&self, pool: (u32, usize, u32)) -> String {
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(
            w,
            "# HELP closeloop_http_requests_total HTTP requests by method, route and status."
        );
        let _ = writeln!(w, "# TYPE closeloop_http_requests_total counter");
        if let Ok(m) = self.requests.lock() {
            for ((method, route, status), n) in m.iter() {
                let _ = writeln!(
                    w,
                    "closeloop_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    label(method),
                    label(route)
                );
            }
        }
        let _ = writeln!(
            w,
            "# HELP closeloop_http_request_duration_seconds Time to answer a request, by route."
        );
        let _ = writeln!(
            w,
            "# TYPE closeloop_http_request_duration_seconds histogram"
        );
        if let Ok(m) = self.latency.lock() {
            for (route, l) in m.iter() {
                let r = label(route);
                for (i, le) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        w,
                        "closeloop_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{le}\"}} {}",
                        l.buckets[i]
                    );
                }
                let _ = writeln!(
                    w,
                    "closeloop_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                    l.count
                );
                let _ = writeln!(
                    w,
                    "closeloop_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                    l.sum
                );
                let _ = writeln!(
                    w,
                    "closeloop_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                    l.count
                );
            }
        }
        let _ = writeln!(
            w,
            "# HELP closeloop_sync_batches_total Sync requests answered."
        );
        let _ = writeln!(w, "# TYPE closeloop_sync_batches_total counter");
        let _ = writeln!(
            w,
            "closeloop_sync_batches_total {}",
            self.sync_batches.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            w,
            "# HELP closeloop_sync_write_conflicts_total Pushes retried because another writer (any replica) changed the document first."
        );
        let _ = writeln!(w, "# TYPE closeloop_sync_write_conflicts_total counter");
        let _ = writeln!(
            w,
            "closeloop_sync_write_conflicts_total {}",
            self.write_conflicts.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            w,
            "# HELP closeloop_sync_documents_total Pushed documents by outcome."
        );
        let _ = writeln!(w, "# TYPE closeloop_sync_documents_total counter");
        if let Ok(m) = self.sync_documents.lock() {
            for (outcome, n) in m.iter() {
                let _ = writeln!(
                    w,
                    "closeloop_sync_documents_total{{outcome=\"{outcome}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            w,
            "# HELP closeloop_sync_refusals_total Refused pushes by rule."
        );
        let _ = writeln!(w, "# TYPE closeloop_sync_refusals_total counter");
        if let Ok(m) = self.refusals.lock() {
            for (rule, n) in m.iter() {
                let _ = writeln!(
                    w,
                    "closeloop_sync_refusals_total{{rule=\"{}\"}} {n}",
                    label(rule)
                );
            }
        }
        let _ = writeln!(
            w,
            "# HELP closeloop_blob_bytes_total Photo bytes uploaded (up) and served (down) by this process."
        );
        let _ = writeln!(w, "# TYPE closeloop_blob_bytes_total counter");
        if let Ok(m) = self.blob_bytes.lock() {
            for direction in ["up", "down"] {
                let n = m.get(direction).copied().unwrap_or(0);
                let _ = writeln!(
                    w,
                    "closeloop_blob_bytes_total{{direction=\"{direction}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            w,
            "# HELP closeloop_event_streams Open hazard event streams."
        );
        let _ = writeln!(w, "# TYPE closeloop_event_streams gauge");
        let _ = writeln!(
            w,
            "closeloop_event_streams {}",
            self.event_streams.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            w,
            "# HELP closeloop_events_total Hazard changes received for this process's streams."
        );
        let _ = writeln!(w, "# TYPE closeloop_events_total counter");
        let _ = writeln!(
            w,
            "closeloop_events_total {}",
            self.events_published.load(Ordering::Relaxed)
        );
        let (open, idle, max) = pool;
        let _ = writeln!(
            w,
            "# HELP closeloop_db_pool_connections Database connections by state."
        );
        let _ = writeln!(w, "# TYPE closeloop_db_pool_connections gauge");
        let _ = writeln!(w, "closeloop_db_pool_connections{{state=\"idle\"}} {idle}");
        let _ = writeln!(
            w,
            "closeloop_db_pool_connections{{state=\"in_use\"}} {}",
            (open as usize).saturating_sub(idle)
        );
        let _ = writeln!(
            w,
            "# HELP closeloop_db_pool_max_connections Most connections the pool opens."
        );
        let _ = writeln!(w, "# TYPE closeloop_db_pool_max_connections gauge");
        let _ = writeln!(w, "closeloop_db_pool_max_connections {max}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_counts_and_buckets() {
        let m = Metrics::default();
        m.request("POST", "/v1/sync", 200, 0.02);
        m.request("POST", "/v1/sync", 200, 0.3);
        m.refusal("hazard.\"quoted\"");
        m.blob_bytes("up", 10);
        let text = m.render((3, 1, 16));
        assert!(text.contains(
            "closeloop_http_requests_total{method=\"POST\",route=\"/v1/sync\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "closeloop_http_request_duration_seconds_bucket{route=\"/v1/sync\",le=\"0.025\"} 1"
        ));
        assert!(text.contains(
            "closeloop_http_request_duration_seconds_bucket{route=\"/v1/sync\",le=\"0.5\"} 2"
        ));
        assert!(text.contains("closeloop_sync_refusals_total{rule=\"hazard.\\\"quoted\\\"\"} 1"));
        assert!(text.contains("closeloop_blob_bytes_total{direction=\"up\"} 10"));
        assert!(text.contains("closeloop_db_pool_connections{state=\"in_use\"} 2"));
    }
}
