//! Password checks on a few dedicated threads. Argon2 takes about 19 MiB per hash; run on tokio's
//! blocking pool, a burst of logins spreads those allocations over dozens of threads whose malloc
//! arenas keep them (measured: 1.1 GiB for 50 logins). A fixed set of threads bounds both the
//! memory and the CPU a login burst can take.

use super::password;
use std::sync::{Mutex, mpsc};

type Job = (String, String, tokio::sync::oneshot::Sender<bool>);

/// A fixed pool of threads that verify passwords.
#[derive(Debug)]
pub struct Verifier {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl Verifier {
    /// Starts `threads` verifier threads.
    pub fn new(threads: usize) -> Verifier {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        for n in 0..threads.max(1) {
            let rx = rx.clone();
            let _ = std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        let Ok((pw, stored, reply)) = job else { return };
                        let _ = reply.send(password::verify(&pw, &stored));
                    }
                });
        }
        Verifier {
            jobs: Mutex::new(tx),
        }
    }

    /// Whether `password` matches `stored`; false if the pool is gone.
    pub async fn verify(&self, password: String, stored: String) -> bool {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self
            .jobs
            .lock()
            .map(|jobs| jobs.send((password, stored, tx)).is_ok())
            .unwrap_or(false);
        sent && rx.await.unwrap_or(false)
    }
}
