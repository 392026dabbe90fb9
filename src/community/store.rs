//! Data access for ratings, reactions and the community summary. Hand-written SQL with `$n`
//! placeholders (both backends read them).
//!
//! Every write keeps `movie_stats` exact in its own transaction: it first takes the movie's stats
//! row (created on first use; on PostgreSQL locked `FOR UPDATE`, on SQLite the write transaction is
//! `BEGIN IMMEDIATE` and so serialises all writers), then reads the caller's previous value, writes
//! the new one and adds the difference to the counters. Writers of one movie therefore queue on
//! one row: concurrent ratings of one movie by many users all count, and concurrent identical
//! requests of one user leave one row and count once. Readers never wait (MVCC, WAL).

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Value};

use super::{
    domain::{Reaction, Stars},
    wire::{CommunitySummary, MyState, RatingSummary},
};
use crate::{
    db::{begin_write, execute, statement},
    error::is_integrity_error,
};

/// A write's outcome when the movie may not exist.
#[derive(Debug)]
pub enum WriteError {
    MovieNotFound,
    Db(DbErr),
}

impl From<DbErr> for WriteError {
    fn from(e: DbErr) -> Self {
        Self::Db(e)
    }
}

/// Opens a write transaction holding the movie's stats row (see the module's documentation).
async fn lock_stats(
    db: &DatabaseConnection,
    movie_id: i32,
) -> Result<DatabaseTransaction, WriteError> {
    let txn = begin_write(db).await?;
    let created = execute(
        &txn,
        "INSERT INTO movie_stats (movie_id) VALUES ($1) ON CONFLICT (movie_id) DO NOTHING",
        [Value::from(movie_id)],
    )
    .await;
    match created {
        // The foreign key: no such movie.
        Err(e) if is_integrity_error(&e) => return Err(WriteError::MovieNotFound),
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        execute(
            &txn,
            "SELECT movie_id FROM movie_stats WHERE movie_id = $1 FOR UPDATE",
            [Value::from(movie_id)],
        )
        .await?;
    }
    Ok(txn)
}

/// The mean's new value after the count and sum move by these amounts (NULL when nothing is left).
const MEAN: &str = "CASE WHEN rating_count + $2 > 0 \
     THEN CAST(rating_sum + $3 AS DOUBLE PRECISION) / (rating_count + $2) END";

