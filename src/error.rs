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
    /// 429 with `Retry-After`; `message` is the `detail`.
    #[error("too many requests; retry after {retry_after_secs} s")]
    TooManyRequests {
        retry_after_secs: u64,
        message: Cow<'static, str>,
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

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::detail(StatusCode::NOT_FOUND, message)
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

/// A domain's failures as a client sees them. Each domain implements it once, in its `error.rs`,
/// over its one error enum: the status of every variant, its `detail` (the variant's `Display`,
/// which is the contract's text) and, for a failure of ours, the cause to log. Services return the
/// domain enum and know nothing of HTTP; the handler (the edge) turns it into an [`Error`] with
/// [`Error::from_domain`] or [`DomainResultExt::or_500`], naming the endpoint's documented 500
/// text once. The same impl documents the endpoints (see [`error_responses!`]).
pub trait DomainError: std::fmt::Display {
    /// 500 for a failure of ours.
    fn status(&self) -> StatusCode;
    /// Seconds until a refused request may be repeated (a 429's `Retry-After`).
    fn retry_after_secs(&self) -> Option<u64> {
        None
    }
    /// A 500 text of the failure's own, instead of the endpoint's (e.g. a failed avatar upload).
    fn internal_text(&self) -> Option<&'static str> {
        None
    }
    /// The cause of a failure of ours, for the log; `None` for a failure the client caused.
    fn into_cause(self) -> Option<anyhow::Error>
    where
        Self: Sized;
}

impl Error {
    /// The HTTP error for a domain failure; `internal` is the endpoint's documented 500 text.
    pub fn from_domain<E: DomainError>(e: E, internal: &'static str) -> Self {
        let status = e.status();
        if let Some(retry_after_secs) = e.retry_after_secs() {
            return Self::TooManyRequests {
                retry_after_secs,
                message: e.to_string().into(),
            };
        }
        if status != StatusCode::INTERNAL_SERVER_ERROR {
            return Self::detail(status, e.to_string());
        }
        let message = e.internal_text().unwrap_or(internal);
        let shown = e.to_string();
        let source = e.into_cause().unwrap_or_else(|| anyhow::anyhow!("{shown}"));
        Self::Internal { message, source }
    }
}

/// A wait in whole seconds, rounded up (a `Retry-After`: a client that waits that long is let in).
pub fn whole_seconds_up(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// Turns a domain failure into the endpoint's HTTP error at the edge (see [`DomainError`]).
pub trait DomainResultExt<T> {
    /// With `internal` as the 500 text.
    fn or_500(self, internal: &'static str) -> Result<T>;
}

impl<T, E: DomainError> DomainResultExt<T> for std::result::Result<T, E> {
    fn or_500(self, internal: &'static str) -> Result<T> {
        self.map_err(|e| Error::from_domain(e, internal))
    }
}

/// For a domain error enum with an `Internal(anyhow::Error)` variant: database errors convert into
/// it (so `?` works on queries), `impl From<$domain> for Error` with the generic 500 text (so
/// handlers whose endpoint documents no 500 text of its own can use `?`), and `IntoResponse` the
/// same way (extractor rejections).
#[macro_export]
macro_rules! impl_from_domain_error {
    ($domain:ty) => {
        impl From<sea_orm::DbErr> for $domain {
            fn from(e: sea_orm::DbErr) -> Self {
                Self::Internal(e.into())
            }
        }

        $crate::impl_from_domain_error!(@http $domain);
    };
    (@http $domain:ty) => {
        impl From<$domain> for $crate::error::Error {
            fn from(e: $domain) -> Self {
                Self::from_domain(e, $crate::error::INTERNAL_ERROR)
            }
        }

        impl axum::response::IntoResponse for $domain {
            fn into_response(self) -> axum::response::Response {
                $crate::error::Error::from(self).into_response()
            }
        }
    };
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
                        detail: message.into_owned(),
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

/// `{"detail": "<message>"}`: each response documents its own message.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    pub detail: String,
}

/// FastAPI's validation error body: one entry per failed field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationErrorBody {
    pub detail: Vec<FieldError>,
}

/// One pydantic-style validation error.
///
/// `input` never shows a password: for a field whose name contains `password` (`password`,
/// `old_password`, `new_password`, ...) it is the string `"[redacted]"`, and so is any such key
/// inside an echoed object (a `missing` error echoes the whole body) or a whole raw body that names
/// one. The key stays, because clients that parse FastAPI's 422s expect it. FastAPI would echo the
/// password; 422 bodies end up in logs, proxies and error screens, so Theater does not.
#[derive(Clone, PartialEq, ToSchema)]
#[schema(example = json!({
    "type": "value_error",
    "loc": ["body", "password"],
    "msg": "Value error, Password must contain at least one digit.",
    "input": "[redacted]",
    "ctx": {"error": {}}
}))]
pub struct FieldError {
    /// pydantic's error type, e.g. `missing`, `value_error`, `int_parsing`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: Cow<'static, str>,
    /// Where: `["body", "email"]`, `["query", "page"]`, `["path", "movie_id"]`, `["body", "genres", 1]`
    /// (list items and JSON offsets are integers).
    #[schema(value_type = Vec<LocItem>)]
    pub loc: Vec<Value>,
    pub msg: String,
    /// The offending input, any JSON value (the whole object when a field is missing, `null` when
    /// there is nothing to show). Passwords are replaced by `"[redacted]"`.
    #[schema(value_type = Value)]
    pub input: Value,
    /// Details of the failure, e.g. `{"ge": 1}`, `{"max_length": 255}`, `{"error": {}}`.
    #[schema(value_type = Option<Object>, additional_properties)]
    pub ctx: Option<Value>,
}

