//! The catalog's rules over its store and its cache: [`Catalog`] holds exactly those two, and every
//! write goes through it, so no handler can forget to drop the cached bodies a write made stale.
//! The read paths return the serialised JSON the cache keeps (a hit is a copy, not a render).

use std::sync::Arc;

use axum::extract::FromRef;
use bytes::Bytes;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use url::form_urlencoded;

use super::{
    domain::MovieId,
    error::CatalogError,
    store::{self, CreateError, UpdateOutcome},
    wire::{ListQuery, MovieDetail, MovieList, MovieListItem, MovieUpdate, NewMovie},
};
use crate::{
    audit::Actor,
    catalog_cache::{CatalogCache, to_json},
    state::AppState,
};

type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// The catalog's store and cache. Handlers take it as their state.
#[derive(Clone)]
pub struct Catalog {
    db: DatabaseConnection,
    cache: Arc<CatalogCache>,
}

impl FromRef<AppState> for Catalog {
    fn from_ref(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
            cache: state.catalog_cache.clone(),
        }
    }
}

/// The movie an id names, or the contract's 404 for ids no row can have.
fn row_id(id: MovieId) -> Result<i32> {
    id.as_i32().ok_or(CatalogError::MovieNotFound)
}

impl Catalog {
    /// A page of the catalog as JSON (`NoMovies` for an empty catalog, no match or a page past
    /// the end).
    pub async fn list(&self, query: &ListQuery) -> Result<Bytes> {
        let page = query.page.get();
        let per_page = query.per_page.get();
        // The first page's link is canonical for every parameter, filters included: a fine cache
        // key.
        let key = page_link(CATALOG_PATH, page, per_page, query);
        let load = async {
            let Some((movies, total_items)) = self.page(query).await? else {
                return Ok(None);
            };
            to_json(&movie_page(CATALOG_PATH, query, movies, total_items)).map(Some)
        };
        self.cache
            .list(key, load)
            .await?
            .ok_or(CatalogError::NoMovies)
    }

    /// A page's movies and the number of all matches, or `None` for no match or a page past the end.
    /// From the listing's order when the cache keeps orders (a slice, then the page's rows by primary
    /// key), else by a count (cached per filter set) and a page query.
    async fn page(&self, query: &ListQuery) -> anyhow::Result<Option<(Vec<MovieListItem>, i64)>> {
        let per_page = query.per_page.get();
        let offset = (query.page.get() - 1).saturating_mul(per_page);
        if self.cache.keeps_orders() {
            let load = async { Ok(store::ordered_ids(&self.db, &query.filters).await?) };
            let rated = query.filters.depends_on_ratings();
            let ids = self
                .cache
                .order(encoded_filters(query), rated, load)
                .await?;
            let start = usize::try_from(offset).unwrap_or(usize::MAX);
            let Some(rest) = ids.get(start..).filter(|rest| !rest.is_empty()) else {
                return Ok(None);
            };
            let page = &rest[..rest
                .len()
                .min(usize::try_from(per_page).unwrap_or(usize::MAX))];
            let movies = store::movies_by_ids(&self.db, page).await?;
            // Empty only if another process deleted the whole page since the order was read.
            return Ok((!movies.is_empty()).then(|| (movies, ids.len() as i64)));
        }
        let count = store::count_movies(&self.db, &query.filters);
        let total_items = self
            .cache
            .count(encoded_filters(query), async { Ok(count.await?) })
            .await?;
        if total_items == 0 {
            return Ok(None);
        }
        let movies = store::page_movies(&self.db, query).await?;
        Ok((!movies.is_empty()).then_some((movies, total_items)))
    }

    /// A movie with its country, genres, actors and languages, as JSON.
    pub async fn detail(&self, id: MovieId) -> Result<Bytes> {
        let id = row_id(id)?;
        let load = async {
            match store::movie_detail(&self.db, id).await? {
                Some(detail) => to_json(&detail).map(Some),
                None => Ok(None),
            }
        };
        self.cache
            .detail(id, load)
            .await?
            .ok_or(CatalogError::MovieNotFound)
    }

