//! A TCP proxy on loopback that cuts connections: each connection is forwarded until a byte
//! budget (drawn per connection) runs out, then both sides are closed. It makes "the network died
//! in the middle of the request" repeatable.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// A running proxy.
#[derive(Debug)]
pub struct CuttingProxy {
    pub url: String,
    stop: Arc<AtomicBool>,
    /// Connections cut so far.
    pub cuts: Arc<AtomicU64>,
    budget: Arc<AtomicU64>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl CuttingProxy {
    /// Proxies to `target` (host:port). `budget` is the most bytes (both directions together) a
    /// connection may carry before it is cut; 0 means never cut.
    pub fn start(target: &str) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicU64::new(0));
        let budget = Arc::new(AtomicU64::new(0));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (s, c, b, o, target) = (
            stop.clone(),
            cuts.clone(),
            budget.clone(),
            open.clone(),
            target.to_owned(),
        );
        listener.set_nonblocking(true).expect("nonblocking");
        thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        let Ok(server) = TcpStream::connect(&target) else {
                            continue;
                        };
                        if let (Ok(a), Ok(b2), Ok(mut list)) =
                            (client.try_clone(), server.try_clone(), o.lock())
                        {
                            list.push(a);
                            list.push(b2);
                        }
                        let limit = b.load(Ordering::SeqCst);
                        let c = c.clone();
                        thread::spawn(move || pipe_pair(client, server, limit, c));
                    }
                    Err(_) => thread::sleep(std::time::Duration::from_millis(2)),
                }
            }
        });
        CuttingProxy {
            url,
            stop,
            cuts,
            budget,
            open,
        }
    }

    /// Sets the byte budget of the next connections (0: never cut) and closes the open ones, so a
    /// client's pooled connection cannot outlive the old budget.
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

fn pipe_pair(client: TcpStream, server: TcpStream, limit: u64, cuts: Arc<AtomicU64>) {
    let used = Arc::new(AtomicU64::new(0));
    let (c2, s2) = (
        client.try_clone().expect("clone"),
        server.try_clone().expect("clone"),
    );
    let u2 = used.clone();
    let cuts2 = cuts.clone();
    let up = thread::spawn(move || pipe(client, server, limit, u2, cuts2));
    pipe(s2, c2, limit, used, cuts);
    let _ = up.join();
}

fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    limit: u64,
    used: Arc<AtomicU64>,
    cuts: Arc<AtomicU64>,
) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let before = used.fetch_add(n as u64, Ordering::SeqCst);
        if limit > 0 && before + n as u64 > limit {
            let allowed = limit.saturating_sub(before) as usize;
            let _ = to.write_all(&buf[..allowed.min(n)]);
            cuts.fetch_add(1, Ordering::SeqCst);
            break;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
