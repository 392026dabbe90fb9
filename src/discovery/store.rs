//! Data access of the discovery endpoints: hand-written SQL with `$n` placeholders, one round trip
//! per response. Names are ordered here, in Rust, by their bytes (then id), so that both backends
//! give the same order whatever PostgreSQL's collation.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult};

use crate::{
    db::{Sql, statement},
    movies::wire::MovieListItem,
};

use super::{
    domain::NameSearch,
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

/// ` WHERE …` over `actors a`: actors with a movie, matching the search.
fn actor_filter(sql: &mut Sql, search: Option<&NameSearch>, backend: DbBackend) -> String {
    // `IN`, not `EXISTS (… WHERE l.actor_id = a.id)`: SQLite 3.51 (bundled) turns such an EXISTS into
    // a join and gave an actor of two movies twice in a page (the count was right).
    let mut filter = " WHERE a.id IN (SELECT l.actor_id FROM actors_movies l)".to_owned();
    if let Some(search) = search {
        let condition = if backend == DbBackend::Postgres {
            let words: Vec<String> = search.words.iter().map(|w| format!("'{w}':*")).collect();
            let q = sql.bind(words.join(" & "));
            format!(
                "a.id IN (SELECT actor_id FROM actor_search WHERE document @@ CAST({q} AS tsquery))"
            )
        } else {
            let words: Vec<String> = search.words.iter().map(|w| format!("\"{w}\"*")).collect();
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
    let filter = actor_filter(&mut sql, search, db.get_database_backend());
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
    let filter = actor_filter(&mut sql, search, backend);
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
        let Some(movie_id) = row.try_get_by_index::<Option<i32>>(2)? else {
            continue;
        };
        detail.movies.push(MovieListItem {
            id: movie_id,
            name: row.try_get_by_index(3)?,
            date: row.try_get_by_index(4)?,
            score: row.try_get_by_index(5)?,
            overview: row.try_get_by_index(6)?,
        });
    }
    Ok(Some(detail))
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
