//! The five `/movies/` endpoints. Handlers only parse (extractors), call the store and map outcomes to
//! the contract's statuses and texts.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use url::form_urlencoded;

use crate::{
    error::{Error, ErrorBody, INTERNAL_ERROR, ResultExt, ValidationErrorBody},
    http::extract::{JsonBody, PathParams, QueryParams},
    state::AppState,
};

use super::{
    access::CatalogWriter,
    store::{self, CreateError, UpdateOutcome},
    wire::{
        ListParams, ListQuery, MovieDetail, MovieList, MoviePath, MovieUpdate, MovieUpdated,
        NewMovie,
    },
};

pub const NO_MOVIES: &str = "No movies found.";
pub const MOVIE_NOT_FOUND: &str = "Movie with the given ID was not found.";
pub const INVALID_INPUT: &str = "Invalid input data.";
pub const UPDATED: &str = "Movie updated successfully.";

/// The movie a path names, or the contract's 404 for ids no row can have.
fn movie_id(path: MoviePath) -> Result<i32, Error> {
    path.movie_id
        .as_i32()
        .ok_or_else(|| Error::not_found(MOVIE_NOT_FOUND))
}

/// A page of the catalog, newest first unless `sort` says otherwise.
#[utoipa::path(
    get,
    path = "/movies/",
    tag = "movies",
    params(ListParams),
    responses(
        (status = 200, description = "A page of movies", body = MovieList),
        (status = 404, description = "`No movies found.`: empty catalog, no match or a page past the end", body = ErrorBody),
        (status = 422, description = "Invalid query parameters", body = ValidationErrorBody),
    )
)]
pub async fn list_movies(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Response, Error> {
    let page = query.page.get();
    let per_page = query.per_page.get();
    // The first page's link is canonical for every parameter, filters included: a fine cache key.
    let key = page_link(page, per_page, &query);
    let load = async {
        let count = store::count_movies(&state.db, &query.filters);
        let total_items = state
            .catalog_cache
            .count(encoded_filters(&query), async { Ok(count.await?) })
            .await?;
        if total_items == 0 {
            return Ok(None);
        }
        let movies = store::page_movies(&state.db, &query).await?;
        if movies.is_empty() {
            return Ok(None);
        }
        let total_pages = (total_items + per_page - 1) / per_page;
        let link = |n: i64| page_link(n, per_page, &query);
        to_json(&MovieList {
            movies,
            prev_page: (page > 1).then(|| link(page - 1)),
            next_page: (page < total_pages).then(|| link(page + 1)),
            total_pages,
            total_items,
        })
        .map(Some)
    };
    state
        .catalog_cache
        .list(key, load)
        .await
        .or_internal(INTERNAL_ERROR)?
        .map(json_response)
        .ok_or_else(|| Error::not_found(NO_MOVIES))
}

/// Serialises once; the bytes are what the cache keeps.
fn to_json(value: &impl serde::Serialize) -> anyhow::Result<Bytes> {
    Ok(Bytes::from(serde_json::to_vec(value)?))
}

fn json_response(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// `/theater/movies/?page={n}&per_page={per_page}` exactly as the original, then the active filters.
fn page_link(page: i64, per_page: i64, query: &ListQuery) -> String {
    let mut link = format!("/theater/movies/?page={page}&per_page={per_page}");
    let filters = encoded_filters(query);
    if !filters.is_empty() {
        link.push('&');
        link.push_str(&filters);
    }
    link
}

/// The active filters (and sort) as a query string, in a fixed order: also the key of their count.
fn encoded_filters(query: &ListQuery) -> String {
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (key, value) in &query.filters.query_pairs() {
        encoded.append_pair(key, value);
    }
    encoded.finish()
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
        (status = 400, description = "`Invalid input data.`", body = ErrorBody),
        (status = 401, description = "Unless `CATALOG_WRITES=open`: missing or invalid token, or `User not found or not active.`", body = ErrorBody),
        (status = 403, description = "Unless `CATALOG_WRITES=open`: `You don't have permission to modify the catalog.`", body = ErrorBody),
        (status = 409, description = "A movie with this name and release date exists", body = ErrorBody,
            example = json!({"detail": "A movie with the name 'Creed III' and release date '2023-03-02' already exists."})),
        (status = 422, description = "Invalid body", body = ValidationErrorBody),
    )
)]
pub async fn create_movie(
    _writer: CatalogWriter,
    State(state): State<AppState>,
    JsonBody(movie): JsonBody<NewMovie>,
) -> Result<(StatusCode, Json<MovieDetail>), Error> {
    match store::create_movie(&state.db, &movie).await {
        Ok(detail) => {
            state.catalog_cache.movie_changed();
            Ok((StatusCode::CREATED, Json(detail)))
        }
        Err(CreateError::Conflict) => Err(Error::conflict(format!(
            "A movie with the name '{}' and release date '{}' already exists.",
            movie.name.as_str(),
            movie.date.get()
        ))),
        Err(CreateError::Integrity(e)) => {
            tracing::info!(error = %e, "movie create refused by a constraint");
            Err(Error::bad_request(INVALID_INPUT))
        }
        Err(CreateError::Db(e)) => Err(Error::internal(INTERNAL_ERROR, e)),
    }
}

