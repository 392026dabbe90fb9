//! The OpenAPI document's frame: metadata, tags, shared schemas and the bearer security scheme. The
//! paths themselves are contributed by each domain router (`utoipa_axum::routes!`), so a handler and
//! its documentation never drift apart.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::error::{DomainError, ErrorBody, FieldError, ValidationErrorBody};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Theater",
        description = "Movie catalog and accounts API, wire-compatible with the FastAPI Movie Theater API.",
    ),
    components(schemas(ErrorBody, ValidationErrorBody, FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Registration, activation, login, tokens and password reset"),
        (name = "profiles", description = "User profiles with avatars"),
        (name = "movies", description = "The movie catalog"),
        (name = "discovery", description = "Browse indexes (genres, languages, countries, actors) and an actor's movies"),
        (name = "community", description = "Ratings, reactions and a movie's community summary"),
        (name = "reviews", description = "Reviews with replies, reactions and reports"),
        (name = "notifications", description = "The signed-in user's notifications and e-mail settings"),
        (name = "lists", description = "Users' lists of movies: the built-in favorites and watchlist, and their own; public ones for anyone"),
        (name = "admin", description = "Administration for moderators and admins: users, sessions, the moderation queue and the audit log"),
        (name = "health", description = "Service health"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

/// Where the OAuth2 password flow gets its token: the login, which also reads that form.
pub const TOKEN_URL: &str = "/api/v1/accounts/login/";

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Flow, OAuth2, Password, Scopes};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        // The same access token, obtained by the client itself: Swagger UI's Authorize dialog asks
        // for e-mail and password and signs in, so nobody copies tokens by hand.
        components.add_security_scheme(
            "password",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::Password(Password::new(TOKEN_URL, Scopes::new()))],
                "Sign in with your e-mail (as `username`) and password.",
            )),
        );
    }
}

/// One failure an endpoint documents: a variant of its domain's error (status and text from the
/// domain's [`DomainError`] impl) or the endpoint's 500 text ([`Internal`]). Listed per endpoint
/// with [`error_responses!`](crate::error_responses).
#[derive(Debug)]
pub struct DocumentedError {
    status: axum::http::StatusCode,
    detail: String,
    limited: bool,
}

/// What an [`error_responses!`](crate::error_responses) list takes: a domain error, an array of
/// them, or [`Internal`].
pub trait Documents {
    fn documented(self) -> Vec<DocumentedError>;
}

impl<E: DomainError> Documents for E {
    fn documented(self) -> Vec<DocumentedError> {
        vec![DocumentedError::from(self)]
    }
}

impl<E: DomainError, const N: usize> Documents for [E; N] {
    fn documented(self) -> Vec<DocumentedError> {
        self.into_iter().map(DocumentedError::from).collect()
    }
}

impl Documents for Internal {
    fn documented(self) -> Vec<DocumentedError> {
        let Internal(text) = self;
        vec![DocumentedError {
            status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            detail: text.to_owned(),
            limited: false,
        }]
    }
}

impl<E: DomainError> From<E> for DocumentedError {
    fn from(e: E) -> Self {
        let status = e.status();
        // A failure of ours shows its own 500 text, or the generic one: never its cause.
        let detail = if status == axum::http::StatusCode::INTERNAL_SERVER_ERROR {
            e.internal_text()
                .unwrap_or(crate::error::INTERNAL_ERROR)
                .to_owned()
        } else {
            e.to_string()
        };
        Self {
            status,
            limited: e.retry_after_secs().is_some(),
            detail,
        }
    }
}

