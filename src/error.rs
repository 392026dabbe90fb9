//! The one error type every handler returns. It renders each failure in the contract's JSON shape:
//! `{"detail": "<message>"}` for domain errors and `{"detail": [<field error>, ...]}` (FastAPI/pydantic's
//! 422 shape) for validation. Internal causes are logged with the request's span and never sent to the
//! client: a 500 carries only the endpoint's documented text.

use std::borrow::Cow;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Text of a 500 when the endpoint documents none of its own.
pub const INTERNAL_ERROR: &str = "Internal server error.";
/// Text of a 429 for password attempts (login, password change).
pub const TOO_MANY_LOGINS: &str = "Too many login attempts. Try again later.";
/// Text of a 429 for other limited requests (registration, activation and reset e-mails).
pub const TOO_MANY_REQUESTS: &str = "Too many requests. Try again later.";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `{"detail": message}` with the given status: every documented domain error.
    #[error("{status}: {message}")]
    Detail {
        status: StatusCode,
        message: Cow<'static, str>,
    },
    /// 422 with one entry per failed field.
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    /// 429 with `Retry-After`; `message` is the `detail` (e.g. [`TOO_MANY_LOGINS`]).
    #[error("too many requests; retry after {retry_after_secs} s")]
    TooManyRequests {
        retry_after_secs: u64,
        message: &'static str,
    },
    /// 500 with a public `message`; `source` goes to the log only.
    #[error("{message}: {source:#}")]
    Internal {
        message: &'static str,
        source: anyhow::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn detail(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self::Detail {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::detail(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::detail(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::detail(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::detail(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::detail(StatusCode::CONFLICT, message)
    }

    /// A 500 whose body is `message`; `source` is logged.
    pub fn internal(message: &'static str, source: impl Into<anyhow::Error>) -> Self {
        Self::Internal {
            message,
            source: source.into(),
        }
    }

    /// A single-field 422.
    pub fn field(error: FieldError) -> Self {
        Self::Validation(vec![error])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Detail { status, .. } => *status,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::internal(INTERNAL_ERROR, e)
    }
}

/// Adds the endpoint's documented 500 text to any internal failure.
pub trait ResultExt<T> {
    fn or_internal(self, message: &'static str) -> Result<T>;
}

impl<T, E: Into<anyhow::Error>> ResultExt<T> for std::result::Result<T, E> {
    fn or_internal(self, message: &'static str) -> Result<T> {
        self.map_err(|e| Error::internal(message, e))
    }
}

/// True when a database error is a unique-constraint violation (both backends).
pub fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Unique, foreign-key, NOT NULL and check violations: what SQLAlchemy reported as `IntegrityError`.
pub fn is_integrity_error(e: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::error::ErrorKind;
    match e {
        sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(s))
        | sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(s)) => {
            s.as_database_error().is_some_and(|d| {
                matches!(
                    d.kind(),
                    ErrorKind::UniqueViolation
                        | ErrorKind::ForeignKeyViolation
                        | ErrorKind::NotNullViolation
                        | ErrorKind::CheckViolation
                )
            })
        }
        _ => matches!(
            e.sql_err(),
            Some(
                sea_orm::SqlErr::UniqueConstraintViolation(_)
                    | sea_orm::SqlErr::ForeignKeyConstraintViolation(_)
            )
        ),
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            Self::Detail { message, .. } => (
                status,
                Json(ErrorBody {
                    detail: message.into_owned(),
                }),
            )
                .into_response(),
            Self::Validation(errors) => {
                (status, Json(ValidationErrorBody { detail: errors })).into_response()
            }
            Self::TooManyRequests {
                retry_after_secs,
                message,
            } => {
                let mut response = (
                    status,
                    Json(ErrorBody {
                        detail: message.into(),
                    }),
                )
                    .into_response();
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_secs.max(1)),
                );
                response
            }
            Self::Internal { message, source } => {
                tracing::error!(error = format!("{source:#}"), "{message}");
                (
                    status,
                    Json(ErrorBody {
                        detail: message.into(),
                    }),
                )
                    .into_response()
            }
        }
    }
}

/// `{"detail": "<message>"}`.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    #[schema(example = "Movie with the given ID was not found.")]
    pub detail: String,
}

/// FastAPI's validation error body: one entry per failed field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationErrorBody {
    pub detail: Vec<FieldError>,
}

/// One pydantic-style validation error.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// pydantic's error type, e.g. `missing`, `value_error`, `int_parsing`.
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// Where: `["body", "email"]`, `["query", "page"]`, `["path", "movie_id"]`.
    #[schema(value_type = Vec<Object>)]
    pub loc: Vec<Value>,
    pub msg: String,
    /// The offending input (`null` when missing).
    #[schema(value_type = Object)]
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub ctx: Option<Value>,
}

impl FieldError {
    pub fn new(
        kind: impl Into<Cow<'static, str>>,
        loc: Vec<Value>,
        msg: impl Into<String>,
        input: Value,
    ) -> Self {
        Self {
            kind: kind.into(),
            loc,
            msg: msg.into(),
            input,
            ctx: None,
        }
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }
}
