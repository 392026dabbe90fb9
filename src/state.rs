//! The application state: what every handler and background job gets, built from the configuration.
//! It sits below the domains (they import it; it imports only the services it holds), and the
//! composition root (`startup`) builds the routers over it.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use axum::extract::FromRef;
use sea_orm::DatabaseConnection;

use crate::{
    auth::Tokens, catalog_cache::CatalogCache, config::Config, http::client_ip::TrustedProxies,
    mail::Mail, revocation::Revocations, storage::Storage,
};

/// What every handler gets.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub tokens: Arc<Tokens>,
    pub storage: Storage,
    /// E-mail templates, the outbox and its transport (tests swap in lettre's stub transport).
    pub mail: Arc<Mail>,
    /// The proxies whose forwarding headers name the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Recent access-token revocations, kept current by a poll (see `revocation`).
    pub revocations: Arc<Revocations>,
    /// Rendered movie details and list pages (see `catalog_cache`).
    pub catalog_cache: Arc<CatalogCache>,
    /// What `/ready` knows beyond its checks (the draining flag).
    pub readiness: Arc<ReadinessState>,
}

impl AppState {
    /// Connects to the database, applies pending migrations and prepares the token keys.
    pub async fn init(config: Config) -> anyhow::Result<Self> {
        let db = crate::db::connect(&config.database_url, config.database_max_connections).await?;
        crate::db::migrate(&db).await?;
        Self::with_db(config, db)
    }

    /// State over an existing, migrated connection (tests, CLI commands).
    pub fn with_db(config: Config, db: DatabaseConnection) -> anyhow::Result<Self> {
        let tokens = Tokens::from_config(&config.jwt, &config.data_dir)?;
        let storage = Storage::from_config(&config)?;
        let mail = Mail::from_config(&config)?;
        let trusted_proxies = Arc::new(config.trusted_proxies.clone());
        let revocations = Revocations::new(config.jwt.access_lifetime);
        let catalog_cache = CatalogCache::new(
            config.catalog_cache_ttl,
            config.catalog_index_bytes,
            config.catalog_change_poll,
        );
        Ok(Self {
            config: Arc::new(config),
            db,
            tokens: Arc::new(tokens),
            storage,
            mail: Arc::new(mail),
            trusted_proxies,
            revocations: Arc::new(revocations),
            catalog_cache: Arc::new(catalog_cache),
            readiness: Arc::default(),
        })
    }
}

/// What readiness knows beyond its checks. Issue #14 will set `draining` on SIGTERM so that an
/// instance leaves the load balancer before it stops; nothing sets it yet.
#[derive(Debug, Default)]
pub struct ReadinessState {
    draining: AtomicBool,
}

impl ReadinessState {
    /// From now on `/ready` answers 503 `draining`.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}
