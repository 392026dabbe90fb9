//! Building and running the HTTP application. `main` only reads configuration and calls
//! [`Application::build`]; tests build the same application on port 0 with their own state.

use std::future::Future;

use anyhow::Context;
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Request},
    http::{HeaderName, HeaderValue},
};
use tokio::net::TcpListener;
use tower::{Layer, ServiceBuilder};
use tower_http::{
    LatencyUnit,
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    config::Config,
    http::{middleware, openapi::ApiDoc},
    state::AppState,
};

/// The API routes with their OpenAPI document.
pub fn api(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let _ = state;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        // Accounts, profiles, the catalog: the order of the document's tags and of a first visit.
        .nest("/api/v1/accounts", crate::accounts::router())
        .nest("/api/v1/profiles", crate::profiles::router())
        .nest("/api/v1/theater", crate::movies::router())
        .nest("/api/v1/theater", crate::discovery::router())
        .nest("/api/v1/theater", crate::community::router())
        .nest("/api/v1/theater", crate::reviews::router())
        .nest("/api/v1/users", crate::notifications::router())
        // `/users/me/lists/…` and `/lists/…`.
        .nest("/api/v1", crate::lists::router())
        .nest("/api/v1/users", crate::accounts::users_router())
        .nest("/api/v1/admin", crate::admin::router())
        .merge(crate::http::health::router())
        .split_for_parts()
}

/// The whole HTTP application: API, docs and service-wide middleware.
pub fn router(state: AppState) -> Router {
    crate::http::metrics::init();
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
        .merge(crate::notifications::pages::router())
        .layer(axum::middleware::from_fn(crate::http::metrics::track))
        .route("/metrics", axum::routing::get(crate::http::metrics::render))
        // Served by our own handler: the document is completed for today on each request (see
        // `openapi::document`).
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = crate::http::openapi::document(&openapi, chrono::Utc::now().date_naive());
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
        .merge(crate::http::openapi::redoc_router())
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::timeout,
        ));
    if let Some(cors) = middleware::cors_layer(&config.cors_allowed_origins) {
        app = app.layer(cors);
    }
    app.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with({
                        let trusted = config.trusted_proxies.clone();
                        move |req: &Request| middleware::request_span(req, &trusted)
                    })
                    .on_response(
                        DefaultOnResponse::new()
                            .level(tracing::Level::INFO)
                            .latency_unit(LatencyUnit::Micros),
                    ),
            )
            .layer(PropagateRequestIdLayer::new(request_id))
            .layer(CatchPanicLayer::custom(middleware::panic_response))
            .layer(SetResponseHeaderLayer::if_not_present(
                HeaderName::from_static("x-content-type-options"),
                HeaderValue::from_static("nosniff"),
            )),
    )
    .with_state(state)
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
        // Load before the first request; if the database is down or busy now, the poll keeps
        // trying and access tokens are refused until it succeeds (see `Revocations::is_loaded`).
        // Bounded: serving must not wait for the pool's acquire timeout (10 s) at start-up.
        let first_load = tokio::time::timeout(
            crate::db::PROBE_TIMEOUT,
            self.state
                .revocations
                .refresh(&self.state.db, crate::rate_limit::now_ms()),
        )
        .await;
        match first_load {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("loading token revocations: {e}"),
            Err(_) => tracing::error!(
                "loading token revocations: no answer from the database within 2 s; the poll keeps trying"
            ),
        }
        let stop_poll = tokio_util::sync::CancellationToken::new();
        let poll = tokio::spawn(crate::revocation::run_poller(
            self.state.db.clone(),
            self.state.revocations.clone(),
            stop_poll.clone(),
        ));
        let watch = tokio::spawn(crate::catalog_cache::run_change_watcher(
            self.state.db.clone(),
            self.state.catalog_cache.clone(),
            self.state.config.catalog_change_poll,
            stop_poll.clone(),
        ));
        let app = router(self.state.clone());
        crate::http::metrics::spawn_upkeep();
        let service =
            tower::util::MapRequestLayer::new(crate::http::middleware::add_trailing_slash)
                .layer(app);
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
        // The summary counts the catalog, which must not hold up serving: with the pool busy (or a
        // large table) the count waited up to the pool's acquire timeout, 10 s during which no
        // connection was accepted (seen as /health taking 12 s). It is logged from its own task,
        // within the probe deadline; `catalog: unknown` when the count did not answer.
        tokio::spawn({
            let state = self.state.clone();
            async move {
                let all = crate::movies::wire::Filters::default();
                let count = crate::movies::store::count_movies(&state.db, &all);
                let movies = tokio::time::timeout(crate::db::PROBE_TIMEOUT, count)
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .and_then(|n| u64::try_from(n).ok());
                tracing::info!("{}", summary(&state, address, movies));
            }
        });
        crate::http::server::serve(
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
        let _ = watch.await;
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
