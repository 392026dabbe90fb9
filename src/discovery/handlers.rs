//! The discovery endpoints: thin handlers over [`Discovery`], each with its OpenAPI description and
//! the failures it documents (from [`DiscoveryError`]).

use axum::{Json, extract::State, response::Response};

use crate::{
    error::Error,
    error_responses,
    http::{
        extract::{PathParams, QueryParams},
        json_bytes,
    },
};

use super::{
    error::DiscoveryError,
    service::Discovery,
    store::Lookup,
    wire::{
        ActorDetail, ActorList, ActorListParams, ActorPath, ActorQuery, CountryCount, LimitParams,
        NamedCount, SimilarMovies, SimilarPath, SuggestParams, Suggestions,
    },
};

/// Every genre that some movie has, with its number of movies, by name.
#[utoipa::path(
    get,
    path = "/genres/",
    tag = "discovery",
    responses((status = 200, description = "Genres by name", body = Vec<NamedCount>))
)]
pub async fn list_genres(State(discovery): State<Discovery>) -> Result<Response, Error> {
    Ok(json_bytes(discovery.lookups(Lookup::Genres).await?))
}

/// Every language that some movie has, with its number of movies, by name.
#[utoipa::path(
    get,
    path = "/languages/",
    tag = "discovery",
    responses((status = 200, description = "Languages by name", body = Vec<NamedCount>))
)]
pub async fn list_languages(State(discovery): State<Discovery>) -> Result<Response, Error> {
    Ok(json_bytes(discovery.lookups(Lookup::Languages).await?))
}

/// Every country that some movie has, with its number of movies, by code.
#[utoipa::path(
    get,
    path = "/countries/",
    tag = "discovery",
    responses((status = 200, description = "Countries by code", body = Vec<CountryCount>))
)]
pub async fn list_countries(State(discovery): State<Discovery>) -> Result<Response, Error> {
    Ok(json_bytes(discovery.countries().await?))
}

/// A page of the actors who have a movie, by name, with their numbers of movies; `search` keeps
/// those whose name has words beginning with its words. No match, or a page past the end, is an
/// empty page (200).
#[utoipa::path(
    get,
    path = "/actors/",
    tag = "discovery",
    params(ActorListParams),
    responses((status = 200, description = "A page of actors", body = ActorList))
)]
pub async fn list_actors(
    State(discovery): State<Discovery>,
    QueryParams(query): QueryParams<ActorQuery>,
) -> Result<Response, Error> {
    Ok(json_bytes(discovery.actors(&query).await?))
}

error_responses! {
    struct ActorErrors = [DiscoveryError::ActorNotFound];
}

/// An actor and all their movies, newest first.
#[utoipa::path(
    get,
    path = "/actors/{actor_id}/",
    tag = "discovery",
    params(("actor_id" = i64, Path, description = "Actor id")),
    responses(
        (status = 200, description = "The actor and their movies", body = ActorDetail),
        ActorErrors,
    )
)]
pub async fn get_actor(
    State(discovery): State<Discovery>,
    PathParams(path): PathParams<ActorPath>,
) -> Result<Response, Error> {
    Ok(json_bytes(discovery.actor(path.actor_id).await?))
}

error_responses! {
    struct SimilarErrors = [DiscoveryError::MovieNotFound];
}

/// The movies most like a movie — shared actors count most, then shared name words (sequels,
/// series), then shared genres; ties go to the newer movie — never the movie itself. Always from
/// the current catalog.
#[utoipa::path(
    get,
    path = "/movies/{movie_id}/similar/",
    tag = "discovery",
    params(("movie_id" = i64, Path, description = "Movie id"), LimitParams),
    responses(
        (status = 200, description = "Similar movies, most similar first", body = SimilarMovies),
        SimilarErrors,
    )
)]
pub async fn similar_movies(
    State(discovery): State<Discovery>,
    PathParams(path): PathParams<SimilarPath>,
    QueryParams(params): QueryParams<LimitParams>,
) -> Result<Response, Error> {
    Ok(json_bytes(
        discovery.similar(path.movie_id, params.limit).await?,
    ))
}

/// Suggestions as someone types: genres, then movies (newest first) and actors (by name) in
/// turn, whose names have words beginning with every word of `q`, case- and accent-insensitive.
/// Movies and actors need two letters; a blank `q` suggests nothing.
#[utoipa::path(
    get,
    path = "/search/suggest/",
    tag = "discovery",
    params(SuggestParams),
    responses((status = 200, description = "Suggestions", body = Suggestions))
)]
pub async fn suggest(
    State(discovery): State<Discovery>,
    QueryParams(params): QueryParams<SuggestParams>,
) -> Result<Json<Suggestions>, Error> {
    Ok(Json(discovery.suggest(&params.q, params.limit).await?))
}
