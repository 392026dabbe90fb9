//! The lists endpoints: thin handlers over [`Lists`], each with its OpenAPI description and the
//! failures it documents (from [`ListsError`]). The caller is extracted first, so a missing or bad
//! token is answered before the path, the query and the body are read.

use axum::{Json, extract::State, http::StatusCode};

use super::{
    domain::ListRef,
    error::ListsError,
    service::Lists,
    wire::{
        ListMoviePath, ListMoviesParams, ListPath, ListUpdate, NewList, PublicListPath, UserList,
    },
};
use crate::{
    auth::{AuthError, MaybeSignedIn, SignedIn},
    error::Error,
    error_responses,
    http::extract::{JsonBody, PathParams, QueryParams},
    movies::wire::{ListQuery, MovieList},
};

error_responses! {
    struct MineErrors = [AuthError::TOKEN_FAILURES, AuthError::UserNotActive];
}

/// The caller's lists: the built-ins (`favorites`, then `watchlist`) first, then their own in the
/// order they were made. `movies` is the number of movies in each.
#[utoipa::path(
    get,
    path = "/users/me/lists/",
    tag = "lists",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's lists", body = [UserList]),
        MineErrors,
    )
)]
pub async fn my_lists(
    SignedIn(caller): SignedIn,
    State(lists): State<Lists>,
) -> Result<Json<Vec<UserList>>, Error> {
    Ok(Json(lists.mine(caller.id).await?))
}

error_responses! {
    struct CreateErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ListsError::DuplicateName,
        ListsError::TooManyLists,
        ListsError::example_too_many(),
    ];
}

/// Makes a list of the caller's own (at most 100). Names are unique among the caller's lists
/// ignoring case, the built-ins' included.
#[utoipa::path(
    post,
    path = "/users/me/lists/",
    tag = "lists",
    request_body = NewList,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new list", body = UserList),
        CreateErrors,
    )
)]
pub async fn create_list(
    SignedIn(caller): SignedIn,
    State(lists): State<Lists>,
    JsonBody(body): JsonBody<NewList>,
) -> Result<(StatusCode, Json<UserList>), Error> {
    Ok((
        StatusCode::CREATED,
        Json(lists.create(caller.id, &body).await?),
    ))
}

/// The `{list}` path parameter of the caller's lists.
const LIST_PARAM: &str = "A list id of the caller's, or `favorites` / `watchlist`";

error_responses! {
    struct UpdateErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ListsError::BuiltInRename,
        ListsError::ListNotFound,
        ListsError::DuplicateName,
        ListsError::example_too_many(),
    ];
}

/// Renames a list or makes it public or private. A built-in's `public` only may change (its own
/// name sent back is no change).
#[utoipa::path(
    patch,
    path = "/users/me/lists/{list}/",
    tag = "lists",
    params(("list" = inline(ListRef), Path, description = LIST_PARAM)),
    request_body = ListUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The list as it is now", body = UserList),
        UpdateErrors,
    )
)]
pub async fn update_list(
    SignedIn(caller): SignedIn,
    State(lists): State<Lists>,
    PathParams(path): PathParams<ListPath>,
    JsonBody(body): JsonBody<ListUpdate>,
) -> Result<Json<UserList>, Error> {
    Ok(Json(lists.update(caller.id, path.list, &body).await?))
}

error_responses! {
    struct DeleteErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ListsError::BuiltInDelete,
        ListsError::ListNotFound,
        ListsError::example_too_many(),
    ];
}

/// Deletes one of the caller's own lists (the movies stay in the catalog).
#[utoipa::path(
    delete,
    path = "/users/me/lists/{list}/",
    tag = "lists",
    params(("list" = inline(ListRef), Path, description = LIST_PARAM)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; empty body"),
        DeleteErrors,
    )
)]
pub async fn delete_list(
    SignedIn(caller): SignedIn,
    State(lists): State<Lists>,
    PathParams(path): PathParams<ListPath>,
) -> Result<StatusCode, Error> {
    lists.delete(caller.id, path.list).await?;
    Ok(StatusCode::NO_CONTENT)
}

error_responses! {
    struct AddErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ListsError::ListNotFound,
        ListsError::MovieNotFound,
        ListsError::ListFull,
        ListsError::example_too_many(),
    ];
}

