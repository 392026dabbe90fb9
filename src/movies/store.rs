//! Data access for the catalog endpoints. Hand-written SQL with `$n` placeholders (PostgreSQL's, which
//! SQLite accepts too), because the read endpoints are hot: a detail is ONE round trip (the movie and
//! its country, then its genres, actors and languages, in a `UNION ALL`), a list page is ONE round trip
//! (the page plus the total as an uncorrelated scalar subquery), and rows are turned straight into
//! response types.

use chrono::NaiveDate;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, QueryResult,
    Statement, Value, sea_query::ArrayType,
};

use serde_json::json;

use crate::{
    audit::{self, Actor, action, target},
    db::{Sql, begin_write, statement},
    error::is_integrity_error,
};

use super::{
    domain::{CountryCode, LookupName},
    search::Document,
    wire::{
        Country, Filters, ListQuery, MovieDetail, MovieListItem, MovieUpdate, Named, NewMovie,
        Scope, Search,
    },
};

/// How many movies match the filters (in their scope).
pub async fn count_movies(db: &impl ConnectionTrait, filters: &Filters) -> Result<i64, DbErr> {
    let mut sql = Sql::default();
    let scope = scope_join(&mut sql, filters.scope);
    let filter = where_clause(&mut sql, filters, db.get_database_backend(), false);
    sql.text = format!("SELECT COUNT(*) FROM movies m{scope}{filter}");
    let row = db
        .query_one_raw(sql.statement(db))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    row.try_get_by_index(0)
}

/// ` JOIN user_list_movies ul …` for a list's scope (restricting the movies to the list's, and
/// giving `ul.added_at` to the added sorts), nothing for the catalog's. Through the list's primary
/// key `(list_id, movie_id)`.
fn scope_join(sql: &mut Sql, scope: Scope) -> String {
    match scope {
        Scope::Catalog => String::new(),
        Scope::List(list_id) => {
            let p = sql.bind(list_id);
            format!(" JOIN user_list_movies ul ON ul.list_id = {p} AND ul.movie_id = m.id")
        }
    }
}

/// Where a listing's ids come from and in which order: `{with} SELECT … FROM {from} ORDER BY {order}`
/// over `movies m`.
struct Selection {
    with: String,
    from: String,
    /// Joined to `movies m` wherever `order` is used: the scope's list rows, and the ratings when
    /// the order needs them.
    join: String,
    order: &'static str,
    /// Whether `from` joins the search's ranked matches `s`.
    ranked: bool,
}

impl Selection {
    fn new(sql: &mut Sql, filters: &Filters, backend: DbBackend) -> Self {
        // By relevance, the search's matches come with their rank (lower is better) from the index.
        let ranked = match &filters.search {
            Some(search) if filters.by_relevance() => Some(ranked_matches(sql, search, backend)),
            _ => None,
        };
        let filter = where_clause(sql, filters, backend, ranked.is_some());
        let scope = scope_join(sql, filters.scope);
        match ranked {
            // The matches are materialised once: as a plain subquery in the join, SQLite re-ran the
            // full-text query for every movie of another filter (two words and a genre on 100,000
            // movies took 10 s).
            Some(matches) => Self {
                with: format!("WITH s AS MATERIALIZED ({matches}) "),
                from: format!("s JOIN movies m ON m.id = s.id{scope}{filter}"),
                join: String::new(),
                order: "s.rank, m.id DESC",
                ranked: true,
            },
            None => {
                let order = filters.order();
                let ratings = if order.joins_ratings() {
                    " LEFT JOIN movie_stats st ON st.movie_id = m.id"
                } else {
                    ""
                };
                let join = format!("{scope}{ratings}");
                Self {
                    with: String::new(),
                    from: format!("movies m{join}{filter}"),
                    join,
                    order: order.order_by(),
                    ranked: false,
                }
            }
        }
    }
}

