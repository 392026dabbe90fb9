//! The administration endpoints: thin handlers over [`Admin`], each with its OpenAPI description
//! (tag `admin`, bearer security) and the failures it documents (from [`AdminError`]).
//!
//! The caller is extracted first as [`Staff<P>`]: a valid token of an active user (401 otherwise)
//! whose group has the permission `P` (403 naming it otherwise), so neither a missing right nor a
//! bad token reaches the parsing of the path, the query or the body.

use std::marker::PhantomData;

use axum::{
    Json,
    extract::{FromRequestParts, State},
    http::{StatusCode, request::Parts},
};

use super::{
    domain::Permission,
    error::AdminError,
    service::Admin,
    wire::{
        AdminUser, AdminUserList, AuditList, AuditParams, ModerationParams, ReportedList,
        UserChanges, UserDetail, UserListParams, UserPath,
    },
};
use crate::{
    audit::Actor,
    auth::{AuthError, SignedIn},
    error::Error,
    error_responses,
    http::{
        client_ip::ClientIp,
        extract::{JsonBody, PathParams, QueryParams},
    },
    reviews::wire::ReviewPath,
    state::AppState,
};

/// A permission at the type level, for [`Staff`].
pub trait Needs: Send + Sync {
    const PERMISSION: Permission;
}

macro_rules! permissions {
    ($($name:ident),* $(,)?) => {$(
        #[doc = concat!("[`Permission::", stringify!($name), "`].")]
        pub struct $name;
        impl Needs for $name {
            const PERMISSION: Permission = Permission::$name;
        }
    )*};
}

permissions!(
    ReadUsers,
    ChangeUsers,
    RevokeSessions,
    DeleteUsers,
    ModerateReviews,
    ReadAudit
);

/// A signed-in staff member allowed to do `P`, as the actor of the audit entries their writes add.
pub struct Staff<P> {
    pub actor: Actor,
    _permission: PhantomData<P>,
}

impl<P: Needs> FromRequestParts<AppState> for Staff<P> {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdminError> {
        let SignedIn(account) = SignedIn::from_request_parts(parts, state).await?;
        if !P::PERMISSION.allows(account.group) {
            return Err(AdminError::Forbidden(P::PERMISSION));
        }
        let ClientIp(client) = ClientIp::from_parts(parts, &state.trusted_proxies);
        Ok(Self {
            actor: Actor::user(&account, client),
            _permission: PhantomData,
        })
    }
}

error_responses! {
    struct ListErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        AdminError::Forbidden(Permission::ReadUsers),
    ];
}

/// A page of users, filtered by e-mail (`search`, any case), `group` and `is_active`, sorted by
/// `sort`. Moderators and admins.
#[utoipa::path(
    get,
    path = "/users/",
    tag = "admin",
    params(UserListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users; `[]` past the end", body = AdminUserList),
        ListErrors,
    )
)]
pub async fn list_users(
    _staff: Staff<ReadUsers>,
    State(admin): State<Admin>,
    QueryParams(params): QueryParams<UserListParams>,
) -> Result<Json<AdminUserList>, Error> {
    Ok(Json(admin.users(&params).await?))
}

error_responses! {
    struct DetailErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        AdminError::Forbidden(Permission::ReadUsers),
        AdminError::UserNotFound,
    ];
}

/// A user with their profile, their live sessions (refresh tokens not expired) and how many
/// ratings and reviews they have. Moderators and admins.
#[utoipa::path(
    get,
    path = "/users/{user_id}/",
    tag = "admin",
    params(("user_id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserDetail),
        DetailErrors,
    )
)]
pub async fn get_user(
    _staff: Staff<ReadUsers>,
    State(admin): State<Admin>,
    PathParams(path): PathParams<UserPath>,
) -> Result<Json<UserDetail>, Error> {
    Ok(Json(admin.user(path.user_id).await?))
}

error_responses! {
    struct UpdateErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        AdminError::Forbidden(Permission::ChangeUsers),
        AdminError::UserNotFound,
        AdminError::LastAdmin,
    ];
}

/// Changes a user's group and/or active flag. Deactivating signs them out everywhere at once
/// (refresh tokens deleted; access tokens issued before answer 401 `Token has been revoked.`). The
/// last active admin can be neither demoted nor deactivated (409). Audited as `user.update`. Admins
/// only.
#[utoipa::path(
    patch,
    path = "/users/{user_id}/",
    tag = "admin",
    params(("user_id" = i64, Path, description = "User id")),
    request_body = UserChanges,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user as changed", body = AdminUser),
        UpdateErrors,
    )
)]
pub async fn update_user(
    staff: Staff<ChangeUsers>,
    State(admin): State<Admin>,
    PathParams(path): PathParams<UserPath>,
    JsonBody(changes): JsonBody<UserChanges>,
) -> Result<Json<AdminUser>, Error> {
    Ok(Json(
        admin.update(&staff.actor, path.user_id, &changes).await?,
    ))
}

