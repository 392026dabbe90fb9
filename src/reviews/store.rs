//! Data access for reviews, their reactions and reports. Hand-written SQL with `$n` placeholders
//! (both backends read them).
//!
//! The counters a review shows (`replies`, `likes`, `dislikes`) and the movie's `movie_stats.reviews`
//! are kept exact by the writes, each in one transaction. Locks are always taken in one order —
//! the review written, then its ancestors upwards, then the movie's stats row — so concurrent writes
//! queue and never deadlock: a reply first takes its parent's row (the same statement checks that
//! the parent is a live review of the movie and counts the reply), a reaction its review's row, a
//! deletion the review's row and then, when the row goes, each ancestor whose reply count drops.
//! On SQLite every write transaction is `BEGIN IMMEDIATE` and so runs alone.

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, QueryResult, Value,
};

use super::{
    domain::{ReportReason, ReviewSort, ReviewText, public_name},
    wire::{PublicUser, Review},
};
use serde_json::json;

use crate::{
    audit::{self, Actor},
    community::domain::Reaction,
    db::{begin_write, execute, statement},
};

/// The columns [`review`] reads, in its order.
const COLUMNS: &str = "r.id, r.movie_id, r.parent_id, r.user_id, p.first_name, p.last_name, \
     r.text, r.created_at, r.updated_at, r.likes, r.dislikes, r.replies, r.deleted";
/// Reviews with their authors' profiles (for the public name).
const FROM: &str = "FROM reviews r LEFT JOIN user_profiles p ON p.user_id = r.user_id";

/// A review from a row of [`COLUMNS`].
fn review(row: &QueryResult) -> Result<Review, DbErr> {
    let user_id: Option<i32> = row.try_get_by_index(3)?;
    let first: Option<String> = row.try_get_by_index(4)?;
    let last: Option<String> = row.try_get_by_index(5)?;
    let deleted: bool = row.try_get_by_index(12)?;
    let author = user_id.filter(|_| !deleted).map(|user_id| PublicUser {
        user_id,
        name: public_name(user_id, first.as_deref(), last.as_deref()),
    });
    Ok(Review {
        id: row.try_get_by_index(0)?,
        movie_id: row.try_get_by_index(1)?,
        parent_id: row.try_get_by_index(2)?,
        author,
        text: row.try_get_by_index(6)?,
        created_at: row.try_get_by_index(7)?,
        updated_at: row.try_get_by_index(8)?,
        likes: i64::from(row.try_get_by_index::<i32>(9)?),
        dislikes: i64::from(row.try_get_by_index::<i32>(10)?),
        replies: i64::from(row.try_get_by_index::<i32>(11)?),
        deleted,
    })
}

/// One review by id, tombstones included.
pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<Option<Review>, DbErr> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE r.id = $1");
    db.query_one_raw(statement(db, &sql, [Value::from(id)]))
        .await?
        .map(|row| review(&row))
        .transpose()
}

/// Whether a movie exists.
pub async fn movie_exists(db: &impl ConnectionTrait, movie_id: i32) -> Result<bool, DbErr> {
    let sql = "SELECT id FROM movies WHERE id = $1";
    Ok(db
        .query_one_raw(statement(db, sql, [Value::from(movie_id)]))
        .await?
        .is_some())
}

/// Which reviews a page is taken from.
#[derive(Debug, Clone, Copy)]
pub enum Thread {
    /// A movie's top-level reviews, in this order.
    Movie(i32, ReviewSort),
    /// A review's direct replies, oldest first.
    Replies(i32),
}

impl Thread {
    fn condition(self) -> (&'static str, i32, &'static str) {
        match self {
            Self::Movie(movie_id, sort) => (
                "r.movie_id = $1 AND r.parent_id IS NULL",
                movie_id,
                sort.order_by(),
            ),
            Self::Replies(parent_id) => ("r.parent_id = $1", parent_id, "r.id ASC"),
        }
    }
}

