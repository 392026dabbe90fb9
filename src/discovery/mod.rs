//! Discovery beside the movie list (`../shared/EXTENSIONS.md`, "Discovery"): the browse indexes with
//! their movie counts (`/theater/genres/`, `/languages/`, `/countries/`, `/actors/`) and an actor's
//! filmography (`/theater/actors/{actor_id}/`), the movies like a movie
//! (`/theater/movies/{movie_id}/similar/`) and suggestions as someone types
//! (`/theater/search/suggest/`). The list's own `search` and filters are the catalog's
//! (`crate::movies`).
//!
//! The same files as every domain: the router here, [`handlers`], [`wire`], [`domain`], [`error`],
//! [`service`] (through the catalog's cache, which every catalog write empties) and [`store`].

pub mod domain;
pub mod error;
pub mod handlers;
pub mod service;
pub mod store;
pub mod wire;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list_genres))
        .routes(routes!(handlers::list_languages))
        .routes(routes!(handlers::list_countries))
        .routes(routes!(handlers::list_actors))
        .routes(routes!(handlers::get_actor))
        .routes(routes!(handlers::similar_movies))
        .routes(routes!(handlers::suggest))
}
