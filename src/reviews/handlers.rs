//! The review endpoints: thin handlers over [`Reviews`], each with its OpenAPI description and the
//! failures it documents (from [`ReviewsError`]). The caller is extracted first, so a missing or bad
//! token is answered before the path and the body are read.

use axum::{Json, extract::State, http::StatusCode};

use super::{
    error::ReviewsError,
    service::{Paging, Reviews},
    wire::{
        NewReview, ReplyListParams, ReportBody, ReportReceived, Review, ReviewEdit, ReviewList,
        ReviewListParams, ReviewPath, ReviewReaction,
    },
};
use crate::{
    auth::{AuthError, SignedIn},
    community::wire::ReactionBody,
    error::Error,
    error_responses,
    http::{
        client_ip::ClientIp,
        extract::{JsonBody, PathParams, QueryParams},
    },
    movies::wire::MoviePath,
};

/// `{"detail": "Report received."}`.
pub const REPORT_RECEIVED: &str = "Report received.";

error_responses! {
    struct PostErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ReviewsError::MovieNotFound,
        ReviewsError::example_too_many(),
    ];
}

/// Writes a review of a movie, or with `parent_id` a reply to one of its reviews (threads of any
/// depth). A `parent_id` that names no live review of this movie is a 422 on `parent_id`; a body
/// past 64 KiB is refused (413) while it arrives.
#[utoipa::path(
    post,
    path = "/movies/{movie_id}/reviews/",
    tag = "reviews",
    params(("movie_id" = i64, Path, description = "Movie id")),
    request_body = NewReview,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The review as stored", body = Review),
        PostErrors,
    )
)]
pub async fn post_review(
    SignedIn(caller): SignedIn,
    State(reviews): State<Reviews>,
    PathParams(path): PathParams<MoviePath>,
    JsonBody(body): JsonBody<NewReview>,
) -> Result<(StatusCode, Json<Review>), Error> {
    let review = reviews
        .post(caller.id, path.movie_id, body.parent_id, &body.text)
        .await?;
    Ok((StatusCode::CREATED, Json(review)))
}

error_responses! {
    struct MovieReviewsErrors = [ReviewsError::MovieNotFound];
}

/// A page of a movie's top-level reviews (deleted ones that keep replies show as tombstones).
#[utoipa::path(
    get,
    path = "/movies/{movie_id}/reviews/",
    tag = "reviews",
    params(("movie_id" = i64, Path, description = "Movie id"), ReviewListParams),
    responses(
        (status = 200, description = "A page of reviews; `[]` past the end", body = ReviewList),
        MovieReviewsErrors,
    )
)]
pub async fn movie_reviews(
    State(reviews): State<Reviews>,
    PathParams(path): PathParams<MoviePath>,
    QueryParams(query): QueryParams<ReviewListParams>,
) -> Result<Json<ReviewList>, Error> {
    let paging = Paging {
        page: query.page,
        per_page: query.per_page,
    };
    Ok(Json(
        reviews.of_movie(path.movie_id, query.sort, paging).await?,
    ))
}

error_responses! {
    struct ReviewErrors = [ReviewsError::ReviewNotFound];
}

/// One review or reply (a tombstone has `deleted: true`, empty text and no author).
#[utoipa::path(
    get,
    path = "/reviews/{review_id}/",
    tag = "reviews",
    params(("review_id" = i64, Path, description = "Review id")),
    responses(
        (status = 200, description = "The review", body = Review),
        ReviewErrors,
    )
)]
pub async fn get_review(
    State(reviews): State<Reviews>,
    PathParams(path): PathParams<ReviewPath>,
) -> Result<Json<Review>, Error> {
    Ok(Json(reviews.get(path.review_id).await?))
}

/// A page of a review's direct replies, oldest first.
#[utoipa::path(
    get,
    path = "/reviews/{review_id}/replies/",
    tag = "reviews",
    params(("review_id" = i64, Path, description = "Review id"), ReplyListParams),
    responses(
        (status = 200, description = "A page of replies; `[]` past the end", body = ReviewList),
        ReviewErrors,
    )
)]
pub async fn review_replies(
    State(reviews): State<Reviews>,
    PathParams(path): PathParams<ReviewPath>,
    QueryParams(query): QueryParams<ReplyListParams>,
) -> Result<Json<ReviewList>, Error> {
    let paging = Paging {
        page: query.page,
        per_page: query.per_page,
    };
    Ok(Json(reviews.replies(path.review_id, paging).await?))
}

