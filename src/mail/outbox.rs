//! The outbox table and its worker (zero2prod's `try_execute_task` shape).
//!
//! Claiming is one atomic `UPDATE ... RETURNING` that moves the message's `next_attempt_at` a lease
//! into the future, so any number of workers, in one process or several, never send the same message
//! at once: on PostgreSQL the candidate row is picked with `FOR UPDATE SKIP LOCKED`, and SQLite takes
//! its single write lock before the statement reads anything. The claim commits before SMTP starts, so
//! no transaction is held open across the network; a worker that dies mid-send leaves the message to
//! be claimed again when the lease ends (at-least-once delivery). Every attempt of a message carries
//! the `Message-ID` fixed when it was written, so such a duplicate is recognisable as one. A message
//! the server refuses for good (an SMTP 5xx, or one that cannot even be built) is marked failed and
//! never retried; `/metrics` counts those (`email_outbox_failed`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query},
};
use tokio_util::sync::CancellationToken;

use super::{
    Mail,
    transport::{Delivery, OutgoingEmail, SEND_TIMEOUT, SendError},
};
use crate::entities::email_outbox::{self, Column, Entity};

/// How long a claimed message is reserved for the worker sending it. It must outlive one attempt,
/// which the transport cuts off at [`SEND_TIMEOUT`]: twice that leaves room for the database updates
/// around it, and a message whose worker died is retried within two minutes, not ten.
const LEASE: Duration = SEND_TIMEOUT.saturating_mul(2);
/// How often an idle worker looks for due retries and mail enqueued by other processes.
const POLL_INTERVAL: Duration = Duration::from_secs(5);
/// The shortest idle wait, so a due message another worker holds never makes this one spin.
const MIN_IDLE: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOutcome {
    /// One message was attempted (sent, its failure recorded for a later retry, or marked failed).
    TaskCompleted,
    /// Nothing is due.
    EmptyQueue,
}

/// Retry delays: `base`, doubling with every failed attempt, never more than `max`. Delivery never
/// gives up on a transient failure: an outage of days delays mail by at most `max` after it ends.
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

/// A rendered message, ready to be written to the outbox.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub recipient: String,
    pub subject: String,
    pub html_body: String,
    /// The e-mail's link (it may carry a token), for the log transport.
    pub link: String,
    /// `<random@domain>`, fixed now so every attempt carries it.
    pub message_id: String,
    /// The one-click unsubscribe URL (notification e-mails only).
    pub list_unsubscribe: Option<String>,
}

