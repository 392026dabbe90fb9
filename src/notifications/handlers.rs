//! The notification endpoints of the signed-in user: thin handlers over [`Notifications`].

use axum::{Json, extract::State, http::StatusCode};

use super::{
    service::Notifications,
    wire::{
        NotificationList, NotificationParams, NotificationSettings, ReadBody, ReadInput,
        SettingsPatch,
    },
};
use crate::{
    auth::{AuthError, SignedIn},
    error::Error,
    error_responses,
    http::extract::{JsonBody, QueryParams},
};

error_responses! {
    struct SignedInErrors = [AuthError::TOKEN_FAILURES, AuthError::UserNotActive];
}

/// The caller's notifications (a reply to or a like of their review), newest first, with their
/// unread count.
#[utoipa::path(
    get,
    path = "/me/notifications/",
    tag = "notifications",
    params(NotificationParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of notifications; `[]` past the end", body = NotificationList),
        SignedInErrors,
    )
)]
pub async fn list_notifications(
    SignedIn(caller): SignedIn,
    State(notifications): State<Notifications>,
    QueryParams(query): QueryParams<NotificationParams>,
) -> Result<Json<NotificationList>, Error> {
    let unread_only = query.unread.unwrap_or(false);
    Ok(Json(
        notifications
            .list(caller.id, unread_only, query.page, query.per_page)
            .await?,
    ))
}

/// Marks notifications as read: `{"ids": [...]}` (the caller's own among them; at most 100) or
/// `{"all": true}`.
#[utoipa::path(
    post,
    path = "/me/notifications/read/",
    tag = "notifications",
    request_body = ReadBody,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Marked; empty body"),
        SignedInErrors,
    )
)]
pub async fn mark_read(
    SignedIn(caller): SignedIn,
    State(notifications): State<Notifications>,
    JsonBody(ReadInput(request)): JsonBody<ReadInput>,
) -> Result<StatusCode, Error> {
    notifications.mark_read(caller.id, &request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's e-mail settings for notifications.
#[utoipa::path(
    get,
    path = "/me/notification-settings/",
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings", body = NotificationSettings),
        SignedInErrors,
    )
)]
pub async fn get_settings(
    SignedIn(caller): SignedIn,
    State(notifications): State<Notifications>,
) -> Result<Json<NotificationSettings>, Error> {
    Ok(Json(notifications.settings(caller.id).await?))
}

/// Changes the caller's e-mail settings; absent keys keep their value.
#[utoipa::path(
    patch,
    path = "/me/notification-settings/",
    tag = "notifications",
    request_body = SettingsPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings as stored", body = NotificationSettings),
        SignedInErrors,
    )
)]
pub async fn patch_settings(
    SignedIn(caller): SignedIn,
    State(notifications): State<Notifications>,
    JsonBody(patch): JsonBody<SettingsPatch>,
) -> Result<Json<NotificationSettings>, Error> {
    Ok(Json(notifications.update_settings(caller.id, patch).await?))
}
