//! The JSON endpoints under `/api/v1/accounts/`: thin handlers over [`super::service`], each with
//! its OpenAPI description. Their bodies are in [`super::wire`].

use axum::{Json, extract::State, http::StatusCode};

use super::{
    service,
    wire::{
        ActivationRequest, Credentials, EmailRequest, LoginBody, LoginResponse, MessageResponse,
        PasswordChange, PasswordGrant, PasswordResetComplete, RefreshTokenRequest,
        TokenRefreshResponse, UserRegistrationResponse,
    },
};
use crate::{
    auth::Authenticated,
    error::{Error, ErrorBody, ValidationErrorBody},
    http::client_ip::ClientIp,
    http::extract::JsonBody,
    state::AppState,
};

pub const ACTIVATED: &str = "User account activated successfully.";
pub const RESET_REQUESTED: &str =
    "If you are registered, you will receive an email with instructions.";
pub const RESET_DONE: &str = "Password reset successfully.";
pub const LOGGED_OUT: &str = "Logged out successfully.";
pub const PASSWORD_CHANGED: &str = "Password changed successfully.";
pub const ACTIVATION_RESENT: &str =
    "If your account is waiting for activation, you will receive an email with a new link.";

fn message(message: &'static str) -> Json<MessageResponse> {
    Json(MessageResponse { message })
}

/// Register a user: inactive, in group `user`, with an activation e-mail.
#[utoipa::path(
    post,
    path = "/register/",
    tag = "accounts",
    request_body = Credentials,
    responses(
        (status = 201, description = "The user was created; an activation e-mail is on its way", body = UserRegistrationResponse),
        (status = 409, description = "`A user with this email {email} already exists.`", body = ErrorBody,
            example = json!({"detail": "A user with this email user@example.com already exists."})),
        (status = 422, description = "Invalid e-mail or a password breaking the rules", body = ValidationErrorBody),
        (status = 429, description = "Too many requests from this address or for this e-mail: `Too many requests. Try again later.`; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the next request is allowed"))),
        (status = 500, description = "`An error occurred during user creation.`", body = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<(StatusCode, Json<UserRegistrationResponse>), Error> {
    let user = service::register(&state, &body.email, &body.password, client).await?;
    Ok((
        StatusCode::CREATED,
        Json(UserRegistrationResponse {
            id: user.id,
            email: user.email,
        }),
    ))
}

/// Activate an account with the token from its activation e-mail.
#[utoipa::path(
    post,
    path = "/activate/",
    tag = "accounts",
    request_body = ActivationRequest,
    responses(
        (status = 200, description = "`User account activated successfully.`", body = MessageResponse),
        (status = 400, description = "`Invalid or expired activation token.` or `User account is already active.`", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ValidationErrorBody),
    )
)]
pub async fn activate(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ActivationRequest>,
) -> Result<Json<MessageResponse>, Error> {
    service::activate(&state, &body.email, &body.token).await?;
    Ok(message(ACTIVATED))
}

/// Send a new activation e-mail (only an existing, inactive account gets one; the answer is always
/// the same).
#[utoipa::path(
    post,
    path = "/activation/resend/",
    tag = "accounts",
    request_body = EmailRequest,
    responses(
        (status = 200, description = "Always the same message", body = MessageResponse),
        (status = 422, description = "Invalid e-mail", body = ValidationErrorBody),
        (status = 429, description = "Too many requests from this address or for this e-mail: `Too many requests. Try again later.`; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the next request is allowed"))),
    )
)]
pub async fn resend_activation(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<EmailRequest>,
) -> Result<Json<MessageResponse>, Error> {
    service::resend_activation(&state, &body.email, client).await?;
    Ok(message(ACTIVATION_RESENT))
}

/// Ask for a password-reset e-mail (only an existing, active account gets one; the answer is always
/// the same).
#[utoipa::path(
    post,
    path = "/password-reset/request/",
    tag = "accounts",
    request_body = EmailRequest,
    responses(
        (status = 200, description = "`If you are registered, you will receive an email with instructions.`", body = MessageResponse),
        (status = 422, description = "Invalid e-mail", body = ValidationErrorBody),
        (status = 429, description = "Too many requests from this address or for this e-mail: `Too many requests. Try again later.`; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the next request is allowed"))),
    )
)]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<EmailRequest>,
) -> Result<Json<MessageResponse>, Error> {
    service::request_password_reset(&state, &body.email, client).await?;
    Ok(message(RESET_REQUESTED))
}

