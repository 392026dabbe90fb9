//! Notifications (`../shared/EXTENSIONS.md`, "Notifications"): a reply to a user's review or a like
//! of it notifies them in the same transaction (`reviews` calls [`service::Notifications::record`]),
//! and e-mails them through the outbox when that kind is on — with RFC 8058 one-click unsubscribe
//! (`List-Unsubscribe` + `List-Unsubscribe-Post` headers, a visible link, a signed token in the URL;
//! [`pages`] serves it without a login).
//!
//! The same files as every domain: the router here, [`handlers`], [`wire`], [`domain`], [`error`],
//! [`service`] and [`store`]; and the unsubscribe [`pages`].

pub mod domain;
pub mod error;
pub mod handlers;
pub mod pages;
pub mod service;
pub mod store;
pub mod wire;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

/// `/users/me/notifications/…` and `/users/me/notification-settings/` (nested under
/// `/api/v1/users`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list_notifications))
        .routes(routes!(handlers::mark_read))
        .routes(routes!(handlers::get_settings, handlers::patch_settings))
}
