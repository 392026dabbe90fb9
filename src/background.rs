//! The jobs `serve` runs beside the HTTP server: the e-mail outbox worker and the expired-token
//! clean-up. They stop with the server; tests drive the same functions directly.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::startup::AppState;

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
            tokio::spawn(crate::accounts::run_cleanup(
                state.clone(),
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