error_responses! {
    struct EditErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ReviewsError::NotAuthor,
        ReviewsError::ReviewNotFound,
    ];
}

/// Replaces the text of the caller's own review (a deleted review cannot be edited: 404).
#[utoipa::path(
    patch,
    path = "/reviews/{review_id}/",
    tag = "reviews",
    params(("review_id" = i64, Path, description = "Review id")),
    request_body = ReviewEdit,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The review as stored", body = Review),
        EditErrors,
    )
)]
pub async fn edit_review(
    SignedIn(caller): SignedIn,
    State(reviews): State<Reviews>,
    PathParams(path): PathParams<ReviewPath>,
    JsonBody(body): JsonBody<ReviewEdit>,
) -> Result<Json<Review>, Error> {
    Ok(Json(
        reviews.edit(caller.id, path.review_id, &body.text).await?,
    ))
}

error_responses! {
    struct DeleteErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ReviewsError::CannotDelete,
        ReviewsError::ReviewNotFound,
    ];
}

/// Deletes a review, by its author or a moderator or admin. With replies it stays as a tombstone
/// (`deleted: true`, `text: ""`, `author: null`, its reactions and reports gone); without, it is
/// gone, and so is every tombstone above it left without replies. A tombstone cannot be deleted
/// again (404).
#[utoipa::path(
    delete,
    path = "/reviews/{review_id}/",
    tag = "reviews",
    params(("review_id" = i64, Path, description = "Review id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; empty body"),
        DeleteErrors,
    )
)]
pub async fn delete_review(
    SignedIn(caller): SignedIn,
    ClientIp(client): ClientIp,
    State(reviews): State<Reviews>,
    PathParams(path): PathParams<ReviewPath>,
) -> Result<StatusCode, Error> {
    reviews.delete(&caller, client, path.review_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

error_responses! {
    struct ReactErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ReviewsError::ReviewNotFound,
        ReviewsError::example_too_many(),
    ];
}

/// Likes or dislikes a review; a second reaction replaces the first. Deleted reviews take none.
#[utoipa::path(
    put,
    path = "/reviews/{review_id}/reaction/",
    tag = "reviews",
    params(("review_id" = i64, Path, description = "Review id")),
    request_body = ReactionBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's reaction", body = ReviewReaction),
        ReactErrors,
    )
)]
pub async fn react_to_review(
    SignedIn(caller): SignedIn,
    State(reviews): State<Reviews>,
    PathParams(path): PathParams<ReviewPath>,
    JsonBody(body): JsonBody<ReactionBody>,
) -> Result<Json<ReviewReaction>, Error> {
    Ok(Json(
        reviews.react(caller.id, path.review_id, body.value).await?,
    ))
}

error_responses! {
    struct UnreactErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        ReviewsError::ReviewNotFound,
        ReviewsError::NoReaction,
        ReviewsError::example_too_many(),
    ];
}

/// Removes the caller's reaction to a review.
#[utoipa::path(
    delete,
    path = "/reviews/{review_id}/reaction/",
    tag = "reviews",
    params(("review_id" = i64, Path, description = "Review id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed; empty body"),
        UnreactErrors,
    )
)]
pub async fn unreact_to_review(
    SignedIn(caller): SignedIn,
    State(reviews): State<Reviews>,
    PathParams(path): PathParams<ReviewPath>,
) -> Result<StatusCode, Error> {
    reviews.unreact(caller.id, path.review_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reports a review to the moderators, with a reason. One report per user and review: repeating
/// it changes nothing (and is answered the same). Deleted reviews cannot be reported (404).
#[utoipa::path(
    post,
    path = "/reviews/{review_id}/report/",
    tag = "reviews",
    params(("review_id" = i64, Path, description = "Review id")),
    request_body = ReportBody,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Recorded", body = ReportReceived),
        ReactErrors,
    )
)]
pub async fn report_review(
    SignedIn(caller): SignedIn,
    State(reviews): State<Reviews>,
    PathParams(path): PathParams<ReviewPath>,
    JsonBody(body): JsonBody<ReportBody>,
) -> Result<(StatusCode, Json<ReportReceived>), Error> {
    reviews
        .report(caller.id, path.review_id, &body.reason)
        .await?;
    let received = ReportReceived {
        detail: REPORT_RECEIVED,
    };
    Ok((StatusCode::ACCEPTED, Json(received)))
}
