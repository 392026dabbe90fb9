//! Data access of the discovery endpoints: hand-written SQL with `$n` placeholders, one round trip
//! per response. Names are ordered here, in Rust, by their bytes (then id), so that both backends
//! give the same order whatever PostgreSQL's collation.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult};

use crate::{
    db::{Sql, statement},
    movies::{store::list_item, wire::MovieListItem},
};

use super::{
    domain::{NameSearch, Prefix},
    wire::{ActorDetail, CountryCount, NamedCount},
};

/// `genres` or `languages`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Genres,
    Languages,
}

impl Lookup {
    fn tables(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Genres => ("genres", "movies_genres", "genre_id"),
            Self::Languages => ("languages", "movies_languages", "language_id"),
        }
    }
}

fn named_count(row: &QueryResult) -> Result<NamedCount, DbErr> {
    Ok(NamedCount {
        id: row.try_get_by_index(0)?,
        name: row.try_get_by_index(1)?,
        movies: row.try_get_by_index(2)?,
    })
}

/// Every genre (or language) that some movie has, with its movie count, by name.
pub async fn lookup_counts(
    db: &impl ConnectionTrait,
    lookup: Lookup,
) -> Result<Vec<NamedCount>, DbErr> {
    let (table, link, column) = lookup.tables();
    // The counts come from the (name id, movie id) index alone.
    let sql = format!(
        "SELECT t.id, t.name, c.movies FROM {table} t JOIN \
         (SELECT l.{column} AS id, COUNT(*) AS movies FROM {link} l GROUP BY l.{column}) c \
         ON c.id = t.id"
    );
    let rows = db.query_all_raw(statement(db, &sql, [])).await?;
    let mut counts = rows
        .iter()
        .map(named_count)
        .collect::<Result<Vec<_>, _>>()?;
    counts.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(counts)
}

