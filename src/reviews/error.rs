//! Every way a review request can fail, and (once, in [`DomainError`] and the `From` below) the
//! answer each gives. The `Display` texts are EXTENSIONS.md's `detail`s where it gives one.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use crate::{
    auth::AuthError,
    error::{DomainError, Error, FieldError, INTERNAL_ERROR},
};

#[derive(Debug, thiserror::Error)]
pub enum ReviewsError {
    #[error("Movie with the given ID was not found.")]
    MovieNotFound,
    /// No such review, or a deleted one where a live one is needed (tombstones are read-only).
    #[error("Review not found.")]
    ReviewNotFound,
    /// `parent_id` names no live review of the same movie: a 422 on the field.
    #[error("Value error, parent_id must be a review of the same movie that is not deleted.")]
    BadParent(i64),
    #[error("Only the author can edit this review.")]
    NotAuthor,
    #[error("Only the author, a moderator or an admin can delete this review.")]
    CannotDelete,
    #[error("You have not reacted to this review.")]
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

impl DomainError for ReviewsError {
    fn status(&self) -> StatusCode {
        match self {
            Self::MovieNotFound | Self::ReviewNotFound | Self::NoReaction => StatusCode::NOT_FOUND,
            Self::BadParent(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotAuthor | Self::CannotDelete => StatusCode::FORBIDDEN,
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

impl From<sea_orm::DbErr> for ReviewsError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Internal(e.into())
    }
}

impl From<ReviewsError> for Error {
    fn from(e: ReviewsError) -> Self {
        match e {
            // The FastAPI-shaped 422 of every other field failure, at `body.parent_id`.
            ReviewsError::BadParent(parent_id) => {
                let msg = e.to_string();
                Error::field(
                    FieldError::new(
                        "value_error",
                        vec![json!("body"), json!("parent_id")],
                        msg,
                        json!(parent_id),
                    )
                    .with_ctx(json!({ "error": {} })),
                )
            }
            e => Error::from_domain(e, INTERNAL_ERROR),
        }
    }
}

impl axum::response::IntoResponse for ReviewsError {
    fn into_response(self) -> axum::response::Response {
        Error::from(self).into_response()
    }
}

impl ReviewsError {
    /// For the OpenAPI document.
    pub(crate) fn example_too_many() -> Self {
        Self::TooManyWrites(Duration::from_secs(30))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_parent_is_a_422_on_the_field() {
        let response = axum::response::IntoResponse::into_response(ReviewsError::BadParent(9));
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(ReviewsError::NotAuthor.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            ReviewsError::ReviewNotFound.to_string(),
            "Review not found."
        );
    }
}
