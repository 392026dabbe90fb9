//! Who may change the catalog. By default (`CATALOG_WRITES=staff`) the writing endpoints require the
//! access token of an active `moderator` or `admin`: open writes let an anonymous client delete the
//! whole catalog. `CATALOG_WRITES=open` restores the original's anonymous writes for its clients and
//! test suite (start-up logs a warning).

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{
    auth::{Authenticated, find_account},
    config::CatalogWrites,
    error::{Error, INTERNAL_ERROR, ResultExt},
    state::AppState,
};

pub const NOT_STAFF: &str = "You don't have permission to modify the catalog.";

/// Extracted before the path and the body, so authentication is answered before validation (the
/// contract's order for protected endpoints).
#[derive(Debug, Clone, Copy)]
pub struct CatalogWriter;

impl FromRequestParts<AppState> for CatalogWriter {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        if state.config.catalog_writes == CatalogWrites::Open {
            return Ok(Self);
        }
        let caller = Authenticated::from_request_parts(parts, state).await?;
        let account = find_account(&state.db, caller.user_id)
            .await
            .or_internal(INTERNAL_ERROR)?;
        match account {
            Some(account) if account.is_active && account.group.is_staff() => Ok(Self),
            Some(account) if account.is_active => Err(Error::forbidden(NOT_STAFF)),
            _ => Err(Error::unauthorized(crate::auth::USER_NOT_ACTIVE)),
        }
    }
}
