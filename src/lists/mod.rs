//! Users' movie lists (`../shared/EXTENSIONS.md`, "Lists"): every user has the built-ins
//! `favorites` and `watchlist` (made on first use, never missing, never deleted) and up to 100 lists
//! of their own, each public or private, each holding up to 10,000 movies with the time each was
//! added. `/api/v1/users/me/lists/…` for the owner; `/api/v1/lists/{list_id}/…` for anyone, of a
//! public list. A list's movies are listed by the catalog's own query code (its filters, search and
//! sorts, with a list's scope: `crate::movies::wire::Scope`), never through the catalog's caches.
//! List writes count against the community's per-user write limit.
//!
//! The same files as every domain: the router here, [`handlers`], [`wire`], [`domain`], [`error`],
//! [`service`] and [`store`].

pub mod domain;
pub mod error;
pub mod handlers;
pub mod service;
pub mod store;
pub mod wire;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

/// Mounted at `/api/v1`: the owner's `/users/me/lists/…` and the public `/lists/…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::my_lists, handlers::create_list))
        .routes(routes!(handlers::update_list, handlers::delete_list))
        .routes(routes!(handlers::my_list_movies))
        .routes(routes!(handlers::add_movie, handlers::remove_movie))
        .routes(routes!(handlers::public_list))
        .routes(routes!(handlers::public_list_movies))
}
