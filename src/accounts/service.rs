//! The accounts' business rules: [`Accounts`] holds exactly what they use (the database, the mail
//! outbox, the token keys, the revocations and the rate limits); the JSON handlers and the HTML
//! pages call its methods, the operator commands the free functions over the database alone, so each
//! rule exists once. Failures are [`AccountError`]s; nothing here speaks HTTP.
//!
//! Every change that owes an e-mail writes it to the outbox in the same transaction and commits with
//! [`Mail::commit_and_send`]. Transactions that write begin with `db::begin_write` (SQLite's write
//! lock first).

use std::{net::IpAddr, sync::Arc};

use anyhow::Context;
use axum::extract::FromRef;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PrimaryKeyTrait, QueryFilter, Set,
    sea_query::{DynIden, Expr, ExprTrait, IntoIden, Query, SelectStatement},
};

use super::{
    AccountLimits,
    domain::{Email, Password},
    error::AccountError,
    limiter::{LimitError, Request},
    password,
    wire::Me,
};
use crate::{
    auth::{AuthError, Group, IssuedToken, Tokens},
    db::begin_write,
    entities::{activation_token, password_reset_token, refresh_token, user, user_group},
    error::is_unique_violation,
    mail::{Mail, Notice},
    rate_limit::now_ms,
    revocation::{self, Revocations, Revoked},
    state::AppState,
};

type Result<T, E = AccountError> = std::result::Result<T, E>;

/// What the accounts' rules use, and nothing else: handlers take it as their state.
#[derive(Clone)]
pub struct Accounts {
    db: DatabaseConnection,
    mail: Arc<Mail>,
    tokens: Arc<Tokens>,
    revocations: Arc<Revocations>,
    limits: AccountLimits,
}

impl FromRef<AppState> for Accounts {
    fn from_ref(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
            mail: state.mail.clone(),
            tokens: state.tokens.clone(),
            revocations: state.revocations.clone(),
            // Built per request (a few quotas computed from the configuration, no allocation), so
            // the state holds no accounts type.
            limits: AccountLimits::from_config(&state.config),
        }
    }
}

/// Activation and password-reset tokens live 24 hours (contract).
fn one_time_token_lifetime() -> TimeDelta {
    TimeDelta::hours(24)
}

/// A one-time token for a link: 48 random alphanumerics (about 285 bits), within the 64-character
/// column.
fn random_token() -> String {
    crate::random::alphanumeric(48)
}

pub async fn find_user_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await
}

async fn group_id(db: &impl ConnectionTrait, group: Group) -> Result<i32, DbErr> {
    user_group::Entity::find()
        .filter(user_group::Column::Name.eq(group.as_str()))
        .one(db)
        .await?
        .map(|g| g.id)
        .ok_or_else(|| DbErr::RecordNotFound(format!("user group {group}")))
}

impl LimitError {
    /// As the accounts' error, with `limited` for a refusal (which of the two 429 texts).
    fn into_account_error(self, limited: fn(std::time::Duration) -> AccountError) -> AccountError {
        match self {
            Self::Limited(retry_after) => limited(retry_after),
            Self::Database(e) => e.into(),
        }
    }
}

fn too_many_requests(retry_after: std::time::Duration) -> AccountError {
    AccountError::TooManyRequests { retry_after }
}

fn too_many_logins(retry_after: std::time::Duration) -> AccountError {
    AccountError::TooManyLogins { retry_after }
}

/// Creates a user; an inactive one also gets an activation token and e-mail. Takes only the database
/// and the mail outbox, so `theater users create` needs no token secrets.
pub async fn create_user(
    db: &DatabaseConnection,
    mail: &Mail,
    email: &Email,
    password: &Password,
    group: Group,
    active: bool,
) -> Result<user::Model> {
    if find_user_by_email(db, email).await?.is_some() {
        return Err(AccountError::EmailTaken(email.clone()));
    }
    let group_id = group_id(db, group).await?;
    let hashed_password = password::hash(password.expose())
        .await
        .context("hashing the password")?;

    let txn = begin_write(db).await?;
    let now = Utc::now();
    let user = user::ActiveModel {
        email: Set(email.as_str().to_owned()),
        hashed_password: Set(hashed_password),
        is_active: Set(active),
        created_at: Set(now),
        updated_at: Set(now),
        group_id: Set(group_id),
        ..Default::default()
    }
    .insert(&txn)
    .await
    // A concurrent registration of the same address gets past the check above and fails here.
    .map_err(|e| {
        if is_unique_violation(&e) {
            AccountError::EmailTaken(email.clone())
        } else {
            e.into()
        }
    })?;
    if active {
        txn.commit().await?;
    } else {
        let token = insert_activation_token(&txn, user.id, now).await?;
        mail.enqueue(&txn, &user.email, Notice::Activation { token: &token })
            .await?;
        mail.commit_and_send(txn).await?;
    }
    Ok(user)
}

