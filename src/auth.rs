//! JWT access and refresh tokens (contract: claims `{user_id, exp}`, HS256 by default, access tokens
//! signed with `SECRET_KEY_ACCESS` for 60 minutes, refresh tokens with `SECRET_KEY_REFRESH` for
//! `LOGIN_TIME_DAYS`) and the [`Authenticated`] extractor every protected endpoint uses.

use std::{path::Path, sync::Arc, time::Duration};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{header, request::Parts},
};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, QuerySelect, RelationTrait, sea_query::JoinType,
};

use crate::{
    config::{ConfigError, JwtConfig, JwtSecret, ensure_distinct_secrets},
    entities::{user, user_group},
    error::DomainError,
    random::alphanumeric as random_alphanumeric,
    revocation::{REVOKED, Revocations},
};

/// Why a request is not (or no longer) authenticated: the `401`s of every protected endpoint.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Authorization header is missing")]
    MissingHeader,
    #[error("Invalid Authorization header format. Expected 'Bearer <token>'")]
    MalformedHeader,
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("{REVOKED}")]
    Revoked,
    /// A valid token whose user is gone or deactivated (profiles, catalog writes, password change).
    #[error("User not found or not active.")]
    UserNotActive,
    /// Started with the database down: a revoked token cannot be told apart yet.
    #[error("token revocations are not loaded yet")]
    RevocationsNotLoaded,
    /// The database failed while loading the caller ([`SignedIn`]).
    #[error("loading the signed-in user: {0}")]
    Lookup(String),
}

impl DomainError for AuthError {
    fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Self::RevocationsNotLoaded | Self::Lookup(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    fn into_cause(self) -> Option<anyhow::Error> {
        matches!(self, Self::RevocationsNotLoaded | Self::Lookup(_))
            .then(|| anyhow::Error::new(self))
    }
}

crate::impl_from_domain_error!(@http AuthError);

impl AuthError {
    /// The 401s of the [`Authenticated`] extractor, for the OpenAPI documents of protected endpoints.
    pub const TOKEN_FAILURES: [AuthError; 5] = [
        Self::MissingHeader,
        Self::MalformedHeader,
        Self::Token(TokenError::Expired),
        Self::Token(TokenError::Invalid),
        Self::Revoked,
    ];
}

/// The contract's claims. Refresh tokens also carry a random `jti` so two logins in the same second
/// get distinct tokens (the `refresh_tokens.token` column is unique); decoders ignore it.
///
/// Tokens Theater issues also carry their issue instant: the standard `iat` (seconds, for other
/// tools) and `iat_ms` (milliseconds), which revocation compares against (`crate::revocation`): a
/// logout and a new login can fall within one second, and only milliseconds tell them apart. Tokens
/// minted elsewhere with the contract's claims alone still work; see [`Claims::issued_at_ms`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub user_id: i32,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl Claims {
    /// When the token was issued, in Unix milliseconds: `iat_ms`; else `iat` (whole seconds, so a
    /// revocation later in that second refuses it: the safe side); else, for the contract's bare
    /// `{user_id, exp}`, `exp` minus the token lifetime.
    pub fn issued_at_ms(&self, lifetime: Duration) -> i64 {
        let lifetime_ms = i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX);
        self.iat_ms
            .or_else(|| self.iat.map(|s| s.saturating_mul(1000)))
            .unwrap_or_else(|| self.exp.saturating_mul(1000).saturating_sub(lifetime_ms))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("Token has expired.")]
    Expired,
    #[error("Invalid token.")]
    Invalid,
}