/// A page of the catalog (empty past the end).
pub async fn page_movies(
    db: &impl ConnectionTrait,
    query: &ListQuery,
) -> Result<Vec<MovieListItem>, DbErr> {
    let per_page = query.per_page.get();
    let offset = (query.page.get() - 1).saturating_mul(per_page);
    let mut sql = Sql::default();
    let Selection {
        with,
        from,
        join,
        order,
        ranked,
    } = Selection::new(&mut sql, &query.filters, db.get_database_backend());
    let limit = sql.bind(per_page);
    let offset = sql.bind(offset);
    // The page's ids are chosen first, from the narrowest index that orders them, and only those rows
    // are read: skipping to a deep page then walks index entries, not whole rows with their overviews
    // (a deep page of 10,000 movies costs ~5x less on SQLite).
    sql.text = if ranked {
        format!(
            "{with}SELECT m.id, m.name, m.date, m.score, m.overview FROM movies m JOIN \
             (SELECT m.id, s.rank FROM {from} ORDER BY {order} LIMIT {limit} OFFSET {offset}) p \
             ON p.id = m.id ORDER BY p.rank, m.id DESC"
        )
    } else {
        format!(
            "SELECT m.id, m.name, m.date, m.score, m.overview FROM movies m{join} WHERE m.id IN \
             (SELECT m.id FROM {from} ORDER BY {order} LIMIT {limit} OFFSET {offset}) \
             ORDER BY {order}"
        )
    };
    let rows = db.query_all_raw(sql.statement(db)).await?;
    rows.iter().map(|row| list_item(row, 0)).collect()
}

/// The ids of every movie the filters match, in the listing's order: one query and one text of
/// comma-separated ids (`string_agg`/`group_concat`), not a row per movie (a million ids arrive in
/// one value). What the catalog cache's orders keep.
pub async fn ordered_ids(db: &impl ConnectionTrait, filters: &Filters) -> Result<Vec<i32>, DbErr> {
    let backend = db.get_database_backend();
    let mut sql = Sql::default();
    let Selection {
        with, from, order, ..
    } = Selection::new(&mut sql, filters, backend);
    let aggregate = if backend == DbBackend::Postgres {
        format!("string_agg(CAST(m.id AS TEXT), ',' ORDER BY {order})")
    } else {
        format!("group_concat(m.id, ',' ORDER BY {order})")
    };
    sql.text = format!("{with}SELECT {aggregate} FROM {from}");
    let row = db
        .query_one_raw(sql.statement(db))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("an aggregate returned no row".into()))?;
    // No match: NULL.
    let Some(text) = row.try_get_by_index::<Option<String>>(0)? else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(|id| {
            id.parse()
                .map_err(|_| DbErr::Type(format!("a movie id in an ordered list: {id:?}")))
        })
        .collect()
}

/// The list items of these movies, in the order of `ids` (ids without a row are left out). One
/// primary-key read.
pub async fn movies_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<MovieListItem>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    let marks: Vec<String> = ids.iter().map(|id| sql.bind(*id)).collect();
    sql.text = format!(
        "SELECT id, name, date, score, overview FROM movies WHERE id IN ({})",
        marks.join(", ")
    );
    let rows = db.query_all_raw(sql.statement(db)).await?;
    let mut found: std::collections::HashMap<i32, MovieListItem> = rows
        .iter()
        .map(|row| list_item(row, 0).map(|item| (item.id, item)))
        .collect::<Result<_, _>>()?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// A list item from `id, name, date, score, overview` at columns `first..first + 5` of a row (every
/// query that lists movies selects them in this order).
pub fn list_item(row: &QueryResult, first: usize) -> Result<MovieListItem, DbErr> {
    Ok(MovieListItem {
        id: row.try_get_by_index(first)?,
        name: row.try_get_by_index(first + 1)?,
        date: row.try_get_by_index(first + 2)?,
        score: row.try_get_by_index(first + 3)?,
        overview: row.try_get_by_index(first + 4)?,
    })
}

/// `SELECT id, rank` of the movies a search matches, best (lowest rank) first. The name weighs
/// more than the overview: BM25 with weights 5 and 1 on SQLite, `ts_rank` with the weights of the
/// `A` and `B` positions on PostgreSQL (negated, so that lower is better on both).
fn ranked_matches(sql: &mut Sql, search: &Search, backend: DbBackend) -> String {
    if backend == DbBackend::Postgres {
        let q = sql.bind(search.query.tsquery());
        format!(
            "SELECT movie_id AS id, -ts_rank(document, CAST({q} AS tsquery)) AS rank \
             FROM movie_search WHERE document @@ CAST({q} AS tsquery)"
        )
    } else {
        let q = sql.bind(search.query.fts5());
        format!(
            "SELECT rowid AS id, bm25(movie_search, 5.0, 1.0) AS rank \
             FROM movie_search WHERE movie_search MATCH {q}"
        )
    }
}

