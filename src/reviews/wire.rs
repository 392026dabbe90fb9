//! Request and response types of the review endpoints (`../shared/EXTENSIONS.md`, "Reviews").

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use utoipa::{IntoParams, ToSchema};

use crate::{
    community::domain::Reaction,
    movies::domain::{Page, PerPage, RowId},
    validation::FromFields,
};

use super::domain::{ReportReason, ReviewSort, ReviewText};

/// A `{review_id}` path segment.
pub type ReviewId = RowId;

/// `{review_id}`.
#[derive(Debug, Clone, Copy, FromFields)]
pub struct ReviewPath {
    pub review_id: ReviewId,
}

/// `POST /movies/{movie_id}/reviews/` body.
#[derive(Debug, Clone, FromFields, ToSchema)]
pub struct NewReview {
    #[schema(inline)]
    pub text: ReviewText,
    /// The review this one answers: a review of the same movie that is not deleted.
    #[schema(value_type = Option<i64>, example = json!(null))]
    pub parent_id: Option<RowId>,
}

/// `PATCH /reviews/{review_id}/` body.
#[derive(Debug, Clone, FromFields, ToSchema)]
pub struct ReviewEdit {
    #[schema(inline)]
    pub text: ReviewText,
}

/// `POST /reviews/{review_id}/report/` body.
#[derive(Debug, Clone, FromFields, ToSchema)]
pub struct ReportBody {
    #[schema(inline)]
    pub reason: ReportReason,
}

/// A review reaction as stored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct ReviewReaction {
    pub review_id: i32,
    pub value: Reaction,
}

/// A user as others see them: never their e-mail.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PublicUser {
    pub user_id: i32,
    /// The profile's first and last name, else `user {id}`.
    #[schema(example = "Ada Lovelace")]
    pub name: String,
}

/// A review or a reply.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Review {
    pub id: i32,
    pub movie_id: i32,
    /// The review this one answers; `null` for a top-level review.
    pub parent_id: Option<i32>,
    /// `null` once the review is deleted.
    pub author: Option<PublicUser>,
    /// As written (not HTML-escaped); `""` once deleted.
    pub text: String,
    #[serde(serialize_with = "iso_seconds")]
    #[schema(value_type = String, example = "2026-12-01T18:00:00Z")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "iso_seconds")]
    #[schema(value_type = String, example = "2026-12-01T18:00:00Z")]
    pub updated_at: DateTime<Utc>,
    pub likes: i64,
    pub dislikes: i64,
    /// Direct replies (deleted ones that still have replies included).
    pub replies: i64,
    /// A deleted review kept as a tombstone because it has replies.
    pub deleted: bool,
}

/// ISO 8601 UTC to the second, `2026-12-01T18:00:00Z` (EXTENSIONS.md's form for every timestamp).
pub fn iso_seconds<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&at.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// A page of reviews.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReviewList {
    pub reviews: Vec<Review>,
    /// The previous page's path and query (after `/api/v1`), `null` on the first page.
    #[schema(example = "/theater/movies/1/reviews/?page=1&per_page=10&sort=top")]
    pub prev_page: Option<String>,
    /// As `prev_page`, `null` on the last page.
    pub next_page: Option<String>,
    pub total_pages: i64,
    pub total_items: i64,
}

/// `GET /movies/{movie_id}/reviews/` query string.
#[derive(Debug, Clone, Copy, PartialEq, FromFields, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewListParams {
    /// Page number, from 1.
    #[field(default = Page::FIRST)]
    #[param(inline, required = false)]
    pub page: Page,
    /// Reviews per page.
    #[field(default = PerPage::DEFAULT)]
    #[param(inline, required = false)]
    pub per_page: PerPage,
    /// `newest` (default), `oldest`, or `top` (likes − dislikes, then newest).
    #[field(default = ReviewSort::Newest)]
    #[param(inline, required = false)]
    pub sort: ReviewSort,
}

/// `GET /reviews/{review_id}/replies/` query string (oldest first).
#[derive(Debug, Clone, Copy, PartialEq, FromFields, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplyListParams {
    /// Page number, from 1.
    #[field(default = Page::FIRST)]
    #[param(inline, required = false)]
    pub page: Page,
    /// Replies per page.
    #[field(default = PerPage::DEFAULT)]
    #[param(inline, required = false)]
    pub per_page: PerPage,
}

/// `{"detail": "Report received."}`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReportReceived {
    #[schema(example = "Report received.")]
    pub detail: &'static str,
}
