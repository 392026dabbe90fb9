//! Data access for the administration: the user list and detail, the rows a user change locks, the
//! report reasons of the moderation queue. Hand-written SQL with `$n` placeholders (both backends
//! read them). The reviews themselves are read by `crate::reviews::store`.
//!
//! **The last-admin guard's lock.** A change that could remove an admin first locks every active
//! admin's row ([`lock_active_admins`]: `FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE`
//! write transaction already runs alone), then the target's row. So of two admins demoting each
//! other at once, the second waits for the first to commit and then counts the admins that are
//! left: one, which it may not remove (409). Locks are taken in one order — the admins by id, then
//! the target — so concurrent changes queue and never deadlock. The admin group is looked up once
//! (an `InitPlan`), so PostgreSQL's recheck of a row that changed while it waited compares the new
//! `group_id` with it and drops a row that is no longer an admin's.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, QueryResult, Value};

use super::{domain::EmailSearch, wire::AdminUser};
use crate::{
    auth::Group,
    db::{Sql, execute, statement},
};

/// The columns [`admin_user`] reads, in its order, over `users u JOIN user_groups g`.
const COLUMNS: &str = "u.id, u.email, g.name, u.is_active, u.created_at, u.updated_at, \
     CASE WHEN EXISTS (SELECT 1 FROM user_profiles p WHERE p.user_id = u.id) THEN 1 ELSE 0 END";
const FROM: &str = "FROM users u JOIN user_groups g ON g.id = u.group_id";

fn admin_user(row: &QueryResult) -> Result<AdminUser, DbErr> {
    let id: i32 = row.try_get_by_index(0)?;
    let group: String = row.try_get_by_index(2)?;
    let group = group
        .parse::<Group>()
        .map_err(|e| DbErr::Type(format!("user {id}: {e}")))?;
    Ok(AdminUser {
        id,
        email: row.try_get_by_index(1)?,
        group,
        is_active: row.try_get_by_index(3)?,
        created_at: row.try_get_by_index(4)?,
        updated_at: row.try_get_by_index(5)?,
        has_profile: row.try_get_by_index::<i32>(6)? != 0,
    })
}

/// Which users a list shows.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub search: Option<EmailSearch>,
    pub group: Option<Group>,
    pub is_active: Option<bool>,
}

impl UserFilter {
    fn where_clause(&self, sql: &mut Sql) -> String {
        let mut conditions = Vec::new();
        if let Some(search) = &self.search {
            // Stored addresses are lower case; LOWER() keeps rows written otherwise findable.
            let p = sql.bind(search.like_pattern());
            conditions.push(format!("LOWER(u.email) LIKE {p} ESCAPE '\\'"));
        }
        if let Some(group) = self.group {
            conditions.push(format!("g.name = {}", sql.bind(group.as_str())));
        }
        if let Some(active) = self.is_active {
            conditions.push(format!("u.is_active = {}", sql.bind(active)));
        }
        if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        }
    }
}

pub async fn count_users(db: &impl ConnectionTrait, filter: &UserFilter) -> Result<i64, DbErr> {
    let mut sql = Sql::default();
    let condition = filter.where_clause(&mut sql);
    sql.text = format!("SELECT COUNT(*) {FROM}{condition}");
    let row = db
        .query_one_raw(sql.statement(db))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    row.try_get_by_index(0)
}

pub async fn page_users(
    db: &impl ConnectionTrait,
    filter: &UserFilter,
    order_by: &'static str,
    limit: i64,
    offset: i64,
) -> Result<Vec<AdminUser>, DbErr> {
    let mut sql = Sql::default();
    let condition = filter.where_clause(&mut sql);
    let (limit, offset) = (sql.bind(limit), sql.bind(offset));
    sql.text = format!(
        "SELECT {COLUMNS} {FROM}{condition} ORDER BY {order_by} LIMIT {limit} OFFSET {offset}"
    );
    db.query_all_raw(sql.statement(db))
        .await?
        .iter()
        .map(admin_user)
        .collect()
}

pub async fn find_user(db: &impl ConnectionTrait, id: i32) -> Result<Option<AdminUser>, DbErr> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE u.id = $1");
    db.query_one_raw(statement(db, &sql, [Value::from(id)]))
        .await?
        .map(|row| admin_user(&row))
        .transpose()
}

/// The id of the user with this e-mail (stored in lower case), for the command line.
pub async fn user_id_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<i32>, DbErr> {
    let sql = "SELECT id FROM users WHERE email = $1";
    db.query_one_raw(statement(db, sql, [Value::from(email)]))
        .await?
        .map(|row| row.try_get_by_index(0))
        .transpose()
}