/// How many reviews the thread has (tombstones included: they carry replies).
pub async fn count(db: &impl ConnectionTrait, thread: Thread) -> Result<i64, DbErr> {
    let (condition, id, _) = thread.condition();
    let sql = format!("SELECT COUNT(*) FROM reviews r WHERE {condition}");
    let row = db
        .query_one_raw(statement(db, &sql, [Value::from(id)]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    row.try_get_by_index(0)
}

/// One page of the thread. The page's ids are chosen first, from the index alone (the order's
/// columns are indexed), and only those rows are read and joined to their authors' profiles: a
/// deep page never reads the rows it skips.
pub async fn page(
    db: &impl ConnectionTrait,
    thread: Thread,
    limit: i64,
    offset: i64,
) -> Result<Vec<Review>, DbErr> {
    let (condition, id, order) = thread.condition();
    let sql = format!(
        "SELECT {COLUMNS} FROM (SELECT r.id FROM reviews r WHERE {condition} \
         ORDER BY {order} LIMIT $2 OFFSET $3) page \
         JOIN reviews r ON r.id = page.id LEFT JOIN user_profiles p ON p.user_id = r.user_id \
         ORDER BY {order}"
    );
    let values = [Value::from(id), Value::from(limit), Value::from(offset)];
    db.query_all_raw(statement(db, &sql, values))
        .await?
        .iter()
        .map(review)
        .collect()
}

/// Why a review could not be written.
#[derive(Debug)]
pub enum CreateError {
    MovieNotFound,
    /// `parent_id` names no live review of the movie.
    BadParent,
    Db(DbErr),
}

impl From<DbErr> for CreateError {
    fn from(e: DbErr) -> Self {
        Self::Db(e)
    }
}

/// Adds `change` to the movie's count of visible reviews (creating its stats row on first use).
async fn count_review(txn: &DatabaseTransaction, movie_id: i32, change: i32) -> Result<(), DbErr> {
    execute(
        txn,
        "INSERT INTO movie_stats (movie_id, reviews) VALUES ($1, $2) \
         ON CONFLICT (movie_id) DO UPDATE SET reviews = movie_stats.reviews + $2",
        [Value::from(movie_id), Value::from(change)],
    )
    .await?;
    Ok(())
}

/// What a new review answers, for the notification the caller may owe its author.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub review: Review,
    /// The author of the parent review (`None` for a top-level review, or a tombstone's).
    pub parent_author: Option<i32>,
}

/// Writes a review (a reply when `parent` is given) and counts it, through `txn` (a write
/// transaction, which the caller commits after what else the review causes).
pub async fn create(
    txn: &DatabaseTransaction,
    user_id: i32,
    movie_id: i32,
    parent: Option<i32>,
    text: &ReviewText,
) -> Result<Created, CreateError> {
    if !movie_exists(txn, movie_id).await? {
        return Err(CreateError::MovieNotFound);
    }
    let mut parent_author = None;
    if let Some(parent) = parent {
        // Takes the parent's row: it must stay a live review of this movie until the reply is in.
        let sql = "UPDATE reviews SET replies = replies + 1 \
                   WHERE id = $1 AND movie_id = $2 AND NOT deleted RETURNING user_id";
        let values = [Value::from(parent), Value::from(movie_id)];
        let Some(row) = txn.query_one_raw(statement(txn, sql, values)).await? else {
            return Err(CreateError::BadParent);
        };
        parent_author = row.try_get_by_index::<Option<i32>>(0)?;
    }
    let now = Utc::now();
    let sql = "INSERT INTO reviews (movie_id, parent_id, user_id, text, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";
    let values = [
        Value::from(movie_id),
        Value::from(parent),
        Value::from(user_id),
        Value::from(text.as_str()),
        Value::from(now),
    ];
    let row = txn
        .query_one_raw(statement(txn, sql, values))
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    let id: i32 = row.try_get_by_index(0)?;
    count_review(txn, movie_id, 1).await?;
    let review = find(txn, id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("review {id} just written")))?;
    Ok(Created {
        review,
        parent_author,
    })
}

/// `FOR UPDATE` on PostgreSQL (SQLite's write transaction already runs alone).
fn for_update(txn: &DatabaseTransaction) -> &'static str {
    match txn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    }
}

