//! The JSON endpoints under `/api/v1/accounts/`: thin handlers over [`Accounts`], each with its
//! OpenAPI description and the failures it documents (texts and statuses from [`AccountError`]).
//! Their bodies are in [`super::wire`].

use axum::{Json, extract::State, http::StatusCode};

use super::{
    AccountError, Accounts,
    wire::{
        AccountDeletion, ActivationRequest, Credentials, EmailRequest, LoginBody, LoginResponse,
        Me, MessageResponse, PasswordChange, PasswordGrant, PasswordResetComplete,
        RefreshTokenRequest, TokenRefreshResponse, UserRegistrationResponse,
    },
};
use crate::{
    auth::{AuthError, Authenticated, SignedIn, TokenError},
    error::{DomainResultExt, Error},
    error_responses,
    http::{client_ip::ClientIp, extract::JsonBody, openapi::Internal},
};

/// The endpoints' own 500 texts (the original's).
pub const REGISTER_ERROR: &str = "An error occurred during user creation.";
pub const RESET_ERROR: &str = "An error occurred while resetting the password.";
pub const LOGIN_ERROR: &str = "An error occurred while processing the request.";

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

error_responses! {
    struct RegisterErrors = [
        AccountError::example_email_taken(),
        AccountError::TOO_MANY_REQUESTS,
        Internal(REGISTER_ERROR),
    ];
}

/// Register a user: inactive, in group `user`, with an activation e-mail.
#[utoipa::path(
    post,
    path = "/register/",
    tag = "accounts",
    request_body = Credentials,
    responses(
        (status = 201, description = "The user was created; an activation e-mail is on its way", body = UserRegistrationResponse),
        RegisterErrors,
    )
)]
pub async fn register(
    State(accounts): State<Accounts>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<(StatusCode, Json<UserRegistrationResponse>), Error> {
    let user = accounts
        .register(&body.email, &body.password, client)
        .await
        .or_500(REGISTER_ERROR)?;
    Ok((
        StatusCode::CREATED,
        Json(UserRegistrationResponse {
            id: user.id,
            email: user.email,
        }),
    ))
}

error_responses! {
    struct ActivateErrors = [AccountError::InvalidActivationToken, AccountError::AlreadyActive];
}

/// Activate an account with the token from its activation e-mail.
#[utoipa::path(
    post,
    path = "/activate/",
    tag = "accounts",
    request_body = ActivationRequest,
    responses(
        (status = 200, description = "`User account activated successfully.`", body = MessageResponse),
        ActivateErrors,
    )
)]
pub async fn activate(
    State(accounts): State<Accounts>,
    JsonBody(body): JsonBody<ActivationRequest>,
) -> Result<Json<MessageResponse>, Error> {
    accounts.activate(&body.email, &body.token).await?;
    Ok(message(ACTIVATED))
}

error_responses! {
    /// The e-mails anyone may ask for by address: limited, and otherwise always the same answer.
    struct AccountEmailErrors = [AccountError::TOO_MANY_REQUESTS];
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
        AccountEmailErrors,
    )
)]
pub async fn resend_activation(
    State(accounts): State<Accounts>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<EmailRequest>,
) -> Result<Json<MessageResponse>, Error> {
    accounts.resend_activation(&body.email, client).await?;
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
        AccountEmailErrors,
    )
)]
pub async fn request_password_reset(
    State(accounts): State<Accounts>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<EmailRequest>,
) -> Result<Json<MessageResponse>, Error> {
    accounts.request_password_reset(&body.email, client).await?;
    Ok(message(RESET_REQUESTED))
}

error_responses! {
    struct ResetErrors = [AccountError::InvalidResetToken, Internal(RESET_ERROR)];
}

/// Set a new password with the token from a password-reset e-mail. Signs the user out everywhere.
#[utoipa::path(
    post,
    path = "/reset-password/complete/",
    tag = "accounts",
    request_body = PasswordResetComplete,
    responses(
        (status = 200, description = "`Password reset successfully.`", body = MessageResponse),
        ResetErrors,
    )
)]
pub async fn complete_password_reset(
    State(accounts): State<Accounts>,
    JsonBody(body): JsonBody<PasswordResetComplete>,
) -> Result<Json<MessageResponse>, Error> {
    accounts
        .complete_password_reset(&body.email, &body.token, &body.password)
        .await
        .or_500(RESET_ERROR)?;
    Ok(message(RESET_DONE))
}

error_responses! {
    struct LoginErrors = [
        AccountError::InvalidCredentials,
        AccountError::NotActivated,
        AccountError::TOO_MANY_LOGINS,
        Internal(LOGIN_ERROR),
    ];
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
        LoginErrors,
    )
)]
pub async fn login(
    State(accounts): State<Accounts>,
    ClientIp(client): ClientIp,
    LoginBody(body): LoginBody,
) -> Result<(StatusCode, Json<LoginResponse>), Error> {
    let tokens = accounts
        .login(&body.email, &body.password, client)
        .await
        .or_500(LOGIN_ERROR)?;
    Ok((
        StatusCode::CREATED,
        Json(LoginResponse {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            token_type: "bearer",
        }),
    ))
}