/// Set a new password with the token from a password-reset e-mail. Signs the user out everywhere.
#[utoipa::path(
    post,
    path = "/reset-password/complete/",
    tag = "accounts",
    request_body = PasswordResetComplete,
    responses(
        (status = 200, description = "`Password reset successfully.`", body = MessageResponse),
        (status = 400, description = "`Invalid email or token.`", body = ErrorBody),
        (status = 422, description = "Invalid e-mail or a password breaking the rules", body = ValidationErrorBody),
        (status = 500, description = "`An error occurred while resetting the password.`", body = ErrorBody),
    )
)]
pub async fn complete_password_reset(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<PasswordResetComplete>,
) -> Result<Json<MessageResponse>, Error> {
    service::complete_password_reset(&state, &body.email, &body.token, &body.password).await?;
    Ok(message(RESET_DONE))
}

/// Sign in: an access token and a refresh token. Limited per e-mail and per client address.
#[utoipa::path(
    post,
    path = "/login/",
    tag = "accounts",
    request_body(
        description = "JSON `{email, password}`, or the OAuth2 password grant as a form (`username` is the e-mail)",
        content(
            (Credentials = "application/json"),
            (PasswordGrant = "application/x-www-form-urlencoded"),
        ),
    ),
    responses(
        (status = 201, description = "Signed in", body = LoginResponse),
        (status = 401, description = "`Invalid email or password.`", body = ErrorBody),
        (status = 403, description = "`User account is not activated.`", body = ErrorBody),
        (status = 422, description = "Invalid e-mail or a password breaking the rules", body = ValidationErrorBody),
        (status = 429, description = "Too many login attempts; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is allowed"))),
        (status = 500, description = "`An error occurred while processing the request.`", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    LoginBody(body): LoginBody,
) -> Result<(StatusCode, Json<LoginResponse>), Error> {
    let tokens = service::login(&state, &body.email, &body.password, client).await?;
    Ok((
        StatusCode::CREATED,
        Json(LoginResponse {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            token_type: "bearer",
        }),
    ))
}

/// A new access token for a refresh token.
#[utoipa::path(
    post,
    path = "/refresh/",
    tag = "accounts",
    request_body = RefreshTokenRequest,
    responses(
        (status = 200, description = "A new access token", body = TokenRefreshResponse),
        (status = 400, description = "`Token has expired.` or `Invalid token.`", body = ErrorBody),
        (status = 401, description = "`Refresh token not found.`", body = ErrorBody),
        (status = 404, description = "`User not found.`", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ValidationErrorBody),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RefreshTokenRequest>,
) -> Result<Json<TokenRefreshResponse>, Error> {
    let access_token = service::refresh(&state, &body.refresh_token).await?;
    Ok(Json(TokenRefreshResponse {
        access_token,
        token_type: "bearer",
    }))
}

/// Sign out: the refresh token stops working, and so do the user's access tokens issued until now.
#[utoipa::path(
    post,
    path = "/logout/",
    tag = "accounts",
    request_body = RefreshTokenRequest,
    responses(
        (status = 200, description = "`Logged out successfully.`", body = MessageResponse),
        (status = 400, description = "`Token has expired.` or `Invalid token.`", body = ErrorBody),
        (status = 401, description = "`Refresh token not found.`", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ValidationErrorBody),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RefreshTokenRequest>,
) -> Result<Json<MessageResponse>, Error> {
    service::logout(&state, &body.refresh_token).await?;
    Ok(message(LOGGED_OUT))
}

/// Change the signed-in user's password. Signs them out everywhere (refresh tokens are revoked) and
/// e-mails a notice.
#[utoipa::path(
    post,
    path = "/password-change/",
    tag = "accounts",
    request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`Password changed successfully.`", body = MessageResponse),
        (status = 400, description = "`The old password is incorrect.`", body = ErrorBody),
        (status = 401, description = "Missing, malformed, expired, invalid or revoked (`Token has been revoked.`) access token, or `User not found or not active.`", body = ErrorBody),
        (status = 422, description = "A new password breaking the rules", body = ValidationErrorBody),
        (status = 429, description = "Too many password attempts; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is allowed"))),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    user: Authenticated,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<Json<MessageResponse>, Error> {
    let (old, new) = (&body.old_password, &body.new_password);
    service::change_password(&state, user.user_id, old, new, client).await?;
    Ok(message(PASSWORD_CHANGED))
}