/// One element of a `loc`: a field name, or an index into a list or a body.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(as = LocItem)]
#[serde(untagged)]
pub enum LocItem {
    Name(String),
    Index(i64),
}

/// What a 422 shows in place of a password.
pub const REDACTED: &str = "[redacted]";

fn is_secret_name(name: &str) -> bool {
    name.to_ascii_lowercase().contains("password")
}

/// `value` with every value under a secret key replaced by [`REDACTED`] (`None` when it has none).
fn redact_secret_keys(value: &Value) -> Option<Value> {
    match value {
        Value::Object(map)
            if map
                .iter()
                .any(|(k, v)| is_secret_name(k) || redact_secret_keys(v).is_some()) =>
        {
            Some(Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let shown = if is_secret_name(k) {
                            Value::String(REDACTED.into())
                        } else {
                            redact_secret_keys(v).unwrap_or_else(|| v.clone())
                        };
                        (k.clone(), shown)
                    })
                    .collect(),
            ))
        }
        Value::Array(items) if items.iter().any(|v| redact_secret_keys(v).is_some()) => {
            Some(Value::Array(
                items
                    .iter()
                    .map(|v| redact_secret_keys(v).unwrap_or_else(|| v.clone()))
                    .collect(),
            ))
        }
        _ => None,
    }
}

impl FieldError {
    /// `input` as clients (and logs) see it: passwords redacted (see the type's comment).
    pub fn shown_input(&self) -> Cow<'_, Value> {
        let redacted = || Cow::Owned(Value::String(REDACTED.into()));
        if self
            .loc
            .iter()
            .any(|l| l.as_str().is_some_and(is_secret_name))
        {
            return redacted();
        }
        match &self.input {
            // A whole body that is not an object (e.g. sent as text/plain) is echoed as its text.
            Value::String(s) if self.loc.len() <= 1 && is_secret_name(s) => redacted(),
            other => redact_secret_keys(other).map_or(Cow::Borrowed(other), Cow::Owned),
        }
    }
}

impl Serialize for FieldError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &self.kind)?;
        map.serialize_entry("loc", &self.loc)?;
        map.serialize_entry("msg", &self.msg)?;
        map.serialize_entry("input", &self.shown_input())?;
        if let Some(ctx) = &self.ctx {
            map.serialize_entry("ctx", ctx)?;
        }
        map.end()
    }
}

impl std::fmt::Debug for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldError")
            .field("kind", &self.kind)
            .field("loc", &self.loc)
            .field("msg", &self.msg)
            .field("input", &self.shown_input())
            .field("ctx", &self.ctx)
            .finish()
    }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn shown(loc: Value, input: Value) -> Value {
        let loc = loc.as_array().cloned().unwrap_or_default();
        serde_json::to_value(FieldError::new("value_error", loc, "m", input)).unwrap()["input"]
            .clone()
    }

    #[test]
    fn passwords_are_never_echoed() {
        for field in [
            "password",
            "old_password",
            "new_password",
            "confirmPassword",
        ] {
            assert_eq!(
                shown(json!(["body", field]), json!("Secret#1")),
                json!(REDACTED)
            );
        }
        // A missing field echoes the body: its passwords are hidden, the rest is kept.
        assert_eq!(
            shown(
                json!(["body", "email"]),
                json!({"password": "Secret#1", "nested": [{"new_password": "x"}], "token": "t"})
            ),
            json!({"password": REDACTED, "nested": [{"new_password": REDACTED}], "token": "t"})
        );
        // A raw body that names a password field.
        assert_eq!(
            shown(json!(["body"]), json!("email=a@b.io&password=Secret#1")),
            json!(REDACTED)
        );
        assert_eq!(
            shown(json!(["body", "email"]), json!("nope")),
            json!("nope")
        );
        assert_eq!(shown(json!(["body"]), json!("hello")), json!("hello"));
        let e = FieldError::new(
            "x",
            vec![json!("body"), json!("password")],
            "m",
            json!("Secret#1"),
        );
        assert!(!format!("{e:?}").contains("Secret"));
        assert!(!format!("{:?}", Error::field(e)).contains("Secret"));
    }

    #[test]
    fn field_errors_serialise_as_pydantic_does() {
        let e = FieldError::new(
            "missing",
            vec![json!("body"), json!("genres"), json!(1)],
            "Field required",
            Value::Null,
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"type": "missing", "loc": ["body", "genres", 1], "msg": "Field required", "input": null})
        );
        let e = e.with_ctx(json!({"ge": 1}));
        assert_eq!(serde_json::to_value(&e).unwrap()["ctx"], json!({"ge": 1}));
    }
}