/// The endpoint's documented 500 text, in an [`error_responses!`](crate::error_responses) list.
pub struct Internal(pub &'static str);

/// The responses for `errors`: one per status, whose description quotes each text and whose example
/// is the first (`{"detail": ...}`); a 429 also documents `Retry-After`.
pub fn error_responses(
    errors: impl IntoIterator<Item = DocumentedError>,
) -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
    use utoipa::openapi::{
        ContentBuilder, Ref, ResponseBuilder,
        header::HeaderBuilder,
        schema::{ObjectBuilder, Type},
    };
    let mut by_status: std::collections::BTreeMap<u16, (Vec<String>, bool)> = Default::default();
    for e in errors {
        let (texts, limited) = by_status.entry(e.status.as_u16()).or_default();
        if !texts.contains(&e.detail) {
            texts.push(e.detail);
        }
        *limited |= e.limited;
    }
    by_status
        .into_iter()
        .map(|(status, (texts, limited))| {
            let quoted: Vec<String> = texts.iter().map(|t| format!("`{t}`")).collect();
            // One example (the first text; `example` and `examples` exclude each other, and
            // clients show `example`); the description quotes them all.
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .example(Some(serde_json::json!({ "detail": texts.first() })));
            let mut response = ResponseBuilder::new()
                .description(quoted.join(" or "))
                .content("application/json", content.build());
            if limited {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(
                            ObjectBuilder::new()
                                .schema_type(Type::Integer)
                                .minimum(Some(1)),
                        )
                        .description(Some("Seconds until the request is allowed again"))
                        .build(),
                );
            }
            (status.to_string(), response.build().into())
        })
        .collect()
}

/// Declares a type whose OpenAPI responses are the listed failures (each [`Documents`]: a domain
/// error variant, an array of them, or [`Internal`] with the endpoint's 500 text), for a handler's
/// `responses(...)`.
#[macro_export]
macro_rules! error_responses {
    ($(#[$meta:meta])* $vis:vis struct $name:ident = [$($error:expr),* $(,)?];) => {
        $(#[$meta])*
        $vis struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<
                String,
                utoipa::openapi::RefOr<utoipa::openapi::Response>,
            > {
                $crate::http::openapi::error_responses(
                    [$($crate::http::openapi::Documents::documented($error)),*]
                        .into_iter()
                        .flatten(),
                )
            }
        }
    };
}

/// Gives a value type its OpenAPI schema, which request types inline (`#[schema(inline)]`): the
/// rules a type enforces are stated beside it, once, instead of on every field that uses it.
/// `$schema` is a `utoipa::openapi::ObjectBuilder`.
#[macro_export]
macro_rules! value_schema {
    ($ty:ty => $schema:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                // `example` (deprecated in 3.1 for `examples`) is what Swagger UI shows.
                #[allow(deprecated)]
                let schema: utoipa::openapi::ObjectBuilder = $schema;
                utoipa::openapi::schema::Schema::Object(schema.build()).into()
            }
        }

        impl utoipa::ToSchema for $ty {}
    };
}

/// A string schema.
pub fn string() -> utoipa::openapi::ObjectBuilder {
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::String)
}

/// A string schema in a known format (`email`, `password`, `date`, ...).
pub fn string_as(format: utoipa::openapi::KnownFormat) -> utoipa::openapi::ObjectBuilder {
    string().format(Some(utoipa::openapi::SchemaFormat::KnownFormat(format)))
}

/// A number schema (`double`, as for `f64`).
pub fn number() -> utoipa::openapi::ObjectBuilder {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Number)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Double,
        )))
}

/// An integer schema (`int64`).
pub fn integer() -> utoipa::openapi::ObjectBuilder {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
}

/// `{"type": "string", "pattern": NO_NUL}`: text the service stores, which refuses NUL.
pub const NO_NUL: &str = "^[^\\u0000]*$";

/// The five password rules as one pattern (character classes through lookaheads; the digit rule
/// also accepts other Unicode digits, which this pattern leaves out).
pub const PASSWORD_PATTERN: &str = "^(?=[^\\u0000]*[A-Z])(?=[^\\u0000]*[a-z])(?=[^\\u0000]*[0-9])(?=[^\\u0000]*[@$!%*?#&])[^\\u0000]{8,}$";

/// The document as served: the generated one, completed with what derive macros cannot say.
///
/// - every response an operation can give beyond the domain failures its handler documents
///   (`error_responses!`): 422 wherever input is parsed, 401 where a token is read, 413 for
///   bodies, 500 (a failed dependency or a caught panic) and 503 (the request deadline) everywhere;
/// - an example per error response, taken from the text its description quotes;
/// - the rules JSON Schema can state: no NUL in any string a request sends, the password rules,
///   the release-year and age limits as date patterns (they move with the calendar, so the
///   document is built for today on each request).
pub fn document(
    generated: &utoipa::openapi::OpenApi,
    today: chrono::NaiveDate,
) -> serde_json::Value {
    let mut doc = match serde_json::to_value(generated) {
        Ok(doc) => doc,
        Err(e) => {
            tracing::error!("serialising the OpenAPI document: {e}");
            return serde_json::Value::Null;
        }
    };
    complete_operations(&mut doc);
    constrain_requests(&mut doc, today);
    doc
}