/// A movie with its country, genres, actors and languages.
#[utoipa::path(
    get,
    path = "/movies/{movie_id}/",
    tag = "movies",
    params(("movie_id" = i64, Path, description = "Movie id")),
    responses(
        (status = 200, description = "The movie", body = MovieDetail),
        (status = 404, description = "`Movie with the given ID was not found.`", body = ErrorBody),
        (status = 422, description = "The id is not an integer", body = ValidationErrorBody),
    )
)]
pub async fn get_movie(
    State(state): State<AppState>,
    PathParams(path): PathParams<MoviePath>,
) -> Result<Response, Error> {
    let id = movie_id(path)?;
    let load = async {
        match store::movie_detail(&state.db, id).await? {
            Some(detail) => to_json(&detail).map(Some),
            None => Ok(None),
        }
    };
    state
        .catalog_cache
        .detail(id, load)
        .await
        .or_internal(INTERNAL_ERROR)?
        .map(json_response)
        .ok_or_else(|| Error::not_found(MOVIE_NOT_FOUND))
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
        (status = 400, description = "`Invalid input data.` (e.g. the new name and date belong to another movie)", body = ErrorBody),
        (status = 401, description = "Unless `CATALOG_WRITES=open`: missing or invalid token, or `User not found or not active.`", body = ErrorBody),
        (status = 403, description = "Unless `CATALOG_WRITES=open`: `You don't have permission to modify the catalog.`", body = ErrorBody),
        (status = 404, description = "`Movie with the given ID was not found.`", body = ErrorBody),
        (status = 422, description = "Invalid id or body", body = ValidationErrorBody),
    )
)]
pub async fn update_movie(
    _writer: CatalogWriter,
    State(state): State<AppState>,
    PathParams(path): PathParams<MoviePath>,
    JsonBody(update): JsonBody<MovieUpdate>,
) -> Result<Json<MovieUpdated>, Error> {
    let id = movie_id(path)?;
    match store::update_movie(&state.db, id, &update)
        .await
        .or_internal(INTERNAL_ERROR)?
    {
        UpdateOutcome::Updated => {
            state.catalog_cache.movie_changed();
            Ok(Json(MovieUpdated { detail: UPDATED }))
        }
        UpdateOutcome::NotFound => Err(Error::not_found(MOVIE_NOT_FOUND)),
        UpdateOutcome::Rejected => Err(Error::bad_request(INVALID_INPUT)),
    }
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
        (status = 401, description = "Unless `CATALOG_WRITES=open`: missing or invalid token, or `User not found or not active.`", body = ErrorBody),
        (status = 403, description = "Unless `CATALOG_WRITES=open`: `You don't have permission to modify the catalog.`", body = ErrorBody),
        (status = 404, description = "`Movie with the given ID was not found.`", body = ErrorBody),
        (status = 422, description = "The id is not an integer", body = ValidationErrorBody),
    )
)]
pub async fn delete_movie(
    _writer: CatalogWriter,
    State(state): State<AppState>,
    PathParams(path): PathParams<MoviePath>,
) -> Result<StatusCode, Error> {
    let id = movie_id(path)?;
    if store::delete_movie(&state.db, id)
        .await
        .or_internal(INTERNAL_ERROR)?
    {
        state.catalog_cache.movie_changed();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::not_found(MOVIE_NOT_FOUND))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::Fields;
    use serde_json::json;

    fn query(pairs: &[(&str, &str)]) -> ListQuery {
        let map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        Fields::new("query", map).read().unwrap()
    }

    #[test]
    fn links_are_the_originals_without_filters() {
        assert_eq!(
            page_link(2, 10, &query(&[])),
            "/theater/movies/?page=2&per_page=10"
        );
    }

    #[test]
    fn links_keep_filters_url_encoded() {
        let q = query(&[
            ("search", "war & peace"),
            ("sort", "name"),
            ("genre", "Sci-Fi"),
        ]);
        assert_eq!(
            page_link(3, 5, &q),
            "/theater/movies/?page=3&per_page=5&search=war+%26+peace&genre=Sci-Fi&sort=name"
        );
    }
}
