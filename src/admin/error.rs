//! Every way an administration request can fail, and (once, in [`DomainError`]) the status each
//! gives. The `Display` texts are EXTENSIONS.md's `detail`s where it gives one.

use axum::http::StatusCode;

use super::domain::Permission;
use crate::{auth::AuthError, error::DomainError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("User not found.")]
    UserNotFound,
    #[error("Review not found.")]
    ReviewNotFound,
    /// The change would leave no active admin (demotion or deactivation of the last one).
    #[error("The last active admin cannot be removed.")]
    LastAdmin,
    /// The caller's group lacks the permission; the text names it.
    #[error("{0}")]
    Forbidden(Permission),
    /// No valid token, or the token's user is gone or inactive.
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError for AdminError {
    fn status(&self) -> StatusCode {
        match self {
            Self::UserNotFound | Self::ReviewNotFound => StatusCode::NOT_FOUND,
            Self::LastAdmin => StatusCode::CONFLICT,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Auth(e) => e.status(),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
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

crate::impl_from_domain_error!(AdminError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_texts() {
        assert_eq!(AdminError::LastAdmin.status(), StatusCode::CONFLICT);
        assert_eq!(
            AdminError::LastAdmin.to_string(),
            "The last active admin cannot be removed."
        );
        let forbidden = AdminError::Forbidden(Permission::ReadAudit);
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        assert_eq!(forbidden.to_string(), "Only admins can read the audit log.");
        assert_eq!(AdminError::UserNotFound.to_string(), "User not found.");
    }
}
