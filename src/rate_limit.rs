//! The one rate limiter: a key, a quota (`limit` events per `window`) → allowed, or limited with the
//! time until the next event would be. Login, registration and the password e-mails use it (see
//! `accounts::limiter`); anything else that needs a limit (per user, per address) should too.
//!
//! GCRA (the generic cell rate algorithm) over the `rate_limits` table: each key keeps one number, its
//! "theoretical arrival time" `tat`. An event at `now` is allowed when
//! `max(tat, now) + interval - now <= window` (so up to `limit` events at once, then one every
//! `window / limit`) and moves `tat` by one `interval`. The check-and-spend is ONE atomic
//! `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING` on SQLite and PostgreSQL alike, so
//! concurrent requests on any number of instances cannot both take the last unit, and a restart
//! changes nothing. A row whose `tat` has passed is the same as no row: [`prune`] deletes those, so a
//! flood of distinct keys costs at most `window`'s worth of rows and no process memory.
//!
//! Keys are hashed (BLAKE2b, 128 bits): rows have a fixed size whatever the input, and the table
//! holds no e-mail addresses or IP addresses in clear.

use std::time::Duration;

use blake2::{Blake2b, Digest, digest::consts::U16};
use sea_orm::{ConnectionTrait, DbErr, Value};

/// `limit` events per `window`, all of them available at once after a quiet `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    interval_ms: i64,
    window_ms: i64,
}

impl Quota {
    /// `None` when `limit` or `window` is zero: that limit is switched off.
    pub fn new(limit: u32, window: Duration) -> Option<Self> {
        let window_ms = i64::try_from(window.as_millis()).ok()?;
        if limit == 0 || window_ms == 0 {
            return None;
        }
        Some(Self {
            // At least 1 ms, so every event moves the state.
            interval_ms: (window_ms / i64::from(limit)).max(1),
            window_ms,
        })
    }

    /// The same rate with `factor` times the burst (and window): a slower, longer memory.
    pub fn scaled(self, factor: u32) -> Self {
        Self {
            interval_ms: self.interval_ms,
            window_ms: self.window_ms.saturating_mul(i64::from(factor.max(1))),
        }
    }

    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms.unsigned_abs())
    }

    /// Concurrent requests read the clock before their statements run, so they may reach the
    /// database out of order: one with an earlier `now` after one with a later `now` would find the
    /// last unit of a burst a few milliseconds short. Up to a second of such disorder is forgiven;
    /// less than one interval, so it never grants an extra event.
    fn slack_ms(&self) -> i64 {
        (self.interval_ms - 1).clamp(0, 1000)
    }
}

/// A limited thing: a bucket name (what is limited, in clear, for operators) and a subject (who or
/// what, hashed).
#[derive(Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    pub fn new(bucket: &str, subject: impl AsRef<[u8]>) -> Self {
        let digest = Blake2b::<U16>::digest(subject.as_ref());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        // The column holds 100 characters: bucket names are short constants.
        let bucket = &bucket[..bucket.len().min(60)];
        Self(format!("{bucket}:{hex}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The answer for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Counted. `backlog`: events now held against the key, this one included (1 after a quiet
    /// window), for callers that slow down as it grows.
    Allowed { backlog: u32 },
    /// Not counted: over the limit until `retry_after` has passed.
    Limited { retry_after: Duration },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed { .. })
    }
}

/// The current time in Unix milliseconds (the unit of every instant the limiter stores).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Counts one community write of a user (a rating, reaction, review, reply, report or list change:
/// one budget for all of them, `COMMUNITY_RATE_LIMIT` per `COMMUNITY_RATE_WINDOW_SECONDS`) in the
/// limiter every instance shares. `Some(wait)` when refused; `quota` `None`: no limit.
pub async fn community_write(
    db: &impl ConnectionTrait,
    quota: Option<Quota>,
    user_id: i32,
) -> Result<Option<Duration>, DbErr> {
    let Some(quota) = quota else {
        return Ok(None);
    };
    let key = Key::new("community.write", user_id.to_string());
    Ok(match acquire(db, &key, quota, now_ms()).await? {
        Decision::Allowed { .. } => None,
        Decision::Limited { retry_after } => Some(retry_after),
    })
}

/// `max(tat, now)` for the stored row, in SQL both backends understand.
const CURRENT_TAT: &str = "(CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END)";

/// Counts one event for `key` if `quota` allows it at `now_ms`. One statement: a new key is
/// inserted, a known one updated only when allowed (`WHERE` on the upsert), and `RETURNING` yields a
/// row only when the event was counted.
pub async fn acquire(
    db: &impl ConnectionTrait,
    key: &Key,
    quota: Quota,
    now_ms: i64,
) -> Result<Decision, DbErr> {
    let sql = format!(
        "INSERT INTO rate_limits (bucket, tat_ms) VALUES ($1, $2 + $3) \
         ON CONFLICT (bucket) DO UPDATE SET tat_ms = {CURRENT_TAT} + $3 \
         WHERE {CURRENT_TAT} + $3 - $2 <= $4 \
         RETURNING tat_ms"
    );
    let values = [
        Value::from(key.as_str()),
        Value::from(now_ms),
        Value::from(quota.interval_ms),
        Value::from(quota.window_ms + quota.slack_ms()),
    ];
    let row = db
        .query_one_raw(crate::db::statement(db, &sql, values))
        .await?;
    if let Some(row) = row {
        let tat: i64 = row.try_get("", "tat_ms")?;
        let backlog = ((tat - now_ms).max(0) as u64).div_ceil(quota.interval_ms.unsigned_abs());
        return Ok(Decision::Allowed {
            backlog: u32::try_from(backlog).unwrap_or(u32::MAX),
        });
    }
    // Refused: read the state only to say how long to wait (a race here only changes that number).
    let tat = current_tat(db, key).await?.unwrap_or(now_ms);
    let wait_ms = (tat + quota.interval_ms - quota.window_ms - now_ms).max(1);
    Ok(Decision::Limited {
        retry_after: Duration::from_millis(wait_ms.unsigned_abs()),
    })
}

