//! Request and response types of the discovery endpoints.

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::{
    movies::{
        domain::{MovieId, Page, PerPage},
        wire::MovieListItem,
    },
    validation::{Fields, FromFields},
};

use super::domain::{ActorId, Limit, NameSearch, NameSearchParam, Prefix};

/// A genre or language with the number of movies that have it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NamedCount {
    pub id: i32,
    #[schema(example = "Drama")]
    pub name: String,
    /// Movies of the catalog that have it.
    #[schema(example = 4211)]
    pub movies: i64,
}

/// A country with the number of its movies.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CountryCount {
    pub id: i32,
    #[schema(example = "US")]
    pub code: String,
    /// English name, when known.
    #[schema(example = "United States of America")]
    pub name: Option<String>,
    #[schema(example = 5017)]
    pub movies: i64,
}

/// A page of the actor index.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActorList {
    pub actors: Vec<NamedCount>,
    /// `/theater/actors/?page={n}&per_page={per_page}` (plus `search`), `null` on the first page.
    #[schema(example = "/theater/actors/?page=1&per_page=10&search=tom")]
    pub prev_page: Option<String>,
    /// As `prev_page`, `null` on the last page.
    pub next_page: Option<String>,
    pub total_pages: i64,
    pub total_items: i64,
}

/// An actor and their movies, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActorDetail {
    pub id: i32,
    #[schema(example = "Tom Cruise")]
    pub name: String,
    pub movies: Vec<MovieListItem>,
}

/// `GET /actors/` query string.
#[derive(Debug, Clone, PartialEq, FromFields, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActorListParams {
    /// Page number, from 1.
    #[field(default = Page::FIRST)]
    #[param(inline, required = false)]
    pub page: Page,
    /// Actors per page.
    #[field(default = PerPage::DEFAULT)]
    #[param(inline, required = false)]
    pub per_page: PerPage,
    /// Words that begin words of the name.
    #[param(inline)]
    pub search: Option<NameSearchParam>,
}

/// The actor index's query, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorQuery {
    pub page: Page,
    pub per_page: PerPage,
    pub search: Option<NameSearch>,
}

impl FromFields for ActorQuery {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        ActorListParams::from_fields(f).map(|p| Self {
            page: p.page,
            per_page: p.per_page,
            search: p.search.and_then(|NameSearchParam(s)| s),
        })
    }
}

/// `{actor_id}`.
#[derive(Debug, Clone, Copy, FromFields)]
pub struct ActorPath {
    pub actor_id: ActorId,
}

/// Movies like a movie, most similar first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SimilarMovies {
    pub movies: Vec<MovieListItem>,
}

/// `GET /movies/{movie_id}/similar/` path.
#[derive(Debug, Clone, Copy, FromFields)]
pub struct SimilarPath {
    pub movie_id: MovieId,
}

/// `GET /movies/{movie_id}/similar/` and `/search/suggest/` query: how many at most.
#[derive(Debug, Clone, Copy, PartialEq, FromFields, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitParams {
    /// How many at most.
    #[field(default = Limit::DEFAULT)]
    #[param(inline, required = false)]
    pub limit: Limit,
}

/// `GET /search/suggest/` query.
#[derive(Debug, Clone, PartialEq, FromFields, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What is being typed.
    #[param(inline)]
    pub q: Prefix,
    /// How many suggestions at most.
    #[field(default = Limit::DEFAULT)]
    #[param(inline, required = false)]
    pub limit: Limit,
}

/// What a suggestion names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    Movie,
    Actor,
    Genre,
}

/// One suggestion: a genre (for `genre=`), an actor (`/actors/{id}/`) or a movie (`/movies/{id}/`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    pub id: i32,
    #[schema(example = "The Dark Knight")]
    pub name: String,
}

/// Suggestions for what is being typed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Suggestions {
    pub suggestions: Vec<Suggestion>,
}
