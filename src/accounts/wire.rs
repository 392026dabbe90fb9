//! The accounts' request and response types: what each JSON body (and the login's OAuth2 form)
//! may hold, declared once (`#[derive(FromFields)]` reads them field by field).

use axum::extract::FromRequest;
use serde::Serialize;
use utoipa::ToSchema;

use super::domain::{Email, Password};
use crate::{
    error::Error,
    http::extract::{FormBody, JsonBody, is_urlencoded_form},
    validation::{FromFields, FromInput, Invalid},
};

/// `{email, password}`: the register and login bodies.
#[derive(Debug, ToSchema, FromFields)]
pub struct Credentials {
    #[schema(inline)]
    pub email: Email,
    #[schema(inline)]
    pub password: Password,
}

/// The OAuth2 password grant (RFC 6749 §4.3) as a form: what Swagger UI's Authorize dialog and
/// OAuth2 client libraries send to the login. `username` is the e-mail; the rules are the login's.
#[derive(Debug, ToSchema, FromFields)]
pub struct PasswordGrant {
    #[schema(inline)]
    pub username: Email,
    #[schema(inline)]
    pub password: Password,
    // A form cannot send `null`: absent is the only other value.
    #[schema(inline, nullable = false)]
    pub grant_type: Option<GrantType>,
}

/// The only grant the login knows.
#[derive(Debug, Clone, Copy)]
pub struct GrantType;

crate::value_schema!(GrantType => crate::http::openapi::string()
    .description(Some(
        "`password` when sent (OAuth2 clients send it; the login has no other grant).",
    ))
    .pattern(Some("^password$")));

impl FromInput for GrantType {
    fn from_input(value: &serde_json::Value) -> Result<Self, Invalid> {
        match crate::validation::text(value)? {
            "password" => Ok(Self),
            _ => Err(Invalid::value_error("grant_type must be 'password'.")),
        }
    }
}

/// The login's body: JSON `{email, password}` (the contract), or a [`PasswordGrant`] form when the
/// request says `application/x-www-form-urlencoded`. Anything else is read as JSON, as before.
pub struct LoginBody(pub Credentials);

impl<S: Send + Sync> FromRequest<S> for LoginBody {
    type Rejection = Error;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Error> {
        if is_urlencoded_form(req.headers()) {
            let FormBody(grant) = FormBody::<PasswordGrant>::from_request(req, state).await?;
            return Ok(Self(Credentials {
                email: grant.username,
                password: grant.password,
            }));
        }
        let JsonBody(credentials) = JsonBody::<Credentials>::from_request(req, state).await?;
        Ok(Self(credentials))
    }
}

/// `{email, token}`.
#[derive(Debug, ToSchema, FromFields)]
pub struct ActivationRequest {
    #[schema(inline)]
    pub email: Email,
    pub token: String,
}

/// `{email}`.
#[derive(Debug, ToSchema, FromFields)]
pub struct EmailRequest {
    #[schema(inline)]
    pub email: Email,
}

/// `{email, password, token}`.
#[derive(Debug, ToSchema, FromFields)]
pub struct PasswordResetComplete {
    #[schema(inline)]
    pub email: Email,
    #[schema(inline)]
    pub password: Password,
    pub token: String,
}

/// `{refresh_token}`.
#[derive(Debug, ToSchema, FromFields)]
pub struct RefreshTokenRequest {
    pub refresh_token: String,
}

/// `DELETE /users/me/` body: the account's password, to confirm.
#[derive(Debug, ToSchema, FromFields)]
pub struct AccountDeletion {
    pub password: String,
}

/// `{old_password, new_password}`.
#[derive(Debug, ToSchema, FromFields)]
pub struct PasswordChange {
    pub old_password: String,
    #[schema(inline)]
    pub new_password: Password,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserRegistrationResponse {
    pub id: i32,
    #[schema(example = "user@example.com")]
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    #[schema(example = "User account activated successfully.")]
    pub message: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    pub refresh_token: String,
    #[schema(example = "bearer")]
    pub token_type: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenRefreshResponse {
    pub access_token: String,
    #[schema(example = "bearer")]
    pub token_type: &'static str,
}

/// `GET /users/me/`: the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    #[schema(example = 1)]
    pub id: i32,
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// `user`, `moderator` or `admin`.
    #[schema(example = "user")]
    pub group: &'static str,
    pub is_active: bool,
    #[serde(serialize_with = "crate::reviews::wire::iso_seconds")]
    #[schema(value_type = String, example = "2026-12-01T18:00:00Z")]
    pub created_at: chrono::DateTime<chrono::Utc>,
}
