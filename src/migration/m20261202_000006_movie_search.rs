//! The full-text indexes of the catalog — movies' names and overviews (`search` on every list of
//! movies), actors' names (the actor index's `search`, suggestions) — and their backfill.
//!
//! The one migration that is not portable, because the two backends index text differently:
//! SQLite gets an FTS5 table (contentless: it keeps only the index, by rowid = movie id) and a
//! trigger that deletes a movie's entry with the movie; PostgreSQL gets a table of one `tsvector`
//! per movie under a GIN index, whose row goes with the movie by the foreign key's cascade. Both
//! hold the terms that `crate::movies::search` makes, written by the catalog's store in the
//! transaction that writes the movie; here, the movies already in the catalog are indexed.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::{
    db::statement,
    movies::store::{index_actors, index_movies},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Movies read and indexed per step of the backfill.
const BATCH: i64 = 5_000;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "CREATE TABLE movie_search (\
                 movie_id INTEGER PRIMARY KEY REFERENCES movies (id) ON DELETE CASCADE, \
                 document TSVECTOR NOT NULL)",
            )
            .await?;
            db.execute_unprepared(
                "CREATE INDEX movie_search_document ON movie_search USING GIN (document)",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TABLE actor_search (\
                 actor_id INTEGER PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE, \
                 document TSVECTOR NOT NULL)",
            )
            .await?;
            db.execute_unprepared(
                "CREATE INDEX actor_search_document ON actor_search USING GIN (document)",
            )
            .await?;
        } else {
            // Prefix indexes of 2 and 3 characters: a search's last word is also a prefix.
            db.execute_unprepared(
                "CREATE VIRTUAL TABLE movie_search USING fts5(name, overview, content='', \
                 contentless_delete=1, tokenize='unicode61 remove_diacritics 0', prefix='2 3')",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER movie_search_delete AFTER DELETE ON movies \
                 BEGIN DELETE FROM movie_search WHERE rowid = old.id; END",
            )
            .await?;
            db.execute_unprepared(
                "CREATE VIRTUAL TABLE actor_search USING fts5(name, content='', \
                 contentless_delete=1, tokenize='unicode61 remove_diacritics 0', prefix='2 3')",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER actor_search_delete AFTER DELETE ON actors \
                 BEGIN DELETE FROM actor_search WHERE rowid = old.id; END",
            )
            .await?;
        }
        let actors = db
            .query_all_raw(statement(db, "SELECT id, name FROM actors", []))
            .await?;
        let mut named = Vec::with_capacity(actors.len());
        for row in &actors {
            let id: i32 = row.try_get_by_index(0)?;
            let name: String = row.try_get_by_index(1)?;
            named.push((id, name));
        }
        let named: Vec<(i32, &str)> = named.iter().map(|(id, n)| (*id, n.as_str())).collect();
        index_actors(db, &named).await?;
        let mut after = 0;
        loop {
            let rows = db
                .query_all_raw(statement(
                    db,
                    "SELECT id, name, overview FROM movies WHERE id > $1 ORDER BY id LIMIT $2",
                    [after.into(), BATCH.into()],
                ))
                .await?;
            let mut movies = Vec::with_capacity(rows.len());
            for row in &rows {
                let id: i32 = row.try_get_by_index(0)?;
                let name: String = row.try_get_by_index(1)?;
                let overview: String = row.try_get_by_index(2)?;
                movies.push((id, name, overview));
            }
            let Some(last) = movies.last().map(|m| m.0) else {
                break;
            };
            let borrowed: Vec<(i32, &str, &str)> = movies
                .iter()
                .map(|(id, name, overview)| (*id, name.as_str(), overview.as_str()))
                .collect();
            index_movies(db, &borrowed).await?;
            after = i64::from(last);
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() != DbBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS movie_search_delete")
                .await?;
            db.execute_unprepared("DROP TRIGGER IF EXISTS actor_search_delete")
                .await?;
        }
        db.execute_unprepared("DROP TABLE movie_search").await?;
        db.execute_unprepared("DROP TABLE actor_search").await?;
        Ok(())
    }
}