/// Writes a message to the outbox, due at once.
pub async fn insert(
    db: &impl ConnectionTrait,
    message: NewMessage,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    email_outbox::ActiveModel {
        recipient: Set(message.recipient),
        subject: Set(message.subject),
        html_body: Set(message.html_body),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(now),
        sent_at: Set(None),
        last_error: Set(None),
        message_id: Set(Some(message.message_id)),
        link: Set(Some(message.link)),
        failed_at: Set(None),
        list_unsubscribe: Set(message.list_unsubscribe),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Writes a message to the outbox only when `condition` selects a row, in one statement
/// (`INSERT ... SELECT ... WHERE EXISTS`): the caller does the same work whether or not the message
/// is owed, so its response time does not tell. Returns whether it was written.
pub async fn insert_if_exists(
    db: &impl ConnectionTrait,
    message: NewMessage,
    now: DateTime<Utc>,
    condition: sea_orm::sea_query::SelectStatement,
) -> Result<bool, DbErr> {
    let values = Query::select()
        .expr(Expr::val(message.recipient))
        .expr(Expr::val(message.subject))
        .expr(Expr::val(message.html_body))
        .expr(Expr::val(now))
        .expr(Expr::val(0))
        .expr(Expr::val(now))
        .expr(Expr::val(message.message_id))
        .expr(Expr::val(message.link))
        .and_where(Expr::exists(condition))
        .to_owned();
    let insert = Query::insert()
        .into_table(Entity)
        .columns([
            Column::Recipient,
            Column::Subject,
            Column::HtmlBody,
            Column::CreatedAt,
            Column::Attempts,
            Column::NextAttemptAt,
            Column::MessageId,
            Column::Link,
        ])
        .select_from(values)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    let statement = db.get_database_backend().build(&insert);
    Ok(db.execute_raw(statement).await?.rows_affected() > 0)
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
        .and_where(Expr::col(Column::FailedAt).is_null())
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
        // Named, not `*`: SQLite expands `RETURNING *` when it (re)prepares the statement, and after
        // a migration added columns, sqlx's cached column list no longer matched the row (the row was
        // lost, or the connection's worker panicked).
        .returning(Query::returning().columns(Column::iter()))
        .to_owned();
    let statement = db.get_database_backend().build(&update);
    Entity::find().from_raw_sql(statement).one(db).await
}

/// Sends one due message, if there is one. A failure is recorded on the message (`attempts`,
/// `last_error`, and `next_attempt_at` per the back-off, or `failed_at` when it is permanent) and is
/// not an error of this function, which fails only when the database does. A message handed to the
/// log (no `EMAIL_HOST`) counts as sent, as before: it stays readable in the table.
pub async fn try_execute_task(
    db: &DatabaseConnection,
    mail: &Mail,
) -> Result<ExecutionOutcome, DbErr> {
    let Some(task) = claim(db, Utc::now()).await? else {
        return Ok(ExecutionOutcome::EmptyQueue);
    };
    let message_id = task
        .message_id
        .clone()
        .unwrap_or_else(|| legacy_message_id(&task, mail.message_id_domain()));
    let email = OutgoingEmail {
        outbox_id: task.id,
        from: mail.from_address(),
        to: &task.recipient,
        subject: &task.subject,
        html: &task.html_body,
        link: task.link.as_deref(),
        message_id: &message_id,
        list_unsubscribe: task.list_unsubscribe.as_deref(),
    };
    let sent = mail.transport().send(&email).await;
    let now = Utc::now();
    let mut update = Entity::update_many().filter(Column::Id.eq(task.id));
    let error_text = |e: &SendError| -> String { e.to_string().chars().take(2000).collect() };
    match sent {
        Ok(delivery) => {
            if delivery == Delivery::Sent {
                tracing::info!(id = task.id, to = %task.recipient, subject = %task.subject, "e-mail sent");
            }
            update = update
                .col_expr(Column::SentAt, Expr::value(now))
                .col_expr(Column::LastError, Expr::value(Option::<String>::None));
        }
        Err(e @ SendError::Permanent(_)) => {
            tracing::error!(
                id = task.id, to = %task.recipient, attempts = task.attempts,
                "e-mail refused for good, it will not be retried: {e}"
            );
            update = update
                .col_expr(Column::FailedAt, Expr::value(now))
                .col_expr(Column::LastError, Expr::value(error_text(&e)));
        }
        Err(e @ SendError::Transient(_)) => {
            let retry_at = now + mail.backoff().delay(task.attempts);
            tracing::warn!(
                id = task.id, to = %task.recipient, attempts = task.attempts, %retry_at,
                "e-mail not sent, will retry: {e}"
            );
            update = update
                .col_expr(Column::NextAttemptAt, Expr::value(retry_at))
                .col_expr(Column::LastError, Expr::value(error_text(&e)));
        }
    }
    update.exec(db).await?;
    Ok(ExecutionOutcome::TaskCompleted)
}

/// A `Message-ID` for a row written before the column existed: derived from the row, so it too is the
/// same on every attempt.
fn legacy_message_id(task: &email_outbox::Model, domain: &str) -> String {
    format!(
        "<outbox.{}.{}@{domain}>",
        task.id,
        task.created_at.timestamp_micros()
    )
}

/// When the next unsent message falls due (a retry, or a message another process is sending).
async fn next_due(db: &DatabaseConnection) -> Result<Option<DateTime<Utc>>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::NextAttemptAt)
        .filter(Column::SentAt.is_null())
        .filter(Column::FailedAt.is_null())
        .order_by_asc(Column::NextAttemptAt)
        .into_tuple()
        .one(db)
        .await
}

/// The messages waiting to be sent and those refused for good (the `/metrics` gauges).
pub async fn backlog(db: &DatabaseConnection) -> Result<(u64, u64), DbErr> {
    let pending = Entity::find()
        .filter(Column::SentAt.is_null())
        .filter(Column::FailedAt.is_null())
        .count(db)
        .await?;
    let failed = Entity::find()
        .filter(Column::FailedAt.is_not_null())
        .count(db)
        .await?;
    Ok((pending, failed))
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
    fn rows_older_than_the_column_get_a_stable_message_id() {
        let now = Utc::now();
        let row = email_outbox::Model {
            id: 42,
            recipient: "a@example.com".into(),
            subject: "s".into(),
            html_body: String::new(),
            created_at: now,
            attempts: 3,
            next_attempt_at: now,
            sent_at: None,
            last_error: None,
            message_id: None,
            link: None,
            failed_at: None,
            list_unsubscribe: None,
        };
        let id = legacy_message_id(&row, "theater.example");
        assert_eq!(
            id,
            format!("<outbox.42.{}@theater.example>", now.timestamp_micros())
        );
        let retried = email_outbox::Model {
            attempts: 4,
            ..row.clone()
        };
        assert_eq!(legacy_message_id(&retried, "theater.example"), id);
    }

    #[test]
    fn a_lease_outlives_one_attempt_and_is_short() {
        assert!(LEASE > SEND_TIMEOUT);
        assert!(LEASE <= Duration::from_secs(120));
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let b = Backoff::default();
        let secs: Vec<u64> = (1..=9).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(b.delay(0).as_secs(), 30);
        assert_eq!(b.delay(i32::MAX).as_secs(), 3600);
    }
}