error_responses! {
    struct RefreshErrors = [
        AccountError::BadRefreshToken(TokenError::Expired),
        AccountError::BadRefreshToken(TokenError::Invalid),
        AccountError::RefreshTokenNotFound,
        AccountError::UserNotFound,
    ];
}

/// A new access token for a refresh token.
#[utoipa::path(
    post,
    path = "/refresh/",
    tag = "accounts",
    request_body = RefreshTokenRequest,
    responses(
        (status = 200, description = "A new access token", body = TokenRefreshResponse),
        RefreshErrors,
    )
)]
pub async fn refresh(
    State(accounts): State<Accounts>,
    JsonBody(body): JsonBody<RefreshTokenRequest>,
) -> Result<Json<TokenRefreshResponse>, Error> {
    let access_token = accounts.refresh(&body.refresh_token).await?;
    Ok(Json(TokenRefreshResponse {
        access_token,
        token_type: "bearer",
    }))
}

error_responses! {
    struct LogoutErrors = [
        AccountError::BadRefreshToken(TokenError::Expired),
        AccountError::BadRefreshToken(TokenError::Invalid),
        AccountError::RefreshTokenNotFound,
    ];
}

/// Sign out: the refresh token stops working, and so do the user's access tokens issued until now.
#[utoipa::path(
    post,
    path = "/logout/",
    tag = "accounts",
    request_body = RefreshTokenRequest,
    responses(
        (status = 200, description = "`Logged out successfully.`", body = MessageResponse),
        LogoutErrors,
    )
)]
pub async fn logout(
    State(accounts): State<Accounts>,
    JsonBody(body): JsonBody<RefreshTokenRequest>,
) -> Result<Json<MessageResponse>, Error> {
    accounts.logout(&body.refresh_token).await?;
    Ok(message(LOGGED_OUT))
}

error_responses! {
    struct PasswordChangeErrors = [
        AccountError::WrongOldPassword,
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        AccountError::TOO_MANY_LOGINS,
    ];
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
        PasswordChangeErrors,
    )
)]
pub async fn change_password(
    State(accounts): State<Accounts>,
    user: Authenticated,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<Json<MessageResponse>, Error> {
    let (old, new) = (&body.old_password, &body.new_password);
    accounts
        .change_password(user.user_id, old, new, client)
        .await?;
    Ok(message(PASSWORD_CHANGED))
}

error_responses! {
    struct MeErrors = [AuthError::TOKEN_FAILURES, AuthError::UserNotActive];
}

/// The signed-in user: id, e-mail, group, active flag and when the account was created.
#[utoipa::path(
    get,
    path = "/me/",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = Me),
        MeErrors,
    )
)]
pub async fn me(
    SignedIn(caller): SignedIn,
    State(accounts): State<Accounts>,
) -> Result<Json<Me>, Error> {
    Ok(Json(accounts.me(&caller).await?))
}

error_responses! {
    struct ExportErrors = [AuthError::TOKEN_FAILURES, AuthError::UserNotActive];
}

/// Everything Theater stores about the signed-in user, as one JSON document: `account` (no
/// password hash), `profile`, `ratings`, `movie_reactions`, `reviews`, `review_reactions`,
/// `reports`, `lists` (with their movies), `notifications`, `notification_settings`. No token and
/// no hash is ever in it.
#[utoipa::path(
    get,
    path = "/me/export/",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The export", body = Object),
        ExportErrors,
    )
)]
pub async fn export_me(
    SignedIn(caller): SignedIn,
    State(accounts): State<Accounts>,
) -> Result<Json<serde_json::Value>, Error> {
    Ok(Json(accounts.export(caller.id).await?))
}

error_responses! {
    struct DeleteMeErrors = [
        AuthError::TOKEN_FAILURES,
        AuthError::UserNotActive,
        AccountError::InvalidPassword,
        crate::admin::AdminError::LastAdmin,
    ];
}

/// Deletes the signed-in user's account with everything of theirs, as the admin delete does
/// (reviews by the review rule, the avatar object after the commit), once the password confirms
/// it: 400 `Invalid password.` otherwise (counted by the login's limiter). The last active admin
/// cannot delete themselves (409).
#[utoipa::path(
    delete,
    path = "/me/",
    tag = "accounts",
    request_body = AccountDeletion,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; empty body"),
        DeleteMeErrors,
    )
)]
pub async fn delete_me(
    SignedIn(caller): SignedIn,
    State(accounts): State<Accounts>,
    State(admin): State<crate::admin::Admin>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<AccountDeletion>,
) -> Result<StatusCode, Error> {
    accounts
        .confirm_password(caller.id, &body.password, client)
        .await?;
    let actor = crate::audit::Actor::user(&caller, client);
    admin.delete_user_row(&actor, caller.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