/// Sets the caller's rating of a movie (a second one replaces the first).
pub async fn rate(
    db: &DatabaseConnection,
    user_id: i32,
    movie_id: i32,
    stars: Stars,
) -> Result<(), WriteError> {
    let txn = lock_stats(db, movie_id).await?;
    let before = previous_rating(&txn, user_id, movie_id).await?;
    execute(
        &txn,
        "INSERT INTO movie_ratings (user_id, movie_id, score) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, movie_id) DO UPDATE \
         SET score = excluded.score, updated_at = CURRENT_TIMESTAMP",
        [
            Value::from(user_id),
            Value::from(movie_id),
            Value::from(i16::from(stars.get())),
        ],
    )
    .await?;
    if before != Some(stars) {
        let (count, sum) = match before {
            None => (1, i64::from(stars.get())),
            Some(old) => (0, i64::from(stars.get()) - i64::from(old.get())),
        };
        let new = stars.bucket();
        let old = before
            .map(|old| format!(", {b} = {b} - 1", b = old.bucket()))
            .unwrap_or_default();
        let sql = format!(
            "UPDATE movie_stats SET rating_count = rating_count + $2, \
             rating_sum = rating_sum + $3, rating_avg = {MEAN}, {new} = {new} + 1{old} \
             WHERE movie_id = $1"
        );
        let values = [Value::from(movie_id), Value::from(count), Value::from(sum)];
        execute(&txn, &sql, values).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Removes the caller's rating; `false` when there was none.
pub async fn unrate(
    db: &DatabaseConnection,
    user_id: i32,
    movie_id: i32,
) -> Result<bool, WriteError> {
    let txn = lock_stats(db, movie_id).await?;
    let Some(old) = previous_rating(&txn, user_id, movie_id).await? else {
        return Ok(false);
    };
    execute(
        &txn,
        "DELETE FROM movie_ratings WHERE user_id = $1 AND movie_id = $2",
        [Value::from(user_id), Value::from(movie_id)],
    )
    .await?;
    let bucket = old.bucket();
    let sql = format!(
        "UPDATE movie_stats SET rating_count = rating_count + $2, rating_sum = rating_sum + $3, \
         rating_avg = {MEAN}, {bucket} = {bucket} - 1 WHERE movie_id = $1"
    );
    let values = [
        Value::from(movie_id),
        Value::from(-1),
        Value::from(-i64::from(old.get())),
    ];
    execute(&txn, &sql, values).await?;
    txn.commit().await?;
    Ok(true)
}

async fn previous_rating(
    txn: &DatabaseTransaction,
    user_id: i32,
    movie_id: i32,
) -> Result<Option<Stars>, DbErr> {
    previous(
        txn,
        "SELECT score FROM movie_ratings",
        user_id,
        movie_id,
        Stars::from_stored,
    )
    .await
}

/// The caller's stored value for the movie from `select` (`SELECT <column> FROM <table>`, keyed by
/// user and movie), parsed by `parse`.
async fn previous<T>(
    txn: &DatabaseTransaction,
    select: &str,
    user_id: i32,
    movie_id: i32,
    parse: fn(i16) -> Option<T>,
) -> Result<Option<T>, DbErr> {
    let sql = format!("{select} WHERE user_id = $1 AND movie_id = $2");
    let values = [Value::from(user_id), Value::from(movie_id)];
    let row = txn.query_one_raw(statement(txn, &sql, values)).await?;
    row.map(|row| {
        let n: i16 = row.try_get_by_index(0)?;
        parse(n).ok_or_else(|| DbErr::Type(format!("{select}: a stored value of {n}")))
    })
    .transpose()
}

/// Sets the caller's reaction to a movie (a second one replaces the first).
pub async fn react(
    db: &DatabaseConnection,
    user_id: i32,
    movie_id: i32,
    reaction: Reaction,
) -> Result<(), WriteError> {
    let txn = lock_stats(db, movie_id).await?;
    let before = previous_reaction(&txn, user_id, movie_id).await?;
    if before != Some(reaction) {
        execute(
            &txn,
            "INSERT INTO movie_reactions (user_id, movie_id, value) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, movie_id) DO UPDATE SET value = excluded.value",
            [
                Value::from(user_id),
                Value::from(movie_id),
                Value::from(reaction.stored()),
            ],
        )
        .await?;
        let new = reaction.counter();
        let old = before
            .map(|old| format!(", {c} = {c} - 1", c = old.counter()))
            .unwrap_or_default();
        let sql = format!("UPDATE movie_stats SET {new} = {new} + 1{old} WHERE movie_id = $1");
        execute(&txn, &sql, [Value::from(movie_id)]).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Removes the caller's reaction; `false` when there was none.
pub async fn unreact(
    db: &DatabaseConnection,
    user_id: i32,
    movie_id: i32,
) -> Result<bool, WriteError> {
    let txn = lock_stats(db, movie_id).await?;
    let Some(old) = previous_reaction(&txn, user_id, movie_id).await? else {
        return Ok(false);
    };
    execute(
        &txn,
        "DELETE FROM movie_reactions WHERE user_id = $1 AND movie_id = $2",
        [Value::from(user_id), Value::from(movie_id)],
    )
    .await?;
    let counter = old.counter();
    let sql = format!("UPDATE movie_stats SET {counter} = {counter} - 1 WHERE movie_id = $1");
    execute(&txn, &sql, [Value::from(movie_id)]).await?;
    txn.commit().await?;
    Ok(true)
}

async fn previous_reaction(
    txn: &DatabaseTransaction,
    user_id: i32,
    movie_id: i32,
) -> Result<Option<Reaction>, DbErr> {
    let select = "SELECT value FROM movie_reactions";
    previous(txn, select, user_id, movie_id, Reaction::from_stored).await
}

/// `1` when movie `m.id` is in the built-in list of this kind of user `$2`, else `0` (an integer on
/// both backends; `EXISTS` alone is a boolean on PostgreSQL only). `kind` is a constant.
fn in_built_in(kind: &str) -> String {
    format!(
        "CASE WHEN EXISTS (SELECT 1 FROM user_lists l JOIN user_list_movies lm \
         ON lm.list_id = l.id AND lm.movie_id = m.id WHERE l.user_id = $2 AND l.kind = '{kind}') \
         THEN 1 ELSE 0 END"
    )
}

/// The community summary of a movie, with the caller's own state when `viewer` is given; `None`
/// when there is no such movie. One round trip: the movie, its stats row, the caller's rating
/// and reaction by primary key, and whether the movie is in the caller's built-in lists (their
/// rows by the unique `(user_id, name_key)` index, then the list's row by primary key).
pub async fn summary(
    db: &impl ConnectionTrait,
    movie_id: i32,
    viewer: Option<i32>,
) -> Result<Option<CommunitySummary>, DbErr> {
    let buckets: Vec<String> = (1..=10)
        .map(|n| format!("COALESCE(st.rated_{n}, 0)"))
        .collect();
    let sql = format!(
        "SELECT COALESCE(st.rating_count, 0), COALESCE(st.rating_sum, 0), {}, \
         COALESCE(st.likes, 0), COALESCE(st.dislikes, 0), COALESCE(st.reviews, 0), \
         (SELECT r.score FROM movie_ratings r WHERE r.user_id = $2 AND r.movie_id = m.id), \
         (SELECT x.value FROM movie_reactions x WHERE x.user_id = $2 AND x.movie_id = m.id), \
         {in_favorites}, {in_watchlist} \
         FROM movies m LEFT JOIN movie_stats st ON st.movie_id = m.id WHERE m.id = $1",
        buckets.join(", "),
        in_favorites = in_built_in("favorites"),
        in_watchlist = in_built_in("watchlist"),
    );
    // Nobody has the id 0 (ids start at 1): without a caller, the sub-selects find nothing.
    let values = [Value::from(movie_id), Value::from(viewer.unwrap_or(0))];
    let Some(row) = db.query_one_raw(statement(db, &sql, values)).await? else {
        return Ok(None);
    };
    let count: i32 = row.try_get_by_index(0)?;
    let sum: i64 = row.try_get_by_index(1)?;
    let mut histogram = [0i64; 10];
    for (i, bucket) in histogram.iter_mut().enumerate() {
        *bucket = i64::from(row.try_get_by_index::<i32>(2 + i)?);
    }
    let likes: i32 = row.try_get_by_index(12)?;
    let dislikes: i32 = row.try_get_by_index(13)?;
    let reviews: i32 = row.try_get_by_index(14)?;
    let rating: Option<i16> = row.try_get_by_index(15)?;
    let reaction: Option<i16> = row.try_get_by_index(16)?;
    let favorite: i32 = row.try_get_by_index(17)?;
    let watchlist: i32 = row.try_get_by_index(18)?;
    Ok(Some(CommunitySummary {
        movie_id,
        rating: RatingSummary::new(i64::from(count), sum, histogram),
        likes: i64::from(likes),
        dislikes: i64::from(dislikes),
        reviews: i64::from(reviews),
        me: viewer.map(|_| MyState {
            rating: rating.and_then(Stars::from_stored).map(Stars::get),
            reaction: reaction.and_then(Reaction::from_stored),
            favorite: favorite != 0,
            watchlist: watchlist != 0,
        }),
    }))
}

/// Takes a user's ratings and reactions out of every movie's aggregates, through `txn` (their
/// deletion's transaction; the rows themselves then go with the user). Set-based: one statement
/// per score and per reaction, whatever the number of movies.
pub async fn forget_user(txn: &DatabaseTransaction, user_id: i32) -> Result<(), DbErr> {
    let theirs = "SELECT movie_id FROM movie_ratings WHERE user_id = $1";
    for score in 1..=10i16 {
        let Some(stars) = Stars::from_stored(score) else {
            continue;
        };
        let bucket = stars.bucket();
        let sql = format!(
            "UPDATE movie_stats SET rating_count = rating_count - 1, \
             rating_sum = rating_sum - $2, {bucket} = {bucket} - 1 \
             WHERE movie_id IN ({theirs} AND score = $2)"
        );
        execute(txn, &sql, [Value::from(user_id), Value::from(score)]).await?;
    }
    let sql = format!(
        "UPDATE movie_stats SET rating_avg = CASE WHEN rating_count > 0 \
         THEN CAST(rating_sum AS DOUBLE PRECISION) / rating_count END WHERE movie_id IN ({theirs})"
    );
    execute(txn, &sql, [Value::from(user_id)]).await?;
    for reaction in [Reaction::Like, Reaction::Dislike] {
        let counter = reaction.counter();
        let sql = format!(
            "UPDATE movie_stats SET {counter} = {counter} - 1 WHERE movie_id IN \
             (SELECT movie_id FROM movie_reactions WHERE user_id = $1 AND value = $2)"
        );
        execute(
            txn,
            &sql,
            [Value::from(user_id), Value::from(reaction.stored())],
        )
        .await?;
    }
    Ok(())
}
