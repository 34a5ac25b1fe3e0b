//! Password checks on a few dedicated threads. Argon2 takes about 19 MiB per hash; run on tokio's
//! blocking pool, a burst of logins spreads those allocations over dozens of threads whose malloc
//! arenas keep them (measured: 1.1 GiB for 50 logins). A fixed set of threads bounds both the
//! memory and the CPU a login burst can take.

use super::password;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

type Job = (String, String, tokio::sync::oneshot::Sender<bool>);

/// A fixed pool of threads that verify passwords.
#[derive(Debug)]
pub struct Verifier {
    jobs: Mutex<mpsc::Sender<Job>>,
    /// Checks queued or running, and the most allowed: a burst beyond waits for nothing and is
    /// told to come back, so an honest login is never stuck behind thousands of guesses.
    pending: AtomicUsize,
    max_pending: usize,
}

/// Too many password checks are waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl Verifier {
    /// Starts `threads` verifier threads that accept at most `max_pending` checks at a time.
    pub fn new(threads: usize, max_pending: usize) -> Verifier {
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
            pending: AtomicUsize::new(0),
            max_pending: max_pending.max(1),
        }
    }

    /// Whether `password` matches `stored` (false if the pool is gone), or [`Busy`] when
    /// `max_pending` checks are already waiting.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, Busy> {
        let taken = self.pending.fetch_add(1, Ordering::SeqCst);
        struct Release<'a>(&'a AtomicUsize);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _release = Release(&self.pending);
        if taken >= self.max_pending {
            return Err(Busy);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self
            .jobs
            .lock()
            .map(|jobs| jobs.send((password, stored, tx)).is_ok())
            .unwrap_or(false);
        Ok(sent && rx.await.unwrap_or(false))
    }
}
