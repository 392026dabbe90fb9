//! Axum extractors that parse bodies, query strings and path parameters into request types
//! ([`FromFields`]) and reject bad input with FastAPI's 422 body — also for malformed JSON, a wrong
//! content type or a missing body, which axum's own extractors would answer with plain-text 4xx.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, RawPathParams, Request},
    http::{header, request::Parts},
};
use serde_json::{Map, Value, json};

use crate::{
    error::{Error, FieldError},
    validation::{Fields, FromFields},
};

/// A JSON body read into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: FromFields> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| Error::detail(rejection.status(), rejection.body_text()))?;
        let value = parse_body(&bytes, is_json)?;
        Fields::from_body(value)?.read().map(JsonBody)
    }
}

/// An `application/x-www-form-urlencoded` body read into `T`, each field a string (a repeated key
/// keeps its last value, as for query strings). Only the OAuth2 password grant of the login uses it.
#[derive(Debug)]
pub struct FormBody<T>(pub T);

impl<S: Send + Sync, T: FromFields> FromRequest<S> for FormBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| Error::detail(rejection.status(), rejection.body_text()))?;
        let fields: Map<String, Value> = url::form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        Fields::new("body", fields).read().map(FormBody)
    }
}

/// Whether a request's body is declared as an HTML form (`application/x-www-form-urlencoded`).
pub fn is_urlencoded_form(headers: &axum::http::HeaderMap) -> bool {
    media_type(headers)
        .is_some_and(|m| m.essence_str() == mime::APPLICATION_WWW_FORM_URLENCODED.essence_str())
}

/// The request's declared `Content-Type`, parsed; `None` when absent or malformed.
pub fn media_type(headers: &axum::http::HeaderMap) -> Option<mime::Mime> {
    headers
        .get(header::CONTENT_TYPE)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// FastAPI's reading of a body: no body is a missing body; a non-JSON content type leaves the raw
/// text, which then fails as "not an object"; malformed JSON is `json_invalid` at its byte offset.
fn parse_body(bytes: &[u8], is_json: bool) -> Result<Value, Error> {
    if bytes.is_empty() {
        return Err(Error::field(FieldError::new(
            "missing",
            vec![json!("body")],
            "Field required",
            Value::Null,
        )));
    }
    if !is_json {
        return Ok(Value::String(String::from_utf8_lossy(bytes).into_owned()));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let offset = byte_offset(bytes, e.line(), e.column());
        Error::field(
            FieldError::new(
                "json_invalid",
                vec![json!("body"), json!(offset)],
                "JSON decode error",
                json!({}),
            )
            .with_ctx(json!({ "error": e.to_string() })),
        )
    })
}

/// serde_json reports line/column; FastAPI reports a character offset.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let before: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(|l| l.chars().count())
        .sum();
    before + column.saturating_sub(1)
}

/// The query string read into `T`; a repeated key keeps its last value, as Starlette does.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: FromFields> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let map: Map<String, Value> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        Fields::new("query", map).read().map(QueryParams)
    }
}

/// Path parameters read into `T`.
#[derive(Debug)]
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: FromFields> FromRequestParts<S> for PathParams<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|rejection| Error::detail(rejection.status(), rejection.body_text()))?;
        let map: Map<String, Value> = params
            .iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
            .collect();
        Fields::new("path", map).read().map(PathParams)
    }
}

/// `application/json` or any `application/...+json`, parameters ignored, as Starlette decides.
fn is_json(content_type: &str) -> bool {
    content_type.parse::<mime::Mime>().is_ok_and(|m| {
        m.type_() == mime::APPLICATION
            && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<Value, Error>) -> FieldError {
        match r {
            Err(Error::Validation(mut v)) => v.remove(0),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_json_invalid_with_offset() {
        let e = err(parse_body(b"{\"a\": }", true));
        assert_eq!(e.kind, "json_invalid");
        assert_eq!(e.loc, vec![json!("body"), json!(6)]);
        assert_eq!(e.msg, "JSON decode error");
    }

    #[test]
    fn empty_body_is_missing() {
        let e = err(parse_body(b"", true));
        assert_eq!(
            (e.kind.as_ref(), e.msg.as_str()),
            ("missing", "Field required")
        );
    }

    #[test]
    fn non_json_content_type_keeps_the_text() {
        assert_eq!(parse_body(b"a=b", false).unwrap(), json!("a=b"));
    }

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("json"));
    }
}
