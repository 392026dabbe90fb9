//! Data access for users' lists. Hand-written SQL with `$n` placeholders (both backends read them);
//! a list's movies are listed by the catalog's own SQL (`crate::movies::store`, with a list's
//! [`Scope`](crate::movies::wire::Scope)).
//!
//! Limits are checked and the row written in one write transaction that first holds the row the
//! limit is about — the user's for the number of lists, the list's for the number of movies (on
//! PostgreSQL `FOR NO KEY UPDATE`, which the foreign-key checks of the inserts do not wait for; on
//! SQLite the write transaction is `BEGIN IMMEDIATE` and so serialises all writers). Concurrent
//! requests therefore never pass a limit together.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Value};

use super::{
    domain::{ListKind, ListName},
    wire::UserList,
};
use crate::{
    db::{Sql, begin_write, execute, statement},
    error::{is_integrity_error, is_unique_violation},
};

/// Most lists of their own a user may have (beside the two built-ins).
pub const MAX_CUSTOM_LISTS: i64 = 100;
/// Most movies one list may hold.
pub const MAX_LIST_MOVIES: i64 = 10_000;

/// A list with the number of its movies (`UserList`'s columns, in order).
const SELECT_LIST: &str = "SELECT l.id, l.name, l.kind, l.public, l.created_at, \
     (SELECT COUNT(*) FROM user_list_movies lm WHERE lm.list_id = l.id) FROM user_lists l";

fn user_list(row: &QueryResult) -> Result<UserList, DbErr> {
    let kind: String = row.try_get_by_index(2)?;
    Ok(UserList {
        id: row.try_get_by_index(0)?,
        name: row.try_get_by_index(1)?,
        kind: kind
            .parse()
            .map_err(|_| DbErr::Type(format!("user_lists.kind: {kind:?}")))?,
        public: row.try_get_by_index(3)?,
        created_at: row.try_get_by_index(4)?,
        movies: row.try_get_by_index(5)?,
    })
}

