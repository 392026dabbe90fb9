//! Writing parsed rows into the catalog: ONE transaction (all or nothing), bulk multi-row inserts in
//! chunks, lookups preloaded into hash maps (no per-row round trips). Movies already present (same
//! name and date) are left alone, which makes a second run of the same file add nothing.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, Value,
    sea_query::ArrayType,
};

use super::{parse::MovieRow, progress::Progress};
use crate::movies::store::{begin_catalog_write, index_actors, index_movies};

/// Rows per statement. SQLite allows 32,766 bound values: movies bind 8 values each, links 2, lookups 1.
const MOVIE_CHUNK: usize = 2_000;
const LINK_CHUNK: usize = 10_000;
const LOOKUP_CHUNK: usize = 10_000;
/// Movies per step of the full-text index (see `index_movies`).
const INDEX_CHUNK: usize = 5_000;

/// What a load added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadSummary {
    pub movies: usize,
    pub genres: usize,
    pub actors: usize,
    pub languages: usize,
    pub countries: usize,
    /// Movies of the input that the catalog already had.
    pub already_present: usize,
}

/// Loads `rows` in one transaction; on any error nothing is written.
pub async fn load_rows(
    db: &DatabaseConnection,
    rows: &[MovieRow],
    progress: &Progress,
) -> Result<LoadSummary, DbErr> {
    let txn = begin_catalog_write(db).await?;
    let mut loader = Loader::new(&txn).await?;
    loader.load(rows, progress).await?;
    let summary = loader.finish();
    txn.commit().await?;
    after_load(db, &summary).await;
    Ok(summary)
}

/// What follows a committed load that added movies.
pub async fn after_load(db: &DatabaseConnection, summary: &LoadSummary) {
    if summary.movies > 0
        && let Err(e) = refresh_statistics(db).await
    {
        // The rows are in; only query plans may be poorer until autovacuum analyses the tables.
        tracing::warn!(error = %e, "could not refresh the planner statistics after the import");
    }
}

/// Refreshes PostgreSQL's planner statistics and visibility map of the catalog tables. Right after a
/// bulk load the statistics describe the empty tables, and PostgreSQL then planned the movie detail as
/// a scan of all actors (12 ms and 315 requests/s with 100,000 movies, instead of 0.3 ms); and without
/// the visibility map every index-only scan still visits the table (skipping to the last page of
/// 100,000 movies: 280 ms instead of 10 ms) — until autovacuum catches up.
/// Not on SQLite: its planner picks the same plans without statistics, and this SQLite build keeps
/// STAT4 samples, which make it re-prepare every statement whose parameters change — the movie
/// detail ran at half speed after an `ANALYZE`.
async fn refresh_statistics(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    db.execute_unprepared(
        "VACUUM (ANALYZE) movies, countries, genres, actors, languages, \
         movies_genres, actors_movies, movies_languages, movie_search, actor_search",
    )
    .await
    .map(|_| ())
}

/// Loads rows into one transaction, in as many calls as the caller likes (a synthetic catalog of a
/// million movies comes in chunks, so memory stays bounded): the catalog's movies and lookups are
/// read once, then kept up to date as rows are added.
pub struct Loader<'t> {
    txn: &'t DatabaseTransaction,
    /// `(name, date)` of the movies the catalog had before this load.
    existing: HashSet<(String, NaiveDate)>,
    countries: HashMap<String, i32>,
    genres: HashMap<String, i32>,
    actors: HashMap<String, i32>,
    languages: HashMap<String, i32>,
    summary: LoadSummary,
}