/// Signing and verification keys for both token kinds.
pub struct Tokens {
    algorithm: Algorithm,
    access: (EncodingKey, DecodingKey),
    refresh: (EncodingKey, DecodingKey),
    access_lifetime: Duration,
    refresh_lifetime: Duration,
    /// The key of the signed links that need no login (one-click unsubscribe), derived from the
    /// access secret so no other setting is needed; rotating that secret voids them too.
    link_key: [u8; 64],
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// A freshly minted token and when it stops being valid.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl Tokens {
    pub fn new(config: &JwtConfig, access_secret: &str, refresh_secret: &str) -> Self {
        let keys = |secret: &str| {
            (
                EncodingKey::from_secret(secret.as_bytes()),
                DecodingKey::from_secret(secret.as_bytes()),
            )
        };
        Self {
            algorithm: config.algorithm,
            access: keys(access_secret),
            refresh: keys(refresh_secret),
            access_lifetime: config.access_lifetime,
            refresh_lifetime: config.refresh_lifetime,
            link_key: derive_link_key(access_secret),
        }
    }

    /// The key for signed links (see [`crate::notifications::domain::UnsubscribeToken`]).
    pub fn link_key(&self) -> &[u8; 64] {
        &self.link_key
    }

    /// Uses the configured secrets; a missing one is generated once and kept in
    /// `{data_dir}/secrets/` so tokens survive a restart (with a warning: production should set it).
    /// A stored secret gets the configured ones' checks, so a weak value written there by hand is
    /// refused too.
    pub fn from_config(config: &JwtConfig, data_dir: &Path) -> anyhow::Result<Self> {
        let access = match &config.secret_access {
            Some(s) => s.clone(),
            None => stored_secret(data_dir, "SECRET_KEY_ACCESS")?,
        };
        let refresh = match &config.secret_refresh {
            Some(s) => s.clone(),
            None => stored_secret(data_dir, "SECRET_KEY_REFRESH")?,
        };
        ensure_distinct_secrets(&access, &refresh)?;
        Ok(Self::new(config, access.expose(), refresh.expose()))
    }

    pub fn issue_access(&self, user_id: i32) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        self.issue_access_at(user_id, Utc::now().timestamp_millis())
    }

    /// An access token stamped as issued at `issued_at_ms` (see
    /// `Revocations::issue_not_before`, which keeps it after the user's last revocation).
    pub fn issue_access_at(
        &self,
        user_id: i32,
        issued_at_ms: i64,
    ) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        self.issue(
            user_id,
            &self.access.0,
            self.access_lifetime,
            None,
            issued_at_ms,
        )
    }

    pub fn access_lifetime(&self) -> Duration {
        self.access_lifetime
    }

    pub fn issue_refresh(&self, user_id: i32) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        let jti = random_alphanumeric(16);
        let now_ms = Utc::now().timestamp_millis();
        self.issue(
            user_id,
            &self.refresh.0,
            self.refresh_lifetime,
            Some(jti),
            now_ms,
        )
    }

    pub fn decode_access(&self, token: &str) -> Result<Claims, TokenError> {
        self.decode(token, &self.access.1)
    }

    pub fn decode_refresh(&self, token: &str) -> Result<Claims, TokenError> {
        self.decode(token, &self.refresh.1)
    }

    fn issue(
        &self,
        user_id: i32,
        key: &EncodingKey,
        lifetime: Duration,
        jti: Option<String>,
        issued_at_ms: i64,
    ) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        let issued_at =
            DateTime::<Utc>::from_timestamp_millis(issued_at_ms).unwrap_or_else(Utc::now);
        let expires_at = issued_at + lifetime;
        let claims = Claims {
            user_id,
            exp: expires_at.timestamp(),
            iat: Some(issued_at.timestamp()),
            iat_ms: Some(issued_at_ms),
            jti,
        };
        let token = jsonwebtoken::encode(&Header::new(self.algorithm), &claims, key)?;
        Ok(IssuedToken { token, expires_at })
    }

    fn decode(&self, token: &str, key: &DecodingKey) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(self.algorithm);
        // python-jose, which the original uses, allows no clock leeway.
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

