//! Small server-rendered pages the e-mail links lead to, for people with a browser: activate an
//! account (one click), choose a new password, and sign in. Each form posts to the same business
//! function as the JSON API, so the rules and messages are the same.
//!
//! The GET of a link only shows a form: mail scanners that open links must not use up a token. Pages
//! are plain HTML with inline CSS, escaped by minijinja, and served with headers that allow no
//! scripts, no framing and no referrer (the tokens travel in the URL).

use std::sync::LazyLock;

use axum::{
    Router,
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use minijinja::{Environment, Value, context};
use serde::Serialize;
use serde_json::Map;
use tower_http::set_header::SetResponseHeaderLayer;

use super::{
    AccountError, Accounts, ClientIp,
    handlers::{LOGIN_ERROR, RESET_ERROR},
    wire::{ActivationRequest, Credentials, PasswordResetComplete},
};
use crate::{
    error::{DomainError, Error, FieldError, INTERNAL_ERROR},
    state::AppState,
    validation::{Fields, FromFields},
};

// The pages e-mail links open: their paths are the mail's (the links are part of each e-mail).
pub use crate::mail::links::{ACTIVATE_PATH, LOGIN_PATH, RESET_PASSWORD_PATH};

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router() -> Router<AppState> {
    with_page_headers(
        Router::new()
            .route(ACTIVATE_PATH, get(activate_form).post(activate))
            .route(RESET_PASSWORD_PATH, get(reset_form).post(reset))
            .route(LOGIN_PATH, get(login_form).post(login)),
    )
}

/// The headers of every page an e-mail link opens (see the module comment): also used by the
/// notifications' unsubscribe page.
pub(crate) fn with_page_headers(router: Router<AppState>) -> Router<AppState> {
    router
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(header::REFERRER_POLICY, "no-referrer"))
        // Pages may show tokens: never keep them in a cache.
        .layer(header_layer(header::CACHE_CONTROL, "no-store"))
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = crate::mail::templates::html_environment();
    for (name, source) in [
        ("base.html", include_str!("../../templates/pages/base.html")),
        (
            "activate.html",
            include_str!("../../templates/pages/activate.html"),
        ),
        (
            "reset_password.html",
            include_str!("../../templates/pages/reset_password.html"),
        ),
        (
            "login.html",
            include_str!("../../templates/pages/login.html"),
        ),
        (
            "result.html",
            include_str!("../../templates/pages/result.html"),
        ),
        (
            "unsubscribe.html",
            include_str!("../../templates/pages/unsubscribe.html"),
        ),
    ] {
        // Built-in sources; the unit tests render every one, so a failure here is a build mistake
        // that surfaces as a 500 page, never a panic.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!("page template {name}: {e}");
        }
    }
    env
});

/// A rendered page with its status.
pub(crate) fn page(status: StatusCode, name: &str, ctx: Value) -> Response {
    match PAGES.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("rendering page {name}: {e:#}");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.").into_response()
        }
    }
}

/// The e-mail and token a link carries; missing values give an empty form that fails on submit with
/// the API's own message.
#[derive(Debug, Default)]
struct LinkQuery {
    email: String,
    token: String,
}

#[derive(Serialize)]
struct Next {
    href: &'static str,
    label: &'static str,
}

const SIGN_IN: Next = Next {
    href: LOGIN_PATH,
    label: "Sign in",
};

/// Why a submitted form did not go through.
#[derive(Debug)]
enum Failure {
    /// The API's 422: the fields that failed its checks.
    Invalid(Vec<FieldError>),
    /// The accounts' rules said no (or failed); `internal` is the endpoint's 500 text.
    Refused {
        error: AccountError,
        internal: &'static str,
    },
}

impl Failure {
    fn refused(internal: &'static str) -> impl FnOnce(AccountError) -> Self {
        move |error| Self::Refused { error, internal }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Refused { error, .. } => error.status(),
        }
    }
}

/// Reads an `application/x-www-form-urlencoded` body into a request type, with the API's checks.
fn read_form<T: FromFields>(body: &[u8]) -> Result<T, Failure> {
    let map: Map<String, serde_json::Value> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
        .collect();
    Fields::new("body", map).read().map_err(|e| match e {
        Error::Validation(errors) => Failure::Invalid(errors),
        other => Failure::refused(INTERNAL_ERROR)(AccountError::Internal(other.into())),
    })
}

/// What a person should read: the API's message(s), without pydantic's prefix; and the page's
/// `Retry-After`, for a limit.
fn error_messages(failure: Failure) -> (Vec<String>, Option<u64>) {
    match failure {
        Failure::Invalid(errors) => (
            errors
                .iter()
                .map(|e| {
                    let field = e.loc.last().and_then(|v| v.as_str()).unwrap_or("input");
                    let msg = e.msg.strip_prefix("Value error, ").unwrap_or(&e.msg);
                    format!("{field}: {msg}")
                })
                .collect(),
            None,
        ),
        Failure::Refused { error, internal } => {
            let retry_after = error.retry_after_secs();
            let message = match (&error, retry_after) {
                (AccountError::TooManyLogins { .. }, Some(secs)) => {
                    format!("Too many sign-in attempts. Try again in {secs} seconds.")
                }
                _ if error.status() == StatusCode::INTERNAL_SERVER_ERROR => {
                    if let Some(cause) = error.into_cause() {
                        tracing::error!(error = format!("{cause:#}"), "{internal}");
                    }
                    internal.to_owned()
                }
                _ => error.to_string(),
            };
            (vec![message], retry_after)
        }
    }
}

