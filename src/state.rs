//! The application state: what every handler and background job gets, built from the configuration.
//! It sits below the domains (they import it; it imports only the services it holds), and the
//! composition root (`startup`) builds the routers over it.

use std::sync::Arc;

use axum::extract::FromRef;
use sea_orm::DatabaseConnection;

use crate::{
    accounts::AccountLimits, auth::Tokens, config::Config, mail::Mail, movies::cache::CatalogCache,
    revocation::Revocations, storage::Storage,
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
    /// Rate limits of login, registration and the account e-mails (state in the database).
    pub account_limits: Arc<AccountLimits>,
    /// Recent access-token revocations, kept current by a poll (see `revocation`).
    pub revocations: Arc<Revocations>,
    /// Rendered movie details and list pages (see `movies::cache`).
    pub catalog_cache: Arc<CatalogCache>,
    /// What `/ready` knows beyond its checks (the draining flag).
    pub readiness: Arc<crate::http::health::ReadinessState>,
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
        let account_limits = AccountLimits::from_config(&config);
        let revocations = Revocations::new(config.jwt.access_lifetime);
        let catalog_cache = CatalogCache::new(config.catalog_cache_ttl);
        Ok(Self {
            config: Arc::new(config),
            db,
            tokens: Arc::new(tokens),
            storage,
            mail: Arc::new(mail),
            account_limits: Arc::new(account_limits),
            revocations: Arc::new(revocations),
            catalog_cache: Arc::new(catalog_cache),
            readiness: Arc::default(),
        })
    }
}