fn stored_secret(data_dir: &Path, name: &'static str) -> anyhow::Result<JwtSecret> {
    use anyhow::Context;
    let dir = data_dir.join("secrets");
    let path = dir.join(name);
    if let Ok(secret) = std::fs::read_to_string(&path) {
        let secret = secret.trim().to_owned();
        if !secret.is_empty() {
            let secret = JwtSecret::parse(name, secret).map_err(|e| ConfigError {
                reason: format!("the secret stored in {}: {}", path.display(), e.reason),
                ..e
            })?;
            tracing::warn!(
                path = %path.display(),
                "{name} is not set; using the secret generated earlier. Set {name} in production."
            );
            return Ok(secret);
        }
    }
    crate::files::create_private_dir_all(&dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    let secret = random_alphanumeric(64);
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "{name} is not set; generated a secret and stored it. Set {name} in production."
    );
    // 64 random alphanumerics (about 380 bits) always pass.
    Ok(JwtSecret::parse(name, secret)?)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

/// The user a valid `Authorization: Bearer <access token>` names. Rejections carry the contract's
/// exact 401 texts, and `Token has been revoked.` for a token issued before the user's last
/// revocation (an in-memory check, see `crate::revocation`). It does not load the user: endpoints
/// that need the row (and its group) load it, because each has its own documented answer for a
/// missing or inactive user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated {
    pub user_id: i32,
}

impl<S> FromRequestParts<S> for Authenticated
where
    S: Send + Sync,
    Arc<Tokens>: FromRef<S>,
    Arc<Revocations>: FromRef<S>,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let tokens = Arc::<Tokens>::from_ref(state);
        let token = bearer_token(
            parts
                .headers
                .get(header::AUTHORIZATION)
                .map(|v| v.as_bytes()),
        )?;
        let claims = tokens.decode_access(token)?;
        let issued_at_ms = claims.issued_at_ms(tokens.access_lifetime);
        let revocations = Arc::<Revocations>::from_ref(state);
        if !revocations.is_loaded() {
            return Err(AuthError::RevocationsNotLoaded);
        }
        if revocations.is_revoked(claims.user_id, issued_at_ms) {
            return Err(AuthError::Revoked);
        }
        Ok(Self {
            user_id: claims.user_id,
        })
    }
}

/// The caller of an endpoint for signed-in users: a valid, unrevoked access token ([`Authenticated`])
/// of a user who exists and is active (else 401 `User not found or not active.`). One indexed read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn(pub Account);

impl<S> FromRequestParts<S> for SignedIn
where
    S: Send + Sync,
    Arc<Tokens>: FromRef<S>,
    Arc<Revocations>: FromRef<S>,
    sea_orm::DatabaseConnection: FromRef<S>,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Authenticated::from_request_parts(parts, state).await?;
        let db = sea_orm::DatabaseConnection::from_ref(state);
        match find_account(&db, caller.user_id).await {
            Ok(Some(account)) if account.is_active => Ok(Self(account)),
            Ok(_) => Err(AuthError::UserNotActive),
            Err(e) => Err(AuthError::Lookup(e.to_string())),
        }
    }
}

/// [`SignedIn`] where a token is optional: `None` without an `Authorization` header; a header that
/// is there must hold a valid token of an active user (a broken token is a 401, never silently
/// anonymous).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaybeSignedIn(pub Option<Account>);

impl<S> FromRequestParts<S> for MaybeSignedIn
where
    S: Send + Sync,
    Arc<Tokens>: FromRef<S>,
    Arc<Revocations>: FromRef<S>,
    sea_orm::DatabaseConnection: FromRef<S>,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(Self(None));
        }
        let SignedIn(account) = SignedIn::from_request_parts(parts, state).await?;
        Ok(Self(Some(account)))
    }
}

/// The three rows of `user_groups`, in increasing privilege.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[strum(serialize_all = "lowercase")]
pub enum Group {
    User,
    Moderator,
    Admin,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// `moderator` or `admin`.
    pub fn is_staff(self) -> bool {
        self >= Self::Moderator
    }
}

impl std::str::FromStr for Group {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        use strum::VariantArray;
        Self::VARIANTS
            .iter()
            .copied()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not one of: user, moderator, admin"))
    }
}

/// What protected endpoints need to know about the caller: one indexed join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i32,
    pub email: String,
    pub is_active: bool,
    pub group: Group,
}