/// The condition "matches the search" over `movies m`.
fn search_condition(sql: &mut Sql, search: &Search, backend: DbBackend) -> String {
    if backend == DbBackend::Postgres {
        let q = sql.bind(search.query.tsquery());
        format!(
            "m.id IN (SELECT movie_id FROM movie_search WHERE document @@ CAST({q} AS tsquery))"
        )
    } else {
        let q = sql.bind(search.query.fts5());
        format!("m.id IN (SELECT rowid FROM movie_search WHERE movie_search MATCH {q})")
    }
}

/// ` WHERE ...` over `movies m` for the active filters (empty without filters); the search's
/// condition is left out when its matches are joined (`search_joined`). Name comparisons lower-case
/// both sides in SQL so that each backend compares consistently.
fn where_clause(
    sql: &mut Sql,
    filters: &Filters,
    backend: DbBackend,
    search_joined: bool,
) -> String {
    let mut conditions = Vec::new();
    if let Some(search) = filters.search.as_ref().filter(|_| !search_joined) {
        conditions.push(search_condition(sql, search, backend));
    }
    for (value, link, table, column) in [
        (&filters.genre, "movies_genres", "genres", "genre_id"),
        (&filters.actor, "actors_movies", "actors", "actor_id"),
        (
            &filters.language,
            "movies_languages",
            "languages",
            "language_id",
        ),
    ] {
        for any_of in value.iter().flat_map(|c| &c.all_of) {
            let names: Vec<String> = any_of
                .iter()
                .map(|name| format!("LOWER({})", sql.bind(name.clone())))
                .collect();
            // Ids of the (few) matching names first, then their links through the
            // (name id, movie id) index: written as a join, SQLite scanned every link row
            // (15 ms instead of 2.7 ms for a genre filter on 10,000 movies).
            conditions.push(format!(
                "m.id IN (SELECT l.movie_id FROM {link} l WHERE l.{column} IN \
                 (SELECT t.id FROM {table} t WHERE LOWER(t.name) IN ({})))",
                names.join(", ")
            ));
        }
    }
    for any_of in filters.country.iter().flat_map(|c| &c.all_of) {
        let codes: Vec<String> = any_of.iter().map(|code| sql.bind(code.clone())).collect();
        conditions.push(format!(
            "m.country_id IN (SELECT c.id FROM countries c WHERE c.code IN ({}))",
            codes.join(", ")
        ));
    }
    // Years as date ranges, so the date index serves them: `[Jan 1st of from, Jan 1st after to)`.
    let from = [filters.year, filters.year_from].into_iter().flatten();
    for start in from.map(|year| year.range().0) {
        let p = sql.bind(start);
        conditions.push(format!("m.date >= {p}"));
    }
    let to = [filters.year, filters.year_to].into_iter().flatten();
    for end in to.map(|year| year.range().1) {
        let p = sql.bind(end);
        conditions.push(format!("m.date < {p}"));
    }
    let scores = [(">=", filters.min_score), ("<=", filters.max_score)];
    for (op, score) in scores {
        if let Some(score) = score {
            let p = sql.bind(score);
            conditions.push(format!("m.score {op} {p}"));
        }
    }
    if let Some(rating) = filters.min_rating {
        // Through the (mean, count, movie) index of the rated movies.
        let p = sql.bind(rating.get());
        conditions.push(format!(
            "m.id IN (SELECT movie_id FROM movie_stats WHERE rating_avg >= {p})"
        ));
    }
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// Rows of a full-text index per statement: at most 3 values each on SQLite (below its 32,766).
const INDEX_CHUNK: usize = 5_000;

/// Writes the full-text index rows of these movies (`(id, name, overview)`), replacing any they
/// had; run in the transaction that writes the movies. SQLite's FTS5 table `movie_search` keeps
/// the terms by rowid (contentless: only the index), PostgreSQL's `movie_search` a `tsvector` per
/// movie under a GIN index. Deleting a movie deletes its row (a trigger on SQLite, the foreign
/// key's cascade on PostgreSQL).
pub async fn index_movies(
    db: &impl ConnectionTrait,
    movies: &[(i32, &str, &str)],
) -> Result<(), DbErr> {
    let rows = movies.iter().map(|(id, name, overview)| {
        let doc = Document::new(name, overview);
        (*id, vec![doc.name, doc.overview], doc.tsvector)
    });
    write_index(db, "movie_search", "movie_id", &["name", "overview"], rows).await
}

/// The same for actor names (`actor_search`): their folded words, unstemmed (a name is not
/// English), which the actor index and suggestions match as prefixes.
pub async fn index_actors(db: &impl ConnectionTrait, actors: &[(i32, &str)]) -> Result<(), DbErr> {
    let rows = actors.iter().map(|(id, name)| {
        let doc = Document::name_only(name);
        (*id, vec![doc.name], doc.tsvector)
    });
    write_index(db, "actor_search", "actor_id", &["name"], rows).await
}

/// Replaces the rows of one index: `(id, column texts for FTS5, tsvector literal)`.
async fn write_index(
    db: &impl ConnectionTrait,
    table: &str,
    id_column: &str,
    columns: &[&str],
    rows: impl Iterator<Item = (i32, Vec<String>, String)>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let rows: Vec<_> = rows.collect();
    for chunk in rows.chunks(INDEX_CHUNK) {
        let ids: Vec<Value> = chunk.iter().map(|(id, _, _)| (*id).into()).collect();
        if backend == DbBackend::Postgres {
            let tsvectors: Vec<Value> = chunk.iter().map(|(_, _, v)| v.clone().into()).collect();
            db.execute_raw(statement(
                db,
                &format!(
                    "INSERT INTO {table} ({id_column}, document) \
                     SELECT u.id, CAST(u.document AS tsvector) \
                     FROM UNNEST($1::int4[], $2::text[]) AS u (id, document) \
                     ON CONFLICT ({id_column}) DO UPDATE SET document = EXCLUDED.document"
                ),
                [
                    Value::Array(ArrayType::Int, Some(Box::new(ids))),
                    Value::Array(ArrayType::String, Some(Box::new(tsvectors))),
                ],
            ))
            .await?;
        } else {
            // Anonymous placeholders: SQLite's driver scans numbered ones once per value.
            let marks = vec!["?"; ids.len()].join(", ");
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!("DELETE FROM {table} WHERE rowid IN ({marks})"),
                ids.clone(),
            ))
            .await?;
            let mut values = Vec::with_capacity(ids.len() * (columns.len() + 1));
            for (id, (_, texts, _)) in ids.into_iter().zip(chunk) {
                values.push(id);
                values.extend(texts.iter().map(|t| Value::from(t.clone())));
            }
            let tuple = format!("({})", vec!["?"; columns.len() + 1].join(", "));
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO {table} (rowid, {}) VALUES {}",
                    columns.join(", "),
                    vec![tuple; chunk.len()].join(", ")
                ),
                values,
            ))
            .await?;
        }
    }
    Ok(())
}

