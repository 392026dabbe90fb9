//! Settings, read once at start-up from the environment (and an optional `.env`).
//!
//! Variable names are those of the FastAPI original (`POSTGRES_*`, `SECRET_KEY_*`, `EMAIL_*`, `MINIO_*`)
//! so an existing `.env` keeps working. Every setting has an embedded default that lets
//! `theater serve` run on a fresh machine: SQLite under `./data/`, avatars on the local disk, mail to
//! the log. A malformed value stops start-up with one line naming the variable.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use jsonwebtoken::Algorithm;
pub use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::http::client_ip::TrustedProxies;

/// The database URL. `Debug` masks its password (a `{config:?}` in a log must not print it); the
/// URL itself is reached through `Deref`, as a `&str`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(pub String);

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", crate::db::redact(&self.0))
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl PartialEq<&str> for DatabaseUrl {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A setting that could not be used; `Display` is the one line printed before exiting.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl ConfigError {
    fn new(var: &'static str, reason: impl Into<String>) -> Self {
        Self {
            var,
            reason: reason.into(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`, else built from `POSTGRES_*`, else `sqlite://{DATA_DIR}/theater.db`.
    pub database_url: DatabaseUrl,
    /// `DATABASE_MAX_CONNECTIONS`; the default suits the backend (see [`default_pool_size`]).
    pub database_max_connections: u32,
    /// `BIND_ADDRESS` + `PORT`, default `0.0.0.0:8000`.
    pub bind: SocketAddr,
    /// `DATA_DIR`, default `./data`: SQLite file, local avatars, generated secrets.
    pub data_dir: PathBuf,
    /// `APP_BASE_URL`, default `http://127.0.0.1:8000`: absolute links in e-mails and avatar URLs.
    pub app_base_url: String,
    pub jwt: JwtConfig,
    /// `EMAIL_*`; `None` (no `EMAIL_HOST`) writes e-mails to the log instead of SMTP.
    pub email: Option<SmtpConfig>,
    /// `EMAIL_TEMPLATES_DIR`: overrides the built-in e-mail templates, file by file.
    pub email_templates_dir: Option<PathBuf>,
    /// `MINIO_*`; `None` (no `MINIO_HOST`) stores avatars under `{DATA_DIR}/media`.
    pub s3: Option<S3Config>,
    /// `CATALOG_WRITES`: `staff` (default) or `open` (anonymous writes, as the original).
    pub catalog_writes: CatalogWrites,
    /// `LOGIN_RATE_LIMIT` failed password attempts per `LOGIN_RATE_WINDOW_SECONDS` per client address
    /// and e-mail (see `accounts::limiter`); `0` disables every login limit (load tests).
    pub login_rate_limit: u32,
    pub login_rate_window: Duration,
    /// `REQUEST_TIMEOUT_SECONDS`, default 30.
    pub request_timeout: Duration,
    /// `MAX_BODY_BYTES` for JSON bodies, default 1 MiB.
    pub max_body_bytes: usize,
    /// `LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `CORS_ALLOWED_ORIGINS`: comma-separated origins, `*` for any; empty (default) sends no CORS headers.
    pub cors_allowed_origins: Vec<String>,
    /// `BACKGROUND_JOBS`, default true: `serve` runs the e-mail outbox worker and the hourly
    /// housekeeping (expired tokens, old sent mail). `false` leaves them to another process (several
    /// may run at once safely) or, in tests, to the test itself.
    pub background_jobs: bool,
    /// `CATALOG_CACHE_TTL_SECONDS`, default 2: how long rendered movie details and list pages are
    /// reused; a safety net for changes made outside this process, which the `catalog_version` poll
    /// (`CATALOG_CHANGE_POLL_MS`) brings sooner. `0` disables it.
    pub catalog_cache_ttl: Duration,
    /// `CATALOG_INDEX_MB`, default 64: memory for the ordered ids of listings (every page of one
    /// filter set, search and sort is then a slice of one list; see `catalog_cache`). `0` disables it.
    pub catalog_index_bytes: u64,
    /// `CATALOG_CHANGE_POLL_MS`, default 50: how often `catalog_version` is read, so that other
    /// processes' catalog writes reach the caches. `0` disables it (the TTLs then bound staleness).
    pub catalog_change_poll: Duration,
    /// `EMAIL_LOG_LINKS`, default false (development only): without `EMAIL_HOST`, the logged line of an
    /// e-mail shows its link whole, token included, so an account can be activated from the log.
    pub email_log_links: bool,
    /// Connection and dependency deadlines (one block, see [`ConnectionSettings`]).
    pub connections: ConnectionSettings,

    // ---- Client address and abuse limits (see `client_ip`, `accounts::limiter`) ----
    /// `TRUSTED_PROXIES`: comma-separated CIDRs whose `X-Forwarded-For` / `Forwarded` headers name
    /// the client. Default empty: trust nobody, the TCP peer is the client.
    pub trusted_proxies: TrustedProxies,
    /// `LOGIN_ADDRESS_RATE_LIMIT`, default 100: failed password attempts per client address across
    /// all e-mails per `LOGIN_RATE_WINDOW_SECONDS` (one client spraying many accounts). `0`: off.
    pub login_address_rate_limit: u32,
    /// `LOGIN_SLOWDOWN_MAX_MS`, default 3000: the longest delay added to a login for an e-mail that
    /// has had more than `LOGIN_RATE_LIMIT` failures from all addresses together in the window.
    pub login_slowdown_max: Duration,
    /// `ACCOUNT_EMAIL_RATE_LIMIT`, default 5: registrations, activation resends and password-reset
    /// requests (each counted separately) per e-mail per `ACCOUNT_RATE_WINDOW_SECONDS`. `0`: off.
    pub account_email_rate_limit: u32,
    /// `ACCOUNT_ADDRESS_RATE_LIMIT`, default 300: the same per client address. `0`: off.
    pub account_address_rate_limit: u32,
    /// `ACCOUNT_RATE_WINDOW_SECONDS`, default 900.
    pub account_rate_window: Duration,
    /// `COMMUNITY_RATE_LIMIT`, default 120: community writes (ratings, reactions, list changes, and the reviews,
    /// replies and reports to come) per user per `COMMUNITY_RATE_WINDOW_SECONDS`. `0`: off.
    pub community_rate_limit: u32,
    /// `COMMUNITY_RATE_WINDOW_SECONDS`, default 60.
    pub community_rate_window: Duration,
}

/// How long the service waits for clients and for its storage, and how many clients it serves at
/// once. Every value is bounded so that a slow or silent peer costs a known, small amount.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionSettings {
    /// `HTTP_HEADER_READ_TIMEOUT_SECONDS`, default 10: from the first byte of a request to the end
    /// of its headers. A client that sends part of a request and stops (slowloris) is closed after it.
    pub header_read_timeout: Duration,
    /// `HTTP_IDLE_TIMEOUT_SECONDS`, default 60: a keep-alive connection with no request for this
    /// long is closed.
    pub idle_timeout: Duration,
    /// `HTTP_MAX_CONNECTIONS`: connections served at once; further ones wait in the listen backlog
    /// until one closes. Default: 10,000, or less when the open-file limit is lower (see
    /// [`default_max_connections`]).
    pub max_connections: usize,
    /// `SHUTDOWN_TIMEOUT_SECONDS`, default 20: on SIGTERM, how long in-flight requests may finish
    /// before the remaining connections are closed.
    pub shutdown_timeout: Duration,
    /// `STORAGE_TIMEOUT_SECONDS`, default 10: the longest one object-storage call (upload, delete,
    /// read, readiness check) may take, retries included.
    pub storage_timeout: Duration,
}

impl ConnectionSettings {
    fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        let max_connections = match env.get_nonempty("HTTP_MAX_CONNECTIONS") {
            Some(_) => env.parse_num("HTTP_MAX_CONNECTIONS", 0usize)?,
            None => default_max_connections(),
        };
        if max_connections == 0 {
            return Err(ConfigError::new(
                "HTTP_MAX_CONNECTIONS",
                "must be at least 1",
            ));
        }
        Ok(Self {
            header_read_timeout: env.parse_seconds("HTTP_HEADER_READ_TIMEOUT_SECONDS", 10)?,
            idle_timeout: env.parse_seconds("HTTP_IDLE_TIMEOUT_SECONDS", 60)?,
            max_connections,
            shutdown_timeout: env.parse_seconds("SHUTDOWN_TIMEOUT_SECONDS", 20)?,
            storage_timeout: env.parse_seconds("STORAGE_TIMEOUT_SECONDS", 10)?,
        })
    }
}

/// 10,000 connections, but never more than the open-file limit allows with room to spare for the
/// database pool, SMTP, S3 and files: past the limit `accept` fails and so do those.
pub fn default_max_connections() -> usize {
    const CAP: usize = 10_000;
    const RESERVED_FILES: u64 = 256;
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    match limit {
        Some(files) => usize::try_from(files.saturating_sub(RESERVED_FILES))
            .unwrap_or(CAP)
            .clamp(1, CAP),
        None => CAP,
    }
}

#[derive(Clone, Debug)]
pub struct JwtConfig {
    /// `SECRET_KEY_ACCESS`; when unset, `serve` generates one and keeps it in the data directory.
    pub secret_access: Option<JwtSecret>,
    /// `SECRET_KEY_REFRESH`; as above.
    pub secret_refresh: Option<JwtSecret>,
    /// `JWT_SIGNING_ALGORITHM`, default `HS256`; only the HMAC family (shared secrets) is accepted.
    pub algorithm: Algorithm,
    /// Access tokens live 60 minutes (contract).
    pub access_lifetime: Duration,
    /// `LOGIN_TIME_DAYS`, default 7.
    pub refresh_lifetime: Duration,
}

#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    /// `EMAIL_PORT`, default 25.
    pub port: u16,
    /// `EMAIL_HOST_USER`: the sender address and the AUTH user name.
    pub user: Option<String>,
    pub password: Option<SecretString>,
    /// `EMAIL_USE_TLS`: STARTTLS is required when true.
    pub use_tls: bool,
}

#[derive(Clone, Debug)]
pub struct S3Config {
    pub host: String,
    /// `MINIO_PORT`, default 9000.
    pub port: u16,
    pub access_key: String,
    pub secret_key: SecretString,
    /// `MINIO_STORAGE`, default `theater-storage`.
    pub bucket: String,
    /// `MINIO_PUBLIC_URL`: where browsers reach the bucket, when not at the address the service
    /// uses (compose: the service talks to `minio:9000`, a browser on the host to
    /// `localhost:9000`). Avatar URLs are `{MINIO_PUBLIC_URL}/{key}`; default
    /// `http://{MINIO_HOST}:{MINIO_PORT}/{MINIO_STORAGE}`, the contract's form.
    pub public_url: Option<String>,
}

impl S3Config {
    pub fn endpoint(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// The prefix of avatar URLs (no trailing `/`).
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("{}/{}", self.endpoint(), self.bucket),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatalogWrites {
    Open,
    Staff,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// Reads the process environment (after `.env` has been loaded by the caller).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let data_dir = PathBuf::from(env.get("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = database_url(&env, &data_dir)?;
        let database_max_connections = match env.get("DATABASE_MAX_CONNECTIONS") {
            Some(_) => env.parse_num("DATABASE_MAX_CONNECTIONS", 1u32)?,
            None => default_pool_size(&database_url),
        };

        let host = env.get("BIND_ADDRESS").unwrap_or_else(|| "0.0.0.0".into());
        let port: u16 = env.parse_num("PORT", 8000)?;
        let bind = format!("{host}:{port}")
            .parse::<SocketAddr>()
            .or_else(|_| format!("[{host}]:{port}").parse())
            .map_err(|_| {
                ConfigError::new("BIND_ADDRESS", format!("{host:?} is not an IP address"))
            })?;

        let app_base_url = http_url(
            "APP_BASE_URL",
            &env.get("APP_BASE_URL")
                .unwrap_or_else(|| "http://127.0.0.1:8000".into()),
        )?;

        let algorithm = match env.get("JWT_SIGNING_ALGORITHM").as_deref() {
            None | Some("HS256") => Algorithm::HS256,
            Some("HS384") => Algorithm::HS384,
            Some("HS512") => Algorithm::HS512,
            Some(other) => {
                return Err(ConfigError::new(
                    "JWT_SIGNING_ALGORITHM",
                    format!("{other:?} is not supported; use HS256, HS384 or HS512"),
                ));
            }
        };
        let login_days: u64 = env.parse_num("LOGIN_TIME_DAYS", 7)?;
        let (secret_access, secret_refresh) = jwt_secrets(&env)?;
        let jwt = JwtConfig {
            secret_access,
            secret_refresh,
            algorithm,
            access_lifetime: Duration::from_secs(60 * 60),
            refresh_lifetime: Duration::from_secs(login_days * 24 * 60 * 60),
        };

        let email = match env.get_nonempty("EMAIL_HOST") {
            None => None,
            Some(host) => Some(SmtpConfig {
                host,
                port: env.parse_num("EMAIL_PORT", 25)?,
                user: env.get_nonempty("EMAIL_HOST_USER"),
                password: env
                    .get_nonempty("EMAIL_HOST_PASSWORD")
                    .map(SecretString::from),
                use_tls: env.parse_bool("EMAIL_USE_TLS", false)?,
            }),
        };

        let s3 = match env.get_nonempty("MINIO_HOST") {
            None => None,
            Some(host) => Some(S3Config {
                host,
                port: env.parse_num("MINIO_PORT", 9000)?,
                access_key: env.require("MINIO_ROOT_USER")?,
                secret_key: env.require("MINIO_ROOT_PASSWORD")?.into(),
                bucket: env
                    .get_nonempty("MINIO_STORAGE")
                    .unwrap_or_else(|| "theater-storage".into()),
                public_url: match env.get_nonempty("MINIO_PUBLIC_URL") {
                    None => None,
                    Some(url) => Some(http_url("MINIO_PUBLIC_URL", url.trim())?),
                },
            }),
        };

        let catalog_writes = catalog_writes(&env)?;
        let log_format = match env.get("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("{other:?} is not one of: text, json"),
                ));
            }
        };
        let cors_allowed_origins = env
            .get("CORS_ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();

        Ok(Self {
            database_url: DatabaseUrl(database_url),
            database_max_connections,
            bind,
            data_dir,
            app_base_url,
            jwt,
            email,
            email_templates_dir: env.get_nonempty("EMAIL_TEMPLATES_DIR").map(PathBuf::from),
            s3,
            catalog_writes,
            login_rate_limit: env.parse_num("LOGIN_RATE_LIMIT", 10)?,
            login_rate_window: Duration::from_secs(
                env.parse_num("LOGIN_RATE_WINDOW_SECONDS", 900)?,
            ),
            request_timeout: Duration::from_secs(env.parse_num("REQUEST_TIMEOUT_SECONDS", 30)?),
            max_body_bytes: env.parse_num("MAX_BODY_BYTES", 1024 * 1024)?,
            log_format,
            cors_allowed_origins,
            background_jobs: env.parse_bool("BACKGROUND_JOBS", true)?,
            catalog_cache_ttl: Duration::from_secs(env.parse_num("CATALOG_CACHE_TTL_SECONDS", 2)?),
            catalog_index_bytes: env
                .parse_num::<u64>("CATALOG_INDEX_MB", 64)?
                .saturating_mul(1024 * 1024),
            catalog_change_poll: Duration::from_millis(
                env.parse_num("CATALOG_CHANGE_POLL_MS", 50)?,
            ),
            email_log_links: env.parse_bool("EMAIL_LOG_LINKS", false)?,
            connections: ConnectionSettings::from_env(&env)?,
            trusted_proxies: TrustedProxies::parse(&env.get("TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|reason| ConfigError::new("TRUSTED_PROXIES", reason))?,
            login_address_rate_limit: env.parse_num("LOGIN_ADDRESS_RATE_LIMIT", 100)?,
            login_slowdown_max: Duration::from_millis(
                env.parse_num("LOGIN_SLOWDOWN_MAX_MS", 3000)?,
            ),
            account_email_rate_limit: env.parse_num("ACCOUNT_EMAIL_RATE_LIMIT", 5)?,
            account_address_rate_limit: env.parse_num("ACCOUNT_ADDRESS_RATE_LIMIT", 300)?,
            account_rate_window: Duration::from_secs(
                env.parse_num("ACCOUNT_RATE_WINDOW_SECONDS", 900)?,
            ),
            community_rate_limit: env.parse_num("COMMUNITY_RATE_LIMIT", 120)?,
            community_rate_window: Duration::from_secs(
                env.parse_num("COMMUNITY_RATE_WINDOW_SECONDS", 60)?,
            ),
        })
    }
}

/// SQLite serialises writers anyway and answers reads from memory-mapped pages: a few connections per
/// core are enough. PostgreSQL gets a pool sized for a small server.
pub fn default_pool_size(database_url: &str) -> u32 {
    if database_url.starts_with("sqlite:") {
        8
    } else {
        16
    }
}

/// An absolute `http(s)://` URL, without a trailing `/`.
fn http_url(var: &'static str, value: &str) -> Result<String, ConfigError> {
    let parsed = Url::parse(value)
        .map_err(|e| ConfigError::new(var, format!("{value:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError::new(var, "must start with http:// or https://"));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

fn database_url(env: &Env<'_>, data_dir: &std::path::Path) -> Result<String, ConfigError> {
    if let Some(url) = env.get_nonempty("DATABASE_URL") {
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        return Ok(url);
    }
    if let Some(host) = env.get_nonempty("POSTGRES_HOST") {
        // The original names the port POSTGRES_DB_PORT; POSTGRES_PORT is accepted too.
        let port: u16 = if env.get("POSTGRES_DB_PORT").is_some() {
            env.parse_num("POSTGRES_DB_PORT", 5432)?
        } else {
            env.parse_num("POSTGRES_PORT", 5432)?
        };
        let user = env
            .get_nonempty("POSTGRES_USER")
            .unwrap_or_else(|| "postgres".into());
        let db = env
            .get_nonempty("POSTGRES_DB")
            .unwrap_or_else(|| "theater".into());
        let mut url = Url::parse("postgres://localhost/")
            .map_err(|e| ConfigError::new("POSTGRES_HOST", e.to_string()))?;
        url.set_host(Some(&host))
            .map_err(|e| ConfigError::new("POSTGRES_HOST", format!("{host:?}: {e}")))?;
        let _ = url.set_port(Some(port));
        let _ = url.set_username(&user);
        if let Some(password) = env.get_nonempty("POSTGRES_PASSWORD") {
            let _ = url.set_password(Some(&password));
        }
        url.set_path(&db);
        return Ok(url.to_string());
    }
    Ok(format!("sqlite://{}/theater.db", data_dir.display()))
}

// --- Hardening (issue #8): JWT secrets, catalog writes -------------------------------------------

/// The shortest JWT secret accepted: the HMAC key must be at least as long as the SHA-256 output
/// (RFC 7518 §3.2), and anything shorter is within reach of an offline guess at a captured token.
pub const MIN_SECRET_BYTES: usize = 32;

/// How the refusals tell an operator to make a good secret.
const GENERATE_HINT: &str = "generate one with `openssl rand -hex 32` or `python3 -c 'import secrets; print(secrets.token_hex(32))'`";

/// A JWT signing secret that is long enough and not a published example. It can only be built by
/// [`JwtSecret::parse`] (or generated), so a weak secret never reaches the token keys; `Debug` never
/// prints it.
/// A JWT signing secret: never printed (`Debug` says `JwtSecret(..)`), zeroed when dropped.
#[derive(Clone)]
pub struct JwtSecret(SecretString);

impl PartialEq for JwtSecret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtSecret(..)")
    }
}

impl JwtSecret {
    /// Accepts `value` as the secret of `var`: at least [`MIN_SECRET_BYTES`] bytes and none of the
    /// values `.env.example` ships (anyone can read them, so a token signed with one is forgeable).
    pub fn parse(var: &'static str, value: String) -> Result<Self, ConfigError> {
        if example_values().any(|example| example == value) {
            return Err(ConfigError::new(
                var,
                format!("is the example value from .env.example; {GENERATE_HINT}"),
            ));
        }
        if value.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::new(
                var,
                format!(
                    "is {} bytes long; a secret needs at least {MIN_SECRET_BYTES}: {GENERATE_HINT}",
                    value.len()
                ),
            ));
        }
        Ok(Self(value.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// Every value assigned in `.env.example`, commented-out lines included, read at compile time so the
/// list of refused secrets cannot drift from the file people copy.
fn example_values() -> impl Iterator<Item = &'static str> {
    include_str!("../.env.example").lines().filter_map(|line| {
        let line = line.trim_start_matches(['#', ' ']);
        let (name, value) = line.split_once('=')?;
        let is_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        (is_name && !value.trim().is_empty()).then(|| value.trim())
    })
}

/// `SECRET_KEY_ACCESS` and `SECRET_KEY_REFRESH`, each checked by [`JwtSecret::parse`]; unset ones are
/// generated later (see `auth::Tokens::from_config`).
fn jwt_secrets(env: &Env<'_>) -> Result<(Option<JwtSecret>, Option<JwtSecret>), ConfigError> {
    let parse = |var| {
        env.get_nonempty(var)
            .map(|v| JwtSecret::parse(var, v))
            .transpose()
    };
    let access = parse("SECRET_KEY_ACCESS")?;
    let refresh = parse("SECRET_KEY_REFRESH")?;
    if let (Some(a), Some(r)) = (&access, &refresh) {
        ensure_distinct_secrets(a, r)?;
    }
    Ok((access, refresh))
}

/// One secret for both kinds would make every refresh token a valid access token (same claims).
pub fn ensure_distinct_secrets(access: &JwtSecret, refresh: &JwtSecret) -> Result<(), ConfigError> {
    if access == refresh {
        return Err(ConfigError::new(
            "SECRET_KEY_REFRESH",
            "must differ from SECRET_KEY_ACCESS",
        ));
    }
    Ok(())
}

/// `CATALOG_WRITES`: `staff` unless set. Open writes let anyone delete the catalog, so they must be
/// asked for (the original's clients and test suite do) and are logged as a warning at start-up.
fn catalog_writes(env: &Env<'_>) -> Result<CatalogWrites, ConfigError> {
    match env.get("CATALOG_WRITES").as_deref().map(str::trim) {
        None | Some("" | "staff") => Ok(CatalogWrites::Staff),
        Some("open") => Ok(CatalogWrites::Open),
        Some(other) => Err(ConfigError::new(
            "CATALOG_WRITES",
            format!("{other:?} is not one of: staff, open"),
        )),
    }
}

/// One setting as `theater --help` lists it.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    pub name: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

/// Every variable Theater reads, in README's order, one per line of `settings.tsv`: name, default
/// (empty for none) and a one-line help, tab-separated. A unit test checks the list against what
/// [`Config::from_lookup`] actually reads, and README's table against it (README says more).
const SETTINGS_TABLE: &str = include_str!("settings.tsv");

/// The settings of [`SETTINGS_TABLE`], for `--help`.
pub fn settings() -> impl Iterator<Item = Setting> {
    SETTINGS_TABLE.lines().filter_map(|line| {
        let mut fields = line.splitn(3, '\t');
        Some(Setting {
            name: fields.next()?,
            default: fields.next()?,
            help: fields.next()?,
        })
    })
}

/// The settings block of `theater --help`: each variable with its current value's source.
pub fn settings_help() -> String {
    use std::fmt::Write;
    let width = settings().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = String::from(
        "Settings (environment variables, or a .env file in the working directory; README has the details):\n",
    );
    for s in settings() {
        let default = if s.default.is_empty() {
            String::new()
        } else {
            format!(" [default: {}]", s.default)
        };
        let _ = writeln!(out, "  {:width$}  {}{default}", s.name, s.help);
    }
    out
}

struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }

    fn get_nonempty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    fn require(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get_nonempty(name)
            .ok_or_else(|| ConfigError::new(name, "is required when MINIO_HOST is set"))
    }

    fn parse_num<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        match self.get_nonempty(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| {
                ConfigError::new(name, format!("{v:?} is not a valid non-negative number"))
            }),
        }
    }

    /// Whole seconds, at least 1 (a zero deadline would close every connection at once).
    fn parse_seconds(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        match self.parse_num(name, default)? {
            0 => Err(ConfigError::new(name, "must be at least 1 second")),
            secs => Ok(Duration::from_secs(secs)),
        }
    }

    fn parse_bool(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self
            .get_nonempty(name)
            .map(|v| v.trim().to_ascii_lowercase())
        {
            None => Ok(default),
            Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
            Some(v) => Err(ConfigError::new(
                name,
                format!("{v:?} is not true or false"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    /// The names `from_lookup` asks for, with `vars` set (some are read only when others are set).
    fn names_read(vars: &[(&str, &str)]) -> std::collections::BTreeSet<String> {
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        let _ = Config::from_lookup(|k| {
            asked.borrow_mut().insert(k.to_owned());
            map.get(k).map(|v| (*v).to_owned())
        });
        asked.into_inner()
    }

    #[test]
    fn help_lists_every_setting_read_and_readme_documents_each() {
        let mut read = names_read(&[]);
        read.extend(names_read(&[
            ("POSTGRES_HOST", "db"),
            ("EMAIL_HOST", "smtp"),
            ("MINIO_HOST", "s3"),
            ("MINIO_ROOT_USER", "u"),
            ("MINIO_ROOT_PASSWORD", "p"),
        ]));
        read.extend(names_read(&[
            ("POSTGRES_HOST", "db"),
            ("POSTGRES_DB_PORT", "1"),
        ]));
        // Read by the log subscriber (tracing's EnvFilter), not by `Config`.
        read.insert("RUST_LOG".to_owned());
        let lines = SETTINGS_TABLE.lines().count();
        assert_eq!(
            settings().count(),
            lines,
            "a line of settings.tsv lacks a field"
        );
        let listed: std::collections::BTreeSet<String> =
            settings().map(|s| s.name.to_owned()).collect();
        assert_eq!(
            read, listed,
            "settings.tsv and Config::from_lookup disagree"
        );
        assert_eq!(listed.len(), lines, "a setting is listed twice");

        let readme = include_str!("../README.md");
        for s in settings() {
            assert!(
                readme.contains(&format!("`{}`", s.name)),
                "README lacks {}",
                s.name
            );
        }
        let help = settings_help();
        assert!(help.contains("CATALOG_WRITES"));
        assert!(help.contains("[default: staff]"));
    }

    #[test]
    fn debug_output_names_no_secret() {
        let c = config(&[
            ("DATABASE_URL", "postgres://app:db-Passw0rd@db/theater"),
            ("EMAIL_HOST", "smtp"),
            ("EMAIL_HOST_PASSWORD", "smtp-Passw0rd"),
            ("MINIO_HOST", "s3"),
            ("MINIO_ROOT_USER", "u"),
            ("MINIO_ROOT_PASSWORD", "s3-Passw0rd"),
            (
                "SECRET_KEY_ACCESS",
                "access-0123456789abcdef0123456789abcdef",
            ),
            (
                "SECRET_KEY_REFRESH",
                "refresh-0123456789abcdef0123456789abcdef",
            ),
        ])
        .unwrap();
        let printed = format!("{c:?}");
        for secret in [
            "db-Passw0rd",
            "smtp-Passw0rd",
            "s3-Passw0rd",
            "0123456789abcdef",
        ] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        assert!(
            printed.contains("postgres://app:****@db/theater"),
            "{printed}"
        );
        assert_eq!(&*c.database_url, "postgres://app:db-Passw0rd@db/theater");
    }

    #[test]
    fn embedded_defaults_need_no_environment() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://./data/theater.db");
        assert_eq!(c.bind.to_string(), "0.0.0.0:8000");
        assert_eq!(c.app_base_url, "http://127.0.0.1:8000");
        assert_eq!(c.jwt.algorithm, Algorithm::HS256);
        assert_eq!(c.jwt.refresh_lifetime, Duration::from_secs(7 * 86400));
        assert!(c.email.is_none() && c.s3.is_none());
        assert_eq!(c.catalog_writes, CatalogWrites::Staff);
        assert!(!c.email_log_links);
        assert!(c.jwt.secret_access.is_none() && c.jwt.secret_refresh.is_none());
        assert!(c.background_jobs);
        assert_eq!(c.catalog_cache_ttl, Duration::from_secs(2));
        assert_eq!(c.catalog_index_bytes, 64 * 1024 * 1024);
        assert_eq!(c.catalog_change_poll, Duration::from_millis(50));
        assert_eq!(c.connections.header_read_timeout, Duration::from_secs(10));
        assert_eq!(c.connections.idle_timeout, Duration::from_secs(60));
        assert_eq!(c.connections.shutdown_timeout, Duration::from_secs(20));
        assert_eq!(c.connections.storage_timeout, Duration::from_secs(10));
        assert!((1..=10_000).contains(&c.connections.max_connections));
    }

    #[test]
    fn connection_settings_are_read_and_zero_is_refused() {
        let c = config(&[
            ("HTTP_HEADER_READ_TIMEOUT_SECONDS", "3"),
            ("HTTP_IDLE_TIMEOUT_SECONDS", "4"),
            ("HTTP_MAX_CONNECTIONS", "5"),
            ("SHUTDOWN_TIMEOUT_SECONDS", "6"),
            ("STORAGE_TIMEOUT_SECONDS", "7"),
        ])
        .unwrap()
        .connections;
        assert_eq!(c.header_read_timeout, Duration::from_secs(3));
        assert_eq!(c.idle_timeout, Duration::from_secs(4));
        assert_eq!(c.max_connections, 5);
        assert_eq!(c.shutdown_timeout, Duration::from_secs(6));
        assert_eq!(c.storage_timeout, Duration::from_secs(7));
        for var in [
            "HTTP_HEADER_READ_TIMEOUT_SECONDS",
            "HTTP_IDLE_TIMEOUT_SECONDS",
            "HTTP_MAX_CONNECTIONS",
            "SHUTDOWN_TIMEOUT_SECONDS",
            "STORAGE_TIMEOUT_SECONDS",
        ] {
            assert_eq!(config(&[(var, "0")]).unwrap_err().var, var);
            assert_eq!(config(&[(var, "soon")]).unwrap_err().var, var);
        }
    }

    #[test]
    fn background_jobs_can_be_left_to_another_process() {
        assert!(
            !config(&[("BACKGROUND_JOBS", "false")])
                .unwrap()
                .background_jobs
        );
        assert_eq!(
            config(&[("BACKGROUND_JOBS", "sometimes")]).unwrap_err().var,
            "BACKGROUND_JOBS"
        );
    }

    #[test]
    fn database_url_wins_over_postgres_variables() {
        let c = config(&[("DATABASE_URL", "sqlite::memory:"), ("POSTGRES_HOST", "db")]).unwrap();
        assert_eq!(c.database_url, "sqlite::memory:");
    }

    #[test]
    fn postgres_variables_of_the_original_build_the_url() {
        let c = config(&[
            ("POSTGRES_HOST", "postgres_theater"),
            ("POSTGRES_DB_PORT", "5433"),
            ("POSTGRES_USER", "admin"),
            ("POSTGRES_PASSWORD", "p@ss word"),
            ("POSTGRES_DB", "movies_db"),
        ])
        .unwrap();
        assert_eq!(
            c.database_url,
            "postgres://admin:p%40ss%20word@postgres_theater:5433/movies_db"
        );
    }

    #[test]
    fn malformed_values_name_the_variable() {
        let e = config(&[("PORT", "eighty")]).unwrap_err();
        assert_eq!(e.var, "PORT");
        assert!(e.to_string().contains("PORT"));
        assert_eq!(
            config(&[("JWT_SIGNING_ALGORITHM", "RS256")])
                .unwrap_err()
                .var,
            "JWT_SIGNING_ALGORITHM"
        );
        assert_eq!(
            config(&[("EMAIL_HOST", "smtp"), ("EMAIL_USE_TLS", "maybe")])
                .unwrap_err()
                .var,
            "EMAIL_USE_TLS"
        );
        assert_eq!(
            config(&[("MINIO_HOST", "minio")]).unwrap_err().var,
            "MINIO_ROOT_USER"
        );
        assert_eq!(
            config(&[("DATABASE_URL", "mysql://x")]).unwrap_err().var,
            "DATABASE_URL"
        );
    }

    #[test]
    fn limit_settings_have_defaults_and_name_bad_values() {
        let c = config(&[]).unwrap();
        assert!(c.trusted_proxies.is_empty());
        assert_eq!((c.login_rate_limit, c.login_address_rate_limit), (10, 100));
        assert_eq!(
            (c.account_email_rate_limit, c.account_address_rate_limit),
            (5, 300)
        );
        assert_eq!(c.account_rate_window, Duration::from_secs(900));
        assert_eq!(
            (c.community_rate_limit, c.community_rate_window),
            (120, Duration::from_secs(60))
        );
        assert_eq!(c.login_slowdown_max, Duration::from_secs(3));
        let c = config(&[("TRUSTED_PROXIES", "10.0.0.0/8, ::1")]).unwrap();
        assert!(c.trusted_proxies.contains("10.2.3.4".parse().unwrap()));
        for var in [
            "TRUSTED_PROXIES",
            "LOGIN_ADDRESS_RATE_LIMIT",
            "LOGIN_SLOWDOWN_MAX_MS",
            "ACCOUNT_EMAIL_RATE_LIMIT",
            "ACCOUNT_ADDRESS_RATE_LIMIT",
            "ACCOUNT_RATE_WINDOW_SECONDS",
        ] {
            assert_eq!(config(&[(var, "10.0.0.0/99x")]).unwrap_err().var, var);
        }
    }

    #[test]
    fn minio_settings_give_the_endpoint() {
        let c = config(&[
            ("MINIO_HOST", "minio"),
            ("MINIO_PORT", "9001"),
            ("MINIO_ROOT_USER", "u"),
            ("MINIO_ROOT_PASSWORD", "p"),
        ])
        .unwrap();
        let s3 = c.s3.unwrap();
        assert_eq!(s3.endpoint(), "http://minio:9001");
        assert_eq!(s3.bucket, "theater-storage");
        assert_eq!(s3.public_base(), "http://minio:9001/theater-storage");
    }

    #[test]
    fn a_public_url_for_the_bucket_can_be_set() {
        let s3 = |url: &str| {
            config(&[
                ("MINIO_HOST", "minio"),
                ("MINIO_ROOT_USER", "u"),
                ("MINIO_ROOT_PASSWORD", "p"),
                ("MINIO_PUBLIC_URL", url),
            ])
        };
        assert_eq!(
            s3("http://localhost:9000/theater-storage/")
                .unwrap()
                .s3
                .unwrap()
                .public_base(),
            "http://localhost:9000/theater-storage"
        );
        assert_eq!(s3("localhost:9000").unwrap_err().var, "MINIO_PUBLIC_URL");
    }

    const STRONG_ACCESS: &str = "0123456789abcdef0123456789abcdef-access";
    const STRONG_REFRESH: &str = "0123456789abcdef0123456789abcdef-refresh";

    fn secret_error(access: &str, refresh: &str) -> ConfigError {
        config(&[
            ("SECRET_KEY_ACCESS", access),
            ("SECRET_KEY_REFRESH", refresh),
        ])
        .unwrap_err()
    }

    #[test]
    fn strong_distinct_secrets_are_accepted() {
        let c = config(&[
            ("SECRET_KEY_ACCESS", STRONG_ACCESS),
            ("SECRET_KEY_REFRESH", STRONG_REFRESH),
        ])
        .unwrap();
        assert_eq!(c.jwt.secret_access.unwrap().expose(), STRONG_ACCESS);
        assert_eq!(c.jwt.secret_refresh.unwrap().expose(), STRONG_REFRESH);
    }

    #[test]
    fn a_short_secret_is_refused_naming_the_variable() {
        let e = secret_error("0123456789abcdef0123456789abcde", STRONG_REFRESH);
        assert_eq!(e.var, "SECRET_KEY_ACCESS");
        assert!(e.to_string().contains("31 bytes"), "{e}");
        assert!(e.to_string().contains("openssl rand -hex 32"), "{e}");
        assert_eq!(
            secret_error(STRONG_ACCESS, "short").var,
            "SECRET_KEY_REFRESH"
        );
        // The value the issue reported: it used to be accepted silently.
        assert_eq!(
            secret_error("change-me-access", STRONG_REFRESH).var,
            "SECRET_KEY_ACCESS"
        );
    }

    #[test]
    fn the_example_files_values_are_refused_whatever_their_length() {
        let examples: Vec<&str> = example_values().collect();
        let shipped = |name: &str| {
            include_str!("../.env.example")
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .unwrap()
        };
        for name in ["SECRET_KEY_ACCESS", "SECRET_KEY_REFRESH"] {
            let value = shipped(name);
            assert!(examples.contains(&value));
            // Long enough, so only the example check stands between it and a forgeable token.
            assert!(value.len() >= MIN_SECRET_BYTES, "{name}={value}");
            let e = config(&[(name, value)]).unwrap_err();
            assert_eq!(e.var, name);
            assert!(e.to_string().contains(".env.example"), "{e}");
        }
        // Any other value of the file is refused too (a password pasted into the wrong line).
        assert!(examples.contains(&"some_password"));
        assert!(!examples.iter().any(|v| v.is_empty() || v.starts_with('#')));
    }

    #[test]
    fn the_same_secret_for_both_kinds_is_refused() {
        let e = secret_error(STRONG_ACCESS, STRONG_ACCESS);
        assert_eq!(e.var, "SECRET_KEY_REFRESH");
        assert!(e.to_string().contains("differ"), "{e}");
    }

    #[test]
    fn secrets_are_never_printed() {
        let c = config(&[("SECRET_KEY_ACCESS", STRONG_ACCESS)]).unwrap();
        assert!(!format!("{c:?}").contains(STRONG_ACCESS));
    }

    #[test]
    fn catalog_writes_default_to_staff_and_open_must_be_asked_for() {
        assert_eq!(config(&[]).unwrap().catalog_writes, CatalogWrites::Staff);
        let open = config(&[("CATALOG_WRITES", "open")]).unwrap();
        assert_eq!(open.catalog_writes, CatalogWrites::Open);
        assert_eq!(
            config(&[("CATALOG_WRITES", "anyone")]).unwrap_err().var,
            "CATALOG_WRITES"
        );
    }

    #[test]
    fn email_log_links_is_a_boolean() {
        assert!(
            config(&[("EMAIL_LOG_LINKS", "true")])
                .unwrap()
                .email_log_links
        );
        assert_eq!(
            config(&[("EMAIL_LOG_LINKS", "all")]).unwrap_err().var,
            "EMAIL_LOG_LINKS"
        );
    }
}