fn error_response(description: &str, detail: &str) -> serde_json::Value {
    serde_json::json!({
        "description": description,
        "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorBody"},
            "example": {"detail": detail},
        }},
    })
}

fn complete_operations(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            let params: Vec<(String, String)> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
                            (s("in"), s("name"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let has_body = op.get("requestBody").is_some();
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            if secured && let Some(security) = op["security"].as_array_mut() {
                // Either scheme: a pasted token, or one the password flow obtained.
                security.push(json!({"password": []}));
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            let mut add = |status: &str, response: Value| {
                responses.entry(status).or_insert(response);
            };
            if has_body || !params.is_empty() {
                add(
                    "422",
                    json!({"description": "Invalid input", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ValidationErrorBody"},
                    }}}),
                );
            }
            if secured {
                add(
                    "401",
                    error_response(
                        "Missing, malformed, expired or invalid access token",
                        "Authorization header is missing",
                    ),
                );
            }
            if has_body {
                add(
                    "413",
                    error_response(
                        "The body is larger than `MAX_BODY_BYTES`",
                        "Failed to buffer the request body: length limit exceeded",
                    ),
                );
            }
            add(
                "500",
                error_response("An unexpected failure", crate::error::INTERNAL_ERROR),
            );
            add(
                "503",
                error_response(
                    "The request did not finish within `REQUEST_TIMEOUT_SECONDS`",
                    "The request took too long to process.",
                ),
            );
            for (status, response) in responses.iter_mut() {
                add_example(status, response, &params, has_body);
            }
        }
    }
}

/// An example for an error response that has none: `{"detail": <the text its description
/// quotes>}`, or a 422 at the operation's first input.
fn add_example(
    status: &str,
    response: &mut serde_json::Value,
    params: &[(String, String)],
    has_body: bool,
) {
    use serde_json::{Value, json};
    let description = response["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let Some(content) = response
        .pointer_mut("/content/application~1json")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if content.contains_key("example") || content.contains_key("examples") {
        return;
    }
    let schema = content["schema"]["$ref"].as_str().unwrap_or_default();
    if schema.ends_with("/ErrorBody") {
        let quoted = description
            .split('`')
            .skip(1)
            .step_by(2)
            .find(|q| q.ends_with('.'));
        // Responses whose text varies (or is the framework's) get the most common one.
        let fallback = match status {
            "401" => Some("Authorization header is missing"),
            "413" => Some("Failed to buffer the request body: length limit exceeded"),
            _ => None,
        };
        if let Some(text) = quoted.or(fallback) {
            content.insert("example".into(), json!({ "detail": text }));
        }
    } else if schema.ends_with("/ValidationErrorBody") && status == "422" {
        let example = match params.first() {
            Some((place, name)) if !has_body && place == "query" => json!({
                "type": "greater_than_equal", "loc": [place, name],
                "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1},
            }),
            Some((place, name)) if !has_body => json!({
                "type": "int_parsing", "loc": [place, name],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "abc",
            }),
            _ => json!({
                "type": "json_invalid", "loc": ["body", 1], "msg": "JSON decode error",
                "input": {}, "ctx": {"error": "key must be a string at line 1 column 2"},
            }),
        };
        content.insert("example".into(), json!({ "detail": [example] }));
    }
}

/// Lexicographic "at most `limit`" over strings shaped like `limit` (digits and fixed separators),
/// as a regular-expression group: for `2027-12-31`, every date up to that day.
fn at_most_pattern(limit: &str) -> String {
    let shape = |rest: &str| -> String {
        rest.chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    "[0-9]".to_owned()
                } else {
                    regex_escape(c)
                }
            })
            .collect()
    };
    let mut alternatives = Vec::new();
    for (i, c) in limit.char_indices() {
        if let Some(d) = c.to_digit(10).filter(|&d| d > 0) {
            let prefix: String = limit[..i].chars().map(regex_escape).collect();
            let lower = if d == 1 {
                "0".to_owned()
            } else {
                format!("[0-{}]", d - 1)
            };
            alternatives.push(format!("{prefix}{lower}{}", shape(&limit[i + 1..])));
        }
    }
    alternatives.push(limit.chars().map(regex_escape).collect());
    format!("(?:{})", alternatives.join("|"))
}