impl<'t> Loader<'t> {
    pub async fn new(txn: &'t DatabaseTransaction) -> Result<Self, DbErr> {
        let mut countries = HashMap::new();
        for r in txn
            .query_all_raw(crate::db::statement(
                txn,
                "SELECT code, id FROM countries",
                [],
            ))
            .await?
        {
            countries.insert(r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        }
        Ok(Self {
            existing: existing_movies(txn).await?,
            countries,
            genres: named_ids(txn, "genres").await?,
            actors: named_ids(txn, "actors").await?,
            languages: named_ids(txn, "languages").await?,
            summary: LoadSummary::default(),
            txn,
        })
    }

    /// What the loads added so far.
    pub fn finish(self) -> LoadSummary {
        self.summary
    }

    /// Adds the rows that are not in the catalog yet (rows of one call must not repeat a
    /// `(name, date)` of an earlier call: the parser and the generator drop such rows).
    pub async fn load(&mut self, rows: &[MovieRow], progress: &Progress) -> Result<(), DbErr> {
        let txn = self.txn;
        let new: Vec<&MovieRow> = rows
            .iter()
            .filter(|r| !self.existing.contains(&(r.name.clone(), r.date)))
            .collect();
        self.summary.already_present += rows.len() - new.len();
        if new.is_empty() {
            return Ok(());
        }

        self.summary.countries += ensure_countries(txn, &new, &mut self.countries).await?;
        let lookups = [
            ("genres", &mut self.genres, &mut self.summary.genres),
            ("actors", &mut self.actors, &mut self.summary.actors),
            (
                "languages",
                &mut self.languages,
                &mut self.summary.languages,
            ),
        ];
        for (table, ids, added) in lookups {
            let names = new.iter().flat_map(|r| match table {
                "genres" => &r.genres,
                "actors" => &r.actors,
                _ => &r.languages,
            });
            let created = ensure_named(txn, table, names, ids).await?;
            *added += created.len();
            if table == "actors" && !created.is_empty() {
                let named: Vec<(i32, &str)> =
                    created.iter().map(|(id, n)| (*id, n.as_str())).collect();
                index_actors(txn, &named).await?;
            }
        }

        progress.start("movies", new.len() as u64);
        let mut ids: HashMap<(String, NaiveDate), i32> = HashMap::with_capacity(new.len());
        for chunk in new.chunks(MOVIE_CHUNK) {
            insert_movies(txn, chunk, &self.countries, &mut ids).await?;
            progress.advance(chunk.len() as u64);
        }
        progress.finish();
        self.summary.movies += new.len();

        let movie_id = |row: &MovieRow| {
            ids.get(&(row.name.clone(), row.date))
                .copied()
                .ok_or_else(|| {
                    DbErr::Custom(format!("line {}: the new movie's id is unknown", row.line))
                })
        };
        let (mut genre_links, mut actor_links, mut language_links) =
            (Vec::new(), Vec::new(), Vec::new());
        for row in &new {
            let id = movie_id(row)?;
            link(&mut genre_links, id, &row.genres, &self.genres)?;
            link(&mut actor_links, id, &row.actors, &self.actors)?;
            link(&mut language_links, id, &row.languages, &self.languages)?;
        }
        let links = [
            ("movies_genres", "genre_id", genre_links),
            ("actors_movies", "actor_id", actor_links),
            ("movies_languages", "language_id", language_links),
        ];
        let total_links: usize = links.iter().map(|(_, _, pairs)| pairs.len()).sum();
        progress.start("links", total_links as u64);
        for (table, column, pairs) in &links {
            for chunk in pairs.chunks(LINK_CHUNK) {
                insert_links(txn, table, column, chunk).await?;
                progress.advance(chunk.len() as u64);
            }
        }
        progress.finish();

        progress.start("search index", new.len() as u64);
        let mut indexed = Vec::with_capacity(INDEX_CHUNK);
        for chunk in new.chunks(INDEX_CHUNK) {
            indexed.clear();
            for row in chunk {
                indexed.push((movie_id(row)?, row.name.as_str(), row.overview.as_str()));
            }
            index_movies(txn, &indexed).await?;
            progress.advance(chunk.len() as u64);
        }
        progress.finish();
        Ok(())
    }
}

async fn named_ids(txn: &DatabaseTransaction, table: &str) -> Result<HashMap<String, i32>, DbErr> {
    let mut ids = HashMap::new();
    for r in txn
        .query_all_raw(crate::db::statement(
            txn,
            &format!("SELECT name, id FROM {table}"),
            [],
        ))
        .await?
    {
        ids.insert(r.try_get_by_index(0)?, r.try_get_by_index(1)?);
    }
    Ok(ids)
}

/// Adds `(movie, id of name)` for each name.
fn link(
    pairs: &mut Vec<(i32, i32)>,
    movie: i32,
    names: &[String],
    ids: &HashMap<String, i32>,
) -> Result<(), DbErr> {
    for name in names {
        let id = ids
            .get(name)
            .copied()
            .ok_or_else(|| DbErr::Custom(format!("no id for {name:?}")))?;
        pairs.push((movie, id));
    }
    Ok(())
}

/// One multi-row `INSERT`, built column by column. PostgreSQL gets one array per column
/// (`INSERT … SELECT * FROM UNNEST($1::int4[], …)`): a handful of parameters whatever the row count,
/// which it parses and plans far faster than thousands of `VALUES` tuples. SQLite gets `VALUES (?, ?),
/// …` with anonymous placeholders: it keeps named and numbered ones (`$n`, `?n`) in a list that the
/// driver scans once per bound value, which is quadratic in a statement with thousands of values.
struct BulkInsert {
    table: &'static str,
    /// Column name and its PostgreSQL array type.
    columns: Vec<(&'static str, &'static str)>,
    values: Vec<Vec<Value>>,
}

impl BulkInsert {
    fn new(table: &'static str, columns: &[(&'static str, &'static str)]) -> Self {
        Self {
            table,
            columns: columns.to_vec(),
            values: vec![Vec::new(); columns.len()],
        }
    }

