//! The discovery rules over their store and the catalog's cache: every body is cached under its
//! canonical URL until the next catalog write (the counts of the browse indexes are a `GROUP BY`
//! over the link tables, which is worth reusing between writes).

use std::sync::Arc;

use axum::extract::FromRef;
use bytes::Bytes;
use sea_orm::DatabaseConnection;
use url::form_urlencoded;

use super::{
    domain::{ActorId, Limit, Prefix},
    error::DiscoveryError,
    store::{self, Lookup},
    wire::{ActorList, ActorQuery, SimilarMovies, Suggestion, SuggestionKind, Suggestions},
};
use crate::movies::domain::MovieId;
use crate::{
    catalog_cache::{CatalogCache, to_json},
    state::AppState,
};

type Result<T, E = DiscoveryError> = std::result::Result<T, E>;

/// The catalog's database and cache, for the discovery endpoints.
#[derive(Clone)]
pub struct Discovery {
    db: DatabaseConnection,
    cache: Arc<CatalogCache>,
}

impl FromRef<AppState> for Discovery {
    fn from_ref(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
            cache: state.catalog_cache.clone(),
        }
    }
}

impl Discovery {
    /// Genres or languages with their movie counts, by name, as JSON.
    pub async fn lookups(&self, lookup: Lookup) -> Result<Bytes> {
        let key = match lookup {
            Lookup::Genres => "/theater/genres/",
            Lookup::Languages => "/theater/languages/",
        };
        let load = async { to_json(&store::lookup_counts(&self.db, lookup).await?).map(Some) };
        let body = self.cache.list(key.to_owned(), load).await?;
        body.ok_or_else(|| anyhow::anyhow!("{key} loaded nothing").into())
    }

    /// Countries with their movie counts, by code, as JSON.
    pub async fn countries(&self) -> Result<Bytes> {
        let key = "/theater/countries/";
        let load = async { to_json(&store::country_counts(&self.db).await?).map(Some) };
        let body = self.cache.list(key.to_owned(), load).await?;
        body.ok_or_else(|| anyhow::anyhow!("{key} loaded nothing").into())
    }

    /// A page of the actor index as JSON (an empty page past the end, or without a match).
    pub async fn actors(&self, query: &ActorQuery) -> Result<Bytes> {
        let (page, per_page) = (query.page.get(), query.per_page.get());
        let link = |n: i64| actor_page_link(n, per_page, query);
        let load = async {
            let search = query.search.as_ref();
            let total_items = store::count_actors(&self.db, search).await?;
            let offset = (page - 1).saturating_mul(per_page);
            let actors = if offset < total_items {
                store::page_actors(&self.db, search, per_page, offset).await?
            } else {
                Vec::new()
            };
            let total_pages = (total_items + per_page - 1) / per_page;
            to_json(&ActorList {
                actors,
                prev_page: (page > 1).then(|| link(page - 1)),
                next_page: (page < total_pages).then(|| link(page + 1)),
                total_pages,
                total_items,
            })
            .map(Some)
        };
        let body = self.cache.list(link(page), load).await?;
        body.ok_or_else(|| anyhow::anyhow!("the actor index loaded nothing").into())
    }

    /// An actor with their movies, newest first, as JSON.
    pub async fn actor(&self, id: ActorId) -> Result<Bytes> {
        let id = id.as_i32().ok_or(DiscoveryError::ActorNotFound)?;
        let load = async {
            match store::actor_detail(&self.db, id).await? {
                Some(detail) => to_json(&detail).map(Some),
                None => Ok(None),
            }
        };
        self.cache
            .list(format!("/theater/actors/{id}/"), load)
            .await?
            .ok_or(DiscoveryError::ActorNotFound)
    }
}

