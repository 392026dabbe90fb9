//! Data access for notifications and their settings. Hand-written SQL with `$n` placeholders (both
//! backends read them).

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};

use super::{
    domain::{NotificationKind, ReadRequest},
    wire::{Notification, NotificationSettings},
};
use crate::{
    db::{execute, statement},
    error::is_integrity_error,
    reviews::{domain::public_name, wire::PublicUser},
};

/// Something that happened to `recipient`'s review, by `actor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub recipient: i32,
    pub kind: NotificationKind,
    pub movie_id: i32,
    /// See `notifications.review_id`: the reply, or the liked review.
    pub review_id: i32,
    pub actor: i32,
}

/// Who a new notification reaches, when they should also get an e-mail of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTo {
    pub email: String,
}

/// Writes the notification of `event` through `db` (the transaction of the reply or like). Once per
/// review, actor and kind: a like taken back and given again is not news twice. Returns the
/// recipient's address when the notification is new, the recipient active and that kind of e-mail on.
pub async fn notify(db: &impl ConnectionTrait, event: Event) -> Result<Option<MailTo>, DbErr> {
    let sql = "INSERT INTO notifications (user_id, kind, movie_id, review_id, actor_id, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6) \
               ON CONFLICT (review_id, actor_id, kind) DO NOTHING";
    let values = [
        Value::from(event.recipient),
        Value::from(event.kind.as_str()),
        Value::from(event.movie_id),
        Value::from(event.review_id),
        Value::from(event.actor),
        Value::from(Utc::now()),
    ];
    if execute(db, sql, values).await? == 0 {
        return Ok(None);
    }
    let column = event.kind.setting_column();
    let default = if NotificationSettings::default().emails(event.kind) {
        "TRUE"
    } else {
        "FALSE"
    };
    let sql = format!(
        "SELECT u.email, u.is_active, COALESCE(s.{column}, {default}) FROM users u \
         LEFT JOIN notification_settings s ON s.user_id = u.id WHERE u.id = $1"
    );
    let Some(row) = db
        .query_one_raw(statement(db, &sql, [Value::from(event.recipient)]))
        .await?
    else {
        return Ok(None);
    };
    let email: String = row.try_get_by_index(0)?;
    let active: bool = row.try_get_by_index(1)?;
    let wanted: bool = row.try_get_by_index(2)?;
    Ok((active && wanted).then_some(MailTo { email }))
}

fn notification(row: &QueryResult) -> Result<Notification, DbErr> {
    let kind: String = row.try_get_by_index(1)?;
    let kind = NotificationKind::from_stored(&kind)
        .ok_or_else(|| DbErr::Type(format!("notifications.kind {kind:?}")))?;
    let actor: i32 = row.try_get_by_index(6)?;
    let first: Option<String> = row.try_get_by_index(7)?;
    let last: Option<String> = row.try_get_by_index(8)?;
    Ok(Notification {
        id: row.try_get_by_index(0)?,
        kind,
        created_at: row.try_get_by_index(2)?,
        read: row.try_get_by_index(3)?,
        movie_id: row.try_get_by_index(4)?,
        review_id: row.try_get_by_index(5)?,
        actor: PublicUser {
            user_id: actor,
            name: public_name(actor, first.as_deref(), last.as_deref()),
        },
    })
}

/// A user's notification count and unread count.
pub async fn counts(db: &impl ConnectionTrait, user_id: i32) -> Result<(i64, i64), DbErr> {
    let sql = "SELECT COUNT(*), COALESCE(SUM(CASE WHEN read THEN 0 ELSE 1 END), 0) \
               FROM notifications WHERE user_id = $1";
    let row = db
        .query_one_raw(statement(db, sql, [Value::from(user_id)]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?))
}

