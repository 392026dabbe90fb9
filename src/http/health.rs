//! `GET /health` (liveness: the process answers and its database responds) and `GET /ready`
//! (readiness: this instance can serve the whole API right now), for load balancers, orchestrators
//! and compose health checks. Every check has a deadline, so a probe never hangs on a dependency.

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    db::{MigrationState, PROBE_TIMEOUT},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when a dependency is down.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// `ok` or `unreachable`.
    #[schema(example = "ok")]
    pub database: &'static str,
}

/// The readiness report: every check, and the verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when every check is `ok`, otherwise `unavailable` (or `draining` while the instance
    /// shuts down).
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `ok` or `unreachable` (no answer within 2 s).
    #[schema(example = "ok")]
    pub database: &'static str,
    /// `ok` when every migration this release knows is applied; `pending` when some are not (a
    /// fresh or re-created database: run `theater migrate`); `unknown` when the database did not
    /// answer.
    #[schema(example = "ok")]
    pub migrations: &'static str,
    /// `ok` or `unreachable`: the object store answers (S3: a signed request to the bucket; local:
    /// the media directory takes files).
    #[schema(example = "ok")]
    pub storage: &'static str,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

/// Service health (liveness).
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    responses(
        (status = 200, description = "The service and its database are up", body = Health),
        (status = 503, description = "The database is unreachable (no answer within 2 s)", body = Health),
    )
)]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let (code, status, database) = if crate::db::ping(&state.db).await {
        (StatusCode::OK, "ok", "ok")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "unreachable",
        )
    };
    (code, Json(Health { status, database }))
}

/// Readiness: the database answers, its schema is this release's, and the object store answers.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve every endpoint", body = Readiness),
        (status = 503, description = "A check failed (or the instance is draining); the body says which", body = Readiness),
    )
)]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (database, migrations, storage) = tokio::join!(
        crate::db::ping(&state.db),
        crate::db::migration_state(&state.db),
        state.storage.check(PROBE_TIMEOUT),
    );
    if let Err(e) = &storage {
        tracing::warn!(error = %e, "readiness: storage check failed");
    }
    let all_ok = database && migrations == MigrationState::Applied && storage.is_ok();
    let (code, status) = match (state.readiness.is_draining(), all_ok) {
        (true, _) => (StatusCode::SERVICE_UNAVAILABLE, "draining"),
        (false, true) => (StatusCode::OK, "ready"),
        (false, false) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    };
    let report = Readiness {
        status,
        database: if database { "ok" } else { "unreachable" },
        migrations: match migrations {
            MigrationState::Applied => "ok",
            MigrationState::Pending => "pending",
            MigrationState::Unknown => "unknown",
        },
        storage: if storage.is_ok() { "ok" } else { "unreachable" },
    };
    (code, Json(report))
}
