//! Building and running the HTTP application. `main` only reads configuration and calls
//! [`Application::build`]; tests build the same application on port 0 with their own state.

use std::{future::Future, time::Duration};

use anyhow::Context;
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderName, HeaderValue, StatusCode, Uri},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tokio::net::TcpListener;
use tower::{Layer, ServiceBuilder};
use tower_http::{
    LatencyUnit,
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;
use crate::{client_ip::TrustedProxies, config::Config, error::ErrorBody, openapi::ApiDoc};

/// The API routes with their OpenAPI document.
pub fn api(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let _ = state;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        // Accounts, profiles, the catalog: the order of the document's tags and of a first visit.
        .nest("/api/v1/accounts", crate::accounts::router())
        .nest("/api/v1/profiles", crate::profiles::router())
        .nest("/api/v1/theater", crate::movies::router())
        .merge(crate::health::router())
        .split_for_parts()
}

/// The whole HTTP application: API, docs and service-wide middleware.
pub fn router(state: AppState) -> Router {
    crate::metrics::init();
    let (mut api, openapi) = api(&state);
    let config = state.config.clone();
    let request_id = HeaderName::from_static("x-request-id");

    if state.storage.serves_media() {
        api = api.route(
            "/media/{*key}",
            axum::routing::get(crate::storage::serve_media),
        );
    }
    let mut app = api
        .merge(crate::accounts::pages::router())
        .layer(middleware::from_fn(crate::metrics::track))
        .route("/metrics", axum::routing::get(crate::metrics::render))
        // Served by our own handler: the document is completed for today on each request (see
        // `openapi::document`).
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = crate::openapi::document(&openapi, chrono::Utc::now().date_naive());
                async move { Json(doc) }
            }),
        )
        .merge(
            SwaggerUi::new("/docs").config(
                utoipa_swagger_ui::Config::from("/openapi.json")
                    // A token from the Authorize dialog survives a reload of the page.
                    .persist_authorization(true),
            ),
        )
        .merge(crate::openapi::redoc_router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), timeout));
    if let Some(cors) = cors_layer(&config.cors_allowed_origins) {
        app = app.layer(cors);
    }
    app.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with({
                        let trusted = config.trusted_proxies.clone();
                        move |req: &Request| request_span(req, &trusted)
                    })
                    .on_response(
                        DefaultOnResponse::new()
                            .level(tracing::Level::INFO)
                            .latency_unit(LatencyUnit::Micros),
                    ),
            )
            .layer(PropagateRequestIdLayer::new(request_id))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(SetResponseHeaderLayer::if_not_present(
                HeaderName::from_static("x-content-type-options"),
                HeaderValue::from_static("nosniff"),
            )),
    )
    .with_state(state)
}

/// Every log line of a request carries its method, path, request id and client address (see
/// `client_ip`).
fn request_span(req: &Request, trusted: &TrustedProxies) -> tracing::Span {
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

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
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

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(ErrorBody {
            detail: "Not Found".into(),
        }),
    )
        .into_response()
}

async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(ErrorBody {
            detail: "Method Not Allowed".into(),
        }),
    )
        .into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    crate::error::Error::internal(
        crate::error::INTERNAL_ERROR,
        anyhow::anyhow!("handler panic"),
    )
    .into_response()
}

/// Per-request deadline (`REQUEST_TIMEOUT_SECONDS`), answered in the contract's error shape.
async fn timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
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
fn add_trailing_slash(mut req: Request) -> Request {
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

pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
}

impl Application {
    /// Connects, migrates and binds `config.bind`.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let state = AppState::init(config).await?;
        Self::with_state(state).await
    }

    /// Binds `state.config.bind` (port 0 picks a free port) for the given state.
    pub async fn with_state(state: AppState) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(state.config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", state.config.bind))?;
        Self::with_listener(state, listener)
    }

    /// Serves on a listener the caller bound (tests learn the port before building the state).
    pub fn with_listener(state: AppState, listener: TcpListener) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            port,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests (see `server` for the
    /// connection deadlines and the shutdown deadline). The background jobs (unless
    /// `BACKGROUND_JOBS=false`) run alongside and stop after the server; so does the revocation
    /// poll, which runs in any case, after a first load before the first request.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // Load before the first request; if the database is down now, the poll keeps trying and
        // access tokens are refused until it succeeds (see `Revocations::is_loaded`).
        if let Err(e) = self
            .state
            .revocations
            .refresh(&self.state.db, crate::rate_limit::now_ms())
            .await
        {
            tracing::error!("loading token revocations: {e}");
        }
        let stop_poll = tokio_util::sync::CancellationToken::new();
        let poll = tokio::spawn(crate::revocation::run_poller(
            self.state.db.clone(),
            self.state.revocations.clone(),
            stop_poll.clone(),
        ));
        let app = router(self.state.clone());
        crate::metrics::spawn_upkeep();
        let service = tower::util::MapRequestLayer::new(add_trailing_slash).layer(app);
        let background = self
            .state
            .config
            .background_jobs
            .then(|| crate::background::BackgroundJobs::spawn(&self.state));
        if self.state.config.catalog_writes == crate::config::CatalogWrites::Open {
            tracing::warn!(
                "CATALOG_WRITES=open: anyone, without a token, may create, change and delete movies"
            );
        }
        if self.state.config.email_log_links && self.state.config.email.is_none() {
            tracing::warn!(
                "EMAIL_LOG_LINKS=true: activation and password-reset tokens are written to the log (development only)"
            );
        }
        let address = self.listener.local_addr()?;
        tracing::info!(%address, "listening");
        let movies = crate::movies::store::count_movies(
            &self.state.db,
            &crate::movies::schema::Filters::default(),
        )
        .await
        .ok()
        .and_then(|n| u64::try_from(n).ok());
        tracing::info!("{}", summary(&self.state, address, movies));
        crate::server::serve(
            self.listener,
            service,
            self.state.config.connections,
            shutdown,
        )
        .await;
        if let Some(background) = background {
            background.stop().await;
        }
        stop_poll.cancel();
        let _ = poll.await;
        Ok(())
    }
}

/// The block `serve` logs once it listens: where to point a browser, what it runs on, and what to do
/// next, so a newcomer does not have to read the configuration to find out.
pub fn summary(state: &AppState, address: std::net::SocketAddr, movies: Option<u64>) -> String {
    let config = &state.config;
    // A wildcard address is not something to type into a browser.
    let host = match address.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let base = format!("http://{host}:{}", address.port());
    let mail = match &config.email {
        Some(smtp) => format!("SMTP at {}:{}", smtp.host, smtp.port),
        None => "not sent: each e-mail is logged as one line (set EMAIL_HOST to send)".to_owned(),
    };
    let catalog = match movies {
        Some(n) => format!("{n} movies"),
        None => "unknown (the count failed)".to_owned(),
    };
    let mut lines = vec![
        "Theater is running".to_owned(),
        format!("  API docs:  {base}/docs  (OpenAPI: {base}/openapi.json)"),
        format!("  database:  {}", crate::db::redact(&config.database_url)),
        format!("  avatars:   {}", state.storage.describe()),
        format!("  e-mail:    {mail}"),
        format!("  catalog:   {catalog}"),
    ];
    if movies == Some(0) {
        lines.push(
            "  next:      load movies: `theater seed path/to/imdb_movies.csv`, or without the file \
             `theater seed --synthetic 10000`"
                .to_owned(),
        );
    }
    lines.push(
        "  staff:     `theater users create --email you@example.com --group admin --active` makes an admin"
            .to_owned(),
    );
    lines.join("\n")
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
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
