//! Every way a profile operation can fail, and (once, in [`DomainError`]) the status each gives.
//! The `Display` texts are the contract's `detail`s.

use axum::http::StatusCode;

use crate::{auth::AuthError, error::DomainError};

/// The contract's 500 text for a failed avatar upload.
pub const UPLOAD_FAILED: &str = "Failed to upload avatar. Please try again later.";

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// A user may touch only their own profile; an admin anyone's.
    #[error("You don't have permission to edit this profile.")]
    Forbidden,
    #[error("User already has a profile.")]
    AlreadyExists,
    #[error("Profile not found.")]
    NotFound,
    /// The body is far beyond any valid form: over `form::BODY_LIMIT` (a full avatar and every
    /// field at its limit).
    #[error("Request payload is too large")]
    BodyTooLarge,
    /// The target user is gone or inactive (`User not found or not active.`).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The object store refused or timed out: the contract's own 500 text.
    #[error("{UPLOAD_FAILED}")]
    UploadFailed(#[source] anyhow::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError for ProfileError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::AlreadyExists => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Auth(e) => e.status(),
            Self::UploadFailed(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn internal_text(&self) -> Option<&'static str> {
        matches!(self, Self::UploadFailed(_)).then_some(UPLOAD_FAILED)
    }

    fn into_cause(self) -> Option<anyhow::Error> {
        match self {
            Self::UploadFailed(e) | Self::Internal(e) => Some(e),
            Self::Auth(e) => e.into_cause(),
            _ => None,
        }
    }
}

crate::impl_from_domain_error!(ProfileError);

impl ProfileError {
    /// For the OpenAPI document: the upload failure, whose cause is never shown.
    pub(crate) fn example_upload_failed() -> Self {
        Self::UploadFailed(anyhow::anyhow!("example"))
    }
}
