//! Who may change the catalog. By default (`CATALOG_WRITES=staff`) the writing endpoints require the
//! access token of an active `moderator` or `admin`: open writes let an anonymous client delete the
//! whole catalog. `CATALOG_WRITES=open` restores the original's anonymous writes for its clients and
//! test suite (start-up logs a warning).

use axum::{extract::FromRequestParts, http::request::Parts};

use super::error::CatalogError;
use crate::{
    auth::{AuthError, Authenticated, find_account},
    config::CatalogWrites,
    state::AppState,
};

/// Extracted before the path and the body, so authentication is answered before validation (the
/// contract's order for protected endpoints).
#[derive(Debug, Clone, Copy)]
pub struct CatalogWriter;

impl FromRequestParts<AppState> for CatalogWriter {
    type Rejection = CatalogError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, CatalogError> {
        if state.config.catalog_writes == CatalogWrites::Open {
            return Ok(Self);
        }
        let caller = Authenticated::from_request_parts(parts, state).await?;
        match find_account(&state.db, caller.user_id).await? {
            Some(account) if account.is_active && account.group.is_staff() => Ok(Self),
            Some(account) if account.is_active => Err(CatalogError::NotStaff),
            _ => Err(AuthError::UserNotActive.into()),
        }
    }
}
