//! User profiles: `/api/v1/profiles/users/{user_id}/profile/` — create (the contract's seven
//! outcomes, in its order), read and change a profile, with the avatar in object storage.
//!
//! The order of checks is the contract's: token (401, the `Authenticated` extractor) → form
//! (422, [`form::ProfileForm`]) → permission (403) → target user (401) → existing profile (400) →
//! upload (500) → 201.
//!
//! Layout (the same in every domain): the router here, [`handlers`] (with the failures each
//! documents), [`wire`] (request and response types), [`domain`] (value types), [`error`] (every
//! failure and its status) and [`service`] (rules and data access); beside them `form` (the bounded
//! multipart reader) and `body` (the unread-body guard).

mod body;
pub mod domain;
pub mod error;
pub mod form;
pub mod handlers;
pub mod service;
pub mod wire;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            handlers::create_profile,
            handlers::get_profile,
            handlers::update_profile
        ))
        // An avatar may be 1 MB, more than the service-wide JSON limit; the form reader bounds
        // every part itself, so this only stops bodies padded with extra parts.
        .layer(DefaultBodyLimit::max(form::BODY_LIMIT))
        .layer(axum::middleware::from_fn(body::hold_unread_body))
}
