//! Writing parsed rows into the catalog: ONE transaction (all or nothing), bulk multi-row inserts in
//! chunks, lookups preloaded into hash maps (no per-row round trips). Movies already present (same
//! name and date) are left alone, which makes a second run of the same file add nothing.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, Statement, Value};

use super::{parse::MovieRow, progress::Progress};
use crate::movies::store::begin_write;

/// Rows per statement. SQLite allows 32,766 bound values and PostgreSQL 65,535: movies bind 8 values
/// each, links 2, lookups 2.
const MOVIE_CHUNK: usize = 2_000;
const LINK_CHUNK: usize = 10_000;
const LOOKUP_CHUNK: usize = 10_000;

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
    let txn = begin_write(db).await?;
    let summary = load_in(&txn, rows, progress).await?;
    txn.commit().await?;
    Ok(summary)
}

async fn load_in(
    txn: &DatabaseTransaction,
    rows: &[MovieRow],
    progress: &Progress,
) -> Result<LoadSummary, DbErr> {
    let existing = existing_movies(txn).await?;
    let new: Vec<&MovieRow> = rows
        .iter()
        .filter(|r| !existing.contains(&(r.name.clone(), r.date)))
        .collect();
    let mut summary = LoadSummary {
        already_present: rows.len() - new.len(),
        ..Default::default()
    };
    if new.is_empty() {
        return Ok(summary);
    }

    let (countries, added) = ensure_countries(txn, &new).await?;
    summary.countries = added;
    let (genres, added) = ensure_named(txn, "genres", new.iter().flat_map(|r| &r.genres)).await?;
    summary.genres = added;
    let (actors, added) = ensure_named(txn, "actors", new.iter().flat_map(|r| &r.actors)).await?;
    summary.actors = added;
    let (languages, added) =
        ensure_named(txn, "languages", new.iter().flat_map(|r| &r.languages)).await?;
    summary.languages = added;

    progress.start("movies", new.len() as u64);
    let mut ids: HashMap<(String, NaiveDate), i32> = HashMap::with_capacity(new.len());
    for chunk in new.chunks(MOVIE_CHUNK) {
        insert_movies(txn, chunk, &countries, &mut ids).await?;
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    summary.movies = new.len();

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
        link(&mut genre_links, id, &row.genres, &genres)?;
        link(&mut actor_links, id, &row.actors, &actors)?;
        link(&mut language_links, id, &row.languages, &languages)?;
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
    Ok(summary)
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

fn statement(txn: &DatabaseTransaction, sql: String, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(txn.get_database_backend(), sql, values)
}

/// `($1, $2), ($3, $4), …` for `rows` rows of `width` values, or `(?, ?), …` on SQLite: SQLite keeps
/// named and numbered parameters (`$n`, `?n`) in a list that the driver scans once per bound value,
/// which is quadratic in a statement with thousands of values; anonymous ones are bound in order.
fn placeholders(txn: &DatabaseTransaction, rows: usize, width: usize) -> String {
    let sigil = match txn.get_database_backend() {
        sea_orm::DbBackend::Sqlite => '?',
        _ => '$',
    };
    numbered(sigil, rows, width)
}

fn numbered(sigil: char, rows: usize, width: usize) -> String {
    let mut sql = String::with_capacity(rows * width * 7);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push(sigil);
            if sigil == '$' {
                sql.push_str(&(r * width + c + 1).to_string());
            }
        }
        sql.push(')');
    }
    sql
}