const DETAIL_SQL: &str = "\
SELECT 0 AS kind, m.id, m.name, m.date, m.score, m.overview, m.status, \
       CAST(m.budget AS DOUBLE PRECISION) AS budget, m.revenue, c.id AS country_id, c.code, \
       c.name AS country_name \
FROM movies m JOIN countries c ON c.id = m.country_id WHERE m.id = $1 \
UNION ALL SELECT 1, t.id, t.name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
FROM movies_genres l JOIN genres t ON t.id = l.genre_id WHERE l.movie_id = $1 \
UNION ALL SELECT 2, t.id, t.name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
FROM actors_movies l JOIN actors t ON t.id = l.actor_id WHERE l.movie_id = $1 \
UNION ALL SELECT 3, t.id, t.name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
FROM movies_languages l JOIN languages t ON t.id = l.language_id WHERE l.movie_id = $1 \
ORDER BY 1, 2";

/// A movie with everything the detail shows, or `None`.
pub async fn movie_detail(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<MovieDetail>, DbErr> {
    let rows = db
        .query_all_raw(statement(db, DETAIL_SQL, [id.into()]))
        .await?;
    let mut rows = rows.iter();
    let Some(movie) = rows.next() else {
        return Ok(None);
    };
    if movie.try_get_by_index::<i32>(0)? != 0 {
        return Ok(None);
    }
    let mut detail = MovieDetail {
        id: movie.try_get_by_index(1)?,
        name: movie.try_get_by_index(2)?,
        date: movie.try_get_by_index(3)?,
        score: movie.try_get_by_index(4)?,
        overview: movie.try_get_by_index(5)?,
        status: movie.try_get_by_index(6)?,
        budget: movie.try_get_by_index(7)?,
        revenue: movie.try_get_by_index(8)?,
        country: Country {
            id: movie.try_get_by_index(9)?,
            code: movie.try_get_by_index(10)?,
            name: movie.try_get_by_index(11)?,
        },
        genres: Vec::new(),
        actors: Vec::new(),
        languages: Vec::new(),
    };
    for row in rows {
        let named = Named {
            id: row.try_get_by_index(1)?,
            name: row.try_get_by_index(2)?,
        };
        match row.try_get_by_index::<i32>(0)? {
            1 => detail.genres.push(named),
            2 => detail.actors.push(named),
            _ => detail.languages.push(named),
        }
    }
    Ok(Some(detail))
}

/// A transaction that writes the catalog. Its first statement claims `catalog_version` (the row
/// the triggers of migration 7 bump on every change), so catalog writers queue on that one row
/// before they take any other lock: on PostgreSQL two creates sharing a new genre would otherwise
/// deadlock (each holding its insert's unique-index entry while its trigger waits for the row the
/// other holds).
pub async fn begin_catalog_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = begin_write(db).await?;
    txn.execute_unprepared("UPDATE catalog_version SET version = version + 1 WHERE id = 1")
        .await?;
    Ok(txn)
}

