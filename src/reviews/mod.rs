//! Reviews of movies (`../shared/EXTENSIONS.md`, "Reviews"): threads of any depth, edited by their
//! author, deleted by the author or staff (a tombstone while replies exist), liked and disliked,
//! reported. Every counter a review or a movie shows is maintained by the write in its own
//! transaction (see [`store`]). Writes share the community's per-user limit.
//!
//! The same files as every domain: the router here, [`handlers`], [`wire`], [`domain`], [`error`],
//! [`service`] and [`store`].

pub mod domain;
pub mod error;
pub mod handlers;
pub mod service;
pub mod store;
pub mod wire;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    // The writes that carry a review's text read at most this much: a longer review is refused
    // while it arrives, not after it was buffered.
    let texts = OpenApiRouter::new()
        .routes(routes!(handlers::post_review, handlers::movie_reviews))
        .routes(routes!(
            handlers::get_review,
            handlers::edit_review,
            handlers::delete_review
        ))
        .layer(DefaultBodyLimit::max(domain::REVIEW_BODY_MAX_BYTES));
    OpenApiRouter::new()
        .merge(texts)
        .routes(routes!(handlers::review_replies))
        .routes(routes!(
            handlers::react_to_review,
            handlers::unreact_to_review
        ))
        .routes(routes!(handlers::report_review))
}
