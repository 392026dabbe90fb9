//! `theater users list|show|set-group|deactivate|activate|revoke|delete` and `theater audit list|prune`:
//! the administration for operators without a token, with the API's rules (the last-admin guard,
//! revocation, the audit entry in the change's transaction) through the same [`Admin`] service.
//! Entries are recorded with the actor `cli`. A running service learns a revocation made here from
//! its poll of `token_revocations`, within a second.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};

use super::{
    Admin, AdminError,
    domain::{EmailSearch, GroupName, UserSort},
    store::{self, UserFilter},
    wire::{AdminUser, UserChanges},
};
use crate::{
    accounts::{AccountError, Email},
    audit::{self, Actor},
    config::Config,
    movies::domain::RowId,
    revocation::Revocations,
    storage::Storage,
    validation::{FromInput, JsonBool},
};

/// The user a command acts on: by e-mail or by id.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct Who {
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub id: Option<i32>,
}

#[derive(Debug, Subcommand)]
pub enum AdminUsersCommand {
    /// List users (id, e-mail, group, active, created), newest first unless --sort says otherwise.
    List {
        /// Part of the e-mail address, any case.
        #[arg(long)]
        search: Option<String>,
        /// user, moderator or admin.
        #[arg(long)]
        group: Option<String>,
        /// Only active (true) or inactive (false) users.
        #[arg(long)]
        active: Option<bool>,
        /// id, -id, email, created_at or -created_at.
        #[arg(long, default_value = "-id", allow_hyphen_values = true)]
        sort: String,
        /// At most this many lines.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show a user as `GET /admin/users/{id}/` does (JSON).
    Show(Who),
    /// Move a user to another group (the last active admin cannot be demoted).
    SetGroup {
        #[command(flatten)]
        who: Who,
        /// user, moderator or admin.
        #[arg(long)]
        group: String,
    },
    /// Deactivate a user and sign them out everywhere (not the last active admin).
    Deactivate(Who),
    /// Activate a user (without the activation e-mail).
    Activate(Who),
    /// Sign a user out everywhere: refresh tokens deleted, access tokens issued until now refused.
    Revoke(Who),
    /// Delete a user and all of theirs, as the API's delete does (not the last active admin).
    Delete(Who),
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Audit entries, newest first: time, id, actor, action, target, client address, details.
    List {
        #[arg(long)]
        actor_id: Option<i32>,
        /// e.g. user.update
        #[arg(long)]
        action: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Delete the entries older than a date (the only way entries are removed; the prune itself
    /// is recorded).
    Prune {
        /// YYYY-MM-DD (midnight UTC) or an RFC 3339 instant.
        #[arg(long, value_parser = parse_instant)]
        before: DateTime<Utc>,
    },
}

/// The administration over the configured database; no token secrets are read.
async fn admin(config: &Config) -> anyhow::Result<Admin> {
    let db = crate::db::connect(&config.database_url, 1).await?;
    crate::db::migrate(&db).await?;
    let storage = Storage::from_config(config)?;
    // This process serves no request: what it revokes reaches running services by their poll.
    let revocations = Arc::new(Revocations::new(config.jwt.access_lifetime));
    Ok(Admin::new(db, storage, revocations))
}

/// The API's refusal as the operator's message.
fn message(error: AdminError) -> anyhow::Error {
    match error {
        AdminError::Internal(cause) => cause,
        refused => anyhow!(refused.to_string()),
    }
}

async fn resolve(admin: &Admin, who: &Who) -> anyhow::Result<RowId> {
    let id = match (&who.email, who.id) {
        (Some(email), _) => {
            let email = Email::from_input(&serde_json::Value::String(email.clone()))
                .map_err(|e| anyhow!("email: {}", e.msg))?;
            match admin.id_by_email(email.as_str()).await {
                Ok(id) => id,
                Err(AdminError::UserNotFound) => {
                    return Err(anyhow!(AccountError::NoSuchUser(email).to_string()));
                }
                Err(e) => return Err(message(e)),
            }
        }
        (None, Some(id)) => id,
        (None, None) => return Err(anyhow!("give --email or --id")),
    };
    RowId::from_input(&serde_json::json!(id)).map_err(|e| anyhow!(e.msg))
}

fn describe(user: &AdminUser) -> String {
    format!("user {} <{}>", user.id, user.email)
}

fn parse_flag<T: FromInput>(name: &str, value: &str) -> anyhow::Result<T> {
    T::from_input(&serde_json::Value::String(value.to_owned())).map_err(|e| {
        let msg = e.msg.strip_prefix("Value error, ").unwrap_or(&e.msg);
        anyhow!("{name}: {msg}")
    })
}

pub async fn users_command(config: Config, command: AdminUsersCommand) -> anyhow::Result<()> {
    let admin = admin(&config).await?;
    let cli = Actor::cli();
    let change = |group: Option<GroupName>, is_active: Option<bool>| UserChanges {
        group,
        is_active: is_active.map(JsonBool),
    };
    match command {
        AdminUsersCommand::List {
            search,
            group,
            active,
            sort,
            limit,
        } => {
            let filter = UserFilter {
                search: search
                    .map(|s| parse_flag::<EmailSearch>("search", &s))
                    .transpose()?,
                group: group
                    .map(|g| parse_flag::<GroupName>("group", &g).map(|g| g.0))
                    .transpose()?,
                is_active: active,
            };
            let sort = parse_flag::<UserSort>("sort", &sort)?;
            let users =
                store::page_users(admin.db(), &filter, sort.order_by(), i64::from(limit), 0)
                    .await?;
            if users.is_empty() {
                println!("no users");
            }
            for u in users {
                let state = if u.is_active { "active" } else { "inactive" };
                println!(
                    "{}\t{}\t{}\t{state}\t{}",
                    u.id,
                    u.email,
                    u.group,
                    u.created_at.format("%Y-%m-%dT%H:%M:%SZ")
                );
            }
        }
        AdminUsersCommand::Show(who) => {
            let id = resolve(&admin, &who).await?;
            let detail = admin.user(id).await.map_err(message)?;
            println!("{}", serde_json::to_string_pretty(&detail)?);
        }
        AdminUsersCommand::SetGroup { who, group } => {
            let group = parse_flag::<GroupName>("group", &group)?;
            let id = resolve(&admin, &who).await?;
            let user = admin
                .update(&cli, id, &change(Some(group), None))
                .await
                .map_err(message)?;
            println!("{} is now in group {}", describe(&user), user.group);
        }
        AdminUsersCommand::Deactivate(who) => {
            let id = resolve(&admin, &who).await?;
            let user = admin
                .update(&cli, id, &change(None, Some(false)))
                .await
                .map_err(message)?;
            println!(
                "{} is inactive; every session of theirs is revoked",
                describe(&user)
            );
        }
        AdminUsersCommand::Activate(who) => {
            let id = resolve(&admin, &who).await?;
            let user = admin
                .update(&cli, id, &change(None, Some(true)))
                .await
                .map_err(message)?;
            println!("{} is active", describe(&user));
        }
        AdminUsersCommand::Revoke(who) => {
            let id = resolve(&admin, &who).await?;
            admin.revoke_sessions(&cli, id).await.map_err(message)?;
            let user = admin.user(id).await.map_err(message)?.user;
            println!("{}: every session revoked", describe(&user));
        }
        AdminUsersCommand::Delete(who) => {
            let id = resolve(&admin, &who).await?;
            let user = admin.user(id).await.map_err(message)?.user;
            admin.delete_user(&cli, id).await.map_err(message)?;
            println!("{} is deleted, with everything of theirs", describe(&user));
        }
    }
    Ok(())
}

pub async fn audit_command(config: Config, command: AuditCommand) -> anyhow::Result<()> {
    let admin = admin(&config).await?;
    match command {
        AuditCommand::List {
            actor_id,
            action,
            limit,
        } => {
            let filter = audit::Filter { actor_id, action };
            let entries = audit::list(admin.db(), &filter, i64::from(limit), 0).await?;
            if entries.is_empty() {
                println!("no entries");
            }
            for e in entries {
                let actor = match (&e.actor.email, e.actor.user_id) {
                    (Some(email), Some(id)) => format!("{email} (user {id})"),
                    (Some(email), None) => email.clone(),
                    (None, Some(id)) => format!("user {id}"),
                    (None, None) => "cli".to_owned(),
                };
                println!(
                    "{}\t{}\t{actor}\t{}\t{}\t{}\t{}",
                    e.at.format("%Y-%m-%dT%H:%M:%SZ"),
                    e.id,
                    e.action,
                    e.target,
                    e.client_ip.as_deref().unwrap_or("-"),
                    e.details
                );
            }
        }
        AuditCommand::Prune { before } => {
            let removed = audit::prune(admin.db(), before, &Actor::cli())
                .await
                .context("pruning the audit log")?;
            println!(
                "removed {removed} audit entries older than {}",
                before.format("%Y-%m-%dT%H:%M:%SZ")
            );
        }
    }
    Ok(())
}

/// `2026-12-01` (midnight UTC) or `2026-12-01T18:00:00Z`.
fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is neither YYYY-MM-DD nor an RFC 3339 instant"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_dates_or_rfc3339() {
        assert_eq!(
            parse_instant("2026-12-01").unwrap().to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_instant("2026-12-01T18:00:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-12-01T17:00:00+00:00"
        );
        assert!(parse_instant("yesterday").is_err());
    }

    #[test]
    fn flags_read_like_the_api() {
        assert!(parse_flag::<UserSort>("sort", "-created_at").is_ok());
        let e = parse_flag::<GroupName>("group", "root")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("group: Input should be"), "{e}");
    }
}
