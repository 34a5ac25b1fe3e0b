//! The server's own command line (`closeloop_server::cli`) as a binary of this package, so the
//! end-to-end tests can start real server processes; it is the same code as `closeloop-server`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    closeloop_server::cli::run().await
}