async fn existing_movies(txn: &DatabaseTransaction) -> Result<HashSet<(String, NaiveDate)>, DbErr> {
    let rows = txn
        .query_all_raw(statement(
            txn,
            "SELECT name, date FROM movies".into(),
            Vec::new(),
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

/// Every country code of `rows` with its id, creating the missing ones with their ISO 3166 English
/// name; also returns how many were created.
async fn ensure_countries(
    txn: &DatabaseTransaction,
    rows: &[&MovieRow],
) -> Result<(HashMap<String, i32>, usize), DbErr> {
    let mut ids: HashMap<String, i32> = HashMap::new();
    for r in txn
        .query_all_raw(statement(
            txn,
            "SELECT code, id FROM countries".into(),
            Vec::new(),
        ))
        .await?
    {
        ids.insert(r.try_get_by_index(0)?, r.try_get_by_index(1)?);
    }
    let mut missing: Vec<_> = rows
        .iter()
        .map(|r| &r.country)
        .filter(|c| !ids.contains_key(c.as_str()))
        .collect();
    missing.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    missing.dedup();
    for chunk in missing.chunks(LOOKUP_CHUNK) {
        let values: Vec<Value> = chunk
            .iter()
            .flat_map(|c| {
                [
                    c.as_str().into(),
                    c.english_name().map(str::to_owned).into(),
                ]
            })
            .collect();
        let sql = format!(
            "INSERT INTO countries (code, name) VALUES {} RETURNING code, id",
            placeholders(txn, chunk.len(), 2)
        );
        for r in txn.query_all_raw(statement(txn, sql, values)).await? {
            ids.insert(r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        }
    }
    Ok((ids, missing.len()))
}

/// Every name of `names` in `table` (`genres`, `actors`, `languages`) with its id, creating the
/// missing ones; also returns how many were created.
async fn ensure_named<'a>(
    txn: &DatabaseTransaction,
    table: &str,
    names: impl Iterator<Item = &'a String>,
) -> Result<(HashMap<String, i32>, usize), DbErr> {
    let mut ids: HashMap<String, i32> = HashMap::new();
    for r in txn
        .query_all_raw(statement(
            txn,
            format!("SELECT name, id FROM {table}"),
            Vec::new(),
        ))
        .await?
    {
        ids.insert(r.try_get_by_index(0)?, r.try_get_by_index(1)?);
    }
    let mut missing: Vec<&String> = names.filter(|n| !ids.contains_key(*n)).collect();
    missing.sort_unstable();
    missing.dedup();
    for chunk in missing.chunks(LOOKUP_CHUNK) {
        let values: Vec<Value> = chunk.iter().map(|n| n.as_str().into()).collect();
        let sql = format!(
            "INSERT INTO {table} (name) VALUES {} RETURNING name, id",
            placeholders(txn, chunk.len(), 1)
        );
        for r in txn.query_all_raw(statement(txn, sql, values)).await? {
            ids.insert(r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        }
    }
    Ok((ids, missing.len()))
}

async fn insert_movies(
    txn: &DatabaseTransaction,
    rows: &[&MovieRow],
    countries: &HashMap<String, i32>,
    ids: &mut HashMap<(String, NaiveDate), i32>,
) -> Result<(), DbErr> {
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * 8);
    for row in rows {
        let country = countries
            .get(row.country.as_str())
            .copied()
            .ok_or_else(|| DbErr::Custom(format!("no id for country {}", row.country.as_str())))?;
        values.extend([
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
    let sql = format!(
        "INSERT INTO movies (name, date, score, overview, status, budget, revenue, country_id) \
         VALUES {} RETURNING name, date, id",
        placeholders(txn, rows.len(), 8)
    );
    for r in txn.query_all_raw(statement(txn, sql, values)).await? {
        ids.insert(
            (r.try_get_by_index(0)?, r.try_get_by_index(1)?),
            r.try_get_by_index(2)?,
        );
    }
    Ok(())
}

async fn insert_links(
    txn: &DatabaseTransaction,
    table: &str,
    column: &str,
    pairs: &[(i32, i32)],
) -> Result<(), DbErr> {
    let values: Vec<Value> = pairs
        .iter()
        .flat_map(|&(movie, other)| [movie.into(), other.into()])
        .collect();
    let sql = format!(
        "INSERT INTO {table} (movie_id, {column}) VALUES {}",
        placeholders(txn, pairs.len(), 2)
    );
    txn.execute_raw(statement(txn, sql, values)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_number_rows_and_columns() {
        assert_eq!(numbered('$', 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(numbered('?', 2, 1), "(?), (?)");
    }
}
