//! Accounts: `/api/v1/accounts/` (register, activate, login, refresh, password reset) and the
//! operator commands behind `theater users`.

pub mod cli;

use utoipa_axum::router::OpenApiRouter;

use crate::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