/// Adds a movie to one of the caller's lists (at most 10,000 movies a list). Idempotent: a movie
/// already in the list keeps its place (the time it was first added).
#[utoipa::path(
    put,
    path = "/users/me/lists/{list}/movies/{movie_id}/",
    tag = "lists",
    params(
        ("list" = inline(ListRef), Path, description = LIST_PARAM),
        ("movie_id" = i64, Path, description = "Movie id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The movie is in the list; empty body"),
        AddErrors,
    )
)]
pub async fn add_movie(
    SignedIn(caller): SignedIn,
    State(lists): State<Lists>,
    PathParams(path): PathParams<ListMoviePath>,
) -> Result<StatusCode, Error> {
    lists.add(caller.id, path.list, path.movie_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

error_responses! {
    struct RemoveErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ListsError::ListNotFound,
        ListsError::NotInList,
        ListsError::example_too_many(),
    ];
}

/// Removes a movie from one of the caller's lists.
#[utoipa::path(
    delete,
    path = "/users/me/lists/{list}/movies/{movie_id}/",
    tag = "lists",
    params(
        ("list" = inline(ListRef), Path, description = LIST_PARAM),
        ("movie_id" = i64, Path, description = "Movie id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed; empty body"),
        RemoveErrors,
    )
)]
pub async fn remove_movie(
    SignedIn(caller): SignedIn,
    State(lists): State<Lists>,
    PathParams(path): PathParams<ListMoviePath>,
) -> Result<StatusCode, Error> {
    lists.remove(caller.id, path.list, path.movie_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

error_responses! {
    struct MyMoviesErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ListsError::ListNotFound,
    ];
}

/// A page of the movies of one of the caller's lists, with every parameter of the catalog's list
/// (filters, search, sort) and `sort=added` / `-added` (the default without a `search`). The
/// catalog list's shape; an empty list, no match or a page past the end is 200 with no movies.
/// Read from the database at every request, so a change of the list shows at once.
#[utoipa::path(
    get,
    path = "/users/me/lists/{list}/movies/",
    tag = "lists",
    params(
        ("list" = inline(ListRef), Path, description = LIST_PARAM),
        ListMoviesParams,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the list's movies; the links' path is this endpoint's", body = MovieList),
        MyMoviesErrors,
    )
)]
pub async fn my_list_movies(
    SignedIn(caller): SignedIn,
    State(lists): State<Lists>,
    PathParams(path): PathParams<ListPath>,
    QueryParams(params): QueryParams<ListMoviesParams>,
) -> Result<Json<MovieList>, Error> {
    let query = ListQuery::from(params);
    Ok(Json(lists.my_movies(caller.id, path.list, query).await?))
}

error_responses! {
    struct PublicErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ListsError::ListNotFound,
    ];
}

/// A public list, for anyone; a private one only for its owner (`List not found.` to everyone
/// else). The token is optional, but one that is sent must be valid.
#[utoipa::path(
    get,
    path = "/lists/{list_id}/",
    tag = "lists",
    params(("list_id" = i64, Path, description = "List id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The list", body = UserList),
        PublicErrors,
    )
)]
pub async fn public_list(
    MaybeSignedIn(caller): MaybeSignedIn,
    State(lists): State<Lists>,
    PathParams(path): PathParams<PublicListPath>,
) -> Result<Json<UserList>, Error> {
    let viewer = caller.map(|account| account.id);
    Ok(Json(lists.visible(viewer, path.list_id).await?))
}

/// A page of a public list's movies (a private one's only for its owner), with every parameter of
/// the catalog's list and `sort=added` / `-added` (the default without a `search`).
#[utoipa::path(
    get,
    path = "/lists/{list_id}/movies/",
    tag = "lists",
    params(
        ("list_id" = i64, Path, description = "List id"),
        ListMoviesParams,
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of the list's movies; the links' path is this endpoint's", body = MovieList),
        PublicErrors,
    )
)]
pub async fn public_list_movies(
    MaybeSignedIn(caller): MaybeSignedIn,
    State(lists): State<Lists>,
    PathParams(path): PathParams<PublicListPath>,
    QueryParams(params): QueryParams<ListMoviesParams>,
) -> Result<Json<MovieList>, Error> {
    let viewer = caller.map(|account| account.id);
    let query = ListQuery::from(params);
    Ok(Json(
        lists.visible_movies(viewer, path.list_id, query).await?,
    ))
}
