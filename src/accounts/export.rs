//! `GET /users/me/export/`: one JSON document with everything Theater stores about the signed-in
//! user — account (no password hash), profile, ratings, reactions, reviews, review reactions,
//! reports, lists with their movies, notifications and settings. Never a token or a hash.
//!
//! Each part is one query whose columns are read by declared kind, so both backends give the same
//! JSON (SQLite keeps booleans as integers and times as text; the kinds make them `true` and
//! ISO 8601 UTC).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value as DbValue};
use serde_json::{Map, Value, json};

use crate::db::statement;

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Bool,
    Time,
    Date,
}

use Kind::{Bool, Date, Int, Text, Time};

/// One column of a row as JSON, by its declared kind (NULL as `null`).
fn cell(row: &QueryResult, i: usize, kind: Kind) -> Result<Value, DbErr> {
    Ok(match kind {
        Int => json!(
            row.try_get_by_index::<Option<i64>>(i)
                .or_else(|_| row
                    .try_get_by_index::<Option<i32>>(i)
                    .map(|v| v.map(i64::from)))
                .or_else(|_| row
                    .try_get_by_index::<Option<i16>>(i)
                    .map(|v| v.map(i64::from)))?
        ),
        Text => json!(row.try_get_by_index::<Option<String>>(i)?),
        Bool => json!(row.try_get_by_index::<Option<bool>>(i)?),
        Time => json!(
            row.try_get_by_index::<Option<DateTime<Utc>>>(i)?
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        ),
        Date => json!(
            row.try_get_by_index::<Option<chrono::NaiveDate>>(i)?
                .map(|d| d.to_string())
        ),
    })
}

/// The rows of `sql` (bound to the user's id as `$1`) as objects with the given keys.
async fn rows(
    db: &impl ConnectionTrait,
    sql: &str,
    user_id: i32,
    columns: &[(&str, Kind)],
) -> Result<Vec<Value>, DbErr> {
    db.query_all_raw(statement(db, sql, [DbValue::from(user_id)]))
        .await?
        .iter()
        .map(|row| {
            let mut object = Map::new();
            for (i, (name, kind)) in columns.iter().enumerate() {
                object.insert((*name).to_owned(), cell(row, i, *kind)?);
            }
            Ok(Value::Object(object))
        })
        .collect()
}

/// Everything stored about `user_id`; `None` when there is no such user.
pub async fn export(db: &impl ConnectionTrait, user_id: i32) -> Result<Option<Value>, DbErr> {
    let account = rows(
        db,
        "SELECT u.id, u.email, g.name, u.is_active, u.created_at, u.updated_at FROM users u \
         JOIN user_groups g ON g.id = u.group_id WHERE u.id = $1",
        user_id,
        &[
            ("id", Int),
            ("email", Text),
            ("group", Text),
            ("is_active", Bool),
            ("created_at", Time),
            ("updated_at", Time),
        ],
    )
    .await?;
    let Some(account) = account.into_iter().next() else {
        return Ok(None);
    };
    let profile = rows(
        db,
        "SELECT first_name, last_name, gender, date_of_birth, info, avatar FROM user_profiles \
         WHERE user_id = $1",
        user_id,
        &[
            ("first_name", Text),
            ("last_name", Text),
            ("gender", Text),
            ("date_of_birth", Date),
            ("info", Text),
            ("avatar", Text),
        ],
    )
    .await?
    .into_iter()
    .next();
    let ratings = rows(
        db,
        "SELECT movie_id, score, created_at, updated_at FROM movie_ratings WHERE user_id = $1 \
         ORDER BY movie_id",
        user_id,
        &[
            ("movie_id", Int),
            ("score", Int),
            ("created_at", Time),
            ("updated_at", Time),
        ],
    )
    .await?;
    let reaction = |v: Value| match v.as_i64() {
        Some(1) => json!("like"),
        Some(-1) => json!("dislike"),
        _ => v,
    };
    let mut movie_reactions = rows(
        db,
        "SELECT movie_id, value, created_at FROM movie_reactions WHERE user_id = $1 \
         ORDER BY movie_id",
        user_id,
        &[("movie_id", Int), ("value", Int), ("created_at", Time)],
    )
    .await?;
    let reviews = rows(
        db,
        "SELECT id, movie_id, parent_id, text, created_at, updated_at, likes, dislikes, replies \
         FROM reviews WHERE user_id = $1 ORDER BY id",
        user_id,
        &[
            ("id", Int),
            ("movie_id", Int),
            ("parent_id", Int),
            ("text", Text),
            ("created_at", Time),
            ("updated_at", Time),
            ("likes", Int),
            ("dislikes", Int),
            ("replies", Int),
        ],
    )
    .await?;
    let mut review_reactions = rows(
        db,
        "SELECT review_id, value, created_at FROM review_reactions WHERE user_id = $1 \
         ORDER BY review_id",
        user_id,
        &[("review_id", Int), ("value", Int), ("created_at", Time)],
    )
    .await?;
    for row in movie_reactions
        .iter_mut()
        .chain(review_reactions.iter_mut())
    {
        if let Some(value) = row.get_mut("value") {
            *value = reaction(value.take());
        }
    }
    let reports = rows(
        db,
        "SELECT review_id, reason, created_at FROM review_reports WHERE user_id = $1 \
         ORDER BY review_id",
        user_id,
        &[("review_id", Int), ("reason", Text), ("created_at", Time)],
    )
    .await?;
    let mut lists = rows(
        db,
        "SELECT id, name, kind, public, created_at FROM user_lists WHERE user_id = $1 ORDER BY id",
        user_id,
        &[
            ("id", Int),
            ("name", Text),
            ("kind", Text),
            ("public", Bool),
            ("created_at", Time),
        ],
    )
    .await?;
    let members = rows(
        db,
        "SELECT lm.list_id, lm.movie_id, lm.added_at FROM user_list_movies lm \
         JOIN user_lists l ON l.id = lm.list_id WHERE l.user_id = $1 ORDER BY lm.list_id, lm.added_at",
        user_id,
        &[("list_id", Int), ("movie_id", Int), ("added_at", Time)],
    )
    .await?;
    for list in &mut lists {
        let id = list["id"].clone();
        let movies: Vec<Value> = members
            .iter()
            .filter(|m| m["list_id"] == id)
            .map(|m| json!({"movie_id": m["movie_id"], "added_at": m["added_at"]}))
            .collect();
        list["movies"] = Value::Array(movies);
    }
    let notifications = rows(
        db,
        "SELECT id, kind, movie_id, review_id, actor_id, read, created_at FROM notifications \
         WHERE user_id = $1 ORDER BY id",
        user_id,
        &[
            ("id", Int),
            ("kind", Text),
            ("movie_id", Int),
            ("review_id", Int),
            ("actor_id", Int),
            ("read", Bool),
            ("created_at", Time),
        ],
    )
    .await?;
    let settings = crate::notifications::store::settings(db, user_id).await?;
    Ok(Some(json!({
        "account": account,
        "profile": profile,
        "ratings": ratings,
        "movie_reactions": movie_reactions,
        "reviews": reviews,
        "review_reactions": review_reactions,
        "reports": reports,
        "lists": lists,
        "notifications": notifications,
        "notification_settings": settings,
        "exported_at": Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })))
}
