//! The movie catalog: `/api/v1/theater/movies/` (list with optional search/filter/sort, create,
//! detail, update, delete) and the IMDb CSV importer behind `theater seed`.
//!
//! - [`domain`]: value types parsed from input with the contract's 422 texts;
//! - [`schema`]: request and response types;
//! - [`store`]: the SQL (few round trips: the read endpoints are load-tested);
//! - [`routes`]: the handlers;
//! - [`access`]: who may write (staff by default; `CATALOG_WRITES=open` for the original's clients);
//! - [`cache`]: rendered details and list pages, dropped on every write;
//! - [`import`]: `theater seed`.

pub mod access;
pub mod cache;
pub mod domain;
pub mod import;
pub mod routes;
pub mod schema;
pub mod store;
pub mod text;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::list_movies, routes::create_movie))
        .routes(routes!(
            routes::get_movie,
            routes::update_movie,
            routes::delete_movie
        ))
}
