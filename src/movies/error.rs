//! Every way a catalog operation can fail, and (once, in [`DomainError`]) the status each gives.
//! The `Display` texts are the contract's `detail`s.

use axum::http::StatusCode;
use chrono::NaiveDate;

use crate::{auth::AuthError, error::DomainError};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// An empty catalog, no match or a page past the end.
    #[error("No movies found.")]
    NoMovies,
    #[error("Movie with the given ID was not found.")]
    MovieNotFound,
    #[error("A movie with the name '{name}' and release date '{date}' already exists.")]
    Duplicate { name: String, date: NaiveDate },
    /// A constraint refused the rows (e.g. the new name and date belong to another movie).
    #[error("Invalid input data.")]
    Refused,
    /// Unless `CATALOG_WRITES=open`: an active user who is neither moderator nor admin.
    #[error("You don't have permission to modify the catalog.")]
    NotStaff,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError for CatalogError {
    fn status(&self) -> StatusCode {
        match self {
            Self::NoMovies | Self::MovieNotFound => StatusCode::NOT_FOUND,
            Self::Duplicate { .. } => StatusCode::CONFLICT,
            Self::Refused => StatusCode::BAD_REQUEST,
            Self::NotStaff => StatusCode::FORBIDDEN,
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

crate::impl_from_domain_error!(CatalogError);

/// Examples for the OpenAPI document (the texts are the variants' own).
impl CatalogError {
    pub(crate) fn example_duplicate() -> Self {
        Self::Duplicate {
            name: "Creed III".to_owned(),
            date: NaiveDate::from_ymd_opt(2023, 3, 2).unwrap_or_default(),
        }
    }

    /// What a catalog writer can be refused for, unless `CATALOG_WRITES=open`.
    pub(crate) fn writer_refusals() -> [Self; 7] {
        let [a, b, c, d, e] = AuthError::TOKEN_FAILURES;
        [
            a.into(),
            b.into(),
            c.into(),
            d.into(),
            e.into(),
            AuthError::UserNotActive.into(),
            Self::NotStaff,
        ]
    }
}