impl Discovery {
    /// The movies most like a movie, as JSON (see [`store::similar_movies`]).
    pub async fn similar(&self, id: MovieId, limit: Limit) -> Result<Bytes> {
        let id = id.as_i32().ok_or(DiscoveryError::MovieNotFound)?;
        let load = async {
            match store::similar_movies(&self.db, id, limit.get()).await? {
                Some(movies) => to_json(&SimilarMovies { movies }).map(Some),
                None => Ok(None),
            }
        };
        let key = format!("/theater/movies/{id}/similar/?limit={}", limit.get());
        self.cache
            .list(key, load)
            .await?
            .ok_or(DiscoveryError::MovieNotFound)
    }

    /// Suggestions for a prefix (not cached: the inputs are a long tail, and each lookup is an
    /// index range of `limit` rows).
    pub async fn suggest(&self, prefix: &Prefix, limit: Limit) -> Result<Suggestions> {
        let limit = limit.get();
        if prefix.0.is_empty() {
            return Ok(Suggestions {
                suggestions: Vec::new(),
            });
        }
        let mut genres: Vec<(i32, String)> = store::genres(&self.db)
            .await
            .map_err(anyhow::Error::from)?
            .into_iter()
            .filter(|(_, name)| prefix.matches(name))
            .collect();
        genres.sort_by(|a, b| a.1.cmp(&b.1));
        let (mut movies, mut actors) = (Vec::new(), Vec::new());
        // One letter would be a prefix of a large part of every index: genres only.
        if prefix.0.iter().map(|w| w.chars().count()).sum::<usize>() >= MIN_INDEX_PREFIX {
            movies = store::suggest_movies(&self.db, prefix, limit)
                .await
                .map_err(anyhow::Error::from)?;
            actors = store::suggest_actors(&self.db, prefix, limit)
                .await
                .map_err(anyhow::Error::from)?;
        }
        Ok(Suggestions {
            suggestions: merge_suggestions(genres, movies, actors, limit),
        })
    }
}

/// Characters a prefix needs before movies and actors are suggested.
pub const MIN_INDEX_PREFIX: usize = 2;

/// Genres first (few, and they open a whole browse page), then movies and actors in turn, at most
/// `limit` in all.
fn merge_suggestions(
    genres: Vec<(i32, String)>,
    movies: Vec<(i32, String)>,
    actors: Vec<(i32, String)>,
    limit: i64,
) -> Vec<Suggestion> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let tag = |kind: SuggestionKind| move |(id, name): (i32, String)| Suggestion { kind, id, name };
    let mut out: Vec<Suggestion> = genres.into_iter().map(tag(SuggestionKind::Genre)).collect();
    let mut movies = movies.into_iter().map(tag(SuggestionKind::Movie));
    let mut actors = actors.into_iter().map(tag(SuggestionKind::Actor));
    loop {
        let (m, a) = (movies.next(), actors.next());
        if m.is_none() && a.is_none() {
            break;
        }
        out.extend(m);
        out.extend(a);
    }
    out.truncate(limit);
    out
}

/// `/theater/actors/?page={n}&per_page={per_page}`, then `search` when given.
fn actor_page_link(page: i64, per_page: i64, query: &ActorQuery) -> String {
    let mut link = format!("/theater/actors/?page={page}&per_page={per_page}");
    if let Some(search) = &query.search {
        let mut encoded = form_urlencoded::Serializer::new(String::new());
        encoded.append_pair("search", &search.text);
        link.push('&');
        link.push_str(&encoded.finish());
    }
    link
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_put_genres_first_then_alternate() {
        let named = |items: &[(i32, &str)]| -> Vec<(i32, String)> {
            items.iter().map(|(i, n)| (*i, (*n).to_owned())).collect()
        };
        let merged = merge_suggestions(
            named(&[(1, "Drama")]),
            named(&[(10, "Dracula"), (11, "Dragnet"), (12, "Drab")]),
            named(&[(20, "Drake")]),
            4,
        );
        let got: Vec<(SuggestionKind, i32)> = merged.iter().map(|s| (s.kind, s.id)).collect();
        assert_eq!(
            got,
            [
                (SuggestionKind::Genre, 1),
                (SuggestionKind::Movie, 10),
                (SuggestionKind::Actor, 20),
                (SuggestionKind::Movie, 11)
            ]
        );
    }
}
