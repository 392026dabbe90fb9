//! Deleting an account, with everything it owns (EXTENSIONS.md: "the user and all of theirs"), in
//! one transaction: their reviews by the review rule (a tombstone where replies remain, else gone),
//! their ratings and reactions taken out of the movies' aggregates and the review counters, then
//! the user row — whose foreign keys take the profile, tokens, ratings, reactions, reports, lists,
//! notifications (theirs and those they caused) and settings with it. The avatar object is
//! scheduled for deletion in the same transaction and removed after the commit, retried until
//! storage answers ([`crate::object_cleanup`]).
//!
//! Used by the admin delete, the self-service delete and `theater users delete`.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Value};

use crate::{
    db::{execute, statement},
    object_cleanup,
};

/// What a deletion removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub user_id: i32,
    pub email: String,
    /// The avatar's storage key, scheduled for deletion.
    pub avatar: Option<String>,
    /// Their reviews deleted by the review rule.
    pub reviews: usize,
}

/// Deletes the user through `txn` (a write transaction the caller commits, after its own checks and
/// audit entry). `None` when there is no such user.
pub async fn delete_account(
    txn: &DatabaseTransaction,
    user_id: i32,
) -> Result<Option<Deleted>, DbErr> {
    let lock = match txn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    };
    let sql = format!("SELECT email FROM users WHERE id = $1{lock}");
    let Some(row) = txn
        .query_one_raw(statement(txn, &sql, [Value::from(user_id)]))
        .await?
    else {
        return Ok(None);
    };
    let email: String = row.try_get_by_index(0)?;
    let avatar: Option<String> = txn
        .query_one_raw(statement(
            txn,
            "SELECT avatar FROM user_profiles WHERE user_id = $1",
            [Value::from(user_id)],
        ))
        .await?
        .map(|row| row.try_get_by_index::<Option<String>>(0))
        .transpose()?
        .flatten();
    let reviews = crate::reviews::store::delete_all_of_user(txn, user_id).await?;
    crate::community::store::forget_user(txn, user_id).await?;
    execute(
        txn,
        "DELETE FROM users WHERE id = $1",
        [Value::from(user_id)],
    )
    .await?;
    if let Some(key) = &avatar {
        object_cleanup::schedule(txn, key, Utc::now()).await?;
    }
    Ok(Some(Deleted {
        user_id,
        email,
        avatar,
        reviews,
    }))
}