/// Gives back one event counted by [`acquire`] (e.g. the login turned out to be the owner's). Never
/// below "fully recovered".
pub async fn release(
    db: &impl ConnectionTrait,
    key: &Key,
    quota: Quota,
    now_ms: i64,
) -> Result<(), DbErr> {
    let sql = "UPDATE rate_limits SET tat_ms = \
               CASE WHEN tat_ms - $3 > $2 THEN tat_ms - $3 ELSE $2 END \
               WHERE bucket = $1";
    crate::db::execute(
        db,
        sql,
        [
            Value::from(key.as_str()),
            Value::from(now_ms),
            Value::from(quota.interval_ms),
        ],
    )
    .await?;
    Ok(())
}

async fn current_tat(db: &impl ConnectionTrait, key: &Key) -> Result<Option<i64>, DbErr> {
    let row = db
        .query_one_raw(crate::db::statement(
            db,
            "SELECT tat_ms FROM rate_limits WHERE bucket = $1",
            [Value::from(key.as_str())],
        ))
        .await?;
    row.map(|r| r.try_get("", "tat_ms")).transpose()
}

/// Deletes the keys that have fully recovered by `now_ms` (they mean the same as no row).
pub async fn prune(db: &impl ConnectionTrait, now_ms: i64) -> Result<u64, DbErr> {
    crate::db::execute(
        db,
        "DELETE FROM rate_limits WHERE tat_ms <= $1",
        [Value::from(now_ms)],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::db::memory as db;

    #[test]
    fn quotas_and_keys() {
        assert_eq!(Quota::new(0, Duration::from_secs(60)), None);
        assert_eq!(Quota::new(3, Duration::ZERO), None);
        let q = Quota::new(4, Duration::from_secs(60)).unwrap();
        assert_eq!(q.interval(), Duration::from_secs(15));
        let a = Key::new("login", "a@b.io");
        assert_eq!(a, Key::new("login", "a@b.io"));
        assert_ne!(a, Key::new("login", "a@b.iO"));
        assert_ne!(a, Key::new("register", "a@b.io"));
        assert!(!a.as_str().contains("a@b.io"));
        assert!(Key::new("x", "y".repeat(10_000)).as_str().len() <= 100);
    }

    #[tokio::test]
    async fn allows_the_burst_then_one_per_interval() {
        let db = db().await;
        let q = Quota::new(3, Duration::from_secs(60)).unwrap();
        let key = Key::new("t", "k");
        let t0 = 1_000_000;
        for expected in 1..=3 {
            assert_eq!(
                acquire(&db, &key, q, t0).await.unwrap(),
                Decision::Allowed { backlog: expected }
            );
        }
        let Decision::Limited { retry_after } = acquire(&db, &key, q, t0).await.unwrap() else {
            panic!("the fourth event must be refused");
        };
        assert_eq!(retry_after, Duration::from_secs(20));
        // A refusal costs nothing: after one interval exactly one more is allowed.
        assert!(
            acquire(&db, &key, q, t0 + 20_000)
                .await
                .unwrap()
                .is_allowed()
        );
        assert!(
            !acquire(&db, &key, q, t0 + 20_000)
                .await
                .unwrap()
                .is_allowed()
        );
        // Requests whose clocks were read out of order still get the whole burst.
        let late = Key::new("t", "late");
        assert!(acquire(&db, &late, q, t0 + 5).await.unwrap().is_allowed());
        assert!(acquire(&db, &late, q, t0 + 5).await.unwrap().is_allowed());
        assert!(acquire(&db, &late, q, t0).await.unwrap().is_allowed());
        assert!(!acquire(&db, &late, q, t0 + 5).await.unwrap().is_allowed());
        // Other keys are independent.
        assert!(
            acquire(&db, &Key::new("t", "other"), q, t0)
                .await
                .unwrap()
                .is_allowed()
        );
    }

    #[tokio::test]
    async fn release_gives_an_event_back_and_prune_forgets_recovered_keys() {
        let db = db().await;
        let q = Quota::new(2, Duration::from_secs(60)).unwrap();
        let key = Key::new("t", "k");
        let t0 = 5_000_000;
        for _ in 0..2 {
            assert!(acquire(&db, &key, q, t0).await.unwrap().is_allowed());
        }
        release(&db, &key, q, t0).await.unwrap();
        assert!(acquire(&db, &key, q, t0).await.unwrap().is_allowed());
        assert!(!acquire(&db, &key, q, t0).await.unwrap().is_allowed());
        // Releasing more than was taken never banks credit.
        for _ in 0..5 {
            release(&db, &key, q, t0).await.unwrap();
        }
        assert_eq!(
            acquire(&db, &key, q, t0).await.unwrap(),
            Decision::Allowed { backlog: 1 }
        );
        assert_eq!(prune(&db, t0).await.unwrap(), 0);
        assert_eq!(prune(&db, t0 + 60_000).await.unwrap(), 1);
    }
}