    fn push(&mut self, row: impl IntoIterator<Item = Value>) {
        for (column, value) in self.values.iter_mut().zip(row) {
            column.push(value);
        }
    }

    fn rows(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    fn statement(self, backend: DbBackend, returning: &str) -> Statement {
        let names: Vec<&str> = self.columns.iter().map(|(name, _)| *name).collect();
        let returning = if returning.is_empty() {
            String::new()
        } else {
            format!(" RETURNING {returning}")
        };
        let rows = self.rows();
        match backend {
            DbBackend::Postgres => {
                let arrays: Vec<String> = self
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, ty))| format!("${}::{ty}[]", i + 1))
                    .collect();
                let values: Vec<Value> = self
                    .values
                    .into_iter()
                    .map(|column| {
                        let ty = column.first().map_or(ArrayType::Int, Value::array_type);
                        Value::Array(ty, Some(Box::new(column)))
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO {} ({}) SELECT * FROM UNNEST({}){returning}",
                    self.table,
                    names.join(", "),
                    arrays.join(", ")
                );
                Statement::from_sql_and_values(backend, sql, values)
            }
            _ => {
                let width = self.columns.len();
                let tuple = format!("({})", vec!["?"; width].join(", "));
                let mut values = Vec::with_capacity(rows * width);
                let mut columns: Vec<_> = self.values.into_iter().map(Vec::into_iter).collect();
                for _ in 0..rows {
                    values.extend(columns.iter_mut().filter_map(Iterator::next));
                }
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES {}{returning}",
                    self.table,
                    names.join(", "),
                    vec![tuple; rows].join(", ")
                );
                Statement::from_sql_and_values(backend, sql, values)
            }
        }
    }
}

