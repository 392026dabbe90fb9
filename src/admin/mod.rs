//! Administration (`../shared/EXTENSIONS.md`, "Administration"): staff find and inspect users;
//! admins change their group and active flag (never removing the last active admin) and revoke
//! their sessions; moderators and admins work the moderation queue of reported reviews; admins read
//! the audit log every staff write adds to (`crate::audit`). The command line's `theater users …`
//! and `theater audit …` ([`cli`]) follow the same rules through the same service.
//!
//! The same files as every domain: the router here, [`handlers`], [`wire`], [`domain`], [`error`],
//! [`service`] and [`store`]; beside them [`cli`].

pub mod cli;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod service;
pub mod store;
pub mod wire;

use utoipa_axum::{router::OpenApiRouter, routes};

pub use self::{error::AdminError, service::Admin};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list_users))
        .routes(routes!(
            handlers::get_user,
            handlers::update_user,
            handlers::delete_user
        ))
        .routes(routes!(handlers::revoke_sessions))
        .routes(routes!(handlers::reported_reviews))
        .routes(routes!(handlers::dismiss_reports))
        .routes(routes!(handlers::audit_log))
}