fn regex_escape(c: char) -> String {
    if c.is_ascii_alphanumeric() || c == '-' {
        c.to_string()
    } else {
        format!("\\{c}")
    }
}

/// Schema constraints on request input that derive attributes cannot state.
fn constrain_requests(doc: &mut serde_json::Value, today: chrono::NaiveDate) {
    use chrono::Datelike;
    use serde_json::{Value, json};
    let release_limit = format!("{}-12-31", today.year() + 1);
    let release = format!("^{}$", at_most_pattern(&release_limit));
    let adult = today
        .with_year(today.year() - 18)
        .or_else(|| today.pred_opt().and_then(|d| d.with_year(d.year() - 18)))
        .unwrap_or(today);
    let birth = format!("^(?=19|[2-9][0-9]){}$", at_most_pattern(&adult.to_string()));

    let rules: [(&str, &str, Value); 4] = [
        ("NewMovie", "date", json!({"pattern": release})),
        ("MovieUpdate", "date", json!({"pattern": release})),
        (
            "ProfileCreateForm",
            "date_of_birth",
            json!({"pattern": birth}),
        ),
        (
            "ProfileUpdateForm",
            "date_of_birth",
            json!({"pattern": birth}),
        ),
    ];
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (schema, property, extra) in rules {
        let target = schemas
            .get_mut(schema)
            .and_then(|s| s.pointer_mut(&format!("/properties/{property}")));
        if let (Some(Value::Object(target)), Value::Object(extra)) = (target, extra) {
            target.extend(extra);
        }
    }
    // In the PATCH form an empty value is an absent one (the field is left as it is).
    if let Some(Value::Object(properties)) = schemas
        .get_mut("ProfileUpdateForm")
        .and_then(|s| s.get_mut("properties"))
    {
        for field in ["first_name", "last_name", "gender", "date_of_birth"] {
            if let Some(property) = properties.get_mut(field) {
                let rule = property.take();
                *property = json!({"anyOf": [rule, {"type": "string", "maxLength": 0}]});
            }
        }
    }
    // A multipart part's name is a header parameter: control characters make the whole body
    // malformed (422), so extra fields may have any name but those.
    for form in ["ProfileCreateForm", "ProfileUpdateForm"] {
        if let Some(Value::Object(schema)) = schemas.get_mut(form) {
            schema.insert(
                "propertyNames".into(),
                json!({"pattern": "^[^\\u0000-\\u001f\\u007f]*$"}),
            );
        }
    }
    // Request schemas: every string refuses NUL.
    let requests: Vec<String> = schemas
        .keys()
        .filter(|k| REQUEST_SCHEMAS.contains(&k.as_str()))
        .cloned()
        .collect();
    for name in requests {
        if let Some(Value::Object(properties)) =
            schemas.get_mut(&name).and_then(|s| s.get_mut("properties"))
        {
            for property in properties.values_mut() {
                refuse_nul(property);
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for op in item
                .as_object_mut()
                .into_iter()
                .flat_map(|i| i.values_mut())
            {
                // The avatar part is an image, checked by content.
                if let Some(form) = op.pointer_mut("/requestBody/content/multipart~1form-data")
                    && let Some(form) = form.as_object_mut()
                {
                    form.insert(
                        "encoding".into(),
                        json!({"avatar": {"contentType": "image/jpeg, image/png"}}),
                    );
                }
                let params = op.get_mut("parameters").and_then(Value::as_array_mut);
                for p in params.into_iter().flatten() {
                    if let Some(schema) = p.get_mut("schema") {
                        refuse_nul(schema);
                    }
                }
            }
        }
    }
}

/// The schemas of request bodies (their strings get [`NO_NUL`]).
const REQUEST_SCHEMAS: [&str; 16] = [
    "Credentials",
    "PasswordGrant",
    "ActivationRequest",
    "EmailRequest",
    "PasswordResetComplete",
    "RefreshTokenRequest",
    "PasswordChange",
    "NewMovie",
    "MovieUpdate",
    "ProfileCreateForm",
    "ProfileUpdateForm",
    "NewList",
    "ListUpdate",
    "NewReview",
    "ReviewEdit",
    "ReportBody",
];

/// Profile `info`, list names: something that is not white space, and no NUL.
pub const NOT_BLANK: &str = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$";

/// Adds [`NO_NUL`] to a string schema (and to the items of an array of strings) that has no
/// pattern, enum or binary format of its own.
fn refuse_nul(schema: &mut serde_json::Value) {
    use serde_json::Value;
    let is_string = match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(ts) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    let is_array = match &schema["type"] {
        Value::String(t) => t == "array",
        Value::Array(ts) => ts.iter().any(|t| t == "array"),
        _ => false,
    };
    if is_array && let Some(items) = schema.get_mut("items") {
        refuse_nul(items);
    }
    if is_string
        && schema.get("pattern").is_none()
        && schema.get("enum").is_none()
        && schema["format"] != "binary"
        && let Some(object) = schema.as_object_mut()
    {
        object.insert("pattern".into(), Value::String(NO_NUL.into()));
    }
}

/// ReDoc, the reading view of the same document, at `/redoc`. The page and its script are served
/// from the binary (`assets/redoc/`, ReDoc 2.5.4 from npm, MIT; `scripts/vendor-redoc.sh` renews
/// it), so the docs work offline like Swagger UI's vendored files. Written here rather than with
/// utoipa-redoc, which embeds the document into the page once: ours is completed per request (see
/// [`document`]) and ReDoc reads it from `/openapi.json` like Swagger UI does.
pub fn redoc_router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    use axum::{
        http::header,
        response::{Html, IntoResponse},
        routing::get,
    };
    const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Theater API — ReDoc</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<div id="redoc"></div>
<script src="/redoc/redoc.standalone.js"></script>
<script>Redoc.init("/openapi.json", { hideDownloadButton: false, expandResponses: "200,201" }, document.getElementById("redoc"));</script>
</body>
</html>
"#;
    const SCRIPT: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");
    axum::Router::new()
        .route("/redoc", get(|| async { Html(PAGE) }))
        .route(
            "/redoc/redoc.standalone.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        // Versioned with the binary; a day is short enough for an upgrade.
                        (header::CACHE_CONTROL, "public, max-age=86400"),
                    ],
                    SCRIPT,
                )
                    .into_response()
            }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Matches `s` against the alternatives `at_most_pattern` builds (literals, `[0-9]` and
    /// `[0-d]`), so the test needs no regex engine.
    fn matches(limit: &str, s: &str) -> bool {
        let pattern = at_most_pattern(limit);
        let body = &pattern["(?:".len()..pattern.len() - 1];
        body.split('|').any(|alternative| {
            let mut rest = alternative;
            let mut chars = s.chars();
            while !rest.is_empty() {
                let Some(c) = chars.next() else { return false };
                if let Some(r) = rest.strip_prefix("[0-9]") {
                    rest = r;
                    if !c.is_ascii_digit() {
                        return false;
                    }
                } else if rest.starts_with("[0-") {
                    let high = rest.as_bytes()[3] as char;
                    rest = &rest[5..];
                    if !('0'..=high).contains(&c) {
                        return false;
                    }
                } else {
                    let literal = rest.chars().next().unwrap_or_default();
                    rest = &rest[literal.len_utf8()..];
                    if literal != c {
                        return false;
                    }
                }
            }
            chars.next().is_none()
        })
    }

    #[test]
    fn at_most_patterns_are_exact_on_dates() {
        for ok in [
            "2027-12-31",
            "2027-01-01",
            "0001-01-01",
            "1999-12-31",
            "2027-12-30",
        ] {
            assert!(matches("2027-12-31", ok), "{ok}");
        }
        for bad in [
            "2028-01-01",
            "9999-01-01",
            "2027-12-32",
            "3000-01-01",
            "20271231",
        ] {
            assert!(!matches("2027-12-31", bad), "{bad}");
        }
        assert!(matches("2008-06-15", "2008-06-15") && matches("2008-06-15", "2008-05-31"));
        assert!(!matches("2008-06-15", "2008-06-16") && !matches("2008-06-15", "2009-01-01"));
    }

    #[test]
    fn the_document_states_the_rules() {
        let generated = utoipa::openapi::OpenApiBuilder::new().build();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let doc = document(&generated, today);
        assert!(doc.get("openapi").is_some());
    }
}
