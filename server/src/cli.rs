//! The `closeloop-server` command line, in the library so that every binary that serves (the
//! server's own, and the end-to-end suite's replica processes) is the same code.
//!
//! ```text
//! closeloop-server [serve] [--config FILE] [--bind ADDR] [--data-dir DIR] [--database-url URL] …
//! closeloop-server demo [same options]
//! closeloop-server demo-other [same options]   # a second organisation (users b-admin, b-li…)
//! ```
//! Settings come from defaults, then the TOML file, then `CLOSELOOP_*` environment variables, then
//! flags (see `server/README.md`); every setting has a flag (`--s3-bucket`, `--log-format`, …).

use crate::config::Config;
use crate::{AppState, demo, launch};
use std::process::ExitCode;

fn parse() -> Result<(String, Config), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut command = "serve".to_owned();
    let mut flags: Vec<(String, String)> = Vec::new();
    let mut file = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if let Some(name) = a.strip_prefix("--") {
            if name == "help" {
                return Err(String::new());
            }
            let value = args.get(i + 1).ok_or(format!("{a} needs a value"))?.clone();
            if name == "config" {
                file = Some(value);
            } else {
                flags.push((name.replace('-', "_"), value));
            }
            i += 2;
        } else {
            command = a.clone();
            i += 1;
        }
    }
    let mut config = match file {
        Some(f) => Config::from_file(std::path::Path::new(&f)).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    config
        .apply_env(std::env::vars())
        .map_err(|e| e.to_string())?;
    for (k, v) in flags {
        config.set(&k, &v).map_err(|e| e.to_string())?;
    }
    Ok((command, config))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down; finishing requests in flight");
}

/// Runs the command line: `serve` (the default) or `demo`.
pub async fn run() -> ExitCode {
    let (command, config) = match parse() {
        Ok(x) => x,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{e}");
            }
            eprintln!(
                "usage: closeloop-server [serve|demo|demo-other] [--config FILE] [--<setting> VALUE]…\n  e.g. --bind ADDR --data-dir DIR --database-url URL --s3-bucket NAME --log-format json\n  every setting: server/README.md"
            );
            return ExitCode::from(2);
        }
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    if config.log_format == "json" {
        // One JSON object per line, with the request span's fields (request_id, method, route).
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.init();
    }
    let bind = config.bind.clone();
    let state = match AppState::open(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match command.as_str() {
        "serve" => {
            let listener = match tokio::net::TcpListener::bind(&bind).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("cannot listen on {bind}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            tracing::info!(
                "closeloop-server listening on http://{bind} (data in {})",
                state.config.data_dir.display()
            );
            match launch(state, listener, shutdown_signal()).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("server error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        "demo" | "demo-other" => match if command == "demo" {
            demo::create(&state).await
        } else {
            demo::create_org(&state, demo::OTHER_ORG, "另一街道 Other sub-district", "b-").await
        } {
            Ok(d) => {
                println!(
                    "Demo organisation created in {}.",
                    state.config.data_dir.display()
                );
                println!("Sites:");
                for (id, name) in &d.sites {
                    println!("  {id}  {name}");
                }
                println!("Log in (POST /v1/auth/login) as:");
                for (u, p, r) in &d.users {
                    println!("  {u:<6} password {p:<20} {r}");
                }
                println!("Then run: cargo run --release -p closeloop-server");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("demo: {e}");
                ExitCode::FAILURE
            }
        },
        other => {
            eprintln!("unknown command {other}; use serve, demo or demo-other");
            ExitCode::from(2)
        }
    }
}
