//! The audit log: who changed what, from where (`../shared/EXTENSIONS.md`, "Administration").
//!
//! Every write by an admin or a moderator (users, reviews, catalog writes by staff) and every change
//! an operator makes with `theater users …` calls [`record`] **inside the transaction of the write**:
//! the entry commits with the change or not at all, so the log never claims a change that was rolled
//! back nor misses one that happened. Entries are only read ([`list`]) and, by the operator's
//! `theater audit prune`, deleted ([`prune`]); nothing updates them. They keep the actor's id and
//! e-mail as they were (no foreign key), so they survive the actor's deletion.
//!
//! The client address is the one `http::client_ip` resolves (the real client behind
//! `TRUSTED_PROXIES`), the same the rate limits and the request log use.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    auth::Account,
    db::{Sql, execute},
};

/// Actions recorded (dotted names: the object, then what was done to it).
pub mod action {
    pub const USER_UPDATE: &str = "user.update";
    pub const USER_SESSIONS_REVOKE: &str = "user.sessions.revoke";
    pub const USER_DELETE: &str = "user.delete";
    pub const REVIEW_DELETE: &str = "review.delete";
    pub const REVIEW_DISMISS_REPORTS: &str = "review.dismiss_reports";
    pub const MOVIE_CREATE: &str = "movie.create";
    pub const MOVIE_UPDATE: &str = "movie.update";
    pub const MOVIE_DELETE: &str = "movie.delete";
    pub const AUDIT_PRUNE: &str = "audit.prune";
}

/// Through what the change was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Via {
    /// A request with a staff member's token.
    Api,
    /// `theater users …` / `theater audit …` on the server (no token, no address).
    Cli,
}

impl Via {
    fn parse(stored: &str) -> Result<Self, DbErr> {
        match stored {
            "api" => Ok(Self::Api),
            "cli" => Ok(Self::Cli),
            other => Err(DbErr::Type(format!("audit_log.via: {other:?}"))),
        }
    }
}

/// Who makes a change, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i32>,
    pub email: Option<String>,
    pub via: Via,
    pub client_ip: Option<IpAddr>,
}

impl Actor {
    /// A signed-in user, calling from `client_ip`.
    pub fn user(account: &Account, client_ip: Option<IpAddr>) -> Self {
        Self {
            user_id: Some(account.id),
            email: Some(account.email.clone()),
            via: Via::Api,
            client_ip,
        }
    }

    /// The operator at the command line.
    pub fn cli() -> Self {
        Self {
            user_id: None,
            email: None,
            via: Via::Cli,
            client_ip: None,
        }
    }
}

/// `{kind}:{id}`, the target of an entry (`user:7`, `movie:12`, `review:3`).
pub fn target(kind: &str, id: impl std::fmt::Display) -> String {
    format!("{kind}:{id}")
}

/// Writes one entry with `db` — the transaction of the change it records.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> Result<(), DbErr> {
    let via: &'static str = actor.via.into();
    execute(
        db,
        "INSERT INTO audit_log (at, actor_id, actor_email, via, action, target, client_ip, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            Value::from(Utc::now()),
            Value::from(actor.user_id),
            Value::from(actor.email.clone()),
            Value::from(via),
            Value::from(action),
            Value::from(target),
            Value::from(actor.client_ip.map(|ip| ip.to_string())),
            Value::from(details.to_string()),
        ],
    )
    .await?;
    Ok(())
}

/// Who made an entry's change: their id and e-mail at the time (`null` for the command line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EntryActor {
    #[schema(example = 1)]
    pub user_id: Option<i32>,
    #[schema(example = "admin@example.com")]
    pub email: Option<String>,
    pub via: Via,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Entry {
    pub id: i32,
    #[serde(serialize_with = "crate::reviews::wire::iso_seconds")]
    #[schema(value_type = String, example = "2026-12-01T18:00:00Z")]
    pub at: DateTime<Utc>,
    pub actor: EntryActor,
    #[schema(example = "user.update")]
    pub action: String,
    #[schema(example = "user:7")]
    pub target: String,
    /// The client's address (behind `TRUSTED_PROXIES`, the real one); `null` for the command line.
    #[schema(example = "203.0.113.7")]
    pub client_ip: Option<String>,
    /// What changed, e.g. `{"group": {"from": "user", "to": "moderator"}}`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Which entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub actor_id: Option<i32>,
    pub action: Option<String>,
}

impl Filter {
    fn where_clause(&self, sql: &mut Sql) -> String {
        let mut conditions = Vec::new();
        if let Some(actor) = self.actor_id {
            conditions.push(format!("actor_id = {}", sql.bind(actor)));
        }
        if let Some(action) = &self.action {
            conditions.push(format!("action = {}", sql.bind(action.as_str())));
        }
        if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        }
    }
}