/// Loads a user with their group, or `None` when the id names no user.
pub async fn find_account(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<Account>, DbErr> {
    let row: Option<(i32, String, bool, String)> = user::Entity::find_by_id(user_id)
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Email)
        .column(user::Column::IsActive)
        .column(user_group::Column::Name)
        .join(JoinType::InnerJoin, user::Relation::UserGroup.def())
        .into_tuple()
        .one(db)
        .await?;
    row.map(|(id, email, is_active, group)| {
        let group = group
            .parse()
            .map_err(|e: String| DbErr::Custom(format!("user {id}: {e}")))?;
        Ok(Account {
            id,
            email,
            is_active,
            group,
        })
    })
    .transpose()
}

/// A key of its own for signed links: BLAKE2b-512 of a purpose label and the access secret, so a
/// link signature can never be confused with, or reveal anything about, a token signature.
fn derive_link_key(access_secret: &str) -> [u8; 64] {
    use blake2::{Blake2b512, Digest};
    let digest = Blake2b512::new()
        .chain_update(b"theater signed links v1\0")
        .chain_update(access_secret.as_bytes())
        .finalize();
    digest.into()
}

/// The original's `get_token`: `Bearer` (any case), one space, a non-empty token.
fn bearer_token(header: Option<&[u8]>) -> Result<&str, AuthError> {
    let header = header.ok_or(AuthError::MissingHeader)?;
    let header = std::str::from_utf8(header).map_err(|_| AuthError::MalformedHeader)?;
    match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => {
            Ok(token)
        }
        _ => Err(AuthError::MalformedHeader),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> JwtConfig {
        JwtConfig {
            secret_access: None,
            secret_refresh: None,
            algorithm: Algorithm::HS256,
            access_lifetime: Duration::from_secs(3600),
            refresh_lifetime: Duration::from_secs(7 * 86400),
        }
    }

    #[test]
    fn missing_secrets_are_generated_strong_and_weak_stored_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        // A fresh machine: both generated, distinct, and kept for the next start.
        Tokens::from_config(&config(), dir.path()).unwrap();
        let stored =
            |name: &str| std::fs::read_to_string(dir.path().join("secrets").join(name)).unwrap();
        let access = stored("SECRET_KEY_ACCESS");
        assert!(access.len() >= crate::config::MIN_SECRET_BYTES);
        assert_ne!(access, stored("SECRET_KEY_REFRESH"));
        Tokens::from_config(&config(), dir.path()).unwrap();
        assert_eq!(stored("SECRET_KEY_ACCESS"), access);

        // A weak secret written there by hand gets the configured ones' checks.
        std::fs::write(
            dir.path().join("secrets/SECRET_KEY_REFRESH"),
            "change-me-refresh",
        )
        .unwrap();
        let e = Tokens::from_config(&config(), dir.path()).unwrap_err();
        let e = e.downcast_ref::<ConfigError>().unwrap();
        assert_eq!(e.var, "SECRET_KEY_REFRESH");
        assert!(e.reason.contains("secrets/SECRET_KEY_REFRESH"), "{e}");
        std::fs::write(dir.path().join("secrets/SECRET_KEY_REFRESH"), &access).unwrap();
        let e = Tokens::from_config(&config(), dir.path()).unwrap_err();
        assert_eq!(
            e.downcast_ref::<ConfigError>().unwrap().var,
            "SECRET_KEY_REFRESH"
        );
    }

    #[test]
    fn tokens_round_trip_and_keys_are_separate() {
        let tokens = Tokens::new(&config(), "access", "refresh");
        let access = tokens.issue_access(7).unwrap();
        assert_eq!(tokens.decode_access(&access.token).unwrap().user_id, 7);
        assert_eq!(
            tokens.decode_refresh(&access.token).unwrap_err(),
            TokenError::Invalid
        );
        let refresh = tokens.issue_refresh(7).unwrap();
        assert_eq!(tokens.decode_refresh(&refresh.token).unwrap().user_id, 7);
        assert_ne!(refresh.token, tokens.issue_refresh(7).unwrap().token);
    }

    #[test]
    fn foreign_tokens_with_the_same_secret_are_accepted_and_expiry_is_reported() {
        let tokens = Tokens::new(&config(), "access", "refresh");
        let key = EncodingKey::from_secret(b"access");
        let exp = Utc::now().timestamp() + 60;
        let token = jsonwebtoken::encode(
            &Header::default(),
            &serde_json::json!({"user_id": 3, "exp": exp}),
            &key,
        )
        .unwrap();
        assert_eq!(tokens.decode_access(&token).unwrap().user_id, 3);
        let expired = jsonwebtoken::encode(
            &Header::default(),
            &serde_json::json!({"user_id": 3, "exp": Utc::now().timestamp() - 1}),
            &key,
        )
        .unwrap();
        assert_eq!(
            tokens.decode_access(&expired).unwrap_err(),
            TokenError::Expired
        );
        assert_eq!(
            tokens.decode_access("garbage").unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn issue_instants_have_millisecond_precision_and_foreign_tokens_get_one() {
        let tokens = Tokens::new(&config(), "access", "refresh");
        let hour = Duration::from_secs(3600);
        let at = 1_900_000_000_123;
        let issued = tokens.issue_access_at(5, at).unwrap();
        let claims = tokens.decode_access(&issued.token).unwrap();
        assert_eq!(claims.issued_at_ms(hour), at);
        assert_eq!(
            (claims.iat, claims.exp),
            (Some(1_900_000_000), 1_900_003_600)
        );
        let bare = Claims {
            user_id: 5,
            exp: 1_900_003_600,
            iat: None,
            iat_ms: None,
            jti: None,
        };
        assert_eq!(bare.issued_at_ms(hour), 1_900_000_000_000);
        let seconds = Claims {
            iat: Some(1_899_999_999),
            ..bare
        };
        assert_eq!(seconds.issued_at_ms(hour), 1_899_999_999_000);
    }

    #[test]
    fn bearer_header_format() {
        use crate::error::Error;
        let msg = |h: Option<&str>| match bearer_token(h.map(str::as_bytes)) {
            Ok(t) => t.to_owned(),
            Err(e) => match Error::from(e) {
                Error::Detail { message, .. } => message.into_owned(),
                e => panic!("{e}"),
            },
        };
        assert_eq!(msg(None), "Authorization header is missing");
        assert_eq!(
            msg(Some("Token abc")),
            "Invalid Authorization header format. Expected 'Bearer <token>'"
        );
        assert_eq!(
            msg(Some("Bearer")),
            "Invalid Authorization header format. Expected 'Bearer <token>'"
        );
        assert_eq!(msg(Some("bearer abc")), "abc");
    }

    #[test]
    fn groups_parse_and_order() {
        assert_eq!("admin".parse::<Group>(), Ok(Group::Admin));
        assert!("root".parse::<Group>().is_err());
        assert!(Group::Moderator.is_staff() && Group::Admin.is_staff() && !Group::User.is_staff());
    }

    #[tokio::test]
    async fn accounts_load_with_their_group() {
        use sea_orm::{ActiveModelTrait, Set};
        let db = crate::db::memory().await;
        let now = Utc::now();
        let user = user::ActiveModel {
            email: Set("a@b.io".into()),
            hashed_password: Set("x".into()),
            is_active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            group_id: Set(3),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        let account = find_account(&db, user.id).await.unwrap().unwrap();
        assert_eq!(account.group, Group::Admin);
        assert!(find_account(&db, user.id + 1).await.unwrap().is_none());
    }

    #[test]
    fn generated_secrets_persist() {
        let dir = tempfile::tempdir().unwrap();
        let first = stored_secret(dir.path(), "SECRET_KEY_ACCESS").unwrap();
        let second = stored_secret(dir.path(), "SECRET_KEY_ACCESS").unwrap();
        assert_eq!(first, second);
        assert_eq!(first.expose().len(), 64);
    }
}
