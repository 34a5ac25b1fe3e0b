//! The database behind one interface: SQLite (embedded default) or PostgreSQL, through sqlx's
//! `Any` driver. Queries are written once, with `$N` parameters and types both engines share
//! (`BIGINT` times, `0/1` flags); only the migrations differ per engine.

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, SqlSafeStr};
use std::borrow::Cow;

/// Which engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A connection pool and its engine.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
}

fn migrations(engine: Engine) -> Vec<Migration> {
    let files: &[(i64, &str, &'static str)] = match engine {
        Engine::Sqlite => &[
            (
                1,
                "initial",
                include_str!("../../migrations/sqlite/0001_initial.sql"),
            ),
            (
                2,
                "hazard details",
                include_str!("../../migrations/sqlite/0002_hazard_details.sql"),
            ),
            (
                3,
                "event replay",
                include_str!("../../migrations/sqlite/0003_event_replay.sql"),
            ),
            (
                4,
                "trust boundary",
                include_str!("../../migrations/sqlite/0004_trust_boundary.sql"),
            ),
            (
                5,
                "projections",
                include_str!("../../migrations/sqlite/0005_projections.sql"),
            ),
            (
                6,
                "console",
                include_str!("../../migrations/sqlite/0006_console.sql"),
            ),
            (
                7,
                "people and places",
                include_str!("../../migrations/sqlite/0007_people_and_places.sql"),
            ),
            (
                8,
                "reports",
                include_str!("../../migrations/sqlite/0008_reports.sql"),
            ),
        ],
        Engine::Postgres => &[
            (
                1,
                "initial",
                include_str!("../../migrations/postgres/0001_initial.sql"),
            ),
            (
                2,
                "hazard details",
                include_str!("../../migrations/postgres/0002_hazard_details.sql"),
            ),
            (
                3,
                "event replay",
                include_str!("../../migrations/postgres/0003_event_replay.sql"),
            ),
            (
                4,
                "trust boundary",
                include_str!("../../migrations/postgres/0004_trust_boundary.sql"),
            ),
            (
                5,
                "projections",
                include_str!("../../migrations/postgres/0005_projections.sql"),
            ),
            (
                6,
                "console",
                include_str!("../../migrations/postgres/0006_console.sql"),
            ),
            (
                7,
                "people and places",
                include_str!("../../migrations/postgres/0007_people_and_places.sql"),
            ),
            (
                8,
                "reports",
                include_str!("../../migrations/postgres/0008_reports.sql"),
            ),
        ],
    };
    files
        .iter()
        .map(|(v, d, sql)| {
            Migration::new(
                *v,
                Cow::Borrowed(*d),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect()
}

impl Db {
    /// Connects and brings the schema up to date.
    pub async fn open(url: &str, max_connections: Option<u32>) -> Result<Db, sqlx::Error> {
        install_default_drivers();
        let engine = if url.starts_with("postgres") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        };
        if engine == Engine::Sqlite
            && let Some(path) = url
                .strip_prefix("sqlite://")
                .map(|p| p.split('?').next().unwrap_or(p))
            && let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
        }
        // SQLite allows one writer; more connections only queue on its lock.
        let max = max_connections.unwrap_or(if engine == Engine::Sqlite { 4 } else { 16 });
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        use sqlx::Executor;
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        Migrator::with_migrations(migrations(engine))
            .run(&pool)
            .await?;
        Ok(Db { pool, engine })
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