/// What a user has: live sessions (refresh tokens not expired), ratings, reviews (not deleted).
pub async fn counts(db: &impl ConnectionTrait, id: i32) -> Result<(i64, i64, i64), DbErr> {
    let sql = "SELECT \
         (SELECT COUNT(*) FROM refresh_tokens WHERE user_id = $1 AND expires_at > $2), \
         (SELECT COUNT(*) FROM movie_ratings WHERE user_id = $1), \
         (SELECT COUNT(*) FROM reviews WHERE user_id = $1 AND NOT deleted)";
    let row = db
        .query_one_raw(statement(
            db,
            sql,
            [Value::from(id), Value::from(Utc::now())],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("counts returned no row".into()))?;
    Ok((
        row.try_get_by_index(0)?,
        row.try_get_by_index(1)?,
        row.try_get_by_index(2)?,
    ))
}

/// `FOR UPDATE` on PostgreSQL (SQLite's write transaction already runs alone).
fn for_update(txn: &DatabaseTransaction) -> &'static str {
    match txn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    }
}

/// Locks every active admin's row (see the module comment) and returns their ids.
pub async fn lock_active_admins(txn: &DatabaseTransaction) -> Result<Vec<i32>, DbErr> {
    let sql = format!(
        "SELECT id FROM users WHERE is_active \
         AND group_id = (SELECT id FROM user_groups WHERE name = $1) ORDER BY id{}",
        for_update(txn)
    );
    txn.query_all_raw(statement(txn, &sql, [Value::from(Group::Admin.as_str())]))
        .await?
        .iter()
        .map(|row| row.try_get_by_index(0))
        .collect()
}

/// A user's group and active flag, their row locked for the rest of the transaction; `None` when
/// there is no such user.
pub async fn lock_user(txn: &DatabaseTransaction, id: i32) -> Result<Option<(Group, bool)>, DbErr> {
    let lock = match txn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE OF u",
        _ => "",
    };
    let sql = format!("SELECT g.name, u.is_active {FROM} WHERE u.id = $1{lock}");
    let Some(row) = txn
        .query_one_raw(statement(txn, &sql, [Value::from(id)]))
        .await?
    else {
        return Ok(None);
    };
    let group: String = row.try_get_by_index(0)?;
    let group = group
        .parse::<Group>()
        .map_err(|e| DbErr::Type(format!("user {id}: {e}")))?;
    Ok(Some((group, row.try_get_by_index(1)?)))
}

/// Sets a user's group and active flag.
pub async fn set_group_and_active(
    txn: &DatabaseTransaction,
    id: i32,
    group: Group,
    active: bool,
) -> Result<(), DbErr> {
    execute(
        txn,
        "UPDATE users SET group_id = (SELECT id FROM user_groups WHERE name = $2), \
         is_active = $3, updated_at = $4 WHERE id = $1",
        [
            Value::from(id),
            Value::from(group.as_str()),
            Value::from(active),
            Value::from(Utc::now()),
        ],
    )
    .await?;
    Ok(())
}

/// A user's refresh tokens (expired ones too: every one goes at a revocation).
pub async fn count_refresh_tokens(db: &impl ConnectionTrait, id: i32) -> Result<i64, DbErr> {
    let sql = "SELECT COUNT(*) FROM refresh_tokens WHERE user_id = $1";
    let row = db
        .query_one_raw(statement(db, sql, [Value::from(id)]))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    row.try_get_by_index(0)
}

/// The reasons reported for each of `review_ids`, oldest report first.
pub async fn report_reasons(
    db: &impl ConnectionTrait,
    review_ids: &[i32],
) -> Result<HashMap<i32, Vec<String>>, DbErr> {
    let mut reasons: HashMap<i32, Vec<String>> = HashMap::new();
    if review_ids.is_empty() {
        return Ok(reasons);
    }
    let mut sql = Sql::default();
    let placeholders: Vec<String> = review_ids.iter().map(|id| sql.bind(*id)).collect();
    sql.text = format!(
        "SELECT review_id, reason FROM review_reports WHERE review_id IN ({}) \
         ORDER BY created_at, user_id",
        placeholders.join(", ")
    );
    for row in db.query_all_raw(sql.statement(db)).await? {
        let id: i32 = row.try_get_by_index(0)?;
        reasons
            .entry(id)
            .or_default()
            .push(row.try_get_by_index(1)?);
    }
    Ok(reasons)
}

/// Whether a review (a tombstone too) exists, its row locked on PostgreSQL.
pub async fn lock_review(txn: &DatabaseTransaction, id: i32) -> Result<bool, DbErr> {
    let sql = format!("SELECT id FROM reviews WHERE id = $1{}", for_update(txn));
    Ok(txn
        .query_one_raw(statement(txn, &sql, [Value::from(id)]))
        .await?
        .is_some())
}

/// Deletes a review's reports; returns how many there were.
pub async fn delete_reports(txn: &DatabaseTransaction, review_id: i32) -> Result<u64, DbErr> {
    execute(
        txn,
        "DELETE FROM review_reports WHERE review_id = $1",
        [Value::from(review_id)],
    )
    .await
}