/// Deletes a one-time token (row `id` of `E`) in the transaction that acts on it; `false` when a
/// concurrent request used it first. Deleting first both starts the transaction with a write and
/// settles the race: of two requests with the same token, only the one that deleted it goes on.
async fn use_up<E>(txn: &DatabaseTransaction, id: i32) -> Result<bool, DbErr>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    Ok(E::delete_by_id(id).exec(txn).await?.rows_affected > 0)
}

async fn insert_activation_token(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = random_token();
    activation_token::ActiveModel {
        token: Set(token.clone()),
        expires_at: Set(now + one_time_token_lifetime()),
        user_id: Set(user_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

impl Accounts {
    /// `POST /register/`: an inactive user in group `user`, with an activation e-mail. Limited per
    /// client address and per e-mail (see `limiter`).
    pub async fn register(
        &self,
        email: &Email,
        password: &Password,
        client: Option<IpAddr>,
    ) -> Result<user::Model> {
        self.limit(Request::Register, email, client).await?;
        create_user(&self.db, &self.mail, email, password, Group::User, false).await
    }

    /// Counts one limited request; `TooManyRequests` when refused.
    async fn limit(&self, request: Request, email: &Email, client: Option<IpAddr>) -> Result<()> {
        self.limits
            .check_request(&self.db, request, email.as_str(), client)
            .await
            .map_err(|e| e.into_account_error(too_many_requests))
    }

    /// `POST /activate/`.
    pub async fn activate(&self, email: &Email, token: &str) -> Result<()> {
        let invalid = AccountError::InvalidActivationToken;
        let found = activation_token::Entity::find()
            .find_also_related(user::Entity)
            .filter(user::Column::Email.eq(email.as_str()))
            .filter(activation_token::Column::Token.eq(token))
            .one(&self.db)
            .await?;
        let Some((record, Some(user))) = found else {
            return Err(invalid);
        };
        let now = Utc::now();
        if record.expires_at < now {
            activation_token::Entity::delete_by_id(record.id)
                .exec(&self.db)
                .await?;
            return Err(invalid);
        }
        if user.is_active {
            return Err(AccountError::AlreadyActive);
        }

        let txn = begin_write(&self.db).await?;
        if !use_up::<activation_token::Entity>(&txn, record.id).await? {
            return Err(invalid);
        }
        user::Entity::update_many()
            .col_expr(user::Column::IsActive, Expr::value(true))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::Id.eq(user.id))
            .exec(&txn)
            .await?;
        self.mail
            .enqueue(&txn, &user.email, Notice::ActivationComplete)
            .await?;
        self.mail.commit_and_send(txn).await?;
        Ok(())
    }

    /// `POST /activation/resend/`: a new activation token and e-mail, only for an existing inactive user.
    /// Says nothing about whether one exists, not even in its timing (see [`mail_by_address`]). Limited
    /// like [`register`], before anything is looked up, so known and unknown e-mails are limited alike.
    pub async fn resend_activation(&self, email: &Email, client: Option<IpAddr>) -> Result<()> {
        self.limit(Request::ResendActivation, email, client).await?;
        self.mail_by_address(email, MailByAddress::Activation).await
    }

    /// `POST /password-reset/request/`: a reset token and e-mail, only for an existing active user. Says
    /// nothing about whether one exists, not even in its timing (see [`mail_by_address`]). Limited like
    /// [`resend_activation`].
    pub async fn request_password_reset(
        &self,
        email: &Email,
        client: Option<IpAddr>,
    ) -> Result<()> {
        self.limit(Request::PasswordReset, email, client).await?;
        self.mail_by_address(email, MailByAddress::PasswordReset)
            .await
    }

    /// Replaces the user's token of `kind` and queues its e-mail, when `email` names a user in the right
    /// state. The answer is the same either way, and so is the work: rather than look the user up and
    /// branch (which made existing accounts take twice as long, a timing oracle for who is registered),
    /// every request renders the e-mail and runs the same transaction, whose statements carry the
    /// condition themselves (`... WHERE user_id IN (SELECT id FROM users WHERE email = ? AND is_active =
    /// ?)`) and touch no rows for an address that is owed nothing. A concurrent request for the same user
    /// that wins the race to the one-per-user token row makes this one a no-op: its token and e-mail
    /// stand (on PostgreSQL neither transaction sees the other's row before the insert).
    async fn mail_by_address(&self, email: &Email, kind: MailByAddress) -> Result<()> {
        let now = Utc::now();
        let token = random_token();
        let message = self.mail.render(email.as_str(), kind.notice(&token))?;
        let (table, [token_column, expires_column, user_column]) = kind.token_table();
        let eligible_users = |select: &mut SelectStatement| {
            select
                .from(user::Entity)
                .and_where(user::Column::Email.eq(email.as_str()))
                .and_where(user::Column::IsActive.eq(kind.for_active_user()));
        };
        let mut eligible_ids = Query::select();
        eligible_ids.column(user::Column::Id);
        eligible_users(&mut eligible_ids);
        let mut new_token = Query::select();
        new_token
            .expr(Expr::val(token.clone()))
            .expr(Expr::val(now + one_time_token_lifetime()))
            .column(user::Column::Id);
        eligible_users(&mut new_token);

        let txn = begin_write(&self.db).await?;
        if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
            // A commit that wrote rows waits for its WAL flush (milliseconds); one that wrote none does
            // not, which would tell the two apart again. Not waiting risks losing this token and e-mail
            // if the server crashes within a fraction of a second; the person then asks again.
            txn.execute_unprepared("SET LOCAL synchronous_commit = off")
                .await?;
        }
        let delete = Query::delete()
            .from_table(table.clone())
            .and_where(Expr::col(user_column.clone()).in_subquery(eligible_ids))
            .to_owned();
        txn.execute(&delete).await?;
        let insert = Query::insert()
            .into_table(table.clone())
            .columns([token_column.clone(), expires_column, user_column])
            .select_from(new_token)
            .context("building the token insert")?
            .to_owned();
        match txn.execute(&insert).await {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        // Queued only beside the token just written, if one was.
        let token_written = Query::select()
            .expr(Expr::val(1))
            .from(table)
            .and_where(Expr::col(token_column).eq(token.as_str()))
            .to_owned();
        let queued =
            crate::mail::outbox::insert_if_exists(&txn, message, now, token_written).await?;
        if queued {
            self.mail.commit_and_send(txn).await?;
        } else {
            txn.commit().await?;
        }
        Ok(())
    }

    /// `POST /reset-password/complete/`. Also signs the user out everywhere (their refresh tokens are
    /// deleted): whoever knew the old password must not keep a session.
    pub async fn complete_password_reset(
        &self,
        email: &Email,
        token: &str,
        password: &Password,
    ) -> Result<()> {
        let invalid = AccountError::InvalidResetToken;
        let Some(user) = find_user_by_email(&self.db, email)
            .await?
            .filter(|u| u.is_active)
        else {
            return Err(invalid);
        };
        let Some(record) = password_reset_token::Entity::find()
            .filter(password_reset_token::Column::UserId.eq(user.id))
            .one(&self.db)
            .await?
        else {
            return Err(invalid);
        };
        // A wrong guess burns the token (as in the original), so guessing cannot be repeated.
        if record.token != token || record.expires_at < Utc::now() {
            password_reset_token::Entity::delete_by_id(record.id)
                .exec(&self.db)
                .await?;
            return Err(invalid);
        }
        let hashed_password = password::hash(password.expose())
            .await
            .context("hashing the password")?;

        let txn = begin_write(&self.db).await?;
        if !use_up::<password_reset_token::Entity>(&txn, record.id).await? {
            return Err(invalid);
        }
        self.replace_password(txn, &user, hashed_password).await
    }

    /// Stores the new hash in `txn`, signing the user out everywhere (see [`set_password`]), queues
    /// the notice, commits and applies the revocations.
    async fn replace_password(
        &self,
        txn: DatabaseTransaction,
        user: &user::Model,
        hashed_password: String,
    ) -> Result<()> {
        let revoked = set_password(&txn, user.id, hashed_password).await?;
        self.mail
            .enqueue(&txn, &user.email, Notice::PasswordResetComplete)
            .await?;
        self.mail.commit_and_send(txn).await?;
        self.revocations.apply(revoked);
        Ok(())
    }

    /// `POST /login/`. `client` is the caller's address, for the rate limits: only wrong passwords
    /// count against them (see `limiter`).
    pub async fn login(
        &self,
        email: &Email,
        password: &Password,
        client: Option<IpAddr>,
    ) -> Result<LoginTokens> {
        let attempt = self
            .limits
            .begin_password_attempt(&self.db, email.as_str(), client)
            .await
            .map_err(|e| e.into_account_error(too_many_logins))?;
        let user = find_user_by_email(&self.db, email).await?;
        let stored = user.as_ref().map(|u| u.hashed_password.clone());
        let matches = password::verify(password.expose(), stored)
            .await
            .context("verifying the password")?;
        let user = match user {
            Some(user) if matches => user,
            _ => {
                attempt.failed();
                return Err(AccountError::InvalidCredentials);
            }
        };
        attempt.succeeded(&self.db).await;
        if !user.is_active {
            return Err(AccountError::NotActivated);
        }
        let refresh = self
            .tokens
            .issue_refresh(user.id)
            .context("signing the refresh token")?;
        refresh_token::ActiveModel {
            token: Set(refresh.token.clone()),
            expires_at: Set(refresh.expires_at),
            user_id: Set(user.id),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        let access = self.issue_access(user.id)?;
        Ok(LoginTokens {
            access_token: access.token,
            refresh_token: refresh.token,
        })
    }

    /// Decodes a refresh token (`BadRefreshToken` with the token's fault) and finds its stored row.
    async fn stored_refresh_token(&self, token: &str) -> Result<(i32, refresh_token::Model)> {
        let claims = self
            .tokens
            .decode_refresh(token)
            .map_err(AccountError::BadRefreshToken)?;
        let record = refresh_token::Entity::find()
            .filter(refresh_token::Column::Token.eq(token))
            .one(&self.db)
            .await?
            .ok_or(AccountError::RefreshTokenNotFound)?;
        Ok((claims.user_id, record))
    }

    /// `POST /refresh/`: a new access token.
    pub async fn refresh(&self, token: &str) -> Result<String> {
        let (user_id, _) = self.stored_refresh_token(token).await?;
        if user::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .is_none()
        {
            return Err(AccountError::UserNotFound);
        }
        Ok(self.issue_access(user_id)?.token)
    }

    /// An access token stamped no earlier than the user's last revocation, so it works even when it is
    /// issued in the same millisecond as a logout.
    fn issue_access(&self, user_id: i32) -> Result<IssuedToken> {
        let issued_at = self.revocations.issue_not_before(user_id, now_ms());
        Ok(self
            .tokens
            .issue_access_at(user_id, issued_at)
            .context("signing the access token")?)
    }

    /// `GET /users/me/`: the caller's account (gone since the token was checked: 401 as for any
    /// user who is not there).
    pub async fn me(&self, caller: &crate::auth::Account) -> Result<Me> {
        let user = user::Entity::find_by_id(caller.id)
            .one(&self.db)
            .await?
            .ok_or(AccountError::Auth(AuthError::UserNotActive))?;
        Ok(Me {
            id: user.id,
            email: user.email,
            group: caller.group.as_str(),
            is_active: user.is_active,
            created_at: user.created_at,
        })
    }

    /// `POST /logout/`: the refresh token stops working, and so do the user's access tokens issued
    /// until now. Its faults are those of `/refresh/`.
    ///
    /// Access tokens are revoked per user, not per session: they carry no session id (the contract's
    /// claims, and tokens minted elsewhere have none), so the one refresh token cannot name "its" access
    /// tokens. The user's other sessions keep their refresh tokens and get new access tokens from
    /// `/refresh/`; a stolen access token of this session cannot outlive the logout.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let (user_id, record) = self.stored_refresh_token(token).await?;
        let txn = begin_write(&self.db).await?;
        refresh_token::Entity::delete_by_id(record.id)
            .exec(&txn)
            .await?;
        let revoked = revocation::revoke_access_tokens(&txn, user_id, now_ms()).await?;
        txn.commit().await?;
        self.revocations.apply(revoked);
        Ok(())
    }

    /// `POST /password-change/`: the signed-in user's new password; every refresh token of theirs is
    /// revoked and a notice e-mailed. Guesses at the old password count against the login limit, so a
    /// stolen access token cannot be used to brute-force it.
    /// `GET /users/me/export/`: everything stored about the user (`accounts::export`).
    pub async fn export(&self, user_id: i32) -> Result<serde_json::Value> {
        super::export::export(&self.db, user_id)
            .await?
            .ok_or_else(|| AuthError::UserNotActive.into())
    }

    /// Checks the signed-in user's own password (the self-service deletion asks for it), counted
    /// by the login's limiter like every password attempt.
    pub async fn confirm_password(
        &self,
        user_id: i32,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<()> {
        self.own_password(user_id, password, client, AccountError::InvalidPassword)
            .await
            .map(drop)
    }

    /// The active user `user_id` once `password` is theirs (else `wrong`), counted by the login's
    /// limiter like every password attempt.
    async fn own_password(
        &self,
        user_id: i32,
        password: &str,
        client: Option<IpAddr>,
        wrong: AccountError,
    ) -> Result<user::Model> {
        let user = user::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .filter(|u| u.is_active)
            .ok_or(AuthError::UserNotActive)?;
        let attempt = self
            .limits
            .begin_password_attempt(&self.db, &user.email, client)
            .await
            .map_err(|e| e.into_account_error(too_many_logins))?;
        let matches = password::verify(password, Some(user.hashed_password.clone()))
            .await
            .context("verifying the password")?;
        if !matches {
            attempt.failed();
            return Err(wrong);
        }
        attempt.succeeded(&self.db).await;
        Ok(user)
    }

    pub async fn change_password(
        &self,
        user_id: i32,
        old_password: &str,
        new_password: &Password,
        client: Option<IpAddr>,
    ) -> Result<()> {
        let user = self
            .own_password(
                user_id,
                old_password,
                client,
                AccountError::WrongOldPassword,
            )
            .await?;
        let hashed_password = password::hash(new_password.expose())
            .await
            .context("hashing the password")?;
        let txn = begin_write(&self.db).await?;
        self.replace_password(txn, &user, hashed_password).await
    }
}

/// The two e-mails anyone may ask for by address alone, and the user each is for.
#[derive(Clone, Copy, Debug)]
enum MailByAddress {
    /// For an inactive user: a new activation token.
    Activation,
    /// For an active user: a new password-reset token.
    PasswordReset,
}

impl MailByAddress {
    fn for_active_user(self) -> bool {
        matches!(self, Self::PasswordReset)
    }

    /// The token table and its `token`, `expires_at` and `user_id` columns (one row per user).
    fn token_table(self) -> (DynIden, [DynIden; 3]) {
        match self {
            Self::Activation => (
                activation_token::Entity.into_iden(),
                [
                    activation_token::Column::Token.into_iden(),
                    activation_token::Column::ExpiresAt.into_iden(),
                    activation_token::Column::UserId.into_iden(),
                ],
            ),
            Self::PasswordReset => (
                password_reset_token::Entity.into_iden(),
                [
                    password_reset_token::Column::Token.into_iden(),
                    password_reset_token::Column::ExpiresAt.into_iden(),
                    password_reset_token::Column::UserId.into_iden(),
                ],
            ),
        }
    }

    fn notice(self, token: &str) -> Notice<'_> {
        match self {
            Self::Activation => Notice::Activation { token },
            Self::PasswordReset => Notice::PasswordReset { token },
        }
    }
}

/// Stores a new password hash and signs the user out everywhere (refresh tokens deleted, access
/// tokens revoked): whoever knew the old password must not keep a session. Apply the result after
/// commit.
async fn set_password(
    db: &impl ConnectionTrait,
    user_id: i32,
    hashed_password: String,
) -> Result<Revoked, DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::HashedPassword, Expr::value(hashed_password))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    revocation::revoke_user_tokens(db, user_id, now_ms()).await
}

/// The tokens a successful login returns.
#[derive(Debug, Clone)]
pub struct LoginTokens {
    pub access_token: String,
    pub refresh_token: String,
}

/// Deletes expired activation, password-reset and refresh tokens; returns how many.
pub async fn delete_expired_tokens(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let activation = activation_token::Entity::delete_many()
        .filter(activation_token::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let reset = password_reset_token::Entity::delete_many()
        .filter(password_reset_token::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let refresh = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok(activation.rows_affected + reset.rows_affected + refresh.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_tokens_fit_their_column_and_differ() {
        let a = random_token();
        assert!(a.len() <= 64 && a.len() >= 43);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, random_token());
    }
}