/// The page for a failure, with the API's status (and `Retry-After` for a 429).
fn error_page(failure: Failure, template: &str, ctx: Value) -> Response {
    let status = failure.status();
    let (errors, retry_after) = error_messages(failure);
    let ctx = context! { errors => errors, ..ctx };
    let mut response = page(status, template, ctx);
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

async fn activate_form(RawQuery(query): RawQuery) -> Response {
    let q = submitted_fields(query.unwrap_or_default().as_bytes());
    page(
        StatusCode::OK,
        "activate.html",
        context! { title => "Activate your account", action => ACTIVATE_PATH, email => q.email, token => q.token },
    )
}

async fn activate(State(accounts): State<Accounts>, body: Bytes) -> Response {
    let result = match read_form::<ActivationRequest>(&body) {
        Ok(input) => accounts
            .activate(&input.email, &input.token)
            .await
            .map_err(Failure::refused(INTERNAL_ERROR)),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => page(
            StatusCode::OK,
            "result.html",
            context! { title => "Account activated", message => "Your account is active. You can sign in now.", next => SIGN_IN },
        ),
        Err(e) => error_page(e, "result.html", context! { title => "Activation failed" }),
    }
}

async fn reset_form(RawQuery(query): RawQuery) -> Response {
    let q = submitted_fields(query.unwrap_or_default().as_bytes());
    page(
        StatusCode::OK,
        "reset_password.html",
        context! { title => "Choose a new password", action => RESET_PASSWORD_PATH, email => q.email, token => q.token },
    )
}

async fn reset(State(accounts): State<Accounts>, body: Bytes) -> Response {
    let result = match read_form::<PasswordResetComplete>(&body) {
        Ok(input) => accounts
            .complete_password_reset(&input.email, &input.token, &input.password)
            .await
            .map_err(Failure::refused(RESET_ERROR)),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => page(
            StatusCode::OK,
            "result.html",
            context! { title => "Password changed", message => "Your password has been reset. You can sign in with it now.", next => SIGN_IN },
        ),
        // A password breaking the rules: the same form again, to try another one.
        Err(e @ Failure::Invalid(_)) => {
            let form: LinkQuery = submitted_fields(&body);
            error_page(
                e,
                "reset_password.html",
                context! { title => "Choose a new password", action => RESET_PASSWORD_PATH, email => form.email, token => form.token },
            )
        }
        Err(e) => error_page(
            e,
            "result.html",
            context! { title => "Password reset failed" },
        ),
    }
}

async fn login_form() -> Response {
    page(
        StatusCode::OK,
        "login.html",
        context! { title => "Sign in", action => LOGIN_PATH, email => "" },
    )
}

async fn login(
    State(accounts): State<Accounts>,
    ClientIp(client): ClientIp,
    body: Bytes,
) -> Response {
    let result = match read_form::<Credentials>(&body) {
        Ok(input) => accounts
            .login(&input.email, &input.password, client)
            .await
            .map_err(Failure::refused(LOGIN_ERROR)),
        Err(e) => Err(e),
    };
    match result {
        Ok(tokens) => page(
            StatusCode::OK,
            "result.html",
            context! {
                title => "Signed in",
                message => "You are signed in.",
                tokens => context! { access_token => tokens.access_token, refresh_token => tokens.refresh_token },
            },
        ),
        Err(e) => {
            let form: LinkQuery = submitted_fields(&body);
            error_page(
                e,
                "login.html",
                context! { title => "Sign in", action => LOGIN_PATH, email => form.email },
            )
        }
    }
}

/// The `email` and `token` fields of a link's query or a submitted form.
fn submitted_fields(body: &[u8]) -> LinkQuery {
    let mut form = LinkQuery::default();
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "email" => form.email = v.into_owned(),
            "token" => form.token = v.into_owned(),
            _ => {}
        }
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn every_page_template_renders_and_escapes() {
        let query = "email=a%22%3E%3Cb%3E%40x.io&token=t%261".to_owned();
        let html = body(activate_form(RawQuery(Some(query))).await).await;
        assert!(
            html.contains(r#"name="email" value="a&#34;&gt;&lt;b&gt;@x.io""#),
            "{html}"
        );
        assert!(html.contains(r#"name="token" value="t&amp;1""#), "{html}");
        assert!(html.contains(r#"action="/accounts/activate""#));

        let html = body(reset_form(RawQuery(None)).await).await;
        assert!(html.contains(r#"name="password""#));
        let html = body(login_form().await).await;
        assert!(html.contains(r#"action="/accounts/login""#));

        let e = Failure::refused(LOGIN_ERROR)(AccountError::TooManyLogins {
            retry_after: std::time::Duration::from_secs(7),
        });
        let response = error_page(e, "result.html", context! { title => "x" });
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
        assert!(body(response).await.contains("Try again in 7 seconds"));
    }

    #[test]
    fn validation_messages_read_as_sentences() {
        let e = read_form::<Credentials>(b"email=nope&password=short").unwrap_err();
        assert_eq!(
            error_messages(e).0,
            [
                "email: value is not a valid email address: An email address must have an @-sign.",
                "password: Password must contain at least 8 characters."
            ]
        );
    }
}
