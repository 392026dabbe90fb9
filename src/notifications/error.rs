//! Every way a notification request can fail, and (once, in [`DomainError`]) the status each gives.

use axum::http::StatusCode;

use crate::{auth::AuthError, error::DomainError};

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    /// No valid token, or the token's user is gone or inactive.
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError for NotificationsError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Auth(e) => e.status(),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn into_cause(self) -> Option<anyhow::Error> {
        match self {
            Self::Internal(e) => Some(e),
            Self::Auth(e) => e.into_cause(),
        }
    }
}

crate::impl_from_domain_error!(NotificationsError);