async fn existing_movies(txn: &DatabaseTransaction) -> Result<HashSet<(String, NaiveDate)>, DbErr> {
    let rows = txn
        .query_all_raw(crate::db::statement(
            txn,
            "SELECT name, date FROM movies",
            [],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

/// Creates the country codes of `rows` that `ids` lacks, with their ISO 3166 English name, and adds
/// them to `ids`; returns how many were created.
async fn ensure_countries(
    txn: &DatabaseTransaction,
    rows: &[&MovieRow],
    ids: &mut HashMap<String, i32>,
) -> Result<usize, DbErr> {
    let mut missing: Vec<_> = rows
        .iter()
        .map(|r| &r.country)
        .filter(|c| !ids.contains_key(c.as_str()))
        .collect();
    missing.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    missing.dedup();
    // Few rows, and names may be NULL (which a PostgreSQL text array of this driver cannot carry):
    // one row at a time.
    for country in &missing {
        let row = txn
            .query_one_raw(crate::db::statement(
                txn,
                "INSERT INTO countries (code, name) VALUES ($1, $2) RETURNING id",
                [
                    country.as_str().into(),
                    country.english_name().map(str::to_owned).into(),
                ],
            ))
            .await?
            .ok_or(DbErr::RecordNotInserted)?;
        ids.insert(country.as_str().to_owned(), row.try_get_by_index(0)?);
    }
    Ok(missing.len())
}

/// Creates the names of `names` that `ids` lacks in `table` (`genres`, `actors`, `languages`) and
/// adds them to `ids`; returns the created ones.
async fn ensure_named<'a>(
    txn: &DatabaseTransaction,
    table: &'static str,
    names: impl Iterator<Item = &'a String>,
    ids: &mut HashMap<String, i32>,
) -> Result<Vec<(i32, String)>, DbErr> {
    let mut missing: Vec<&String> = names.filter(|n| !ids.contains_key(*n)).collect();
    missing.sort_unstable();
    missing.dedup();
    let mut created = Vec::with_capacity(missing.len());
    for chunk in missing.chunks(LOOKUP_CHUNK) {
        let mut insert = BulkInsert::new(table, &[("name", "varchar")]);
        for name in chunk {
            insert.push([name.as_str().into()]);
        }
        for r in txn
            .query_all_raw(insert.statement(txn.get_database_backend(), "name, id"))
            .await?
        {
            let (name, id): (String, i32) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
            ids.insert(name.clone(), id);
            created.push((id, name));
        }
    }
    Ok(created)
}

async fn insert_movies(
    txn: &DatabaseTransaction,
    rows: &[&MovieRow],
    countries: &HashMap<String, i32>,
    ids: &mut HashMap<(String, NaiveDate), i32>,
) -> Result<(), DbErr> {
    let mut insert = BulkInsert::new(
        "movies",
        &[
            ("name", "varchar"),
            ("date", "date"),
            ("score", "float8"),
            ("overview", "text"),
            ("status", "varchar"),
            ("budget", "numeric"),
            ("revenue", "float8"),
            ("country_id", "int4"),
        ],
    );
    for row in rows {
        let country = countries
            .get(row.country.as_str())
            .copied()
            .ok_or_else(|| DbErr::Custom(format!("no id for country {}", row.country.as_str())))?;
        insert.push([
            row.name.as_str().into(),
            row.date.into(),
            row.score.into(),
            row.overview.as_str().into(),
            row.status.as_str().into(),
            row.budget.into(),
            row.revenue.into(),
            country.into(),
        ]);
    }
    for r in txn
        .query_all_raw(insert.statement(txn.get_database_backend(), "name, date, id"))
        .await?
    {
        ids.insert(
            (r.try_get_by_index(0)?, r.try_get_by_index(1)?),
            r.try_get_by_index(2)?,
        );
    }
    Ok(())
}

async fn insert_links(
    txn: &DatabaseTransaction,
    table: &'static str,
    column: &'static str,
    pairs: &[(i32, i32)],
) -> Result<(), DbErr> {
    let mut insert = BulkInsert::new(table, &[("movie_id", "int4"), (column, "int4")]);
    for &(movie, other) in pairs {
        insert.push([movie.into(), other.into()]);
    }
    txn.execute_raw(insert.statement(txn.get_database_backend(), ""))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_rows() -> BulkInsert {
        let mut insert = BulkInsert::new("t", &[("a", "int4"), ("b", "varchar")]);
        insert.push([1.into(), "x".into()]);
        insert.push([2.into(), "y".into()]);
        insert
    }

    #[test]
    fn sqlite_gets_anonymous_placeholders_row_by_row() {
        let statement = two_rows().statement(DbBackend::Sqlite, "a");
        assert_eq!(
            statement.sql,
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) RETURNING a"
        );
        assert_eq!(
            statement.values.unwrap().0,
            vec![
                Value::from(1),
                Value::from("x"),
                Value::from(2),
                Value::from("y")
            ]
        );
    }

    #[test]
    fn postgres_gets_one_array_per_column() {
        let statement = two_rows().statement(DbBackend::Postgres, "");
        assert_eq!(
            statement.sql,
            "INSERT INTO t (a, b) SELECT * FROM UNNEST($1::int4[], $2::varchar[])"
        );
        assert_eq!(
            statement.values.unwrap().0,
            vec![
                Value::from(vec![1, 2]),
                Value::from(vec!["x".to_owned(), "y".to_owned()])
            ]
        );
    }
}
