//! Real services for tests and benchmarks, started from this machine's own binaries: a throwaway
//! PostgreSQL cluster ([`Postgres`]) and a MinIO S3 server ([`Minio`]). Each lives in a temp folder
//! on a free loopback port; a watchdog shell stops it and removes the folder when the test process
//! ends, however it ends (its stdin is a pipe from this process, closed by the kernel at exit).

mod events;
mod minio;
mod postgres;
mod process;

pub use events::{EventStream, Next, SseEvent};
pub use minio::Minio;
pub use postgres::Postgres;
pub use process::free_port;

/// The database a test server should use: `None` (SQLite in its data folder) unless
/// `CLOSELOOP_TEST_DATABASE=postgres`, then a fresh database in the shared cluster. `scripts/test`
/// runs the server and end-to-end suites once each way.
pub fn test_database_url() -> Option<String> {
    match std::env::var("CLOSELOOP_TEST_DATABASE").as_deref() {
        Ok("postgres") => Some(Postgres::shared().database()),
        Ok("sqlite") | Ok("") | Err(_) => None,
        Ok(other) => panic!("CLOSELOOP_TEST_DATABASE={other}: use sqlite or postgres"),
    }
}
