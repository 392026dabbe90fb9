//! Request and response types of the notification endpoints (`../shared/EXTENSIONS.md`,
//! "Notifications").

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::{
    movies::domain::{Page, PerPage},
    reviews::wire::{PublicUser, iso_seconds},
    validation::{FromFields, JsonBool},
};

use super::domain::{NotificationKind, ReadRequest};

/// A notification.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Notification {
    pub id: i32,
    pub kind: NotificationKind,
    #[serde(serialize_with = "iso_seconds")]
    #[schema(value_type = String, example = "2026-12-01T18:00:00Z")]
    pub created_at: DateTime<Utc>,
    pub read: bool,
    pub movie_id: i32,
    /// `review_reply`: the new reply (its `parent_id` is your review); `review_like`: your review.
    pub review_id: i32,
    /// Who replied or liked.
    pub actor: PublicUser,
}

/// A page of the caller's notifications, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NotificationList {
    pub notifications: Vec<Notification>,
    /// The previous page's path and query (after `/api/v1`), `null` on the first page.
    #[schema(example = "/users/me/notifications/?page=1&per_page=10&unread=true")]
    pub prev_page: Option<String>,
    /// As `prev_page`, `null` on the last page.
    pub next_page: Option<String>,
    pub total_pages: i64,
    pub total_items: i64,
    /// The caller's unread notifications, whatever the filter.
    pub unread: i64,
}

/// `GET /users/me/notifications/` query string.
#[derive(Debug, Clone, Copy, PartialEq, FromFields, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// Page number, from 1.
    #[field(default = Page::FIRST)]
    #[param(inline, required = false)]
    pub page: Page,
    /// Notifications per page.
    #[field(default = PerPage::DEFAULT)]
    #[param(inline, required = false)]
    pub per_page: PerPage,
    /// `true`: only the unread ones.
    pub unread: Option<bool>,
}

/// `POST /users/me/notifications/read/` body: `{"ids": [...]}` (at most 100; ids that are not the
/// caller's change nothing) or `{"all": true}` (which marks everything, whatever `ids` says);
/// neither marks nothing.
#[derive(Debug, Clone, ToSchema)]
#[schema(example = json!({"ids": [12, 13]}))]
pub struct ReadBody {
    #[schema(value_type = Option<Vec<i64>>, max_items = 100)]
    pub ids: Option<Vec<i64>>,
    pub all: Option<bool>,
}

/// The parsed body (see [`ReadBody`] for its document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadInput(pub ReadRequest);

impl FromFields for ReadInput {
    fn from_fields(f: &mut crate::validation::Fields) -> Option<Self> {
        ReadRequest::from_fields(f).map(Self)
    }
}

/// A user's e-mail choices (reply e-mails on, like e-mails off, until they change them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct NotificationSettings {
    pub email_review_replies: bool,
    pub email_review_likes: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            email_review_replies: true,
            email_review_likes: false,
        }
    }
}

/// `PATCH /users/me/notification-settings/` body: the settings to change (JSON booleans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromFields, ToSchema)]
pub struct SettingsPatch {
    #[schema(inline)]
    pub email_review_replies: Option<JsonBool>,
    #[schema(inline)]
    pub email_review_likes: Option<JsonBool>,
}

impl NotificationSettings {
    pub fn with(self, patch: SettingsPatch) -> Self {
        Self {
            email_review_replies: patch
                .email_review_replies
                .map_or(self.email_review_replies, |JsonBool(b)| b),
            email_review_likes: patch
                .email_review_likes
                .map_or(self.email_review_likes, |JsonBool(b)| b),
        }
    }

    /// Whether e-mail of this kind is on.
    pub fn emails(self, kind: NotificationKind) -> bool {
        match kind {
            NotificationKind::ReviewReply => self.email_review_replies,
            NotificationKind::ReviewLike => self.email_review_likes,
        }
    }
}
