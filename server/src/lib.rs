//! Closeloop's server: authentication, rule-checked batched sync of automerge documents, evidence
//! blobs, and SQL projections of every hazard. The protocol is `docs/sync-protocol.md`.
//!
//! [`launch`] serves on a listener until a shutdown signal, so tests bind port 0 and stop cleanly.

pub mod actions;
pub mod admin;
pub mod auth;
pub mod background;
pub mod blobs;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod documents;
pub mod error;
pub mod events;
pub mod exports;
pub mod metrics;
pub mod pdf;
pub mod reports;
pub mod routes;
pub mod serve;
pub mod shutdown;
pub mod slots;
pub mod store;
pub mod sync;
pub mod throttle;

use crate::auth::jwt::Keys;
use crate::blobs::BlobStore;
use crate::config::{Config, JwtKey};
use crate::db::Db;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, patch, post, put};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Db,
    pub keys: Keys,
    pub blobs: BlobStore,
    pub config: Arc<Config>,
    /// Password checks, on a few dedicated threads (argon2 needs ~19 MiB per hash).
    pub passwords: Arc<auth::verifier::Verifier>,
    pub metrics: Arc<metrics::Metrics>,
    /// Live hazard changes for this process's event streams.
    pub events: events::Events,
    pub shutdown: shutdown::Shutdown,
    /// Login attempts per account and address.
    pub throttle: Arc<throttle::Throttle>,
    /// Open event streams, per user.
    pub streams: Arc<slots::Slots>,
    /// Syncs being processed, per user.
    pub syncs: Arc<slots::Slots>,
    /// Turns for syncs in all (`max_concurrent_syncs`); the rest wait.
    pub sync_gate: Arc<tokio::sync::Semaphore>,
    /// Turns for decoding uploaded photos (one per core).
    pub photo_checks: Arc<tokio::sync::Semaphore>,
    /// The font PDFs are set in, found on first use.
    pub pdf_fonts: pdf::Fonts,
    /// Turns for making PDFs (`max_concurrent_pdfs`) and for exports (`max_concurrent_exports`);
    /// past them a request is answered 429 at once.
    pub pdf_turns: Arc<tokio::sync::Semaphore>,
    pub export_turns: Arc<tokio::sync::Semaphore>,
}

/// Loads the configured JWT keys, or the ones generated into the data folder on first start.
fn jwt_keys(config: &Config) -> std::io::Result<Vec<JwtKey>> {
    if !config.jwt_keys.is_empty() {
        return Ok(config.jwt_keys.clone());
    }
    let path = config.data_dir.join("jwt-keys.json");
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(keys) = serde_json::from_str::<Vec<JwtKey>>(&text)
        && !keys.is_empty()
    {
        return Ok(keys);
    }
    let keys = vec![JwtKey {
        kid: format!("k-{}", db::random_hex(4)),
        secret: db::random_hex(32),
    }];
    std::fs::create_dir_all(&config.data_dir)?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(&keys).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, &path)?;
    Ok(keys)
}

impl AppState {
    /// Opens the database (running migrations), the blob store and the keys.
    pub async fn open(config: Config) -> Result<AppState, String> {
        config.validate().map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| format!("data_dir {}: {e}", config.data_dir.display()))?;
        let db = Db::open(&config.database_url(), config.db_max_connections)
            .await
            .map_err(|e| format!("database: {e}"))?;
        let blobs = match config.s3().map_err(|e| e.to_string())? {
            Some(s3) => BlobStore::S3(
                blobs::S3Store::open(s3)
                    .await
                    .map_err(|e| format!("s3: {e}"))?,
            ),
            None => BlobStore::folder(config.blob_dir()).map_err(|e| format!("blob_dir: {e}"))?,
        };
        sync::projections::backfill(&db.pool)
            .await
            .map_err(|e| format!("database: {e}"))?;
        let keys = jwt_keys(&config).map_err(|e| format!("jwt keys: {e}"))?;
        let keys = Keys::new(&keys, &config.jwt_issuer).ok_or("no JWT key")?;
        let slots = std::thread::available_parallelism().map_or(2, |n| n.get());
        let events = events::Events::default();
        if db.engine == db::Engine::Postgres {
            tokio::spawn(events::listen(config.database_url(), events.clone()));
        }
        let throttle = Arc::new(throttle::Throttle::new(&config));
        let config_turns = config.max_concurrent_syncs;
        let (pdf_turns, export_turns) = (config.max_concurrent_pdfs, config.max_concurrent_exports);
        let tidy = Arc::downgrade(&throttle);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                match tidy.upgrade() {
                    Some(t) => t.tidy(),
                    None => return,
                }
            }
        });
        Ok(AppState {
            db,
            keys,
            blobs,
            passwords: Arc::new(auth::verifier::Verifier::new(
                slots,
                config.max_pending_logins,
            )),
            config: Arc::new(config),
            metrics: Arc::default(),
            events,
            shutdown: shutdown::Shutdown::default(),
            throttle,
            streams: Arc::default(),
            syncs: Arc::default(),
            sync_gate: Arc::new(tokio::sync::Semaphore::new(config_turns)),
            photo_checks: Arc::new(tokio::sync::Semaphore::new(slots)),
            pdf_fonts: pdf::Fonts::default(),
            pdf_turns: Arc::new(tokio::sync::Semaphore::new(pdf_turns)),
            export_turns: Arc::new(tokio::sync::Semaphore::new(export_turns)),
        })
    }
}

