//! Every way an accounts operation can fail, and (once, in [`DomainError`]) the status each gives.
//! The `Display` texts are the contract's `detail`s; services return this enum and know nothing of
//! HTTP, the JSON handlers, the HTML pages and `theater users` each present it their own way.

use std::time::Duration;

use axum::http::StatusCode;

use super::domain::Email;
use crate::{auth::AuthError, auth::TokenError, error::DomainError};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("A user with this email {0} already exists.")]
    EmailTaken(Email),
    #[error("Invalid or expired activation token.")]
    InvalidActivationToken,
    #[error("User account is already active.")]
    AlreadyActive,
    #[error("Invalid email or token.")]
    InvalidResetToken,
    #[error("Invalid email or password.")]
    InvalidCredentials,
    #[error("User account is not activated.")]
    NotActivated,
    /// A refresh token that does not decode: `Token has expired.` or `Invalid token.`
    #[error(transparent)]
    BadRefreshToken(TokenError),
    #[error("Refresh token not found.")]
    RefreshTokenNotFound,
    #[error("User not found.")]
    UserNotFound,
    #[error("The old password is incorrect.")]
    WrongOldPassword,
    /// `DELETE /users/me/` with a password that is not the account's.
    #[error("Invalid password.")]
    InvalidPassword,
    /// `theater users …` for an address nobody has.
    #[error("No user with the email {0}.")]
    NoSuchUser(Email),
    /// Password attempts (login, password change) over their limit.
    #[error("Too many login attempts. Try again later.")]
    TooManyLogins { retry_after: Duration },
    /// Registrations and account e-mails over their limit.
    #[error("Too many requests. Try again later.")]
    TooManyRequests { retry_after: Duration },
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A failure of ours (the database, hashing, signing, rendering an e-mail); logged, and shown
    /// as the endpoint's 500 text.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError for AccountError {
    fn status(&self) -> StatusCode {
        match self {
            Self::EmailTaken(_) => StatusCode::CONFLICT,
            Self::InvalidActivationToken
            | Self::AlreadyActive
            | Self::InvalidResetToken
            | Self::BadRefreshToken(_)
            | Self::WrongOldPassword
            | Self::InvalidPassword => StatusCode::BAD_REQUEST,
            Self::InvalidCredentials | Self::RefreshTokenNotFound => StatusCode::UNAUTHORIZED,
            Self::NotActivated => StatusCode::FORBIDDEN,
            Self::UserNotFound | Self::NoSuchUser(_) => StatusCode::NOT_FOUND,
            Self::TooManyLogins { .. } | Self::TooManyRequests { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::Auth(e) => e.status(),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyLogins { retry_after } | Self::TooManyRequests { retry_after } => {
                Some(crate::error::whole_seconds_up(*retry_after))
            }
            _ => None,
        }
    }

    fn into_cause(self) -> Option<anyhow::Error> {
        match self {
            Self::Internal(e) => Some(e),
            Self::Auth(e) => e.into_cause(),
            _ => None,
        }
    }
}

crate::impl_from_domain_error!(AccountError);

/// Examples for the OpenAPI document (the texts are the variants' own).
impl AccountError {
    pub(crate) fn example_email_taken() -> Self {
        Self::EmailTaken(Email::example())
    }

    pub(crate) const TOO_MANY_LOGINS: Self = Self::TooManyLogins {
        retry_after: Duration::from_secs(1),
    };

    pub(crate) const TOO_MANY_REQUESTS: Self = Self::TooManyRequests {
        retry_after: Duration::from_secs(1),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn limits_round_retry_after_up_and_keep_the_contract_text() {
        let e = AccountError::TooManyLogins {
            retry_after: Duration::from_millis(1500),
        };
        assert_eq!(e.retry_after_secs(), Some(2));
        let Error::TooManyRequests {
            retry_after_secs,
            message,
        } = Error::from(e)
        else {
            panic!("not a 429");
        };
        assert_eq!(
            (retry_after_secs, &*message),
            (2, "Too many login attempts. Try again later.")
        );
    }

    #[test]
    fn internal_failures_show_the_endpoints_text_only() {
        let e = AccountError::Internal(anyhow::anyhow!("disk on fire"));
        let Error::Internal { message, source } = Error::from_domain(e, "Endpoint text.") else {
            panic!("not a 500");
        };
        assert_eq!(message, "Endpoint text.");
        assert_eq!(source.to_string(), "disk on fire");
    }
}
