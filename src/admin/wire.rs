//! Request and response types of the administration endpoints (`../shared/EXTENSIONS.md`,
//! "Administration").

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::domain::{ActionName, EmailSearch, GroupName, UserSort};
use crate::{
    audit::Entry,
    auth::Group,
    movies::domain::{Page, PerPage, RowId},
    profiles::wire::ProfileResponse,
    reviews::wire::{Review, iso_seconds},
    validation::{FromFields, JsonBool},
};

/// `{user_id}`.
#[derive(Debug, Clone, Copy, FromFields)]
pub struct UserPath {
    pub user_id: RowId,
}

/// A user as staff see them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AdminUser {
    pub id: i32,
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(value_type = String, example = "user")]
    #[serde(serialize_with = "group_name")]
    pub group: Group,
    pub is_active: bool,
    #[serde(serialize_with = "iso_seconds")]
    #[schema(value_type = String, example = "2026-12-01T18:00:00Z")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "iso_seconds")]
    #[schema(value_type = String, example = "2026-12-01T18:00:00Z")]
    pub updated_at: DateTime<Utc>,
    /// Whether the user has created a profile.
    pub has_profile: bool,
}

fn group_name<S: serde::Serializer>(group: &Group, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(group.as_str())
}

/// A user with their profile and what they have.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDetail {
    #[serde(flatten)]
    pub user: AdminUser,
    /// `null` without a profile.
    pub profile: Option<ProfileResponse>,
    /// Live sessions: refresh tokens not yet expired.
    pub sessions: i64,
    /// Movies rated.
    pub ratings: i64,
    /// Reviews and replies written (deleted ones not counted).
    pub reviews: i64,
}

/// A page of users.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AdminUserList {
    pub users: Vec<AdminUser>,
    /// The previous page's path and query (after `/api/v1`), `null` on the first page.
    #[schema(example = "/admin/users/?page=1&per_page=10&group=admin")]
    pub prev_page: Option<String>,
    /// As `prev_page`, `null` on the last page.
    pub next_page: Option<String>,
    pub total_pages: i64,
    pub total_items: i64,
}

/// `GET /admin/users/` query string.
#[derive(Debug, Clone, PartialEq, FromFields, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Page number, from 1.
    #[field(default = Page::FIRST)]
    #[param(inline, required = false)]
    pub page: Page,
    /// Users per page.
    #[field(default = PerPage::DEFAULT)]
    #[param(inline, required = false)]
    pub per_page: PerPage,
    /// Part of the e-mail address, case-insensitive.
    #[param(inline, required = false)]
    pub search: Option<EmailSearch>,
    /// Only users of this group.
    #[param(inline, required = false)]
    pub group: Option<GroupName>,
    /// Only active (`true`) or inactive (`false`) users.
    #[param(required = false)]
    pub is_active: Option<bool>,
    /// `-id` (default), `id`, `email`, `created_at` or `-created_at`.
    #[field(default = UserSort::IdDesc)]
    #[param(inline, required = false)]
    pub sort: UserSort,
}

/// `PATCH /admin/users/{user_id}/` body: either or both (absent or `null`: unchanged).
/// Deactivating signs the user out everywhere; the last active admin can be neither demoted nor
/// deactivated.
#[derive(Debug, Clone, Default, PartialEq, FromFields, ToSchema)]
pub struct UserChanges {
    #[schema(inline)]
    pub group: Option<GroupName>,
    /// A JSON boolean.
    #[schema(inline)]
    pub is_active: Option<JsonBool>,
}

/// A review in the moderation queue: the review, how many reported it and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReportedReview {
    #[serde(flatten)]
    pub review: Review,
    pub reports: i64,
    /// Each report's reason, oldest first.
    #[schema(example = json!(["Spoilers in the first line."]))]
    pub reasons: Vec<String>,
}

/// A page of the moderation queue.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReportedList {
    pub reviews: Vec<ReportedReview>,
    #[schema(example = "/admin/reviews/?page=1&per_page=10")]
    pub prev_page: Option<String>,
    pub next_page: Option<String>,
    pub total_pages: i64,
    pub total_items: i64,
}

/// `GET /admin/reviews/` query string.
#[derive(Debug, Clone, Copy, PartialEq, FromFields, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModerationParams {
    /// Page number, from 1.
    #[field(default = Page::FIRST)]
    #[param(inline, required = false)]
    pub page: Page,
    /// Reviews per page.
    #[field(default = PerPage::DEFAULT)]
    #[param(inline, required = false)]
    pub per_page: PerPage,
    /// `true` (the default): only reviews with a report; `false`: every review, most reported
    /// first all the same.
    #[field(default = true)]
    #[param(required = false, default = true)]
    pub reported: bool,
}

/// A page of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditList {
    pub entries: Vec<Entry>,
    #[schema(example = "/admin/audit/?page=1&per_page=10&action=user.update")]
    pub prev_page: Option<String>,
    pub next_page: Option<String>,
    pub total_pages: i64,
    pub total_items: i64,
}

/// `GET /admin/audit/` query string.
#[derive(Debug, Clone, PartialEq, FromFields, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Page number, from 1.
    #[field(default = Page::FIRST)]
    #[param(inline, required = false)]
    pub page: Page,
    /// Entries per page.
    #[field(default = PerPage::DEFAULT)]
    #[param(inline, required = false)]
    pub per_page: PerPage,
    /// Only entries by this user.
    #[param(value_type = Option<i64>, required = false)]
    pub actor_id: Option<RowId>,
    /// Only entries of this action, e.g. `user.update`.
    #[param(inline, required = false)]
    pub action: Option<ActionName>,
}
