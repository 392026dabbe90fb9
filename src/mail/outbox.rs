//! The outbox table and its worker (zero2prod's `try_execute_task` shape).
//!
//! Claiming is one atomic `UPDATE ... RETURNING` that moves the message's `next_attempt_at` a lease
//! into the future, so any number of workers, in one process or several, never send the same message
//! at once: on PostgreSQL the candidate row is picked with `FOR UPDATE SKIP LOCKED`, and SQLite takes
//! its single write lock before the statement reads anything. The claim commits before SMTP starts, so
//! no transaction is held open across the network; a worker that dies mid-send leaves the message to
//! be claimed again when the lease ends (at-least-once delivery).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query},
};
use tokio_util::sync::CancellationToken;

use super::{Mail, transport::OutgoingEmail};
use crate::entities::email_outbox::{self, Column, Entity};

/// How long a claimed message is reserved for the worker sending it; far longer than an SMTP
/// exchange may take (see the transport's timeout).
const LEASE: Duration = Duration::from_secs(10 * 60);
/// How often an idle worker looks for due retries and mail enqueued by other processes.
const POLL_INTERVAL: Duration = Duration::from_secs(5);
/// The shortest idle wait, so a due message another worker holds never makes this one spin.
const MIN_IDLE: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOutcome {
    /// One message was attempted (sent, or its failure recorded for a later retry).
    TaskCompleted,
    /// Nothing is due.
    EmptyQueue,
}

/// Retry delays: `base`, doubling with every failed attempt, never more than `max`. Delivery never
/// gives up: an outage of days delays mail by at most `max` after it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            max: Duration::from_secs(60 * 60),
        }
    }
}

impl Backoff {
    /// The wait after the `attempts`-th failed attempt (1 for the first).
    pub fn delay(&self, attempts: i32) -> Duration {
        let doublings = std::cmp::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 30);
        self.base
            .checked_mul(1 << doublings)
            .map_or(self.max, |d| d.min(self.max))
    }
}

/// Writes a message to the outbox, due at once.
pub async fn insert(
    db: &impl ConnectionTrait,
    recipient: &str,
    subject: &str,
    html_body: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    email_outbox::ActiveModel {
        recipient: Set(recipient.to_owned()),
        subject: Set(subject.to_owned()),
        html_body: Set(html_body),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        sent_at: Set(None),
        last_error: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Claims the oldest due message, if any, and counts the attempt.
async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Option<email_outbox::Model>, DbErr> {
    let due = Query::select()
        .column(Column::Id)
        .from(Entity)
        .and_where(Expr::col(Column::SentAt).is_null())
        .and_where(Expr::col(Column::NextAttemptAt).lte(now))
        .order_by(Column::NextAttemptAt, Order::Asc)
        .order_by(Column::Id, Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let update = Query::update()
        .table(Entity)
        .value(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .value(Column::NextAttemptAt, now + LEASE)
        .and_where(Expr::col(Column::Id).in_subquery(due))
        .returning_all()
        .to_owned();
    let statement = db.get_database_backend().build(&update);
    Entity::find().from_raw_sql(statement).one(db).await
}

/// Sends one due message, if there is one. A failure is recorded on the message (`attempts`,
/// `last_error`, `next_attempt_at` per the back-off) and is not an error of this function, which fails
/// only when the database does.
pub async fn try_execute_task(
    db: &DatabaseConnection,
    mail: &Mail,
) -> Result<ExecutionOutcome, DbErr> {
    let Some(task) = claim(db, Utc::now()).await? else {
        return Ok(ExecutionOutcome::EmptyQueue);
    };
    let email = OutgoingEmail {
        from: mail.from_address(),
        to: &task.recipient,
        subject: &task.subject,
        html: &task.html_body,
    };
    let sent = mail.transport().send(&email).await;
    let now = Utc::now();
    let mut update = Entity::update_many().filter(Column::Id.eq(task.id));
    match sent {
        Ok(()) => {
            tracing::info!(id = task.id, to = %task.recipient, subject = %task.subject, "e-mail sent");
            update = update
                .col_expr(Column::SentAt, Expr::value(now))
                .col_expr(Column::LastError, Expr::value(Option::<String>::None));
        }
        Err(e) => {
            let retry_at = now + mail.backoff().delay(task.attempts);
            tracing::warn!(
                id = task.id, to = %task.recipient, attempts = task.attempts, %retry_at,
                "e-mail not sent, will retry: {e:#}"
            );
            let error: String = format!("{e:#}").chars().take(2000).collect();
            update = update
                .col_expr(Column::NextAttemptAt, Expr::value(retry_at))
                .col_expr(Column::LastError, Expr::value(error));
        }
    }
    update.exec(db).await?;
    Ok(ExecutionOutcome::TaskCompleted)
}

/// When the next unsent message falls due (a retry, or a message another process is sending).
async fn next_due(db: &DatabaseConnection) -> Result<Option<DateTime<Utc>>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::NextAttemptAt)
        .filter(Column::SentAt.is_null())
        .order_by_asc(Column::NextAttemptAt)
        .into_tuple()
        .one(db)
        .await
}

/// Deletes messages sent before `before` (the outbox is not an archive).
pub async fn delete_sent_before(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let deleted = Entity::delete_many()
        .filter(Column::SentAt.lt(before))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// The worker loop: sends due mail until `shutdown`. When idle it sleeps until woken by a commit that
/// enqueued mail, until the next retry falls due, or for the poll interval (mail other processes
/// enqueue), whichever comes first. A message being sent when shutdown comes is finished first.
pub async fn run_worker(
    db: DatabaseConnection,
    mail: std::sync::Arc<Mail>,
    shutdown: CancellationToken,
) {
    tracing::info!("e-mail outbox worker started");
    while !shutdown.is_cancelled() {
        let idle = match try_execute_task(&db, &mail).await {
            Ok(ExecutionOutcome::TaskCompleted) => continue,
            Ok(ExecutionOutcome::EmptyQueue) => match next_due(&db).await {
                Ok(Some(due)) => (due - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .clamp(MIN_IDLE, POLL_INTERVAL),
                Ok(None) => POLL_INTERVAL,
                Err(e) => {
                    tracing::error!("e-mail outbox: {e}");
                    POLL_INTERVAL
                }
            },
            Err(e) => {
                tracing::error!("e-mail outbox: {e}");
                POLL_INTERVAL
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = mail.wait_for_mail(idle) => {}
        }
    }
    tracing::info!("e-mail outbox worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let b = Backoff::default();
        let secs: Vec<u64> = (1..=9).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(b.delay(0).as_secs(), 30);
        assert_eq!(b.delay(i32::MAX).as_secs(), 3600);
    }
}