/// A live review's author and movie, its row locked for the rest of the transaction; `None` when
/// there is no such review or it is a tombstone.
async fn lock_live(txn: &DatabaseTransaction, id: i32) -> Result<Option<Locked>, DbErr> {
    let sql = format!(
        "SELECT user_id, movie_id, parent_id, replies FROM reviews \
         WHERE id = $1 AND NOT deleted{}",
        for_update(txn)
    );
    let Some(row) = txn
        .query_one_raw(statement(txn, &sql, [Value::from(id)]))
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Locked {
        author: row.try_get_by_index(0)?,
        movie_id: row.try_get_by_index(1)?,
        parent_id: row.try_get_by_index(2)?,
        replies: row.try_get_by_index(3)?,
    }))
}

#[derive(Debug)]
struct Locked {
    author: Option<i32>,
    movie_id: i32,
    parent_id: Option<i32>,
    replies: i32,
}

/// What a write by someone other than the permitted found.
#[derive(Debug, PartialEq)]
pub enum Outcome<T> {
    Done(T),
    /// No such review, or a tombstone.
    NotFound,
    /// The caller may not do this to the review.
    Forbidden,
}

/// Replaces the text of the caller's own live review.
pub async fn edit(
    db: &DatabaseConnection,
    id: i32,
    user_id: i32,
    text: &ReviewText,
) -> Result<Outcome<Review>, DbErr> {
    let txn = begin_write(db).await?;
    let Some(locked) = lock_live(&txn, id).await? else {
        return Ok(Outcome::NotFound);
    };
    if locked.author != Some(user_id) {
        return Ok(Outcome::Forbidden);
    }
    execute(
        &txn,
        "UPDATE reviews SET text = $2, updated_at = $3 WHERE id = $1",
        [
            Value::from(id),
            Value::from(text.as_str()),
            Value::from(Utc::now()),
        ],
    )
    .await?;
    let review = find(&txn, id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("review {id} just edited")))?;
    txn.commit().await?;
    Ok(Outcome::Done(review))
}

/// Who asks for a deletion.
#[derive(Debug, Clone, Copy)]
pub struct Deleter {
    pub user_id: i32,
    /// A moderator or an admin may delete anyone's review.
    pub staff: bool,
}

/// How a deletion ended for the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// It had replies: kept as a tombstone.
    Tombstone,
    /// Its row is gone (with the tombstones above it that had no other reply).
    Removed,
}

/// Deletes a live review: a tombstone when it has replies (text, author, reactions and reports go),
/// else the row, and then every tombstone above it left without replies. A staff member's deletion
/// of someone else's review is audited (as `actor`) in the same transaction.
pub async fn delete(
    db: &DatabaseConnection,
    id: i32,
    by: Deleter,
    actor: &Actor,
) -> Result<Outcome<Deleted>, DbErr> {
    let txn = begin_write(db).await?;
    let Some(locked) = lock_live(&txn, id).await? else {
        return Ok(Outcome::NotFound);
    };
    let own = locked.author == Some(by.user_id);
    if !by.staff && !own {
        return Ok(Outcome::Forbidden);
    }
    let deleted = remove_locked(&txn, id, &locked).await?;
    if !own {
        let details = json!({
            "author_id": locked.author,
            "movie_id": locked.movie_id,
            "tombstone": deleted == Deleted::Tombstone,
        });
        let target = audit::target("review", id);
        audit::record(&txn, actor, audit::action::REVIEW_DELETE, &target, details).await?;
    }
    txn.commit().await?;
    Ok(Outcome::Done(deleted))
}

/// Applies the review rule of a user's deletion, through `txn`: every live review of theirs is
/// deleted as by its author (a tombstone where replies remain, else gone). Newest first, so a reply
/// of theirs goes before their review it answers, which can then go too. Returns how many.
pub async fn delete_all_of_user(txn: &DatabaseTransaction, user_id: i32) -> Result<usize, DbErr> {
    let sql = "SELECT id FROM reviews WHERE user_id = $1 AND NOT deleted ORDER BY id DESC";
    let ids: Vec<i32> = txn
        .query_all_raw(statement(txn, sql, [Value::from(user_id)]))
        .await?
        .iter()
        .map(|row| row.try_get_by_index(0))
        .collect::<Result<_, _>>()?;
    let mut deleted = 0;
    for id in ids {
        if let Some(locked) = lock_live(txn, id).await? {
            remove_locked(txn, id, &locked).await?;
            deleted += 1;
        }
    }
    // Their reactions to others' reviews leave the counters with them.
    for reaction in [Reaction::Like, Reaction::Dislike] {
        let counter = reaction.counter();
        let sql = format!(
            "UPDATE reviews SET {counter} = {counter} - 1, score = score - $2 WHERE id IN \
             (SELECT review_id FROM review_reactions WHERE user_id = $1 AND value = $2)"
        );
        execute(
            txn,
            &sql,
            [Value::from(user_id), Value::from(reaction.score())],
        )
        .await?;
    }
    Ok(deleted)
}

