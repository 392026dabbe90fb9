//! `GET /metrics` in Prometheus text format: request counts and latency histograms per route and
//! status (recorded by [`track`]), database pool usage, the e-mail outbox backlog and its permanently
//! failed messages (read at scrape time, so they cost nothing between scrapes).

use std::{sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};

use crate::state::AppState;

/// Latency buckets in seconds: fine-grained below 10 ms, where a healthy Theater answers.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder: `metrics` macros write to a global one, so every application in the
/// process (tests start several) shares it.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                LATENCY_BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics may be incomplete");
        }
        handle
    })
}

/// Installs the recorder; call once at start-up so the first requests are counted.
pub fn init() {
    let _ = handle();
}

/// Histogram samples wait in buffers until drained; without a scraper they would grow without
/// bound, so a background task drains them every few seconds (the exporter's documented "upkeep").
pub fn spawn_upkeep() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        tokio::spawn(async {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                handle().run_upkeep();
            }
        });
    });
}

/// Middleware: counts each request and records its latency, labelled by route template (never the
/// raw path, which would explode the label set), method and status.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let response = next.run(req).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    response
}

/// Prometheus scrape endpoint (not part of the API document).
pub async fn render(State(state): State<AppState>) -> Response {
    let (size, idle, max) = pool_usage(&state.db, state.config.database_max_connections);
    metrics::gauge!("db_pool_connections").set(f64::from(size));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    metrics::gauge!("db_pool_max_connections").set(f64::from(max));
    match crate::mail::outbox::backlog(&state.db).await {
        Ok((pending, failed)) => {
            metrics::gauge!("email_outbox_pending").set(pending as f64);
            // Refused for good: never retried, so someone has to look.
            metrics::gauge!("email_outbox_failed").set(failed as f64);
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the e-mail outbox backlog"),
    }
    let mut response = (StatusCode::OK, handle().render()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

fn pool_usage(db: &DatabaseConnection, max: u32) -> (u32, usize, u32) {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle(), max)
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle(), max)
        }
        _ => (0, 0, max),
    }
}
