//! Accounts: `/api/v1/accounts/` (register, activate, login, refresh, logout, password reset and
//! change), the periodic clean-up of expired tokens, and the operator commands behind `theater users`.
//!
//! Layout: `domain` (the parsed input types), `service` (the business rules, shared by the JSON
//! handlers in `routes`, the HTML pages and the CLI), `password` (argon2id), `limiter` (login rate
//! limit).

pub mod cli;
pub mod domain;
pub mod limiter;
pub mod password;
pub mod routes;
pub mod service;

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;

pub use self::{
    domain::{Email, Password},
    limiter::{ClientIp, LoginLimiter},
};
use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    routes::router()
}

/// How often expired tokens are deleted.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Deletes expired tokens at start and then every hour, and lets the login limiter forget recovered
/// keys, until `shutdown`.
pub async fn run_cleanup(state: AppState, shutdown: CancellationToken) {
    let mut interval = tokio::time::interval(CLEANUP_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = interval.tick() => {}
        }
        match service::delete_expired_tokens(&state.db, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "expired tokens deleted"),
            Err(e) => tracing::error!("deleting expired tokens: {e}"),
        }
        state.login_limiter.forget_idle();
    }
}
