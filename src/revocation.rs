//! Access-token revocation: after a logout, a password change or reset, or an administrator's
//! revocation, access tokens issued before that instant answer 401 `Token has been revoked.` at once,
//! on every instance.
//!
//! Each user has at most one row in `token_revocations`: `valid_after_ms`, the first millisecond a
//! token of theirs must have been issued at to count. The change that revokes writes it in its own
//! transaction ([`revoke_user_tokens`], [`revoke_access_tokens`]) and, after commit, updates this
//! instance's in-memory copy ([`Revocations::apply`]). Every instance checks tokens against that copy
//! (a map lookup, no database read per request) and refreshes it by polling the rows changed since
//! its last poll every [`POLL_INTERVAL`], so another instance sees a revocation well within a second.
//! The poll re-reads a few seconds of overlap ([`POLL_OVERLAP`]): rows are stamped with the writing
//! instance's clock and become visible at commit, so a row may appear "in the past" of one already
//! seen; re-reading the overlap costs nothing (revocations are rare) and misses none.
//!
//! Only the last access-token lifetime matters: a token issued before `now - lifetime` has expired
//! anyway, so older entries are dropped from memory and from the table (housekeeping). Memory is
//! bounded by the users revoked within one hour.
//!
//! Precision: tokens Theater issues carry their issue instant in milliseconds (`iat_ms`; see
//! `auth::Claims`). A revocation at millisecond `t` stores `valid_after = t + 1`, so every token issued
//! at or before `t` is refused, and a token issued afterwards on this instance is stamped at least
//! `valid_after` ([`Revocations::issue_not_before`]) even within the same millisecond or if the clock
//! stepped back, so "log out, then log in at once" always gives a working token. Across instances the
//! same holds up to their clock difference (NTP keeps it to milliseconds).

use std::{
    collections::HashMap,
    sync::{
        PoisonError, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, Value};
use tokio_util::sync::CancellationToken;

use crate::entities::refresh_token;

/// The 401 text for a revoked token (EXTENSIONS.md).
pub const REVOKED: &str = "Token has been revoked.";

/// How often every instance reads the revocations other instances wrote.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How far back each poll re-reads (clock differences between instances, slow commits).
const POLL_OVERLAP_MS: i64 = 10_000;
#[cfg(test)]
const POLL_OVERLAP: Duration = Duration::from_millis(POLL_OVERLAP_MS as u64);

/// A revocation written in a transaction, to [`Revocations::apply`] after it commits.
#[must_use = "apply it to the in-memory revocations after the transaction commits"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoked {
    pub user_id: i32,
    pub valid_after_ms: i64,
}

/// This instance's copy of the recent revocations: user id → `valid_after_ms`.
#[derive(Debug)]
pub struct Revocations {
    map: RwLock<HashMap<i32, i64>>,
    /// The access-token lifetime: revocations older than this no longer matter.
    horizon_ms: i64,
    /// The poll's position: the newest `updated_at_ms` seen.
    cursor_ms: RwLock<i64>,
    /// Whether the table has been read at least once: until then nothing can be checked, and
    /// tokens are refused rather than let through unchecked.
    loaded: AtomicBool,
}

impl Revocations {
    pub fn new(access_lifetime: Duration) -> Self {
        Self {
            map: RwLock::default(),
            horizon_ms: i64::try_from(access_lifetime.as_millis()).unwrap_or(i64::MAX),
            cursor_ms: RwLock::new(0),
            loaded: AtomicBool::new(false),
        }
    }

    /// False until the first successful read of the table (start-up with the database down).
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// True when a token of `user_id` issued at `issued_at_ms` was revoked.
    pub fn is_revoked(&self, user_id: i32, issued_at_ms: i64) -> bool {
        self.valid_after(user_id)
            .is_some_and(|valid_after| issued_at_ms < valid_after)
    }

    pub fn valid_after(&self, user_id: i32) -> Option<i64> {
        self.read().get(&user_id).copied()
    }

