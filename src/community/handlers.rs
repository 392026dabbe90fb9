//! The community endpoints: thin handlers over [`Community`], each with its OpenAPI description and
//! the failures it documents (from [`CommunityError`]). The caller is extracted first, so a missing
//! or bad token is answered before the path and the body are read.

use axum::{Json, extract::State, http::StatusCode};

use super::{
    error::CommunityError,
    service::Community,
    wire::{CommunitySummary, MovieReaction, Rating, RatingBody, ReactionBody},
};
use crate::{
    auth::{AuthError, MaybeSignedIn, SignedIn},
    error::Error,
    error_responses,
    http::extract::{JsonBody, PathParams},
    movies::wire::MoviePath,
};

error_responses! {
    struct WriteErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        CommunityError::MovieNotFound,
        CommunityError::example_too_many(),
    ];
}

/// Rates a movie from 1 to 10; a second rating replaces the first.
#[utoipa::path(
    put,
    path = "/movies/{movie_id}/rating/",
    tag = "community",
    params(("movie_id" = i64, Path, description = "Movie id")),
    request_body = RatingBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's rating", body = Rating),
        WriteErrors,
    )
)]
pub async fn rate_movie(
    SignedIn(caller): SignedIn,
    State(community): State<Community>,
    PathParams(path): PathParams<MoviePath>,
    JsonBody(body): JsonBody<RatingBody>,
) -> Result<Json<Rating>, Error> {
    Ok(Json(
        community.rate(caller.id, path.movie_id, body.score).await?,
    ))
}

error_responses! {
    struct UnrateErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        CommunityError::MovieNotFound,
        CommunityError::NotRated,
        CommunityError::example_too_many(),
    ];
}

/// Removes the caller's rating of a movie.
#[utoipa::path(
    delete,
    path = "/movies/{movie_id}/rating/",
    tag = "community",
    params(("movie_id" = i64, Path, description = "Movie id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed; empty body"),
        UnrateErrors,
    )
)]
pub async fn unrate_movie(
    SignedIn(caller): SignedIn,
    State(community): State<Community>,
    PathParams(path): PathParams<MoviePath>,
) -> Result<StatusCode, Error> {
    community.unrate(caller.id, path.movie_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Likes or dislikes a movie; a second reaction replaces the first.
#[utoipa::path(
    put,
    path = "/movies/{movie_id}/reaction/",
    tag = "community",
    params(("movie_id" = i64, Path, description = "Movie id")),
    request_body = ReactionBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's reaction", body = MovieReaction),
        WriteErrors,
    )
)]
pub async fn react_to_movie(
    SignedIn(caller): SignedIn,
    State(community): State<Community>,
    PathParams(path): PathParams<MoviePath>,
    JsonBody(body): JsonBody<ReactionBody>,
) -> Result<Json<MovieReaction>, Error> {
    Ok(Json(
        community
            .react(caller.id, path.movie_id, body.value)
            .await?,
    ))
}

error_responses! {
    struct UnreactErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        CommunityError::MovieNotFound,
        CommunityError::NoReaction,
        CommunityError::example_too_many(),
    ];
}

/// Removes the caller's reaction to a movie.
#[utoipa::path(
    delete,
    path = "/movies/{movie_id}/reaction/",
    tag = "community",
    params(("movie_id" = i64, Path, description = "Movie id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed; empty body"),
        UnreactErrors,
    )
)]
pub async fn unreact_to_movie(
    SignedIn(caller): SignedIn,
    State(community): State<Community>,
    PathParams(path): PathParams<MoviePath>,
) -> Result<StatusCode, Error> {
    community.unreact(caller.id, path.movie_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

error_responses! {
    struct SummaryErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        CommunityError::MovieNotFound,
    ];
}

/// A movie's ratings (mean, count, histogram), likes, dislikes and reviews, and with a token the
/// caller's own rating and reaction. Exact at every moment: a write shows in the next answer. The
/// token is optional, but one that is sent must be valid.
#[utoipa::path(
    get,
    path = "/movies/{movie_id}/community/",
    tag = "community",
    params(("movie_id" = i64, Path, description = "Movie id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The movie's community summary", body = CommunitySummary),
        SummaryErrors,
    )
)]
pub async fn movie_community(
    MaybeSignedIn(caller): MaybeSignedIn,
    State(community): State<Community>,
    PathParams(path): PathParams<MoviePath>,
) -> Result<Json<CommunitySummary>, Error> {
    let viewer = caller.map(|account| account.id);
    Ok(Json(community.summary(path.movie_id, viewer).await?))
}
