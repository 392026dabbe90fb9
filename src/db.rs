//! Database connection and migrations, for PostgreSQL and SQLite alike.

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait, Value,
};
use sea_orm_migration::MigratorTrait;

use crate::migration::Migrator;

/// Opens a pool on `url`. SQLite files (and their directory) are created on first use and tuned for a
/// web service: WAL so readers never wait for the writer, `synchronous=NORMAL` (durable at every
/// checkpoint, safe with WAL), a busy timeout instead of immediate `SQLITE_BUSY`, foreign keys on
/// (SQLite's default is off, and the schema relies on cascading deletes). SQLite's default page cache
/// (2 MB per connection) is kept: the OS caches the file for all connections.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, max_connections, None).await
}

/// As [`connect`], with a PostgreSQL `search_path` (tests give each run its own schema).
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    pg_schema: Option<&str>,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if let Some(schema) = pg_schema {
        options.set_schema_search_path(schema);
    }
    if url.starts_with("sqlite:") {
        ensure_sqlite_dir(url)?;
        options.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("temp_store", "memory")
        });
    }
    Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to the database at {}", redact(url)))
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("applying database migrations")
}

/// How long a health or readiness probe waits for the database. Shorter than the pool's acquire
/// timeout, so a saturated pool shows as unavailable while the prober still waits.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// True when the database answers a trivial query within [`PROBE_TIMEOUT`].
pub async fn ping(db: &DatabaseConnection) -> bool {
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, db.execute_unprepared("SELECT 1")).await,
        Ok(Ok(_))
    )
}

/// Whether every migration this binary knows is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationState {
    Applied,
    /// Some are missing: a fresh or re-created database, or `theater migrate` not run yet.
    Pending,
    /// The database did not answer (in time).
    Unknown,
}

/// Compares the migrations table with the migrator's list, read-only (a probe must not create the
/// table) and within [`PROBE_TIMEOUT`]. Migrations the binary does not know (applied by a newer
/// release during a rolling update) do not make it pending.
pub async fn migration_state(db: &DatabaseConnection) -> MigrationState {
    let query = db.query_all_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        format!("SELECT version FROM {}", Migrator::migration_table_name()),
    ));
    let rows = match tokio::time::timeout(PROBE_TIMEOUT, query).await {
        Err(_) => return MigrationState::Unknown,
        Ok(Ok(rows)) => rows,
        // No table: nothing was ever applied here. Anything else: the database is not usable.
        Ok(Err(_)) if ping(db).await => return MigrationState::Pending,
        Ok(Err(_)) => return MigrationState::Unknown,
    };
    let applied: std::collections::HashSet<String> = rows
        .iter()
        .filter_map(|row| row.try_get::<String>("", "version").ok())
        .collect();
    if Migrator::migrations()
        .iter()
        .all(|m| applied.contains(m.name()))
    {
        MigrationState::Applied
    } else {
        MigrationState::Pending
    }
}

/// Creates the SQLite file's directory and the file itself, both private (see `files`).
fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    let options = sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .with_context(|| format!("invalid SQLite URL {url}"))?;
    let file = options.get_filename();
    // In-memory databases (`sqlite::memory:` becomes a `file:sqlx-in-memory-…` name) have no file.
    let in_memory = url.contains(":memory:")
        || url.contains("mode=memory")
        || file.to_string_lossy().starts_with("file:");
    if file.as_os_str().is_empty() || file == Path::new(":memory:") || in_memory {
        return Ok(());
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::create_private_dir_all(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    crate::files::create_private_file_if_missing(file)
        .with_context(|| format!("creating {}", file.display()))?;
    Ok(())
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A write transaction: every transaction that writes starts here. SQLite's is `BEGIN IMMEDIATE`: it
/// takes the write lock (waiting up to the busy timeout) before the first read, so concurrent writers
/// queue instead of failing with `SQLITE_BUSY` when a reader upgrades to a writer. PostgreSQL's is a
/// plain `BEGIN`.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// SQL text with its bound values, for the queries written by hand: `$n` placeholders, which
/// PostgreSQL and SQLite both read.
#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    pub values: Vec<Value>,
}

impl Sql {
    /// Binds a value and returns its placeholder.
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    pub fn statement(self, db: &impl ConnectionTrait) -> Statement {
        Statement::from_sql_and_values(db.get_database_backend(), self.text, self.values)
    }
}

/// One statement with `$n` placeholders and its values, for `db`'s backend.
pub fn statement(
    db: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Runs one statement (see [`statement`]) and returns how many rows it changed.
pub async fn execute(
    db: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<u64, DbErr> {
    Ok(db
        .execute_raw(statement(db, sql, values))
        .await?
        .rows_affected())
}

/// A migrated in-memory SQLite database, for unit tests of the modules that write SQL.
#[cfg(test)]
pub async fn memory() -> DatabaseConnection {
    let db = connect("sqlite::memory:", 1)
        .await
        .expect("in-memory SQLite");
    migrate(&db).await.expect("migrations");
    db
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:****@h/db");
        assert_eq!(redact("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }

    #[tokio::test]
    async fn sqlite_file_and_directory_are_created_and_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/theater.db", dir.path().display());
        let db = connect(&url, 2).await.unwrap();
        migrate(&db).await.unwrap();
        // A second run has nothing to do.
        migrate(&db).await.unwrap();
        assert!(ping(&db).await);
        let groups: Vec<String> =
            <crate::entities::user_group::Entity as sea_orm::EntityTrait>::find()
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|g| g.name)
                .collect();
        assert_eq!(groups, ["user", "moderator", "admin"]);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_sqlite_database_and_its_directory_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/data/theater.db", dir.path().display());
        let db = connect(&url, 2).await.unwrap();
        migrate(&db).await.unwrap();
        assert_eq!(mode(&dir.path().join("data")), 0o700);
        for file in ["theater.db", "theater.db-wal", "theater.db-shm"] {
            assert_eq!(mode(&dir.path().join("data").join(file)), 0o600, "{file}");
        }
        // In-memory databases leave no file behind.
        let memory = connect("sqlite::memory:", 1).await.unwrap();
        assert!(ping(&memory).await);
    }
}
