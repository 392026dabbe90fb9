//! Who may change the catalog. By default (`CATALOG_WRITES=staff`) the writing endpoints require the
//! access token of an active `moderator` or `admin`: open writes let an anonymous client delete the
//! whole catalog. `CATALOG_WRITES=open` restores the original's anonymous writes for its clients and
//! test suite (start-up logs a warning).
//!
//! A staff writer's changes are audited (`crate::audit`): the extractor hands the service the
//! [`Actor`] (with the client's address), which the store records in the write's transaction.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::error::CatalogError;
use crate::{
    audit::Actor,
    auth::{AuthError, Authenticated, find_account},
    config::CatalogWrites,
    http::client_ip::ClientIp,
    state::AppState,
};

/// Extracted before the path and the body, so authentication is answered before validation (the
/// contract's order for protected endpoints). Holds the staff member who writes, for the audit log;
/// `None` for an anonymous write under `CATALOG_WRITES=open`.
#[derive(Debug, Clone)]
pub struct CatalogWriter(pub Option<Actor>);

impl FromRequestParts<AppState> for CatalogWriter {
    type Rejection = CatalogError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, CatalogError> {
        let client = ClientIp::from_parts(parts, &state.trusted_proxies).0;
        if state.config.catalog_writes == CatalogWrites::Open {
            // Anyone may write; a staff token that comes along still gets its writes audited, and
            // any other header is ignored as the original ignored it.
            let staff = match Authenticated::from_request_parts(parts, state).await {
                Ok(caller) => find_account(&state.db, caller.user_id)
                    .await?
                    .filter(|a| a.is_active && a.group.is_staff()),
                Err(_) => None,
            };
            return Ok(Self(staff.map(|a| Actor::user(&a, client))));
        }
        let caller = Authenticated::from_request_parts(parts, state).await?;
        match find_account(&state.db, caller.user_id).await? {
            Some(account) if account.is_active && account.group.is_staff() => {
                Ok(Self(Some(Actor::user(&account, client))))
            }
            Some(account) if account.is_active => Err(CatalogError::NotStaff),
            _ => Err(AuthError::UserNotActive.into()),
        }
    }
}