/// Gives each request an id (the client's `x-request-id`, or a new one), logs it with its status
/// and duration inside a span carrying the id (so every log line of the request has it), counts
/// it by route for the metrics, and echoes the id to the client.
async fn trace(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| db::random_hex(8));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // The route pattern, not the path, keeps metric labels few (ids are not labels).
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_owned();
    if let Ok(v) = id.parse() {
        req.headers_mut().insert("x-request-id", v);
    }
    let span = tracing::info_span!("request", request_id = %id, %method, %route);
    let started = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    state
        .metrics
        .request(method.as_str(), &route, status, elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(%path, status, ms = elapsed.as_millis() as u64, "request");
    });
    if let Ok(v) = id.parse() {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// The OpenAPI description of every route, served as is.
pub const OPENAPI: &str = include_str!("../openapi.json");

async fn openapi() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

/// Every (method, path) the router serves; a test holds this, the router and `openapi.json` to
/// each other.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/refresh"),
    ("POST", "/v1/auth/logout"),
    ("GET", "/v1/me"),
    ("POST", "/v1/devices/actors"),
    ("POST", "/v1/sync"),
    ("PUT", "/v1/blobs/{sha256}"),
    ("GET", "/v1/blobs/{sha256}"),
    ("HEAD", "/v1/blobs/{sha256}"),
    ("GET", "/v1/hazards"),
    ("GET", "/v1/hazards/{id}"),
    ("GET", "/v1/hazards/{id}/timeline"),
    ("POST", "/v1/hazards/{id}/actions"),
    ("GET", "/v1/review-queue"),
    ("GET", "/v1/inspections/{id}"),
    ("GET", "/v1/sites/nearby"),
    ("GET", "/v1/sites/{id}"),
    ("GET", "/v1/sites/{id}/checklist"),
    ("GET", "/v1/stats"),
    ("GET", "/v1/hazard-events"),
    ("POST", "/v1/admin/grids"),
    ("POST", "/v1/admin/users"),
    ("PUT", "/v1/admin/users/{user_id}/scope"),
    ("GET", "/v1/people"),
    ("GET", "/v1/sites/{id}/assignees"),
    ("GET", "/v1/admin/users"),
    ("PATCH", "/v1/admin/users/{user_id}"),
    ("POST", "/v1/admin/users/{user_id}/deactivate"),
    ("POST", "/v1/admin/users/{user_id}/reactivate"),
    ("PUT", "/v1/admin/users/{user_id}/password"),
    ("GET", "/v1/admin/grids"),
    ("PATCH", "/v1/admin/grids/{id}"),
    ("POST", "/v1/admin/sites"),
    ("PUT", "/v1/admin/sites/{id}"),
    ("POST", "/v1/admin/sites/{id}/move"),
    ("PUT", "/v1/admin/sites/{id}/people"),
    ("GET", "/v1/admin/audit"),
    ("POST", "/v1/admin/imports/{kind}"),
    ("GET", "/v1/exports/hazards"),
    ("GET", "/v1/exports/inspections"),
    ("GET", "/v1/exports/sites"),
    ("GET", "/v1/sites/{id}/archive.pdf"),
    ("GET", "/v1/hazards/{id}/notice.pdf"),
    ("GET", "/v1/inspections/{id}/notice.pdf"),
    ("GET", "/v1/reports"),
    ("POST", "/v1/reports"),
    ("GET", "/v1/reports/{id}"),
    ("GET", "/v1/reports/{id}/report.pdf"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

/// The HTTP routes.
pub fn app(state: AppState) -> Router {
    use routes::{admin, auth, blobs, events, hazards, inspections, ops, people, sites, sync};
    Router::new()
        .route("/v1/auth/login", post(auth::login))
        .route("/v1/auth/refresh", post(auth::refresh))
        .route("/v1/auth/logout", post(auth::logout))
        .route("/v1/me", get(auth::me))
        .route("/v1/devices/actors", post(sync::register_actors))
        .route("/v1/sync", post(sync::sync))
        .route(
            "/v1/blobs/{sha256}",
            put(blobs::put).get(blobs::get).head(blobs::head),
        )
        .route("/v1/hazards", get(hazards::list))
        .route("/v1/hazards/{id}", get(hazards::detail))
        .route("/v1/hazards/{id}/timeline", get(hazards::timeline))
        .route("/v1/hazards/{id}/actions", post(hazards::act))
        .route("/v1/review-queue", get(hazards::review_queue))
        .route("/v1/inspections/{id}", get(inspections::detail))
        .route("/v1/sites/nearby", get(sites::nearby))
        .route("/v1/sites/{id}", get(sites::detail))
        .route("/v1/sites/{id}/checklist", get(sites::checklist))
        .route("/v1/stats", get(sites::stats))
        .route("/v1/hazard-events", get(events::stream))
        .route("/v1/people", get(people::list))
        .route("/v1/sites/{id}/assignees", get(people::assignees))
        .route(
            "/v1/admin/grids",
            post(admin::create_grid).get(admin::list_grids),
        )
        .route("/v1/admin/grids/{id}", patch(admin::rename_grid))
        .route(
            "/v1/admin/users",
            post(admin::create_user).get(admin::list_users),
        )
        .route("/v1/admin/users/{user_id}", patch(admin::edit_user))
        .route("/v1/admin/users/{user_id}/scope", put(admin::set_scope))
        .route(
            "/v1/admin/users/{user_id}/deactivate",
            post(admin::deactivate_user),
        )
        .route(
            "/v1/admin/users/{user_id}/reactivate",
            post(admin::reactivate_user),
        )
        .route(
            "/v1/admin/users/{user_id}/password",
            put(admin::reset_password),
        )
        .route("/v1/admin/sites", post(admin::create_site))
        .route("/v1/admin/sites/{id}", put(admin::edit_site))
        .route("/v1/admin/sites/{id}/move", post(admin::move_site))
        .route("/v1/admin/sites/{id}/people", put(admin::set_site_people))
        .route("/v1/admin/audit", get(admin::audit_log))
        .route("/v1/admin/imports/{kind}", post(admin::import))
        .route("/v1/exports/hazards", get(routes::documents::hazards))
        .route(
            "/v1/exports/inspections",
            get(routes::documents::inspections),
        )
        .route("/v1/exports/sites", get(routes::documents::sites))
        .route(
            "/v1/sites/{id}/archive.pdf",
            get(routes::documents::archive_pdf),
        )
        .route(
            "/v1/hazards/{id}/notice.pdf",
            get(routes::documents::hazard_notice_pdf),
        )
        .route(
            "/v1/inspections/{id}/notice.pdf",
            get(routes::documents::inspection_notice_pdf),
        )
        .route(
            "/v1/reports",
            get(routes::documents::list_reports).post(routes::documents::generate),
        )
        .route("/v1/reports/{id}", get(routes::documents::report))
        .route(
            "/v1/reports/{id}/report.pdf",
            get(routes::documents::report_pdf),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/v1/openapi.json", get(openapi))
        .merge(console::router().layer(middleware::from_fn(console_headers)))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Handlers read bodies themselves with their own limits, deadlines and JSON errors.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), trace))
        .with_state(state)
}