    /// Adds a movie; missing countries, genres, actors and languages are created. A staff
    /// `writer`'s change is audited in its transaction.
    pub async fn create(&self, movie: &NewMovie, writer: Option<&Actor>) -> Result<MovieDetail> {
        match store::create_movie(&self.db, movie, writer).await {
            Ok(detail) => {
                self.cache.movie_changed();
                Ok(detail)
            }
            Err(CreateError::Conflict) => Err(CatalogError::Duplicate {
                name: movie.name.as_str().to_owned(),
                date: movie.date.get(),
            }),
            Err(CreateError::Integrity(e)) => {
                tracing::info!(error = %e, "movie create refused by a constraint");
                Err(CatalogError::Refused)
            }
            Err(CreateError::Db(e)) => Err(e.into()),
        }
    }

    /// Changes the given fields of a movie.
    pub async fn update(
        &self,
        id: MovieId,
        update: &MovieUpdate,
        writer: Option<&Actor>,
    ) -> Result<()> {
        match store::update_movie(&self.db, row_id(id)?, update, writer).await? {
            UpdateOutcome::Updated => {
                self.cache.movie_changed();
                Ok(())
            }
            UpdateOutcome::NotFound => Err(CatalogError::MovieNotFound),
            UpdateOutcome::Rejected => Err(CatalogError::Refused),
        }
    }

    /// Removes a movie and its genre, actor and language links.
    pub async fn delete(&self, id: MovieId, writer: Option<&Actor>) -> Result<()> {
        if store::delete_movie(&self.db, row_id(id)?, writer).await? {
            self.cache.movie_changed();
            Ok(())
        } else {
            Err(CatalogError::MovieNotFound)
        }
    }
}

/// A page of `query`'s movies read straight from the database, for listings whose rows change
/// without a catalog write — a user list's movies (`query.filters.scope`): the catalog's caches
/// are made stale by catalog writes only, so these must not go through them. The same SQL as the
/// catalog's. No match, or a page past the end, is a page without movies (no 404); its links
/// start with `path`.
pub async fn uncached_page(
    db: &impl ConnectionTrait,
    path: &str,
    query: &ListQuery,
) -> Result<MovieList, DbErr> {
    let total_items = store::count_movies(db, &query.filters).await?;
    let movies = if total_items > 0 {
        store::page_movies(db, query).await?
    } else {
        Vec::new()
    };
    Ok(movie_page(path, query, movies, total_items))
}

/// The catalog's own path, after `/api/v1`.
const CATALOG_PATH: &str = "/theater/movies/";

/// The page of a listing at `path` with its links.
fn movie_page(
    path: &str,
    query: &ListQuery,
    movies: Vec<MovieListItem>,
    total_items: i64,
) -> MovieList {
    let page = query.page.get();
    let per_page = query.per_page.get();
    let total_pages = (total_items + per_page - 1) / per_page;
    let link = |n: i64| page_link(path, n, per_page, query);
    MovieList {
        movies,
        prev_page: (page > 1).then(|| link(page - 1)),
        next_page: (page < total_pages).then(|| link(page + 1)),
        total_pages,
        total_items,
    }
}

/// `{path}?page={n}&per_page={per_page}` (the catalog's exactly as the original), then the active
/// filters.
fn page_link(path: &str, page: i64, per_page: i64, query: &ListQuery) -> String {
    let mut link = format!("{path}?page={page}&per_page={per_page}");
    let filters = encoded_filters(query);
    if !filters.is_empty() {
        link.push('&');
        link.push_str(&filters);
    }
    link
}

/// The active filters (and sort) as a query string, in a fixed order: also the key of their count.
fn encoded_filters(query: &ListQuery) -> String {
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (key, value) in &query.filters.query_pairs() {
        encoded.append_pair(key, value);
    }
    encoded.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::Fields;
    use serde_json::json;

    fn query(pairs: &[(&str, &str)]) -> ListQuery {
        let map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        Fields::new("query", map).read().unwrap()
    }

    #[test]
    fn links_are_the_originals_without_filters() {
        assert_eq!(
            page_link(CATALOG_PATH, 2, 10, &query(&[])),
            "/theater/movies/?page=2&per_page=10"
        );
    }

    #[test]
    fn links_keep_filters_url_encoded() {
        let q = query(&[
            ("search", "war & peace"),
            ("sort", "name"),
            ("genre", "Sci-Fi"),
        ]);
        assert_eq!(
            page_link(CATALOG_PATH, 3, 5, &q),
            "/theater/movies/?page=3&per_page=5&search=war+%26+peace&genre=Sci-Fi&sort=name"
        );
    }
}
