//! The five `/movies/` endpoints: thin handlers over [`Catalog`] (which keeps the cache coherent),
//! each with its OpenAPI description and the failures it documents (from [`CatalogError`]).

use axum::{Json, extract::State, http::StatusCode, response::Response};

use crate::{
    error::Error,
    error_responses,
    http::{
        extract::{JsonBody, PathParams, QueryParams},
        json_bytes,
    },
};

use super::{
    access::CatalogWriter,
    error::CatalogError,
    service::Catalog,
    wire::{
        ListParams, ListQuery, MovieDetail, MovieList, MoviePath, MovieUpdate, MovieUpdated,
        NewMovie,
    },
};

pub const UPDATED: &str = "Movie updated successfully.";

error_responses! {
    struct ListErrors = [CatalogError::NoMovies];
}

/// A page of the catalog, newest first unless `sort` says otherwise.
#[utoipa::path(
    get,
    path = "/movies/",
    tag = "movies",
    params(ListParams),
    responses(
        (status = 200, description = "A page of movies", body = MovieList),
        ListErrors,
    )
)]
pub async fn list_movies(
    State(catalog): State<Catalog>,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Response, Error> {
    Ok(json_bytes(catalog.list(&query).await?))
}

error_responses! {
    struct CreateErrors = [
        CatalogError::Refused,
        CatalogError::writer_refusals(),
        CatalogError::example_duplicate(),
    ];
}

/// Adds a movie; missing countries, genres, actors and languages are created.
#[utoipa::path(
    post,
    path = "/movies/",
    tag = "movies",
    request_body = NewMovie,
    security((), ("bearer" = [])),
    responses(
        (status = 201, description = "The created movie", body = MovieDetail),
        CreateErrors,
    )
)]
pub async fn create_movie(
    CatalogWriter(writer): CatalogWriter,
    State(catalog): State<Catalog>,
    JsonBody(movie): JsonBody<NewMovie>,
) -> Result<(StatusCode, Json<MovieDetail>), Error> {
    let created = catalog.create(&movie, writer.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

error_responses! {
    struct DetailErrors = [CatalogError::MovieNotFound];
}

/// A movie with its country, genres, actors and languages.
#[utoipa::path(
    get,
    path = "/movies/{movie_id}/",
    tag = "movies",
    params(("movie_id" = i64, Path, description = "Movie id")),
    responses(
        (status = 200, description = "The movie", body = MovieDetail),
        DetailErrors,
    )
)]
pub async fn get_movie(
    State(catalog): State<Catalog>,
    PathParams(path): PathParams<MoviePath>,
) -> Result<Response, Error> {
    Ok(json_bytes(catalog.detail(path.movie_id).await?))
}

error_responses! {
    struct UpdateErrors = [
        CatalogError::Refused,
        CatalogError::writer_refusals(),
        CatalogError::MovieNotFound,
    ];
}

/// Changes any of a movie's name, date, score, overview, status, budget and revenue.
#[utoipa::path(
    patch,
    path = "/movies/{movie_id}/",
    tag = "movies",
    params(("movie_id" = i64, Path, description = "Movie id")),
    request_body = MovieUpdate,
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "`{\"detail\": \"Movie updated successfully.\"}`", body = MovieUpdated),
        UpdateErrors,
    )
)]
pub async fn update_movie(
    CatalogWriter(writer): CatalogWriter,
    State(catalog): State<Catalog>,
    PathParams(path): PathParams<MoviePath>,
    JsonBody(update): JsonBody<MovieUpdate>,
) -> Result<Json<MovieUpdated>, Error> {
    catalog
        .update(path.movie_id, &update, writer.as_ref())
        .await?;
    Ok(Json(MovieUpdated { detail: UPDATED }))
}

error_responses! {
    struct DeleteErrors = [CatalogError::writer_refusals(), CatalogError::MovieNotFound];
}

/// Removes a movie and its genre, actor and language links.
#[utoipa::path(
    delete,
    path = "/movies/{movie_id}/",
    tag = "movies",
    params(("movie_id" = i64, Path, description = "Movie id")),
    security((), ("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; empty body"),
        DeleteErrors,
    )
)]
pub async fn delete_movie(
    CatalogWriter(writer): CatalogWriter,
    State(catalog): State<Catalog>,
    PathParams(path): PathParams<MoviePath>,
) -> Result<StatusCode, Error> {
    catalog.delete(path.movie_id, writer.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}