async fn method_not_allowed(method: axum::http::Method) -> error::ApiError {
    error::ApiError::MethodNotAllowed(format!("{method} is not served here"))
}

/// The console's pages may run their own script and styles (nothing else); the API's answers
/// may run nothing at all (see [`security_headers`]).
async fn console_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut().insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(console::PAGE_CSP),
    );
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

/// Nothing this server answers is to be sniffed as another type, framed, or run as a page: photos
/// and JSON alike.
async fn security_headers(req: Request, next: Next) -> Response {
    use axum::http::{HeaderValue, header};
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; sandbox"),
        );
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// Serves `state` on `listener` until `shutdown` completes. Then it drains: readiness fails,
/// event streams end, requests in flight (syncs included) finish, for at most
/// `shutdown_grace_seconds`.
pub async fn launch(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    console::sweep_sessions(state.clone());
    reports::spawn_schedule(state.clone());
    let draining = state.shutdown.clone();
    let grace = std::time::Duration::from_secs(state.config.shutdown_grace_seconds);
    let begin = draining.clone();
    let bounds = serve::Bounds {
        header_read_timeout: std::time::Duration::from_secs(
            state.config.header_read_timeout_seconds,
        ),
        max_connections: state.config.max_connections,
        max_connections_per_address: state.config.max_connections_per_address,
    };
    let serve = serve::run(listener, app(state), bounds, async move {
        shutdown.await;
        begin.begin();
    });
    let deadline = async move {
        draining.wait().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = serve => r,
        () = deadline => {
            tracing::warn!("requests still running after {} s; stopping anyway", grace.as_secs());
            Ok(())
        }
    }
}