/// Every country that some movie has, with its movie count, by code.
pub async fn country_counts(db: &impl ConnectionTrait) -> Result<Vec<CountryCount>, DbErr> {
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT c.id, c.code, c.name, n.movies FROM countries c JOIN \
             (SELECT m.country_id AS id, COUNT(*) AS movies FROM movies m GROUP BY m.country_id) n \
             ON n.id = c.id",
            [],
        ))
        .await?;
    let mut counts = rows
        .iter()
        .map(|row| {
            Ok(CountryCount {
                id: row.try_get_by_index(0)?,
                code: row.try_get_by_index(1)?,
                name: row.try_get_by_index(2)?,
                movies: row.try_get_by_index(3)?,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    counts.sort_by(|a, b| a.code.cmp(&b.code).then(a.id.cmp(&b.id)));
    Ok(counts)
}

/// `actors a` that have a movie.
const HAS_A_MOVIE: &str =
    "(SELECT l.movie_id FROM actors_movies l WHERE l.actor_id = a.id LIMIT 1) IS NOT NULL";

/// ` WHERE …` over `actors a`: actors with a movie, matching the search.
fn actor_filter(sql: &mut Sql, words: Option<&[String]>, backend: DbBackend) -> String {
    // One index probe per actor. Not `EXISTS (…)`: SQLite 3.51 (bundled) turns that into a join and
    // gave an actor of two movies twice in a page; nor `a.id IN (SELECT l.actor_id FROM
    // actors_movies l)`, which reads every link on each request (suggestions ran at 12 per second
    // on 100,000 movies with the cache off).
    let mut filter = format!(" WHERE {HAS_A_MOVIE}");
    if let Some(words) = words {
        let condition = if backend == DbBackend::Postgres {
            let words: Vec<String> = words.iter().map(|w| format!("'{w}':*")).collect();
            let q = sql.bind(words.join(" & "));
            format!(
                "a.id IN (SELECT actor_id FROM actor_search WHERE document @@ CAST({q} AS tsquery))"
            )
        } else {
            let words: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
            let q = sql.bind(words.join(" AND "));
            format!("a.id IN (SELECT rowid FROM actor_search WHERE actor_search MATCH {q})")
        };
        filter.push_str(" AND ");
        filter.push_str(&condition);
    }
    filter
}

/// Byte order of names on both backends (PostgreSQL's default collation may differ).
fn name_order(backend: DbBackend) -> &'static str {
    if backend == DbBackend::Postgres {
        "a.name COLLATE \"C\", a.id"
    } else {
        "a.name, a.id"
    }
}

/// How many actors with a movie match the search.
pub async fn count_actors(
    db: &impl ConnectionTrait,
    search: Option<&NameSearch>,
) -> Result<i64, DbErr> {
    let mut sql = Sql::default();
    let words = search.map(|s| s.words.as_slice());
    let filter = actor_filter(&mut sql, words, db.get_database_backend());
    sql.text = format!("SELECT COUNT(*) FROM actors a{filter}");
    let row = db
        .query_one_raw(sql.statement(db))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("COUNT(*) returned no row".into()))?;
    row.try_get_by_index(0)
}

/// A page of actors with a movie, by name, with their movie counts.
pub async fn page_actors(
    db: &impl ConnectionTrait,
    search: Option<&NameSearch>,
    limit: i64,
    offset: i64,
) -> Result<Vec<NamedCount>, DbErr> {
    let backend = db.get_database_backend();
    let mut sql = Sql::default();
    let filter = actor_filter(&mut sql, search.map(|s| s.words.as_slice()), backend);
    let (limit, offset) = (sql.bind(limit), sql.bind(offset));
    // The page's actors first, then the counts of those only.
    sql.text = format!(
        "SELECT p.id, p.name, \
         (SELECT COUNT(*) FROM actors_movies l WHERE l.actor_id = p.id) AS movies \
         FROM (SELECT a.id, a.name FROM actors a{filter} ORDER BY {order} \
         LIMIT {limit} OFFSET {offset}) p",
        order = name_order(backend),
    );
    let rows = db.query_all_raw(sql.statement(db)).await?;
    rows.iter().map(named_count).collect()
}

/// An actor with their movies, newest first, in one round trip; `None` when there is no such actor.
pub async fn actor_detail(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<ActorDetail>, DbErr> {
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT a.id, a.name, m.id, m.name, m.date, m.score, m.overview FROM actors a \
             LEFT JOIN actors_movies l ON l.actor_id = a.id \
             LEFT JOIN movies m ON m.id = l.movie_id \
             WHERE a.id = $1 ORDER BY m.date DESC, m.id DESC",
            [id.into()],
        ))
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut detail = ActorDetail {
        id: first.try_get_by_index(0)?,
        name: first.try_get_by_index(1)?,
        movies: Vec::with_capacity(rows.len()),
    };
    for row in &rows {
        // An actor without movies has one row, without a movie.
        if row.try_get_by_index::<Option<i32>>(2)?.is_some() {
            detail.movies.push(list_item(row, 2)?);
        }
    }
    Ok(Some(detail))
}

/// `(id, name)` rows.
fn id_names(rows: &[QueryResult]) -> Result<Vec<(i32, String)>, DbErr> {
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

/// The newest movies whose name has words beginning with every word of `prefix`. The index yields
/// matches newest first, so this stops after `limit` on SQLite.
pub async fn suggest_movies(
    db: &impl ConnectionTrait,
    prefix: &Prefix,
    limit: i64,
) -> Result<Vec<(i32, String)>, DbErr> {
    let backend = db.get_database_backend();
    let (matches, query) = if backend == DbBackend::Postgres {
        let words: Vec<String> = prefix.0.iter().map(|w| format!("'{w}':*A")).collect();
        (
            "SELECT movie_id FROM movie_search WHERE document @@ CAST($1 AS tsquery) \
             ORDER BY movie_id DESC LIMIT $2",
            words.join(" & "),
        )
    } else {
        let words: Vec<String> = prefix
            .0
            .iter()
            .map(|w| format!("name : \"{w}\"*"))
            .collect();
        (
            "SELECT rowid FROM movie_search WHERE movie_search MATCH $1 \
             ORDER BY rowid DESC LIMIT $2",
            words.join(" AND "),
        )
    };
    let sql =
        format!("SELECT m.id, m.name FROM movies m WHERE m.id IN ({matches}) ORDER BY m.id DESC");
    let rows = db
        .query_all_raw(statement(db, &sql, [query.into(), limit.into()]))
        .await?;
    id_names(&rows)
}

/// Actors with a movie whose name has words beginning with every word of `prefix`, by name.
pub async fn suggest_actors(
    db: &impl ConnectionTrait,
    prefix: &Prefix,
    limit: i64,
) -> Result<Vec<(i32, String)>, DbErr> {
    let backend = db.get_database_backend();
    let mut sql = Sql::default();
    let filter = actor_filter(&mut sql, Some(&prefix.0), backend);
    let limit = sql.bind(limit);
    sql.text = format!(
        "SELECT a.id, a.name FROM actors a{filter} ORDER BY {order} LIMIT {limit}",
        order = name_order(backend)
    );
    let rows = db.query_all_raw(sql.statement(db)).await?;
    id_names(&rows)
}

/// Every genre some movie has, `(id, name)`.
pub async fn genres(db: &impl ConnectionTrait) -> Result<Vec<(i32, String)>, DbErr> {
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT t.id, t.name FROM genres t WHERE \
             (SELECT l.movie_id FROM movies_genres l WHERE l.genre_id = t.id LIMIT 1) IS NOT NULL",
            [],
        ))
        .await?;
    id_names(&rows)
}

