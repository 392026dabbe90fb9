//! `spawn_app`: a private server and database per test (zero2prod's pattern), on SQLite or PostgreSQL.
//! Domain test files add their own `impl TestApp` blocks with request helpers; what several domains
//! use lives in the submodules here (accounts, mail, images, an object-store double).

pub mod accounts;
pub mod images;
pub mod mail;
pub mod store;

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use theater::{auth::Group, config::Config, startup::Application, state::AppState};

/// The database a test runs against.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    /// A server URL; each test gets a fresh schema in it.
    Postgres(String),
}

impl Backend {
    /// PostgreSQL from `TEST_DATABASE_URL`, or `None` (with the reason printed) when it is unset.
    pub fn postgres() -> Option<Self> {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(Self::Postgres(url)),
            _ => {
                eprintln!(
                    "skipped: TEST_DATABASE_URL is not set, so the PostgreSQL variant does not run"
                );
                None
            }
        }
    }
}

/// Generates, for each named `async fn(Backend)`, a test on SQLite (`sqlite::name`) and one on
/// PostgreSQL (`postgres::name`, skipped with a printed reason without `TEST_DATABASE_URL`).
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(backend) = $crate::helpers::Backend::postgres() {
                        super::$name(backend).await
                    }
                }
            )*
        }
    };
}

pub struct TestApp {
    /// `http://127.0.0.1:{port}`
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub state: AppState,
    /// Holds the data directory (SQLite file, local media, secrets) until the test ends.
    pub data_dir: tempfile::TempDir,
}

/// The tests' JWT secrets: fixed (tests mint foreign tokens with them), 32 bytes or more and distinct,
/// as start-up requires.
pub const TEST_ACCESS_SECRET: &str = "theater-tests-access-secret-0123456789";
pub const TEST_REFRESH_SECRET: &str = "theater-tests-refresh-secret-0123456789";

