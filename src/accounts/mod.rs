//! Accounts: `/api/v1/accounts/` (register, activate, login, refresh, logout, password reset and
//! change) and the operator commands behind `theater users`.
//!
//! Layout: `domain` (the parsed input types), `service` (the business rules, shared by the JSON
//! handlers in `routes`, the HTML pages in `pages` and the CLI), `password` (argon2id), `limiter`
//! (rate limits for login, registration and the account e-mails).

pub mod cli;
pub mod domain;
pub mod limiter;
pub mod pages;
pub mod password;
pub mod routes;
pub mod service;

use utoipa_axum::router::OpenApiRouter;

pub use self::{
    domain::{Email, Password},
    limiter::AccountLimits,
};
pub use crate::http::client_ip::ClientIp;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    routes::router()
}
