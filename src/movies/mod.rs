//! The movie catalog: `/api/v1/theater/movies/` (list with optional search/filter/sort, create,
//! detail, update, delete) and the IMDb CSV importer behind `theater seed`.
//!
//! Every domain has the same files: the router here, [`handlers`] (thin, documented endpoints, with
//! the failures each documents), [`wire`] (request and response types), [`domain`] (value types
//! parsed from input with the contract's 422 texts), [`error`] (every failure and its status),
//! [`service`] (the rules: every read and write goes through it, with the cache) and its data
//! access, here [`store`] (the SQL: few round trips, the read endpoints are load-tested). Beside
//! them:
//! - [`access`]: who may write (staff by default; `CATALOG_WRITES=open` for the original's clients);
//! - [`search`]: the words of the full-text index and of a `search`;
//! - [`import`]: `theater seed`.

pub mod access;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod import;
pub mod search;
pub mod service;
pub mod store;
pub mod text;
pub mod wire;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list_movies, handlers::create_movie))
        .routes(routes!(
            handlers::get_movie,
            handlers::update_movie,
            handlers::delete_movie
        ))
}