/// What a movie is made of, for finding similar ones.
#[derive(Debug, Default)]
struct Traits {
    actors: Vec<i32>,
    genres: Vec<i32>,
    name: String,
}

/// Actors of a movie beyond this are not used to find candidates (a cast list can be long).
const MAX_CANDIDATE_ACTORS: usize = 20;
/// Other movies taken per actor, per genre and per name word (the newest; for a genre, the nearest
/// ids on both sides): every candidate list is an index range of bounded length, whatever the size
/// of the catalog or an actor's filmography.
const CANDIDATES_PER_ACTOR: i64 = 20;
const CANDIDATES_PER_GENRE: i64 = 15;
const CANDIDATES_PER_WORD: i64 = 25;
/// Name words used (the longest, not common words).
const MAX_NAME_WORDS_USED: usize = 3;

async fn traits(db: &impl ConnectionTrait, id: i32) -> Result<Option<Traits>, DbErr> {
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT 0, l.actor_id, NULL FROM actors_movies l WHERE l.movie_id = $1 \
             UNION ALL SELECT 1, l.genre_id, NULL FROM movies_genres l WHERE l.movie_id = $1 \
             UNION ALL SELECT 2, m.id, m.name FROM movies m WHERE m.id = $1",
            [id.into()],
        ))
        .await?;
    let mut traits = Traits::default();
    let mut found = false;
    for row in &rows {
        let kind: i32 = row.try_get_by_index(0)?;
        let value: i32 = row.try_get_by_index(1)?;
        match kind {
            0 => traits.actors.push(value),
            1 => traits.genres.push(value),
            _ => {
                found = true;
                traits.name = row
                    .try_get_by_index::<Option<String>>(2)?
                    .unwrap_or_default();
            }
        }
    }
    traits.actors.sort_unstable();
    traits.genres.sort_unstable();
    Ok(found.then_some(traits))
}

/// The name's distinctive words as stems: the longest few that are not common words.
fn name_stems(name: &str) -> Vec<String> {
    let mut words: Vec<String> = crate::movies::search::words(name)
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && !crate::movies::search::is_stop_word(w))
        .collect();
    words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    words.dedup();
    words.truncate(MAX_NAME_WORDS_USED);
    words
        .iter()
        .map(|w| crate::movies::search::stem(w))
        .collect()
}

/// Why a movie is a candidate: the points each row of the candidate query gives.
const ACTOR_POINTS: i64 = 3;
const WORD_POINTS: i64 = 2;
const GENRE_POINTS: i64 = 1;

