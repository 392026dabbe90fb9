//! The community around the catalog (`../shared/EXTENSIONS.md`, "Ratings, reactions, community
//! summary"): a signed-in user's rating (1–10) and reaction (like/dislike) of a movie, one each per
//! movie and replaceable, and a movie's community summary, exact at every moment because every
//! write maintains `movie_stats` in its own transaction (see [`store`]). The catalog's
//! `sort=rating` and `min_rating` read the same aggregates (`crate::movies::store`).
//!
//! The same files as every domain: the router here, [`handlers`], [`wire`], [`domain`], [`error`],
//! [`service`] and [`store`].

pub mod domain;
pub mod error;
pub mod handlers;
pub mod service;
pub mod store;
pub mod synthetic;
pub mod wire;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::rate_movie, handlers::unrate_movie))
        .routes(routes!(
            handlers::react_to_movie,
            handlers::unreact_to_movie
        ))
        .routes(routes!(handlers::movie_community))
}
