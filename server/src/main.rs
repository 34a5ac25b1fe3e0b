//! `closeloop-server`: serve (the default) or create the demo organisation; see [`closeloop_server::cli`].

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    closeloop_server::cli::run().await
}
