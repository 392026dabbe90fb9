//! `catalog_version`: one row whose `version` every change of the catalog's tables increases, in
//! the changing transaction, by triggers. Every instance polls it (see `crate::catalog_cache`), so a
//! write by another instance, by `theater seed` or by SQL typed by hand reaches every cache within a
//! poll interval — without a database read per cached request.
//!
//! PostgreSQL fires one trigger per statement on every catalog table. SQLite has only per-row
//! triggers, which cost a bulk load about 1.2 s per million rows each (measured): they watch every
//! change of `movies`, and updates and deletes of the link and lookup tables; rows inserted into
//! those come with a movie (the API and the importer write both in one transaction), so the movie's
//! trigger covers them. A link or lookup row inserted by hand into SQLite alone shows when the
//! caches' TTL ends.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose rows a catalog response shows.
const MOVIES: &str = "movies";
const OTHERS: [&str; 7] = [
    "movies_genres",
    "actors_movies",
    "movies_languages",
    "genres",
    "actors",
    "languages",
    "countries",
];

const BUMP: &str = "UPDATE catalog_version SET version = version + 1 WHERE id = 1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE catalog_version (\
             id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO catalog_version (id, version) VALUES (1, 0)")
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION catalog_changed() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN {BUMP}; RETURN NULL; END $$"
            ))
            .await?;
            for table in std::iter::once(MOVIES).chain(OTHERS) {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE \
                     ON {table} FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed()"
                ))
                .await?;
            }
        } else {
            for (table, events) in std::iter::once((MOVIES, &["INSERT", "UPDATE", "DELETE"][..]))
                .chain(OTHERS.map(|t| (t, &["UPDATE", "DELETE"][..])))
            {
                for event in events {
                    let lower = event.to_lowercase();
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_{lower}_changed AFTER {event} ON {table} \
                         BEGIN {BUMP}; END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            for table in std::iter::once(MOVIES).chain(OTHERS) {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS {table}_changed ON {table}"
                ))
                .await?;
            }
            db.execute_unprepared("DROP FUNCTION IF EXISTS catalog_changed()")
                .await?;
        } else {
            for table in std::iter::once(MOVIES).chain(OTHERS) {
                for event in ["insert", "update", "delete"] {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS {table}_{event}_changed"
                    ))
                    .await?;
                }
            }
        }
        db.execute_unprepared("DROP TABLE catalog_version").await?;
        Ok(())
    }
}
