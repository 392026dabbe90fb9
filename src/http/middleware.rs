//! The service-wide middleware and fallbacks: the request span, CORS, the contract's 404 and 405
//! bodies, caught panics, the request deadline and the trailing-slash rewrite. `startup` stacks them.

use std::time::Duration;

use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderName, HeaderValue, StatusCode, Uri},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::{error::ErrorBody, http::client_ip::TrustedProxies, state::AppState};

/// Every log line of a request carries its method, path, request id and client address (see
/// `client_ip`).
pub(crate) fn request_span(req: &Request, trusted: &TrustedProxies) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let client = ClientField {
        peer: req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip()),
        headers: req.headers(),
        trusted,
    };
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id, client = %client)
}

/// The client address of the log span, worked out only when a subscriber formats it: with the span
/// disabled (`RUST_LOG=warn`) no request pays for walking the forwarding headers or a `String`.
struct ClientField<'a> {
    peer: Option<std::net::IpAddr>,
    headers: &'a axum::http::HeaderMap,
    trusted: &'a TrustedProxies,
}

impl std::fmt::Display for ClientField<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.peer {
            Some(peer) => write!(f, "{}", self.trusted.client(peer, self.headers)),
            None => f.write_str("-"),
        }
    }
}

pub(crate) fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    use axum::http::header;
    if origins.is_empty() {
        return None;
    }
    // Listed, not `*`: the Fetch standard never lets the wildcard cover `Authorization`, so browsers
    // refused every call to a protected endpoint. These are the request headers the API reads.
    let request_id = HeaderName::from_static("x-request-id");
    let layer = CorsLayer::new()
        .allow_methods(tower_http::cors::Any)
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            request_id.clone(),
        ])
        // Scripts may read the request id (for a bug report) and when to retry after a 429.
        .expose_headers([request_id, header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    if origins.iter().any(|o| o == "*") {
        return Some(layer.allow_origin(tower_http::cors::Any));
    }
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(layer.allow_origin(AllowOrigin::list(list)))
}

pub(crate) async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(ErrorBody {
            detail: "Not Found".into(),
        }),
    )
        .into_response()
}

pub(crate) async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(ErrorBody {
            detail: "Method Not Allowed".into(),
        }),
    )
        .into_response()
}

pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    crate::error::Error::internal(
        crate::error::INTERNAL_ERROR,
        anyhow::anyhow!("handler panic"),
    )
    .into_response()
}

/// Per-request deadline (`REQUEST_TIMEOUT_SECONDS`), answered in the contract's error shape.
pub(crate) async fn timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(state.config.request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(ErrorBody {
                    detail: "The request took too long to process.".into(),
                }),
            )
                .into_response()
        }
    }
}

/// The contract's paths end in `/`, and the same path without it must work too. Axum routes are exact,
/// so API paths are normalised before routing (a rewrite, not a redirect: clients that do not follow
/// redirects for POST still work). Other paths (`/media/...`, `/docs/...`) are served as they are.
pub(crate) fn add_trailing_slash(mut req: Request) -> Request {
    let path = req.uri().path();
    if path.starts_with("/api/") && !path.ends_with('/') {
        let rewritten = match req.uri().query() {
            Some(q) => format!("{path}/?{q}"),
            None => format!("{path}/"),
        };
        if let Ok(uri) = rewritten.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(uri: &str) -> String {
        let req = Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        add_trailing_slash(req).uri().to_string()
    }

    #[test]
    fn api_paths_get_their_trailing_slash() {
        assert_eq!(path("/api/v1/theater/movies"), "/api/v1/theater/movies/");
        assert_eq!(
            path("/api/v1/theater/movies?page=2"),
            "/api/v1/theater/movies/?page=2"
        );
        assert_eq!(path("/api/v1/theater/movies/"), "/api/v1/theater/movies/");
        assert_eq!(path("/media/avatars/1_a.jpg"), "/media/avatars/1_a.jpg");
        assert_eq!(path("/docs"), "/docs");
    }
}