error_responses! {
    struct DeleteErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        AdminError::Forbidden(Permission::DeleteUsers),
        AdminError::UserNotFound,
        AdminError::LastAdmin,
    ];
}

/// Deletes a user and all of theirs in one transaction: account, profile, tokens, ratings and
/// reactions (taken out of the movies' aggregates), lists, notifications, settings; their reviews
/// as a review `DELETE` does (a tombstone where replies remain, else gone). The avatar object is
/// removed after the commit, retried until storage answers. The last active admin cannot be
/// deleted (409). Audited as `user.delete`. Admins only.
#[utoipa::path(
    delete,
    path = "/users/{user_id}/",
    tag = "admin",
    params(("user_id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; empty body"),
        DeleteErrors,
    )
)]
pub async fn delete_user(
    staff: Staff<DeleteUsers>,
    State(admin): State<Admin>,
    PathParams(path): PathParams<UserPath>,
) -> Result<StatusCode, Error> {
    admin.delete_user(&staff.actor, path.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

error_responses! {
    struct RevokeErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        AdminError::Forbidden(Permission::RevokeSessions),
        AdminError::UserNotFound,
    ];
}

/// Signs a user out everywhere: every refresh token deleted, and every access token issued until
/// now answers 401 `Token has been revoked.` on every instance within a second. A new login works
/// at once. Audited as `user.sessions.revoke`. Admins only.
#[utoipa::path(
    post,
    path = "/users/{user_id}/sessions/revoke/",
    tag = "admin",
    params(("user_id" = i64, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked; empty body"),
        RevokeErrors,
    )
)]
pub async fn revoke_sessions(
    staff: Staff<RevokeSessions>,
    State(admin): State<Admin>,
    PathParams(path): PathParams<UserPath>,
) -> Result<StatusCode, Error> {
    admin.revoke_sessions(&staff.actor, path.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

error_responses! {
    struct QueueErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        AdminError::Forbidden(Permission::ModerateReviews),
    ];
}

/// The moderation queue: reviews with reports (`reported=true`, the default; `false` lists every
/// review), most reported first, then newest, each with its number of reports and their reasons.
/// Delete one with `DELETE /theater/reviews/{review_id}/`, or dismiss its reports. Moderators and
/// admins.
#[utoipa::path(
    get,
    path = "/reviews/",
    tag = "admin",
    params(ModerationParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of reviews; `[]` past the end", body = ReportedList),
        QueueErrors,
    )
)]
pub async fn reported_reviews(
    _staff: Staff<ModerateReviews>,
    State(admin): State<Admin>,
    QueryParams(params): QueryParams<ModerationParams>,
) -> Result<Json<ReportedList>, Error> {
    Ok(Json(admin.reported(&params).await?))
}

error_responses! {
    struct DismissErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        AdminError::Forbidden(Permission::ModerateReviews),
        AdminError::ReviewNotFound,
    ];
}

/// Deletes every report of a review (it leaves the queue; it may be reported again). Audited as
/// `review.dismiss_reports`. Moderators and admins.
#[utoipa::path(
    post,
    path = "/reviews/{review_id}/dismiss-reports/",
    tag = "admin",
    params(("review_id" = i64, Path, description = "Review id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Dismissed; empty body"),
        DismissErrors,
    )
)]
pub async fn dismiss_reports(
    staff: Staff<ModerateReviews>,
    State(admin): State<Admin>,
    PathParams(path): PathParams<ReviewPath>,
) -> Result<StatusCode, Error> {
    admin.dismiss_reports(&staff.actor, path.review_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

error_responses! {
    struct AuditErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        AdminError::Forbidden(Permission::ReadAudit),
    ];
}

/// The audit log, newest first: every write by an admin or moderator (users, reviews, catalog
/// writes by staff) and by the operator's command line, with actor, action, target, the client's
/// address and details. Filter by `actor_id` and `action`. Admins only.
#[utoipa::path(
    get,
    path = "/audit/",
    tag = "admin",
    params(AuditParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of entries; `[]` past the end", body = AuditList),
        AuditErrors,
    )
)]
pub async fn audit_log(
    _staff: Staff<ReadAudit>,
    State(admin): State<Admin>,
    QueryParams(params): QueryParams<AuditParams>,
) -> Result<Json<AuditList>, Error> {
    Ok(Json(admin.audit(&params).await?))
}
