//! The accept loop: HTTP/1.1 connections served by hyper inside the bounds a public server needs
//! and `axum::serve` does not set: a deadline for each request's headers (which also closes idle
//! keep-alive connections), a cap on open connections in all and per address, a cap on header
//! size, and graceful draining. Each request carries its peer address ([`ConnectInfo`]).

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::Service;

/// The connection bounds, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    /// 0: no per-address cap.
    pub max_connections_per_address: usize,
}

/// Largest request head (request line and headers) a client may send.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Open connections per address; an entry lives while its address has one.
#[derive(Debug, Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One connection counted against its address; uncounted when dropped.
struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = t.entry(ip).or_insert(0);
        if max > 0 && *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            table: self.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut t = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = t.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                t.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` until `signal` completes, then stops accepting, asks every
/// connection to finish its request in flight and returns when all have closed.
pub async fn run(
    listener: TcpListener,
    app: Router,
    bounds: Bounds,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(bounds.max_connections));
    let per_address = Arc::new(PerAddress::default());
    let (close_tx, close_rx) = watch::channel(());
    let (drain_tx, _) = watch::channel(false);
    let mut signal = std::pin::pin!(signal);
    loop {
        // Waiting for a slot before accepting leaves further clients in the kernel's backlog,
        // where they cost the server nothing.
        let permit = tokio::select! {
            () = &mut signal => break,
            p = slots.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
        };
        let (stream, peer) = tokio::select! {
            () = &mut signal => break,
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Some(slot) = per_address.take(peer.ip(), bounds.max_connections_per_address) else {
            tracing::info!(peer = %peer.ip(), "too many connections from one address; closed");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let close_rx = close_rx.clone();
        let mut drain_rx = drain_tx.subscribe();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let mut app = app.clone();
                async move { app.call(req.map(Body::new)).await }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(bounds.header_read_timeout)
                .max_buf_size(MAX_HEAD_BYTES);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            let mut draining = false;
            loop {
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    changed = drain_rx.changed(), if !draining => {
                        if changed.is_err() || *drain_rx.borrow() {
                            draining = true;
                            conn.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
            drop((permit, slot, close_rx));
        });
    }
    drop(listener);
    let _ = drain_tx.send(true);
    drop(close_rx);
    close_tx.closed().await;
    Ok(())
}

/// The client's address: the connection's peer, or with `trust_forwarded_for` the last entry of
/// `X-Forwarded-For` (the one the trusted proxy in front wrote).
pub fn client_ip(parts: &axum::http::request::Parts, trust_forwarded_for: bool) -> Option<IpAddr> {
    // Only the last entry is the proxy's; anything before it is the client's own claim.
    if trust_forwarded_for
        && let Some(ip) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|s| s.trim().parse::<IpAddr>().ok())
    {
        return Some(ip);
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}
