//! Every way a lists request can fail, and (once, in [`DomainError`]) the status each gives.
//! The `Display` texts are EXTENSIONS.md's `detail`s where it gives one.

use std::time::Duration;

use axum::http::StatusCode;

use super::store::{MAX_CUSTOM_LISTS, MAX_LIST_MOVIES};
use crate::{auth::AuthError, error::DomainError};

#[derive(Debug, thiserror::Error)]
pub enum ListsError {
    /// No such list, or another user's private one (or, for a write, any other user's).
    #[error("List not found.")]
    ListNotFound,
    #[error("Movie with the given ID was not found.")]
    MovieNotFound,
    #[error("This movie is not in the list.")]
    NotInList,
    #[error("You already have a list with this name.")]
    DuplicateName,
    /// A `PATCH` of a built-in list's `name` (only `public` may change).
    #[error("Built-in lists cannot be renamed; only 'public' can change.")]
    BuiltInRename,
    #[error("Built-in lists cannot be deleted.")]
    BuiltInDelete,
    #[error("You cannot have more than {MAX_CUSTOM_LISTS} lists of your own.")]
    TooManyLists,
    #[error("A list holds at most {MAX_LIST_MOVIES} movies.")]
    ListFull,
    /// Over `COMMUNITY_RATE_LIMIT` community writes (list changes count with ratings and
    /// reactions) in the window.
    #[error("Too many requests. Try again later.")]
    TooManyWrites(Duration),
    /// No valid token, or the token's user is gone or inactive.
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError for ListsError {
    fn status(&self) -> StatusCode {
        match self {
            Self::ListNotFound | Self::MovieNotFound | Self::NotInList => StatusCode::NOT_FOUND,
            Self::BuiltInRename | Self::BuiltInDelete => StatusCode::BAD_REQUEST,
            Self::DuplicateName | Self::TooManyLists | Self::ListFull => StatusCode::CONFLICT,
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

crate::impl_from_domain_error!(ListsError);

impl ListsError {
    /// For the OpenAPI document.
    pub(crate) fn example_too_many() -> Self {
        Self::TooManyWrites(Duration::from_secs(30))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_texts() {
        assert_eq!(ListsError::ListNotFound.to_string(), "List not found.");
        assert_eq!(ListsError::BuiltInDelete.status(), StatusCode::BAD_REQUEST);
        assert_eq!(ListsError::DuplicateName.status(), StatusCode::CONFLICT);
        assert_eq!(
            ListsError::TooManyLists.to_string(),
            "You cannot have more than 100 lists of your own."
        );
        assert_eq!(ListsError::example_too_many().retry_after_secs(), Some(30));
        assert_eq!(ListsError::NotInList.status(), StatusCode::NOT_FOUND);
    }
}
