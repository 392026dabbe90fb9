//! Accounts: `/api/v1/accounts/` (register, activate, login, refresh, logout, password reset and
//! change), the signed-in user's `/api/v1/users/me/`, and the operator commands behind `theater users`.
//!
//! Layout (the same in every domain): the router here, `handlers` (the JSON endpoints, each with the
//! errors it documents), `wire` (their request and response types), `domain` (the parsed value
//! types), `error` (every failure and its status) and `service` (the business rules and data access,
//! shared by the JSON handlers, the HTML pages in `pages` and the CLI). Beside them:
//! `password` (argon2id), `limiter` (rate limits for login, registration and the account e-mails).

pub mod cli;
pub mod deletion;
pub mod domain;
pub mod error;
pub mod export;
pub mod handlers;
pub mod limiter;
pub mod pages;
pub mod password;
pub mod service;
pub mod wire;

use utoipa_axum::{router::OpenApiRouter, routes};

pub use self::{
    domain::{Email, Password},
    error::AccountError,
    limiter::AccountLimits,
    service::Accounts,
};
pub use crate::http::client_ip::ClientIp;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // In the order a person meets them; the OpenAPI document (and so Swagger UI) keeps it.
        .routes(routes!(handlers::register))
        .routes(routes!(handlers::activate))
        .routes(routes!(handlers::resend_activation))
        .routes(routes!(handlers::login))
        .routes(routes!(handlers::refresh))
        .routes(routes!(handlers::logout))
        .routes(routes!(handlers::change_password))
        .routes(routes!(handlers::request_password_reset))
        .routes(routes!(handlers::complete_password_reset))
}

/// `/api/v1/users/`: the signed-in user's own account (`GET /users/me/`).
pub fn users_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::me, handlers::delete_me))
        .routes(routes!(handlers::export_me))
}