/// The test environment: embedded defaults, fixed secrets, a private data directory.
pub fn test_env(data_dir: &std::path::Path, base_url: &str) -> HashMap<String, String> {
    [
        ("DATA_DIR", data_dir.display().to_string()),
        ("BIND_ADDRESS", "127.0.0.1".into()),
        ("PORT", "0".into()),
        ("APP_BASE_URL", base_url.to_owned()),
        ("SECRET_KEY_ACCESS", TEST_ACCESS_SECRET.into()),
        ("SECRET_KEY_REFRESH", TEST_REFRESH_SECRET.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with a chance to change the environment (e.g. `CATALOG_WRITES=staff`).
pub async fn spawn_app_with(
    backend: Backend,
    customize: impl FnOnce(&mut HashMap<String, String>),
) -> TestApp {
    spawn_app_with_state(backend, customize, |_| {}).await
}

/// The most general form: change the environment, then the state (e.g. swap in test doubles).
pub async fn spawn_app_with_state(
    backend: Backend,
    customize: impl FnOnce(&mut HashMap<String, String>),
    adjust: impl FnOnce(&mut AppState),
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let (listener, address, mut config) = listen(data_dir.path(), customize).await;
    let db = test_database(&backend, data_dir.path()).await;
    config.database_url = match &backend {
        Backend::Sqlite => format!("sqlite://{}/theater.db", data_dir.path().display()),
        Backend::Postgres(url) => url.clone(),
    }
    .into();
    let mut state = AppState::with_db(config, db.clone()).expect("application state");
    adjust(&mut state);
    serve(state.clone(), listener);

    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client"),
        db,
        state,
        data_dir,
    }
}

/// A second instance of `app`'s service on the same database (the same connection pool, so the
/// same SQLite file or PostgreSQL schema) with its own in-memory state: what another replica, or the
/// same service after a restart, would be. `customize` changes its environment.
pub async fn spawn_instance_on(
    app: &TestApp,
    customize: impl FnOnce(&mut HashMap<String, String>),
    adjust: impl FnOnce(&mut AppState),
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let (listener, address, mut config) = listen(data_dir.path(), customize).await;
    config.database_url = app.state.config.database_url.clone();
    let mut state = AppState::with_db(config, app.db.clone()).expect("application state");
    adjust(&mut state);
    serve(state.clone(), listener);
    TestApp {
        address,
        client: app.client.clone(),
        db: app.db.clone(),
        state,
        data_dir,
    }
}

/// A listener on a free port, its address, and the configuration for it: the test environment with
/// `data_dir`, changed by `customize`.
async fn listen(
    data_dir: &std::path::Path,
    customize: impl FnOnce(&mut HashMap<String, String>),
) -> (tokio::net::TcpListener, String, Config) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("local address").port();
    let address = format!("http://127.0.0.1:{port}");
    let mut env = test_env(data_dir, &address);
    customize(&mut env);
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration");
    (listener, address, config)
}

/// Serves `state` on `listener` until the test ends.
fn serve(state: AppState, listener: tokio::net::TcpListener) {
    let app = Application::with_listener(state, listener).expect("application");
    tokio::spawn(app.run_until(std::future::pending()));
}

/// A fresh, migrated database: a SQLite file in the test's directory, or a new PostgreSQL schema.
pub async fn test_database(backend: &Backend, dir: &std::path::Path) -> DatabaseConnection {
    let db = match backend {
        Backend::Sqlite => {
            theater::db::connect(&format!("sqlite://{}/theater.db", dir.display()), 4)
                .await
                .expect("SQLite")
        }
        Backend::Postgres(url) => {
            let schema = format!("test_{}", uuid_like());
            let admin = theater::db::connect(url, 1)
                .await
                .expect("PostgreSQL (TEST_DATABASE_URL)");
            admin
                .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                .await
                .expect("create schema");
            admin.close().await.ok();
            theater::db::connect_with(url, 4, Some(&schema))
                .await
                .expect("PostgreSQL schema")
        }
    };
    theater::db::migrate(&db).await.expect("migrations");
    db
}

/// A port nothing listens on right now (for servers a test starts itself).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Inserts a user straight into the database (no password that can log in) and returns its id.
/// For tests of other domains that only need an account; accounts tests use the API.
pub async fn insert_user(db: &DatabaseConnection, email: &str, group: Group, active: bool) -> i32 {
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    use theater::entities::{user, user_group};
    let group_id = user_group::Entity::find()
        .filter(user_group::Column::Name.eq(group.as_str()))
        .one(db)
        .await
        .expect("query groups")
        .expect("group row")
        .id;
    let now = chrono::Utc::now();
    user::ActiveModel {
        email: Set(email.to_owned()),
        hashed_password: Set("not-a-hash".into()),
        is_active: Set(active),
        created_at: Set(now),
        updated_at: Set(now),
        group_id: Set(group_id),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert user")
    .id
}

impl TestApp {
    /// [`insert_user`] into this app's database.
    pub async fn insert_user(&self, email: &str, group: Group, active: bool) -> i32 {
        insert_user(&self.db, email, group, active).await
    }

    /// A valid access token for `user_id`, signed with the app's key.
    pub fn access_token(&self, user_id: i32) -> String {
        self.state
            .tokens
            .issue_access(user_id)
            .expect("access token")
            .token
    }

    /// `Authorization` header value for `user_id`.
    pub fn bearer(&self, user_id: i32) -> String {
        format!("Bearer {}", self.access_token(user_id))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A request of `method` to `path` on this app, for headers and a body to be added.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// The one number `sql` selects (COUNT and SUM are BIGINT on PostgreSQL, an id INTEGER).
    pub async fn number_of(&self, sql: &str) -> i64 {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(backend, sql.to_owned()))
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<i64>(0)
            .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
            .expect("a number")
    }

    /// `method` on `path` with an optional `Authorization` value and JSON body: status and JSON.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.request(method, path);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        json(request.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        response(self.request(reqwest::Method::GET, path)).await
    }

    /// The body of what GET `path` answers, as text.
    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    /// A POST of `body` as it is to `path`, declared as `content_type`.
    pub fn raw_post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path)
            .header("Content-Type", content_type)
            .body(body)
    }

    /// GETs `path` with `token` as its bearer token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        response(self.request(reqwest::Method::GET, path).bearer_auth(token)).await
    }

    /// Sends `body` as JSON to `path` with `method`.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        response(self.request(method, path).json(body)).await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    pub async fn patch_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.send_json(reqwest::Method::PATCH, path, body).await
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        response(self.request(reqwest::Method::DELETE, path)).await
    }
}

/// Sends `request` and returns its response; panics when none comes.
pub async fn response(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.expect("request")
}

/// Status and JSON body of a response, for one-line assertions.
pub async fn json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    (status, body)
}

/// The `key` of every object in the array `list` (e.g. the `loc` of every 422 entry).
pub fn pluck<'a>(list: &'a serde_json::Value, key: &str) -> Vec<&'a serde_json::Value> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|item| &item[key])
        .collect()
}

/// The one row of `E` that matches `condition`; panics naming `what` when there is none.
pub async fn row_where<E: sea_orm::EntityTrait>(
    db: &DatabaseConnection,
    condition: impl sea_orm::sea_query::IntoCondition,
    what: &str,
) -> E::Model {
    use sea_orm::QueryFilter;
    E::find()
        .filter(condition)
        .one(db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no {what}"))
}

/// The sorted `name`s of a list of objects (a movie's genres, actors or languages).
pub fn names(list: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// The fields of a movie's create body, in the contract's order.
pub const MOVIE_FIELDS: [&str; 11] = [
    "name",
    "date",
    "score",
    "overview",
    "status",
    "budget",
    "revenue",
    "country",
    "genres",
    "actors",
    "languages",
];
