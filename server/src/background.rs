//! A server on its own thread and runtime, on a free loopback port: for embedding, tests and
//! benchmarks that drive it from blocking code. Stops (gracefully) when dropped.

use crate::config::Config;
use crate::{AppState, launch};
use std::sync::mpsc;

/// A running server.
#[derive(Debug)]
pub struct Background {
    pub url: String,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The configuration of a throwaway server keeping its files in `data_dir`, on SQLite there or on
/// `database_url`. PostgreSQL means replicas, which must be given shared JWT keys (see
/// [`Config::validate`]), so a fixed test key is set then.
pub fn throwaway_config(data_dir: &std::path::Path, database_url: Option<String>) -> Config {
    let jwt_keys = match database_url {
        Some(_) => vec![crate::config::JwtKey {
            kid: "test".into(),
            secret: "a test key of at least thirty-two bytes".into(),
        }],
        None => Vec::new(),
    };
    Config {
        data_dir: data_dir.to_owned(),
        database_url,
        jwt_keys,
        ..Config::default()
    }
}

impl Background {
    /// Opens `config`'s storage, runs `setup` on the state (e.g. the demo), then serves on
    /// 127.0.0.1 with a port the system picks.
    pub fn start<S, F>(config: Config, setup: S) -> Result<(Background, F::Output), String>
    where
        S: FnOnce(AppState) -> F + Send + 'static,
        F: Future + Send,
        F::Output: Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            rt.block_on(async move {
                let started = async {
                    let state = AppState::open(config).await?;
                    let extra = setup(state.clone()).await;
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .map_err(|e| e.to_string())?;
                    let addr = listener.local_addr().map_err(|e| e.to_string())?;
                    Ok::<_, String>((state, extra, listener, addr))
                };
                match started.await {
                    Ok((state, extra, listener, addr)) => {
                        let _ = tx.send(Ok((format!("http://{addr}"), state.clone(), extra)));
                        let _ = launch(state, listener, async {
                            let _ = stop_rx.await;
                        })
                        .await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        });
        let (url, state, extra) = rx.recv().map_err(|e| e.to_string())??;
        Ok((
            Background {
                url,
                state,
                stop: Some(stop_tx),
                thread: Some(thread),
            },
            extra,
        ))
    }

    /// Runs a future on a throwaway runtime, e.g. a direct database check.
    pub fn block<F: Future>(&self, f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime can always be built")
            .block_on(f)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
