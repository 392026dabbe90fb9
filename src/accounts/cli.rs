//! `theater users`: operator commands, with the API's validation and messages.

use anyhow::anyhow;
use clap::Subcommand;
use serde_json::Value;

use super::{
    AccountError,
    domain::{Email, Password},
    service,
};
use crate::{
    auth::Group,
    config::Config,
    mail::Mail,
    validation::{FromInput, Invalid},
};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user (same e-mail and password rules as the API). Without --password the password
    /// is asked for on the terminal (twice), or read as the first line of standard input when that
    /// is not a terminal (`printf '%s\n' "$PW" | theater users create --email …`).
    Create {
        #[arg(long)]
        email: String,
        /// The password; visible to other users of the machine in the process list, so prefer the
        /// prompt or standard input.
        #[arg(long)]
        password: Option<String>,
        /// user, moderator or admin.
        #[arg(long, default_value = "user")]
        group: String,
        /// Activate the account at once (no activation e-mail).
        #[arg(long)]
        active: bool,
        /// Succeed without changing anything when a user with this e-mail exists (for bootstrap
        /// scripts that run on every start).
        #[arg(long)]
        if_missing: bool,
    },
    /// `list`, `show`, `set-group`, `deactivate`, `activate`, `revoke`: the administration's
    /// commands (`admin::cli`), with the API's rules.
    #[command(flatten)]
    Admin(crate::admin::cli::AdminUsersCommand),
}

pub async fn users_command(config: Config, command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Create {
            email,
            password,
            group,
            active,
            if_missing,
        } => {
            let password = match password {
                Some(p) => p,
                None => read_password()?,
            };
            // Every input problem at once, as the API reports them.
            let email = parse::<Email>("email", &email);
            let password = parse::<Password>("password", &password);
            let group = parse_group(&group);
            let problems: Vec<String> = [
                email.as_ref().err(),
                password.as_ref().err(),
                group.as_ref().err(),
            ]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
            let (Ok(email), Ok(password), Ok(group)) = (email, password, group) else {
                return Err(anyhow!(problems.join("\n")));
            };
            let (db, mail) = database_and_mail(&config).await?;
            let user =
                match service::create_user(&db, &mail, &email, &password, group, active).await {
                    Ok(user) => user,
                    Err(AccountError::EmailTaken(_)) if if_missing => {
                        println!("user <{email}> exists; nothing changed");
                        return Ok(());
                    }
                    Err(e) => return Err(message(e)),
                };
            let status = if active {
                "active"
            } else {
                "inactive; the activation e-mail goes out when `theater serve` runs"
            };
            println!(
                "created user {} <{}> in group {group} ({status})",
                user.id, user.email
            );
            Ok(())
        }
        UsersCommand::Admin(command) => crate::admin::cli::users_command(config, command).await,
    }
}

/// The migrated database, and nothing else: these commands sign no tokens, store no avatars and send
/// nothing themselves, so they neither read nor generate the token secrets (no warnings about them).
async fn database(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = crate::db::connect(&config.database_url, 1).await?;
    crate::db::migrate(&db).await?;
    Ok(db)
}

/// The database and the mail outbox (an inactive user's activation e-mail is queued there; the
/// running service sends it).
async fn database_and_mail(config: &Config) -> anyhow::Result<(sea_orm::DatabaseConnection, Mail)> {
    Ok((database(config).await?, Mail::from_config(config)?))
}

/// The password from the terminal (asked twice, not echoed) or, when standard input is not a
/// terminal, its first line (without the line break), so scripts never put it in the process list.
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat the password: ")?;
        anyhow::ensure!(first == second, "the two passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        anyhow::ensure!(
            !password.is_empty(),
            "no password: give --password, type it at the prompt, or pipe it on standard input"
        );
        Ok(password)
    }
}

/// One value through its API type; the error reads as the API's 422 `msg`, prefixed by the field.
fn parse<T: FromInput>(field: &str, input: &str) -> Result<T, String> {
    T::from_input(&Value::String(input.to_owned())).map_err(|Invalid { msg, .. }| {
        let msg = msg.strip_prefix("Value error, ").unwrap_or(&msg);
        format!("{field}: {msg}")
    })
}

fn parse_group(input: &str) -> Result<Group, String> {
    input.parse::<Group>().map_err(|e| format!("group: {e}"))
}

/// The API's message for a refusal; internal causes in full (this is the operator).
fn message(error: AccountError) -> anyhow::Error {
    match error {
        AccountError::Internal(cause) => cause,
        refused => anyhow!(refused.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_read_like_the_api() {
        assert_eq!(
            parse::<Password>("password", "short").unwrap_err(),
            "password: Password must contain at least 8 characters."
        );
        assert_eq!(
            parse::<Email>("email", "x").unwrap_err(),
            "email: value is not a valid email address: An email address must have an @-sign."
        );
        assert!(parse_group("root").unwrap_err().starts_with("group: "));
        assert_eq!(
            parse::<Email>("email", "A@B.io").unwrap().as_str(),
            "a@b.io"
        );
    }
}
