//! A TCP proxy on loopback that can cut connections: each connection is forwarded until a byte
//! budget runs out, then both sides are closed. It makes "the network died in the middle of the
//! request" repeatable, and counts what crosses it (bytes each way, HTTP requests).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// What crossed the proxy.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// Connections cut so far.
    pub cuts: Arc<AtomicU64>,
    /// Bytes carried from clients to the server.
    pub up: Arc<AtomicU64>,
    /// Bytes carried back.
    pub down: Arc<AtomicU64>,
    /// HTTP requests seen (request lines ending in ` HTTP/1.1`).
    pub requests: Arc<AtomicU64>,
}

/// A running proxy.
#[derive(Debug)]
pub struct CuttingProxy {
    pub url: String,
    pub counters: Counters,
    stop: Arc<AtomicBool>,
    budget: Arc<AtomicU64>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl CuttingProxy {
    /// Proxies to `target` (host:port). Until [`CuttingProxy::set_budget`] is called, nothing is cut.
    pub fn start(target: &str) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        listener.set_nonblocking(true).expect("nonblocking");
        let proxy = CuttingProxy {
            url,
            counters: Counters::default(),
            stop: Arc::default(),
            budget: Arc::default(),
            open: Arc::default(),
        };
        let (stop, budget, open, counters, target) = (
            proxy.stop.clone(),
            proxy.budget.clone(),
            proxy.open.clone(),
            proxy.counters.clone(),
            target.to_owned(),
        );
        thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    thread::sleep(std::time::Duration::from_millis(2));
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                if let (Ok(a), Ok(b), Ok(mut list)) =
                    (client.try_clone(), server.try_clone(), open.lock())
                {
                    list.push(a);
                    list.push(b);
                }
                let limit = budget.load(Ordering::SeqCst);
                let counters = counters.clone();
                thread::spawn(move || pipe_pair(client, server, limit, counters));
            }
        });
        proxy
    }

    /// Sets the byte budget (both directions together) of the next connections, 0 for never cut,
    /// and closes the open ones, so a client's pooled connection cannot outlive the old budget.
    pub fn set_budget(&self, bytes: u64) {
        self.budget.store(bytes, Ordering::SeqCst);
        if let Ok(mut list) = self.open.lock() {
            for s in list.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn pipe_pair(client: TcpStream, server: TcpStream, limit: u64, k: Counters) {
    let used = Arc::new(AtomicU64::new(0));
    let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let (used2, k2) = (used.clone(), k.clone());
    let up = thread::spawn(move || pipe(client, server, limit, &used2, &k2, true));
    pipe(server2, client2, limit, &used, &k, false);
    let _ = up.join();
}

fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    limit: u64,
    used: &AtomicU64,
    k: &Counters,
    upstream: bool,
) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let before = used.fetch_add(n as u64, Ordering::SeqCst);
        if upstream {
            k.up.fetch_add(n as u64, Ordering::SeqCst);
            let lines = buf[..n]
                .windows(11)
                .filter(|w| *w == b" HTTP/1.1\r\n")
                .count();
            k.requests.fetch_add(lines as u64, Ordering::SeqCst);
        } else {
            k.down.fetch_add(n as u64, Ordering::SeqCst);
        }
        if limit > 0 && before + n as u64 > limit {
            let allowed = limit.saturating_sub(before) as usize;
            let _ = to.write_all(&buf[..allowed.min(n)]);
            k.cuts.fetch_add(1, Ordering::SeqCst);
            break;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