/// The movies most like movie `id`, most similar first, never `id` itself; `None` when there is no
/// such movie. Candidates come from bounded index ranges — the newest other movies of each of its
/// actors, the nearest ids on both sides in each of its genres, the newest movies sharing each of
/// its name's longest words (sequels, series) — and each range a candidate is found in gives it
/// points: 3 per actor, 2 per name word, 1 per genre; ties go to the newer movie. Three round trips
/// of bounded size whatever the catalog or an actor's filmography, always from the current rows.
pub async fn similar_movies(
    db: &impl ConnectionTrait,
    id: i32,
    limit: i64,
) -> Result<Option<Vec<MovieListItem>>, DbErr> {
    let Some(traits) = traits(db, id).await? else {
        return Ok(None);
    };
    let backend = db.get_database_backend();
    let mut sql = Sql::default();
    let me = sql.bind(id);
    let mut parts = Vec::new();
    for actor in traits.actors.iter().take(MAX_CANDIDATE_ACTORS) {
        let (a, n) = (sql.bind(*actor), sql.bind(CANDIDATES_PER_ACTOR));
        parts.push(format!(
            "SELECT {ACTOR_POINTS} AS points, l.movie_id FROM actors_movies l \
             WHERE l.actor_id = {a} AND l.movie_id <> {me} ORDER BY l.movie_id DESC LIMIT {n}"
        ));
    }
    for genre in &traits.genres {
        let (g, n) = (sql.bind(*genre), sql.bind(CANDIDATES_PER_GENRE));
        for (op, dir) in [("<", "DESC"), (">", "ASC")] {
            parts.push(format!(
                "SELECT {GENRE_POINTS} AS points, l.movie_id FROM movies_genres l \
                 WHERE l.genre_id = {g} AND l.movie_id {op} {me} ORDER BY l.movie_id {dir} LIMIT {n}"
            ));
        }
    }
    for stem in name_stems(&traits.name) {
        let n = sql.bind(CANDIDATES_PER_WORD);
        parts.push(if backend == DbBackend::Postgres {
            let q = sql.bind(format!("'{stem}':A"));
            format!(
                "SELECT {WORD_POINTS} AS points, movie_id FROM movie_search \
                 WHERE document @@ CAST({q} AS tsquery) AND movie_id <> {me} \
                 ORDER BY movie_id DESC LIMIT {n}"
            )
        } else {
            let q = sql.bind(format!("name : \"{stem}\""));
            format!(
                "SELECT {WORD_POINTS} AS points, rowid FROM movie_search \
                 WHERE movie_search MATCH {q} AND rowid <> {me} ORDER BY rowid DESC LIMIT {n}"
            )
        });
    }
    if parts.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let candidates: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| format!("SELECT * FROM ({part}) c{i}"))
        .collect();
    sql.text = candidates.join(" UNION ALL ");
    let rows = db.query_all_raw(sql.statement(db)).await?;
    let mut points: std::collections::HashMap<i32, i64> = Default::default();
    for row in &rows {
        let (p, movie): (i32, i32) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        *points.entry(movie).or_default() += i64::from(p);
    }
    let mut ranked: Vec<(i32, i64)> = points.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    ranked.truncate(usize::try_from(limit).unwrap_or(0));
    let best: Vec<i32> = ranked.iter().map(|(movie, _)| *movie).collect();
    let mut movies = list_items(db, &best).await?;
    movies.sort_by_key(|m| best.iter().position(|b| *b == m.id));
    Ok(Some(movies))
}

/// The list items of these movies (at most a page), in any order.
async fn list_items(db: &impl ConnectionTrait, ids: &[i32]) -> Result<Vec<MovieListItem>, DbErr> {
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
    rows.iter().map(|row| list_item(row, 0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found against SQLite 3.51: an actor of two movies came twice in a page.
    #[tokio::test]
    async fn an_actor_of_several_movies_is_one_entry_of_a_page() {
        let db = crate::db::memory().await;
        for sql in [
            "INSERT INTO countries (code) VALUES ('US')",
            "INSERT INTO movies (name, date, score, overview, status, budget, revenue, country_id) \
             VALUES ('a', '2001-01-01', 1, 'o', 'Released', 1, 1, 1), \
             ('b', '2002-01-01', 1, 'o', 'Released', 1, 1, 1)",
            "INSERT INTO actors (id, name) VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy'), (4, 'Nobody')",
            "INSERT INTO actors_movies (movie_id, actor_id) VALUES (1, 1), (2, 1), (1, 2), (2, 3)",
        ] {
            db.execute_unprepared(sql).await.unwrap();
        }
        let names = |page: Vec<NamedCount>| -> Vec<(String, i64)> {
            page.into_iter().map(|a| (a.name, a.movies)).collect()
        };
        assert_eq!(count_actors(&db, None).await.unwrap(), 3);
        for (limit, offset, expected) in [
            (1, 1, vec![("Bob", 1)]),
            (2, 0, vec![("Ann", 2), ("Bob", 1)]),
            (5, 1, vec![("Bob", 1), ("Cy", 1)]),
        ] {
            let expected: Vec<(String, i64)> = expected
                .into_iter()
                .map(|(n, c)| (n.to_owned(), c))
                .collect();
            let page = page_actors(&db, None, limit, offset).await.unwrap();
            assert_eq!(names(page), expected, "{limit} {offset}");
        }
    }
}
