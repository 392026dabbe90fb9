//! Storage objects that must go because their row went (an avatar of a deleted user). The removal
//! of the row writes the key to `object_deletions` in its own transaction ([`schedule`]); after the
//! commit the caller tries at once ([`purge_due`]), and the background job retries what storage
//! refused, with back-off, until it answers. So storage being down never fails or blocks the
//! deletion, an object outlives its row only while storage is down (plus one retry interval), and
//! since the row goes first, no row ever points at a missing object.
//!
//! Hand-written beside the mail outbox rather than on a job-queue crate: it is one table and one
//! loop, on both backends, with the service's own connection and timeouts.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Value};
use tokio_util::sync::CancellationToken;

use crate::{
    db::{execute, statement},
    storage::Storage,
};

/// How often the background job looks for due deletions.
pub const POLL: Duration = Duration::from_secs(10);
/// Deletions tried per round.
const ROUND: i64 = 100;
/// The longest wait between two attempts at one object.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Records that `key` must be deleted from storage, through `db` (the transaction removing its row).
pub async fn schedule(
    db: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    execute(
        db,
        "INSERT INTO object_deletions (key, next_attempt_at, created_at) VALUES ($1, $2, $2)",
        [Value::from(key), Value::from(now)],
    )
    .await?;
    Ok(())
}

/// The wait after the `attempts`-th failure: 1 s doubling, at most [`MAX_BACKOFF`].
fn backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    Duration::from_secs(1u64 << doublings).min(MAX_BACKOFF)
}

/// What a round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub deleted: usize,
    pub failed: usize,
}

/// Tries every due deletion once: a deleted (or already missing) object's entry goes; a failure is
/// recorded and retried after its back-off. Several instances may try one key at once: deleting an
/// object twice is harmless.
pub async fn purge_due(db: &DatabaseConnection, storage: &Storage) -> Result<Round, DbErr> {
    let now = Utc::now();
    let sql = "SELECT id, key, attempts FROM object_deletions WHERE next_attempt_at <= $1 \
               ORDER BY next_attempt_at, id LIMIT $2";
    let due = db
        .query_all_raw(statement(db, sql, [Value::from(now), Value::from(ROUND)]))
        .await?;
    let mut round = Round::default();
    for row in due {
        let id: i32 = row.try_get_by_index(0)?;
        let key: String = row.try_get_by_index(1)?;
        let attempts: i32 = row.try_get_by_index(2)?;
        match storage.delete(&key).await {
            Ok(()) => {
                execute(
                    db,
                    "DELETE FROM object_deletions WHERE id = $1",
                    [Value::from(id)],
                )
                .await?;
                tracing::info!(key, "deleted the object of a removed row");
                round.deleted += 1;
            }
            Err(e) => {
                let attempts = attempts.saturating_add(1);
                let next = Utc::now()
                    + chrono::TimeDelta::from_std(backoff(attempts))
                        .unwrap_or(chrono::TimeDelta::MAX);
                let error: String = format!("{e:#}").chars().take(2000).collect();
                tracing::warn!(key, attempts, %next, "could not delete an object, will retry: {error}");
                execute(
                    db,
                    "UPDATE object_deletions SET attempts = $2, next_attempt_at = $3, last_error = $4 \
                     WHERE id = $1",
                    [
                        Value::from(id),
                        Value::from(attempts),
                        Value::from(next),
                        Value::from(error),
                    ],
                )
                .await?;
                round.failed += 1;
            }
        }
    }
    Ok(round)
}

/// How many deletions wait (for `/metrics` and tests).
pub async fn pending(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(statement(db, "SELECT COUNT(*) FROM object_deletions", []))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    row.try_get_by_index(0)
}

/// The background job: [`purge_due`] every [`POLL`] until `shutdown`.
pub async fn run_worker(db: DatabaseConnection, storage: Storage, shutdown: CancellationToken) {
    let mut interval = tokio::time::interval(POLL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = interval.tick() => {}
        }
        if let Err(e) = purge_due(&db, &storage).await {
            tracing::error!("object deletions: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(30), MAX_BACKOFF);
        assert_eq!(backoff(i32::MAX), MAX_BACKOFF);
    }

    #[tokio::test]
    async fn scheduled_objects_are_deleted_and_failures_kept() {
        let db = crate::db::memory().await;
        let storage = Storage::in_memory("http://127.0.0.1");
        storage
            .put(
                "avatars/1_a.png",
                bytes::Bytes::from_static(b"x"),
                "image/png",
            )
            .await
            .unwrap();
        schedule(&db, "avatars/1_a.png", Utc::now()).await.unwrap();
        // A key storage refuses stays, with its error, for later.
        schedule(&db, "bad//key", Utc::now()).await.unwrap();
        let round = purge_due(&db, &storage).await.unwrap();
        assert_eq!(
            round,
            Round {
                deleted: 1,
                failed: 1
            }
        );
        assert_eq!(pending(&db).await.unwrap(), 1);
        // Not due again before its back-off.
        assert_eq!(purge_due(&db, &storage).await.unwrap(), Round::default());
    }
}