/// Why a create did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("a movie with this name and date exists")]
    Conflict,
    /// A constraint refused the rows (e.g. a concurrent create of the same movie won).
    #[error("integrity error: {0}")]
    Integrity(DbErr),
    #[error(transparent)]
    Db(DbErr),
}

impl From<DbErr> for CreateError {
    fn from(e: DbErr) -> Self {
        if is_integrity_error(&e) {
            Self::Integrity(e)
        } else {
            Self::Db(e)
        }
    }
}

/// Creates a movie, getting or creating its country, genres, actors and languages, in one
/// transaction. Related rows are inserted with `ON CONFLICT DO NOTHING` and then selected, so
/// concurrent creates that share a new genre never duplicate it nor fail on it; names are inserted in
/// sorted order so that concurrent PostgreSQL transactions lock them in the same order (no deadlock).
pub async fn create_movie(
    db: &DatabaseConnection,
    movie: &NewMovie,
    writer: Option<&Actor>,
) -> Result<MovieDetail, CreateError> {
    let txn = begin_catalog_write(db).await?;
    if movie_exists(&txn, movie.name.as_str(), movie.date.get()).await? {
        return Err(CreateError::Conflict);
    }
    let country = get_or_create_country(&txn, &movie.country).await?;
    let genres = get_or_create_named(&txn, "genres", &movie.genres).await?;
    let actors = get_or_create_named(&txn, "actors", &movie.actors).await?;
    let languages = get_or_create_named(&txn, "languages", &movie.languages).await?;
    let row = txn
        .query_one_raw(statement(
            &txn,
            "INSERT INTO movies (name, date, score, overview, status, budget, revenue, country_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            [
                movie.name.as_str().into(),
                movie.date.get().into(),
                movie.score.get().into(),
                movie.overview.as_str().into(),
                movie.status.as_str().into(),
                movie.budget.get().into(),
                movie.revenue.get().into(),
                country.id.into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    let id: i32 = row.try_get_by_index(0)?;
    for (table, column, items) in [
        ("movies_genres", "genre_id", &genres),
        ("actors_movies", "actor_id", &actors),
        ("movies_languages", "language_id", &languages),
    ] {
        insert_links(&txn, table, column, id, items.iter().map(|n| n.id)).await?;
    }
    index_movies(&txn, &[(id, movie.name.as_str(), movie.overview.as_str())]).await?;
    let named: Vec<(i32, &str)> = actors.iter().map(|a| (a.id, a.name.as_str())).collect();
    index_actors(&txn, &named).await?;
    if let Some(actor) = writer {
        let details = json!({"name": movie.name.as_str(), "date": movie.date.get()});
        audit::record(
            &txn,
            actor,
            action::MOVIE_CREATE,
            &target("movie", id),
            details,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(MovieDetail {
        id,
        name: movie.name.as_str().to_owned(),
        date: movie.date.get(),
        score: movie.score.get(),
        overview: movie.overview.clone(),
        status: movie.status.as_str().to_owned(),
        budget: movie.budget.as_f64(),
        revenue: movie.revenue.get(),
        country,
        genres,
        actors,
        languages,
    })
}

async fn get_or_create_country(
    txn: &DatabaseTransaction,
    code: &CountryCode,
) -> Result<Country, DbErr> {
    let value: Value = code.as_str().into();
    // Created without a name, as the original did (the importer fills names from ISO 3166).
    txn.execute_raw(statement(
        txn,
        "INSERT INTO countries (code) VALUES ($1) ON CONFLICT (code) DO NOTHING",
        [value.clone()],
    ))
    .await?;
    let row = txn
        .query_one_raw(statement(
            txn,
            "SELECT id, code, name FROM countries WHERE code = $1",
            [value],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("country {}", code.as_str())))?;
    Ok(Country {
        id: row.try_get_by_index(0)?,
        code: row.try_get_by_index(1)?,
        name: row.try_get_by_index(2)?,
    })
}

/// Rows of `genres`, `actors` or `languages` for `names` (created when missing), in id order.
async fn get_or_create_named(
    txn: &DatabaseTransaction,
    table: &str,
    names: &[LookupName],
) -> Result<Vec<Named>, DbErr> {
    let mut names: Vec<&str> = names.iter().map(LookupName::as_str).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    let placeholders: Vec<String> = names.iter().map(|n| sql.bind(*n)).collect();
    let values = sql.values.clone();
    sql.text = format!(
        "INSERT INTO {table} (name) VALUES ({}) ON CONFLICT (name) DO NOTHING",
        placeholders.join("), (")
    );
    txn.execute_raw(sql.statement(txn)).await?;
    let select = format!(
        "SELECT id, name FROM {table} WHERE name IN ({}) ORDER BY id",
        placeholders.join(", ")
    );
    let rows = txn.query_all_raw(statement(txn, &select, values)).await?;
    rows.iter().map(named).collect()
}

fn named(row: &QueryResult) -> Result<Named, DbErr> {
    Ok(Named {
        id: row.try_get_by_index(0)?,
        name: row.try_get_by_index(1)?,
    })
}

async fn insert_links(
    txn: &DatabaseTransaction,
    table: &str,
    column: &str,
    movie_id: i32,
    ids: impl Iterator<Item = i32>,
) -> Result<(), DbErr> {
    let mut sql = Sql::default();
    let movie = sql.bind(movie_id);
    let rows: Vec<String> = ids
        .map(|id| format!("({movie}, {})", sql.bind(id)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    sql.text = format!(
        "INSERT INTO {table} (movie_id, {column}) VALUES {}",
        rows.join(", ")
    );
    txn.execute_raw(sql.statement(txn)).await?;
    Ok(())
}

/// What a PATCH did.
#[derive(Debug, PartialEq, Eq)]
pub enum UpdateOutcome {
    Updated,
    NotFound,
    /// A constraint refused the change (e.g. the new name and date belong to another movie).
    Rejected,
}

/// Applies the given fields. An explicit `null` is refused as the original's NOT NULL columns refused
/// it, after the 404 check as there.
///
/// A staff `writer`'s change is audited in its transaction, with the names of the fields it set. A
/// PATCH that sets nothing writes nothing, and so records nothing.
pub async fn update_movie(
    db: &DatabaseConnection,
    id: i32,
    update: &MovieUpdate,
    writer: Option<&Actor>,
) -> Result<UpdateOutcome, DbErr> {
    if update.sets_null || update.is_empty() {
        let exists = db
            .query_one_raw(statement(
                db,
                "SELECT 1 FROM movies WHERE id = $1",
                [id.into()],
            ))
            .await?
            .is_some();
        return Ok(match (exists, update.sets_null) {
            (false, _) => UpdateOutcome::NotFound,
            (true, true) => UpdateOutcome::Rejected,
            (true, false) => UpdateOutcome::Updated,
        });
    }
    let changes: [(&str, Option<Value>); 7] = [
        ("name", update.name.as_ref().map(|v| v.as_str().into())),
        ("date", update.date.map(|v| v.get().into())),
        ("score", update.score.map(|v| v.get().into())),
        (
            "overview",
            update.overview.as_ref().map(|v| v.as_str().into()),
        ),
        ("status", update.status.map(|v| v.as_str().into())),
        ("budget", update.budget.map(|v| v.get().into())),
        ("revenue", update.revenue.map(|v| v.get().into())),
    ];
    let mut sql = Sql::default();
    let mut sets = Vec::new();
    let mut fields = Vec::new();
    for (column, value) in changes {
        if let Some(value) = value {
            let p = sql.bind(value);
            sets.push(format!("{column} = {p}"));
            fields.push(column);
        }
    }
    let id = sql.bind(id);
    // The new name and overview come back, for the full-text index, in the same transaction.
    sql.text = format!(
        "UPDATE movies SET {} WHERE id = {id} RETURNING id, name, overview",
        sets.join(", ")
    );
    let txn = begin_catalog_write(db).await?;
    let row = match txn.query_one_raw(sql.statement(&txn)).await {
        Ok(None) => return Ok(UpdateOutcome::NotFound),
        Ok(Some(row)) => row,
        Err(e) if is_integrity_error(&e) => return Ok(UpdateOutcome::Rejected),
        Err(e) => return Err(e),
    };
    if update.name.is_some() || update.overview.is_some() {
        let (id, name, overview): (i32, String, String) = (
            row.try_get_by_index(0)?,
            row.try_get_by_index(1)?,
            row.try_get_by_index(2)?,
        );
        index_movies(&txn, &[(id, &name, &overview)]).await?;
    }
    if let Some(actor) = writer {
        let target = target("movie", row.try_get_by_index::<i32>(0)?);
        let details = json!({ "fields": fields });
        audit::record(&txn, actor, action::MOVIE_UPDATE, &target, details).await?;
    }
    txn.commit().await?;
    Ok(UpdateOutcome::Updated)
}

/// Deletes a movie (its link rows go by `ON DELETE CASCADE`); `false` when there was none. A staff
/// `writer`'s deletion is audited in its transaction, with the movie's name and date.
pub async fn delete_movie(
    db: &DatabaseConnection,
    id: i32,
    writer: Option<&Actor>,
) -> Result<bool, DbErr> {
    let txn = begin_catalog_write(db).await?;
    let Some(row) = txn
        .query_one_raw(statement(
            &txn,
            "DELETE FROM movies WHERE id = $1 RETURNING name, date",
            [id.into()],
        ))
        .await?
    else {
        return Ok(false);
    };
    if let Some(actor) = writer {
        let (name, date): (String, NaiveDate) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        let details = json!({"name": name, "date": date});
        audit::record(
            &txn,
            actor,
            action::MOVIE_DELETE,
            &target("movie", id),
            details,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// Whether a movie with this name and date exists.
pub async fn movie_exists(
    db: &impl ConnectionTrait,
    name: &str,
    date: NaiveDate,
) -> Result<bool, DbErr> {
    Ok(db
        .query_one_raw(statement(
            db,
            "SELECT 1 FROM movies WHERE name = $1 AND date = $2",
            [name.into(), date.into()],
        ))
        .await?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_filters_means_no_where_clause() {
        let mut sql = Sql::default();
        assert_eq!(
            where_clause(&mut sql, &Filters::default(), DbBackend::Sqlite, false),
            ""
        );
        assert!(sql.values.is_empty());
    }
}
