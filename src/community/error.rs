//! Every way a community request can fail, and (once, in [`DomainError`]) the status each gives.
//! The `Display` texts are EXTENSIONS.md's `detail`s where it gives one.

use std::time::Duration;

use axum::http::StatusCode;

use crate::{auth::AuthError, error::DomainError};

#[derive(Debug, thiserror::Error)]
pub enum CommunityError {
    #[error("Movie with the given ID was not found.")]
    MovieNotFound,
    #[error("You have not rated this movie.")]
    NotRated,
    #[error("You have not reacted to this movie.")]
    NoReaction,
    /// Over `COMMUNITY_RATE_LIMIT` writes in the window.
    #[error("Too many requests. Try again later.")]
    TooManyWrites(Duration),
    /// No valid token, or the token's user is gone or inactive.
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError for CommunityError {
    fn status(&self) -> StatusCode {
        match self {
            Self::MovieNotFound | Self::NotRated | Self::NoReaction => StatusCode::NOT_FOUND,
            Self::TooManyWrites(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Auth(e) => e.status(),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyWrites(wait) => Some(crate::error::whole_seconds_up(*wait).max(1)),
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

crate::impl_from_domain_error!(CommunityError);

impl CommunityError {
    /// For the OpenAPI document.
    pub(crate) fn example_too_many() -> Self {
        Self::TooManyWrites(Duration::from_secs(30))
    }
}
