//! Every way a discovery request can fail, and (once, in [`DomainError`]) the status each gives.

use axum::http::StatusCode;

use crate::error::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("Actor not found.")]
    ActorNotFound,
    #[error("Movie with the given ID was not found.")]
    MovieNotFound,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError for DiscoveryError {
    fn status(&self) -> StatusCode {
        match self {
            Self::ActorNotFound | Self::MovieNotFound => StatusCode::NOT_FOUND,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn into_cause(self) -> Option<anyhow::Error> {
        match self {
            Self::Internal(e) => Some(e),
            Self::ActorNotFound | Self::MovieNotFound => None,
        }
    }
}

crate::impl_from_domain_error!(DiscoveryError);
