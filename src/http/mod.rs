//! The HTTP machinery every domain shares, in one place: the accept loop with its connection
//! deadlines (`server`), the extractors that turn bodies, forms, query strings and paths into request
//! types with FastAPI's 422 (`extract`), the client address behind trusted proxies (`client_ip`), the
//! service-wide middleware and fallbacks (`middleware`), health and readiness (`health`), metrics
//! (`metrics`) and the API documents (`openapi`: the OpenAPI document, Swagger UI's set-up, ReDoc).
//! Domains use these; nothing here knows a domain's rules.

pub mod client_ip;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod paging;
pub mod server;

/// A response of already serialised JSON (the bodies the catalog cache keeps).
pub fn json_bytes(body: bytes::Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let content_type = axum::http::HeaderValue::from_static("application/json");
    ([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response()
}