/// A page of a user's notifications, newest first (only the unread ones with `unread_only`).
pub async fn page(
    db: &impl ConnectionTrait,
    user_id: i32,
    unread_only: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<Notification>, DbErr> {
    let filter = if unread_only { " AND NOT n.read" } else { "" };
    let sql = format!(
        "SELECT n.id, n.kind, n.created_at, n.read, n.movie_id, n.review_id, n.actor_id, \
         p.first_name, p.last_name FROM notifications n \
         LEFT JOIN user_profiles p ON p.user_id = n.actor_id \
         WHERE n.user_id = $1{filter} ORDER BY n.id DESC LIMIT $2 OFFSET $3"
    );
    let values = [
        Value::from(user_id),
        Value::from(limit),
        Value::from(offset),
    ];
    db.query_all_raw(statement(db, &sql, values))
        .await?
        .iter()
        .map(notification)
        .collect()
}

/// Marks the user's notifications as read: those of `request` that are theirs.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    user_id: i32,
    request: &ReadRequest,
) -> Result<u64, DbErr> {
    let mut values = vec![Value::from(user_id)];
    let mut sql = "UPDATE notifications SET read = TRUE WHERE user_id = $1 AND NOT read".to_owned();
    if let ReadRequest::Ids(ids) = request {
        if ids.is_empty() {
            return Ok(0);
        }
        let placeholders: Vec<String> = ids
            .iter()
            .map(|id| {
                values.push(Value::from(*id));
                format!("${}", values.len())
            })
            .collect();
        sql.push_str(&format!(" AND id IN ({})", placeholders.join(", ")));
    }
    execute(db, &sql, values).await
}

/// A user's settings (the defaults until they change one).
pub async fn settings(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<NotificationSettings, DbErr> {
    let sql = "SELECT email_review_replies, email_review_likes FROM notification_settings \
               WHERE user_id = $1";
    let Some(row) = db
        .query_one_raw(statement(db, sql, [Value::from(user_id)]))
        .await?
    else {
        return Ok(NotificationSettings::default());
    };
    Ok(NotificationSettings {
        email_review_replies: row.try_get_by_index(0)?,
        email_review_likes: row.try_get_by_index(1)?,
    })
}

/// Stores a user's settings whole.
pub async fn save_settings(
    db: &impl ConnectionTrait,
    user_id: i32,
    settings: NotificationSettings,
) -> Result<(), DbErr> {
    let sql = "INSERT INTO notification_settings (user_id, email_review_replies, email_review_likes) \
               VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE \
               SET email_review_replies = excluded.email_review_replies, \
               email_review_likes = excluded.email_review_likes";
    let values = [
        Value::from(user_id),
        Value::from(settings.email_review_replies),
        Value::from(settings.email_review_likes),
    ];
    execute(db, sql, values).await?;
    Ok(())
}

/// Turns one kind of e-mail off for a user, in one statement (a one-click unsubscribe). `false`
/// when there is no such user (any more).
pub async fn turn_off(
    db: &impl ConnectionTrait,
    user_id: i32,
    kind: NotificationKind,
) -> Result<bool, DbErr> {
    let column = kind.setting_column();
    let sql = format!(
        "INSERT INTO notification_settings (user_id, {column}) VALUES ($1, FALSE) \
         ON CONFLICT (user_id) DO UPDATE SET {column} = FALSE"
    );
    match execute(db, &sql, [Value::from(user_id)]).await {
        Ok(_) => Ok(true),
        // The foreign key: the user is gone, and gets no e-mail anyway.
        Err(e) if is_integrity_error(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What an e-mail about a review shows: the movie's name and the review's text.
pub async fn mail_details(
    db: &impl ConnectionTrait,
    review_id: i32,
) -> Result<Option<(String, String)>, DbErr> {
    let sql = "SELECT m.name, r.text FROM reviews r JOIN movies m ON m.id = r.movie_id \
               WHERE r.id = $1";
    let Some(row) = db
        .query_one_raw(statement(db, sql, [Value::from(review_id)]))
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
}

/// The public name of a user.
pub async fn public_user(db: &impl ConnectionTrait, user_id: i32) -> Result<PublicUser, DbErr> {
    let sql = "SELECT first_name, last_name FROM user_profiles WHERE user_id = $1";
    let row = db
        .query_one_raw(statement(db, sql, [Value::from(user_id)]))
        .await?;
    let (first, last): (Option<String>, Option<String>) = match row {
        Some(row) => (row.try_get_by_index(0)?, row.try_get_by_index(1)?),
        None => (None, None),
    };
    Ok(PublicUser {
        user_id,
        name: public_name(user_id, first.as_deref(), last.as_deref()),
    })
}
