//! Accounts: `/api/v1/accounts/` (register, activate, login, refresh, logout, password reset and
//! change) and the operator commands behind `theater users`.
//!
//! Layout: `domain` (the parsed input types), `service` (the business rules, shared by the JSON
//! handlers in `routes`, the HTML pages and the CLI), `password` (argon2id), `limiter` (login rate
//! limit).

pub mod cli;
pub mod domain;
pub mod limiter;
pub mod password;
pub mod routes;
pub mod service;

use utoipa_axum::router::OpenApiRouter;

pub use self::{
    domain::{Email, Password},
    limiter::{ClientIp, LoginLimiter},
};
use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    routes::router()
}