    /// The issue instant for a new token of `user_id` at `now_ms`: never before their last
    /// revocation, so a token issued right after one always counts.
    pub fn issue_not_before(&self, user_id: i32, now_ms: i64) -> i64 {
        self.valid_after(user_id).map_or(now_ms, |v| v.max(now_ms))
    }

    /// Records a committed revocation in this instance's copy.
    pub fn apply(&self, revoked: Revoked) {
        self.merge([(revoked.user_id, revoked.valid_after_ms)]);
    }

    fn merge(&self, rows: impl IntoIterator<Item = (i32, i64)>) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        for (user_id, valid_after) in rows {
            let entry = map.entry(user_id).or_insert(valid_after);
            *entry = (*entry).max(valid_after);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<i32, i64>> {
        self.map.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the rows changed since the last poll (all recent ones the first time) and forgets
    /// entries older than the token lifetime. One indexed range query.
    pub async fn refresh(&self, db: &impl ConnectionTrait, now_ms: i64) -> Result<(), DbErr> {
        let horizon = now_ms.saturating_sub(self.horizon_ms);
        let cursor = *self
            .cursor_ms
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let since = cursor.min(now_ms).saturating_sub(POLL_OVERLAP_MS);
        let rows = db
            .query_all_raw(crate::db::statement(
                db,
                "SELECT user_id, valid_after_ms, updated_at_ms FROM token_revocations \
                 WHERE updated_at_ms > $1 AND valid_after_ms > $2",
                [Value::from(since), Value::from(horizon)],
            ))
            .await?;
        let mut newest = cursor;
        let mut changes = Vec::with_capacity(rows.len());
        for row in rows {
            let user_id: i32 = row.try_get("", "user_id")?;
            let valid_after: i64 = row.try_get("", "valid_after_ms")?;
            let updated_at: i64 = row.try_get("", "updated_at_ms")?;
            newest = newest.max(updated_at);
            changes.push((user_id, valid_after));
        }
        self.merge(changes);
        *self
            .cursor_ms
            .write()
            .unwrap_or_else(PoisonError::into_inner) = newest;
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, valid_after| *valid_after > horizon);
        self.loaded.store(true, Ordering::Release);
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.read().len()
    }
}

/// Access tokens of `user_id` issued up to now stop counting (their refresh tokens are untouched).
/// Call it in the transaction of the change that revokes, then [`Revocations::apply`] the result
/// after commit.
pub async fn revoke_access_tokens(
    db: &impl ConnectionTrait,
    user_id: i32,
    now_ms: i64,
) -> Result<Revoked, DbErr> {
    let valid_after_ms = now_ms + 1;
    // Never moves backwards (a clock stepping back, or two instances racing).
    let sql = "INSERT INTO token_revocations (user_id, valid_after_ms, updated_at_ms) \
               VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET \
               valid_after_ms = CASE WHEN excluded.valid_after_ms > token_revocations.valid_after_ms \
               THEN excluded.valid_after_ms ELSE token_revocations.valid_after_ms END, \
               updated_at_ms = excluded.updated_at_ms";
    crate::db::execute(
        db,
        sql,
        [
            Value::from(user_id),
            Value::from(valid_after_ms),
            Value::from(now_ms),
        ],
    )
    .await?;
    Ok(Revoked {
        user_id,
        valid_after_ms,
    })
}

/// Signs `user_id` out everywhere: every refresh token deleted and every access token issued up to
/// now revoked. The one call for password changes and resets, deactivation and an administrator's
/// "revoke sessions": run it in the change's transaction, then `state.revocations.apply(..)` the
/// result after commit.
pub async fn revoke_user_tokens(
    db: &impl ConnectionTrait,
    user_id: i32,
    now_ms: i64,
) -> Result<Revoked, DbErr> {
    use sea_orm::ColumnTrait;
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    revoke_access_tokens(db, user_id, now_ms).await
}

/// Deletes revocations older than the access-token lifetime (housekeeping): no live token predates
/// them.
pub async fn delete_stale(
    db: &impl ConnectionTrait,
    now_ms: i64,
    access_lifetime: Duration,
) -> Result<u64, DbErr> {
    let horizon =
        now_ms.saturating_sub(i64::try_from(access_lifetime.as_millis()).unwrap_or(i64::MAX));
    crate::db::execute(
        db,
        "DELETE FROM token_revocations WHERE valid_after_ms <= $1",
        [Value::from(horizon)],
    )
    .await
}

/// Keeps `revocations` current until `shutdown`. Runs whenever the server serves (background jobs
/// or not): refusing revoked tokens is a security property, not housekeeping.
pub async fn run_poller(
    db: sea_orm::DatabaseConnection,
    revocations: std::sync::Arc<Revocations>,
    shutdown: CancellationToken,
) {
    let mut interval = tokio::time::interval(POLL_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = interval.tick() => {}
        }
        // Log a failure once, not four times a second; say when it recovers.
        match revocations.refresh(&db, crate::rate_limit::now_ms()).await {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("reading token revocations works again");
            }
            Ok(()) => {}
            Err(e) if !failing => {
                failing = true;
                tracing::error!("reading token revocations: {e}");
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    async fn db_with_users(n: i32) -> sea_orm::DatabaseConnection {
        let db = crate::db::memory().await;
        for i in 1..=n {
            db.execute_unprepared(&format!(
                "INSERT INTO users (email, hashed_password, is_active, group_id) \
                 VALUES ('u{i}@x.io', 'x', true, 1)"
            ))
            .await
            .unwrap();
        }
        db
    }

    #[test]
    fn tokens_issued_at_or_before_the_revocation_are_refused() {
        let r = Revocations::new(HOUR);
        assert!(!r.is_revoked(1, 0));
        r.apply(Revoked {
            user_id: 1,
            valid_after_ms: 1_001,
        });
        assert!(r.is_revoked(1, 1_000));
        assert!(!r.is_loaded(), "only reading the table loads it");
        assert!(!r.is_revoked(1, 1_001));
        assert!(!r.is_revoked(2, 1_000));
        // A token issued in the same millisecond as the revocation is stamped after it.
        assert_eq!(r.issue_not_before(1, 1_000), 1_001);
        assert_eq!(r.issue_not_before(1, 5_000), 5_000);
        // An older revocation applied late does not undo a newer one.
        r.apply(Revoked {
            user_id: 1,
            valid_after_ms: 10,
        });
        assert!(r.is_revoked(1, 1_000));
    }

    #[tokio::test]
    async fn other_instances_learn_revocations_by_polling() {
        let db = db_with_users(3).await;
        let now = 10_000_000;
        let (writer, reader) = (Revocations::new(HOUR), Revocations::new(HOUR));
        reader.refresh(&db, now).await.unwrap();
        assert!(reader.is_loaded());
        writer.apply(revoke_access_tokens(&db, 1, now).await.unwrap());
        assert!(writer.is_revoked(1, now));
        assert!(!reader.is_revoked(1, now));
        reader.refresh(&db, now + 250).await.unwrap();
        assert!(reader.is_revoked(1, now) && !reader.is_revoked(1, now + 1));
        // A row stamped earlier by a clock that is behind is still picked up (the overlap).
        let behind = now - POLL_OVERLAP.as_millis() as i64 / 2;
        let _ = revoke_access_tokens(&db, 2, behind).await.unwrap();
        reader.refresh(&db, now + 500).await.unwrap();
        assert!(reader.is_revoked(2, behind));
        // Revoking again moves the instant forward, never back.
        let _ = revoke_access_tokens(&db, 1, now - 5).await.unwrap();
        reader.refresh(&db, now + 750).await.unwrap();
        assert!(reader.is_revoked(1, now));
    }

    #[tokio::test]
    async fn old_revocations_are_forgotten() {
        let db = db_with_users(2).await;
        let now = 100_000_000;
        let _ = revoke_access_tokens(&db, 1, now).await.unwrap();
        let r = Revocations::new(HOUR);
        r.refresh(&db, now).await.unwrap();
        assert_eq!(r.len(), 1);
        let later = now + HOUR.as_millis() as i64 + 1;
        r.refresh(&db, later).await.unwrap();
        assert_eq!(r.len(), 0);
        assert_eq!(delete_stale(&db, later, HOUR).await.unwrap(), 1);
    }
}
