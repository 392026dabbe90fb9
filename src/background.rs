//! The jobs `serve` runs beside the HTTP server: the e-mail outbox worker, the deletion of removed
//! rows' storage objects (`object_cleanup`) and the housekeeping
//! (expired tokens, old sent mail, stale revocations hourly; recovered rate-limit keys every minute).
//! They stop with the server; tests drive the same functions directly.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// How often housekeeping runs.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// How often recovered rate-limit keys are deleted: under a flood of distinct keys the table then
/// holds about one window (15 minutes) of them, not an hour more.
const RATE_LIMIT_PRUNE_INTERVAL: Duration = Duration::from_secs(60);
/// How long sent mail stays in the outbox (for an operator asking "was it sent?").
const KEEP_SENT_MAIL: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// How long shutdown waits for a job to finish what it is doing (an SMTP exchange, at worst).
const STOP_GRACE: Duration = Duration::from_secs(15);

pub struct BackgroundJobs {
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl BackgroundJobs {
    pub fn spawn(state: &AppState) -> Self {
        let shutdown = CancellationToken::new();
        let tasks = vec![
            tokio::spawn(crate::mail::outbox::run_worker(
                state.db.clone(),
                state.mail.clone(),
                shutdown.clone(),
            )),
            tokio::spawn(housekeeping(state.clone(), shutdown.clone())),
            tokio::spawn(crate::object_cleanup::run_worker(
                state.db.clone(),
                state.storage.clone(),
                shutdown.clone(),
            )),
        ];
        Self { shutdown, tasks }
    }

    /// Asks every job to stop and waits for them (at most [`STOP_GRACE`]).
    pub async fn stop(self) {
        self.shutdown.cancel();
        let all = futures::future::join_all(self.tasks);
        if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
            tracing::warn!("background jobs did not stop in time");
        }
    }
}

/// Deletes expired tokens, old sent mail and revocations older than any live token at start and then
/// every hour, and rate-limit keys that have fully recovered every minute, until `shutdown`.
async fn housekeeping(state: AppState, shutdown: CancellationToken) {
    let mut interval = tokio::time::interval(HOUSEKEEPING_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut prune = tokio::time::interval(RATE_LIMIT_PRUNE_INTERVAL);
    prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = prune.tick() => {
                prune_rate_limits(&state).await;
                continue;
            }
            _ = interval.tick() => {}
        }
        let now = chrono::Utc::now();
        match crate::accounts::service::delete_expired_tokens(&state.db, now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "expired tokens deleted"),
            Err(e) => tracing::error!("deleting expired tokens: {e}"),
        }
        if let Err(e) =
            crate::mail::outbox::delete_sent_before(&state.db, now - KEEP_SENT_MAIL).await
        {
            tracing::error!("deleting old sent e-mail: {e}");
        }
        let lifetime = state.config.jwt.access_lifetime;
        let now_ms = crate::rate_limit::now_ms();
        if let Err(e) = crate::revocation::delete_stale(&state.db, now_ms, lifetime).await {
            tracing::error!("deleting stale token revocations: {e}");
        }
    }
}

async fn prune_rate_limits(state: &AppState) {
    match crate::rate_limit::prune(&state.db, crate::rate_limit::now_ms()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "recovered rate-limit keys deleted"),
        Err(e) => tracing::error!("deleting recovered rate-limit keys: {e}"),
    }
}