fn entry(row: &QueryResult) -> Result<Entry, DbErr> {
    let via: String = row.try_get_by_index(4)?;
    let details: String = row.try_get_by_index(8)?;
    Ok(Entry {
        id: row.try_get_by_index(0)?,
        at: row.try_get_by_index(1)?,
        actor: EntryActor {
            user_id: row.try_get_by_index(2)?,
            email: row.try_get_by_index(3)?,
            via: Via::parse(&via)?,
        },
        action: row.try_get_by_index(5)?,
        target: row.try_get_by_index(6)?,
        client_ip: row.try_get_by_index(7)?,
        details: serde_json::from_str(&details)
            .map_err(|e| DbErr::Type(format!("audit_log.details: {e}")))?,
    })
}

/// How many entries match.
pub async fn count(db: &impl ConnectionTrait, filter: &Filter) -> Result<i64, DbErr> {
    let mut sql = Sql::default();
    let condition = filter.where_clause(&mut sql);
    sql.text = format!("SELECT COUNT(*) FROM audit_log{condition}");
    let row = db
        .query_one_raw(sql.statement(db))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    row.try_get_by_index(0)
}

/// Matching entries, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Entry>, DbErr> {
    let mut sql = Sql::default();
    let condition = filter.where_clause(&mut sql);
    let (limit, offset) = (sql.bind(limit), sql.bind(offset));
    sql.text = format!(
        "SELECT id, at, actor_id, actor_email, via, action, target, client_ip, details \
         FROM audit_log{condition} ORDER BY id DESC LIMIT {limit} OFFSET {offset}"
    );
    db.query_all_raw(sql.statement(db))
        .await?
        .iter()
        .map(entry)
        .collect()
}

/// Deletes the entries older than `before` (the only deletion there is) and records that it did, in
/// one transaction; returns how many went.
pub async fn prune(
    db: &sea_orm::DatabaseConnection,
    before: DateTime<Utc>,
    actor: &Actor,
) -> Result<u64, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let removed = execute(
        &txn,
        "DELETE FROM audit_log WHERE at < $1",
        [Value::from(before)],
    )
    .await?;
    let details = serde_json::json!({
        "before": before.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "removed": removed,
    });
    record(&txn, actor, action::AUDIT_PRUNE, "audit_log", details).await?;
    txn.commit().await?;
    Ok(removed)
}

/// The number of an entry's rows, for tests.
#[cfg(test)]
async fn rows(db: &impl ConnectionTrait) -> i64 {
    count(db, &Filter::default()).await.unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Group;

    fn admin() -> Account {
        Account {
            id: 4,
            email: "boss@example.com".into(),
            is_active: true,
            group: Group::Admin,
        }
    }

    #[tokio::test]
    async fn entries_are_written_read_filtered_and_pruned() {
        let db = crate::db::memory().await;
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let by_admin = Actor::user(&admin(), Some(ip));
        record(
            &db,
            &by_admin,
            action::USER_UPDATE,
            &target("user", 7),
            serde_json::json!({"is_active": {"from": true, "to": false}}),
        )
        .await
        .unwrap();
        record(
            &db,
            &Actor::cli(),
            action::USER_SESSIONS_REVOKE,
            "user:8",
            serde_json::json!({}),
        )
        .await
        .unwrap();
        let all = list(&db, &Filter::default(), 10, 0).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].action, "user.sessions.revoke", "newest first");
        assert_eq!(
            all[0].actor,
            EntryActor {
                user_id: None,
                email: None,
                via: Via::Cli
            }
        );
        assert_eq!(all[1].actor.email.as_deref(), Some("boss@example.com"));
        assert_eq!(all[1].client_ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(all[1].details["is_active"]["to"], false);
        let by_action = Filter {
            action: Some("user.update".into()),
            ..Filter::default()
        };
        assert_eq!(count(&db, &by_action).await.unwrap(), 1);
        let by_actor = Filter {
            actor_id: Some(4),
            ..Filter::default()
        };
        assert_eq!(
            list(&db, &by_actor, 10, 0).await.unwrap()[0].target,
            "user:7"
        );
        assert_eq!(
            count(
                &db,
                &Filter {
                    actor_id: Some(5),
                    ..Filter::default()
                }
            )
            .await
            .unwrap(),
            0
        );

        // Pruning removes the older entries and leaves an entry saying so.
        assert_eq!(
            prune(
                &db,
                Utc::now() + chrono::Duration::seconds(1),
                &Actor::cli()
            )
            .await
            .unwrap(),
            2
        );
        assert_eq!(rows(&db).await, 1);
        let left = list(&db, &Filter::default(), 10, 0).await.unwrap();
        assert_eq!(
            (left[0].action.as_str(), left[0].details["removed"].as_u64()),
            ("audit.prune", Some(2))
        );
    }
}