async fn one_list(
    db: &impl ConnectionTrait,
    condition: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<Option<UserList>, DbErr> {
    let sql = format!("{SELECT_LIST} WHERE {condition}");
    db.query_one_raw(statement(db, &sql, values))
        .await?
        .map(|row| user_list(&row))
        .transpose()
}

/// A user's lists: the built-ins first (favorites, then watchlist), then their own in the order
/// they were made.
pub async fn lists_of(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<UserList>, DbErr> {
    let sql = format!(
        "{SELECT_LIST} WHERE l.user_id = $1 ORDER BY \
         CASE l.kind WHEN 'favorites' THEN 0 WHEN 'watchlist' THEN 1 ELSE 2 END, l.id"
    );
    let rows = db
        .query_all_raw(statement(db, &sql, [Value::from(user_id)]))
        .await?;
    rows.iter().map(user_list).collect()
}

/// The user's list with this id.
pub async fn list_by_id(
    db: &impl ConnectionTrait,
    user_id: i32,
    list_id: i32,
) -> Result<Option<UserList>, DbErr> {
    let values = [Value::from(list_id), Value::from(user_id)];
    one_list(db, "l.id = $1 AND l.user_id = $2", values).await
}

/// The user's built-in list of this kind.
pub async fn built_in(
    db: &impl ConnectionTrait,
    user_id: i32,
    kind: ListKind,
) -> Result<Option<UserList>, DbErr> {
    let values = [Value::from(user_id), Value::from(kind.as_str())];
    one_list(db, "l.user_id = $1 AND l.kind = $2", values).await
}

/// The list with this id if `viewer` may read it: a public one, or their own.
pub async fn visible_list(
    db: &impl ConnectionTrait,
    list_id: i32,
    viewer: Option<i32>,
) -> Result<Option<UserList>, DbErr> {
    // Nobody has the id 0 (ids start at 1): without a viewer only public lists match.
    let values = [
        Value::from(list_id),
        Value::from(true),
        Value::from(viewer.unwrap_or(0)),
    ];
    one_list(
        db,
        "l.id = $1 AND (l.public = $2 OR l.user_id = $3)",
        values,
    )
    .await
}

/// Whether the user has both built-ins (one indexed count).
pub async fn has_built_ins(db: &impl ConnectionTrait, user_id: i32) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT COUNT(*) FROM user_lists WHERE user_id = $1 AND kind <> 'custom'",
            [Value::from(user_id)],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    Ok(row.try_get_by_index::<i64>(0)? == ListKind::BUILT_IN.len() as i64)
}

/// Creates the user's missing built-ins. Idempotent and safe under concurrency: one
/// `INSERT … ON CONFLICT DO NOTHING` on the unique `(user_id, name_key)` — a concurrent request
/// creating the same rows makes this one wait for it and then insert nothing.
pub async fn insert_built_ins(db: &impl ConnectionTrait, user_id: i32) -> Result<(), DbErr> {
    let mut sql = Sql::default();
    let user = sql.bind(user_id);
    let public = sql.bind(false);
    let now = sql.bind(Utc::now());
    let rows: Vec<String> = ListKind::BUILT_IN
        .iter()
        .filter_map(|kind| {
            let name = kind.built_in_name()?;
            let key = ListName::parse(name).ok()?.key();
            Some(format!(
                "({user}, {}, {}, {}, {public}, {now})",
                sql.bind(name),
                sql.bind(key),
                sql.bind(kind.as_str())
            ))
        })
        .collect();
    sql.text = format!(
        "INSERT INTO user_lists (user_id, name, name_key, kind, public, created_at) VALUES {} \
         ON CONFLICT (user_id, name_key) DO NOTHING",
        rows.join(", ")
    );
    db.execute_raw(sql.statement(db)).await?;
    Ok(())
}

/// Why a list was not created.
#[derive(Debug)]
pub enum CreateError {
    /// The user already has a list of this name (compared as `name_key`).
    Duplicate,
    /// [`MAX_CUSTOM_LISTS`] already.
    TooMany,
    Db(DbErr),
}

impl From<DbErr> for CreateError {
    fn from(e: DbErr) -> Self {
        Self::Db(e)
    }
}

/// Creates a custom list (the built-ins must exist already, so that their names are taken).
pub async fn create(
    db: &DatabaseConnection,
    user_id: i32,
    name: &ListName,
    public: bool,
) -> Result<UserList, CreateError> {
    let txn = begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        execute(
            &txn,
            "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE",
            [Value::from(user_id)],
        )
        .await?;
    }
    let row = txn
        .query_one_raw(statement(
            &txn,
            "SELECT COUNT(*) FROM user_lists WHERE user_id = $1 AND kind = 'custom'",
            [Value::from(user_id)],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    if row.try_get_by_index::<i64>(0)? >= MAX_CUSTOM_LISTS {
        return Err(CreateError::TooMany);
    }
    let created_at = Utc::now();
    let inserted = txn
        .query_one_raw(statement(
            &txn,
            "INSERT INTO user_lists (user_id, name, name_key, kind, public, created_at) \
             VALUES ($1, $2, $3, 'custom', $4, $5) \
             ON CONFLICT (user_id, name_key) DO NOTHING RETURNING id",
            [
                Value::from(user_id),
                Value::from(name.as_str()),
                Value::from(name.key()),
                Value::from(public),
                Value::from(created_at),
            ],
        ))
        .await?;
    let Some(inserted) = inserted else {
        return Err(CreateError::Duplicate);
    };
    let id: i32 = inserted.try_get_by_index(0)?;
    txn.commit().await?;
    Ok(UserList {
        id,
        name: name.as_str().to_owned(),
        kind: ListKind::Custom,
        public,
        movies: 0,
        created_at,
    })
}

/// What an update did.
#[derive(Debug, PartialEq, Eq)]
pub enum UpdateOutcome {
    Updated,
    /// No such list of the user's (any more).
    NotFound,
    /// Another of the user's lists has the new name.
    Duplicate,
}

/// Sets the given fields of the user's list.
pub async fn update(
    db: &impl ConnectionTrait,
    user_id: i32,
    list_id: i32,
    name: Option<&ListName>,
    public: Option<bool>,
) -> Result<UpdateOutcome, DbErr> {
    let mut sql = Sql::default();
    let mut sets = Vec::new();
    if let Some(name) = name {
        sets.push(format!("name = {}", sql.bind(name.as_str())));
        sets.push(format!("name_key = {}", sql.bind(name.key())));
    }
    if let Some(public) = public {
        sets.push(format!("public = {}", sql.bind(public)));
    }
    if sets.is_empty() {
        return Ok(UpdateOutcome::Updated);
    }
    let id = sql.bind(list_id);
    let user = sql.bind(user_id);
    sql.text = format!(
        "UPDATE user_lists SET {} WHERE id = {id} AND user_id = {user}",
        sets.join(", ")
    );
    match db.execute_raw(sql.statement(db)).await {
        Ok(done) if done.rows_affected() == 0 => Ok(UpdateOutcome::NotFound),
        Ok(_) => Ok(UpdateOutcome::Updated),
        Err(e) if is_unique_violation(&e) => Ok(UpdateOutcome::Duplicate),
        Err(e) => Err(e),
    }
}

/// Deletes the user's custom list (its movie rows go by the cascade); `false` when there was none.
pub async fn delete(db: &impl ConnectionTrait, user_id: i32, list_id: i32) -> Result<bool, DbErr> {
    let deleted = execute(
        db,
        "DELETE FROM user_lists WHERE id = $1 AND user_id = $2 AND kind = 'custom'",
        [Value::from(list_id), Value::from(user_id)],
    )
    .await?;
    Ok(deleted > 0)
}

/// Why a movie was not added.
#[derive(Debug)]
pub enum AddError {
    ListNotFound,
    MovieNotFound,
    Full,
    Db(DbErr),
}

impl From<DbErr> for AddError {
    fn from(e: DbErr) -> Self {
        Self::Db(e)
    }
}

/// Adds a movie to a list; a movie already in it stays as it was (the same `added_at`), so the
/// call is idempotent — also on a full list.
pub async fn add_movie(
    db: &DatabaseConnection,
    list_id: i32,
    movie_id: i32,
) -> Result<(), AddError> {
    let txn = begin_write(db).await?;
    let lock = if txn.get_database_backend() == DbBackend::Postgres {
        " FOR NO KEY UPDATE"
    } else {
        ""
    };
    let list = txn
        .query_one_raw(statement(
            &txn,
            &format!("SELECT id FROM user_lists WHERE id = $1{lock}"),
            [Value::from(list_id)],
        ))
        .await?;
    if list.is_none() {
        return Err(AddError::ListNotFound);
    }
    let pair = [Value::from(list_id), Value::from(movie_id)];
    let present = txn
        .query_one_raw(statement(
            &txn,
            "SELECT 1 FROM user_list_movies WHERE list_id = $1 AND movie_id = $2",
            pair.clone(),
        ))
        .await?;
    if present.is_some() {
        return Ok(());
    }
    let movie = txn
        .query_one_raw(statement(
            &txn,
            "SELECT 1 FROM movies WHERE id = $1",
            [Value::from(movie_id)],
        ))
        .await?;
    if movie.is_none() {
        return Err(AddError::MovieNotFound);
    }
    let count = txn
        .query_one_raw(statement(
            &txn,
            "SELECT COUNT(*) FROM user_list_movies WHERE list_id = $1",
            [Value::from(list_id)],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    if count.try_get_by_index::<i64>(0)? >= MAX_LIST_MOVIES {
        return Err(AddError::Full);
    }
    // `added_at` from here rather than the column's default: SQLite's `CURRENT_TIMESTAMP` has
    // whole seconds, and `sort=added` should follow the order of the adds. (On SQLite the values
    // are RFC 3339 texts of one format, whose text order is their time order.)
    let inserted = execute(
        &txn,
        "INSERT INTO user_list_movies (list_id, movie_id, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT (list_id, movie_id) DO NOTHING",
        [pair[0].clone(), pair[1].clone(), Value::from(Utc::now())],
    )
    .await;
    match inserted {
        // The movie was deleted since it was read (the foreign key).
        Err(e) if is_integrity_error(&e) => return Err(AddError::MovieNotFound),
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    txn.commit().await?;
    Ok(())
}

/// Removes a movie from a list; `false` when it was not in it.
pub async fn remove_movie(
    db: &impl ConnectionTrait,
    list_id: i32,
    movie_id: i32,
) -> Result<bool, DbErr> {
    let removed = execute(
        db,
        "DELETE FROM user_list_movies WHERE list_id = $1 AND movie_id = $2",
        [Value::from(list_id), Value::from(movie_id)],
    )
    .await?;
    Ok(removed > 0)
}