/// The deletion of a locked live review (see [`delete`]).
async fn remove_locked(
    txn: &DatabaseTransaction,
    id: i32,
    locked: &Locked,
) -> Result<Deleted, DbErr> {
    let outcome = if locked.replies > 0 {
        execute(
            txn,
            "UPDATE reviews SET deleted = TRUE, text = '', user_id = NULL, likes = 0, \
             dislikes = 0, score = 0, updated_at = $2 WHERE id = $1",
            [Value::from(id), Value::from(Utc::now())],
        )
        .await?;
        for table in ["review_reactions", "review_reports"] {
            let sql = format!("DELETE FROM {table} WHERE review_id = $1");
            execute(txn, &sql, [Value::from(id)]).await?;
        }
        Deleted::Tombstone
    } else {
        execute(txn, "DELETE FROM reviews WHERE id = $1", [Value::from(id)]).await?;
        remove_bare_ancestors(txn, locked.parent_id).await?;
        Deleted::Removed
    };
    count_review(txn, locked.movie_id, -1).await?;
    Ok(outcome)
}

/// After a reply's row went: its parent has one reply fewer, and a tombstone left with none goes
/// too, upwards. (A tombstone was already uncounted from the movie's reviews.)
async fn remove_bare_ancestors(
    txn: &DatabaseTransaction,
    mut parent: Option<i32>,
) -> Result<(), DbErr> {
    while let Some(id) = parent {
        let sql = "UPDATE reviews SET replies = replies - 1 WHERE id = $1 \
                   RETURNING deleted, replies, parent_id";
        let Some(row) = txn
            .query_one_raw(statement(txn, sql, [Value::from(id)]))
            .await?
        else {
            return Ok(());
        };
        let deleted: bool = row.try_get_by_index(0)?;
        let replies: i32 = row.try_get_by_index(1)?;
        if !(deleted && replies <= 0) {
            return Ok(());
        }
        parent = row.try_get_by_index(2)?;
        execute(txn, "DELETE FROM reviews WHERE id = $1", [Value::from(id)]).await?;
    }
    Ok(())
}

/// The review a reaction was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reacted {
    pub movie_id: i32,
    pub author: Option<i32>,
    /// The reaction the caller had before (`None`: this is their first).
    pub before: Option<Reaction>,
}

/// Sets the caller's reaction to a live review (a second replaces the first) and its counters,
/// through `txn` (a write transaction the caller commits).
pub async fn react(
    txn: &DatabaseTransaction,
    id: i32,
    user_id: i32,
    reaction: Reaction,
) -> Result<Outcome<Reacted>, DbErr> {
    let Some(locked) = lock_live(txn, id).await? else {
        return Ok(Outcome::NotFound);
    };
    let before = previous_reaction(txn, id, user_id).await?;
    let reacted = Reacted {
        movie_id: locked.movie_id,
        author: locked.author,
        before,
    };
    if before != Some(reaction) {
        execute(
            txn,
            "INSERT INTO review_reactions (review_id, user_id, value, created_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (review_id, user_id) DO UPDATE SET value = excluded.value",
            [
                Value::from(id),
                Value::from(user_id),
                Value::from(reaction.stored()),
                Value::from(Utc::now()),
            ],
        )
        .await?;
        let new = reaction.counter();
        let old = before
            .map(|old| format!(", {c} = {c} - 1", c = old.counter()))
            .unwrap_or_default();
        let score = reaction.score() - before.map_or(0, Reaction::score);
        let sql =
            format!("UPDATE reviews SET {new} = {new} + 1{old}, score = score + $2 WHERE id = $1");
        execute(txn, &sql, [Value::from(id), Value::from(score)]).await?;
    }
    Ok(Outcome::Done(reacted))
}

