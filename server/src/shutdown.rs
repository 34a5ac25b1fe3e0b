//! Draining: once a shutdown begins, readiness fails (load balancers stop sending), live streams
//! end, and requests already in flight, syncs included, run to completion.

use std::sync::Arc;
use tokio::sync::watch;

/// Shared by everything that must notice a shutdown.
#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            tx: Arc::new(watch::channel(false).0),
        }
    }
}

impl Shutdown {
    /// Starts draining; idempotent.
    pub fn begin(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_draining(&self) -> bool {
        *self.tx.borrow()
    }

    /// Completes once draining has begun.
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|draining| *draining).await;
    }
}