/// Removes the caller's reaction to a live review; `Done(false)` when there was none.
pub async fn unreact(
    db: &DatabaseConnection,
    id: i32,
    user_id: i32,
) -> Result<Outcome<bool>, DbErr> {
    let txn = begin_write(db).await?;
    if lock_live(&txn, id).await?.is_none() {
        return Ok(Outcome::NotFound);
    }
    let Some(old) = previous_reaction(&txn, id, user_id).await? else {
        return Ok(Outcome::Done(false));
    };
    execute(
        &txn,
        "DELETE FROM review_reactions WHERE review_id = $1 AND user_id = $2",
        [Value::from(id), Value::from(user_id)],
    )
    .await?;
    let counter = old.counter();
    let sql =
        format!("UPDATE reviews SET {counter} = {counter} - 1, score = score - $2 WHERE id = $1");
    execute(&txn, &sql, [Value::from(id), Value::from(old.score())]).await?;
    txn.commit().await?;
    Ok(Outcome::Done(true))
}

async fn previous_reaction(
    txn: &DatabaseTransaction,
    review_id: i32,
    user_id: i32,
) -> Result<Option<Reaction>, DbErr> {
    let sql = "SELECT value FROM review_reactions WHERE review_id = $1 AND user_id = $2";
    let values = [Value::from(review_id), Value::from(user_id)];
    let Some(row) = txn.query_one_raw(statement(txn, sql, values)).await? else {
        return Ok(None);
    };
    let n: i16 = row.try_get_by_index(0)?;
    Reaction::from_stored(n)
        .map(Some)
        .ok_or_else(|| DbErr::Type(format!("review_reactions: a stored value of {n}")))
}

/// Records the caller's report of a live review; a second report by the same user changes nothing.
/// `false` when there is no such live review.
pub async fn report(
    db: &impl ConnectionTrait,
    id: i32,
    user_id: i32,
    reason: &ReportReason,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    // One statement: the report is only written for a live review.
    let sql = "INSERT INTO review_reports (review_id, user_id, reason, created_at) \
               SELECT id, $2, $3, $4 FROM reviews WHERE id = $1 AND NOT deleted \
               ON CONFLICT (review_id, user_id) DO NOTHING";
    let values = [
        Value::from(id),
        Value::from(user_id),
        Value::from(reason.as_str()),
        Value::from(at),
    ];
    if execute(db, sql, values).await? > 0 {
        return Ok(true);
    }
    // Nothing written: a repeated report, or no live review.
    let sql = "SELECT id FROM reviews WHERE id = $1 AND NOT deleted";
    Ok(db
        .query_one_raw(statement(db, sql, [Value::from(id)]))
        .await?
        .is_some())
}

/// The moderation queue's order: most reported first, then newest. Tombstones never have reports
/// (deleting a review removes them), so they appear only in the unfiltered list, and last.
const BY_REPORTS: &str = "(SELECT COUNT(*) FROM review_reports rr WHERE rr.review_id = r.id)";

/// `WHERE` of the moderation queue: every review, or (`reported_only`) those with a report.
fn reported_condition(reported_only: bool) -> &'static str {
    if reported_only {
        " WHERE EXISTS (SELECT 1 FROM review_reports rr WHERE rr.review_id = r.id)"
    } else {
        ""
    }
}

/// How many reviews the moderation queue holds.
pub async fn count_by_reports(
    db: &impl ConnectionTrait,
    reported_only: bool,
) -> Result<i64, DbErr> {
    let sql = format!(
        "SELECT COUNT(*) FROM reviews r{}",
        reported_condition(reported_only)
    );
    let row = db
        .query_one_raw(statement(db, &sql, []))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    row.try_get_by_index(0)
}

/// A page of the moderation queue: reviews with their number of reports, most reported first.
pub async fn page_by_reports(
    db: &impl ConnectionTrait,
    reported_only: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<(Review, i64)>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS}, {BY_REPORTS} AS reports {FROM}{} \
         ORDER BY reports DESC, r.id DESC LIMIT $1 OFFSET $2",
        reported_condition(reported_only)
    );
    let values = [Value::from(limit), Value::from(offset)];
    db.query_all_raw(statement(db, &sql, values))
        .await?
        .iter()
        .map(|row| Ok((review(row)?, row.try_get_by_index::<i64>(13)?)))
        .collect()
}
