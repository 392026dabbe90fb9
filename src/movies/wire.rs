//! Request and response types of `/movies/`. Requests are read field by field ([`FromFields`]) into
//! domain types, so every failed field is reported at once; responses are serialised straight from
//! query rows. Field names and order follow the contract.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::{
    http::openapi::string,
    validation::{Fields, FromFields, FromInput, Invalid, at_most_chars},
};

use super::domain::{
    Budget, CountryCode, LookupName, MinRating, MovieId, MovieName, MovieStatus, NAME_MAX_CHARS,
    Page, PerPage, ReleaseDate, Revenue, Score, Sort, Year, string_too_long, upper_code,
};
use super::search::SearchQuery;

/// One movie of a list page.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MovieListItem {
    pub id: i32,
    pub name: String,
    pub date: NaiveDate,
    pub score: f64,
    pub overview: String,
}

/// A page of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MovieList {
    pub movies: Vec<MovieListItem>,
    /// `/theater/movies/?page={n}&per_page={per_page}` (plus active filters), or `null` on the first page.
    #[schema(example = "/theater/movies/?page=1&per_page=10")]
    pub prev_page: Option<String>,
    /// As `prev_page`, `null` on the last page.
    #[schema(example = "/theater/movies/?page=3&per_page=10")]
    pub next_page: Option<String>,
    pub total_pages: i64,
    pub total_items: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Country {
    pub id: i32,
    #[schema(example = "US")]
    pub code: String,
    /// English name, when known.
    pub name: Option<String>,
}

/// A genre, actor or language.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Named {
    pub id: i32,
    pub name: String,
}

/// A movie with its country, genres, actors and languages.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MovieDetail {
    pub id: i32,
    pub name: String,
    pub date: NaiveDate,
    pub score: f64,
    pub overview: String,
    #[schema(value_type = MovieStatus)]
    pub status: String,
    #[schema(example = 75000000.0)]
    pub budget: f64,
    pub revenue: f64,
    pub country: Country,
    pub genres: Vec<Named>,
    pub actors: Vec<Named>,
    pub languages: Vec<Named>,
}

/// `{"detail": "Movie updated successfully."}`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovieUpdated {
    #[schema(example = "Movie updated successfully.")]
    pub detail: &'static str,
}

/// The optional catalog filters of `GET /movies/` (beyond the original; absent means "all").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub search: Option<Search>,
    pub genre: Option<Choice<String>>,
    pub actor: Option<Choice<String>>,
    pub language: Option<Choice<String>>,
    pub country: Option<Choice<String>>,
    pub year: Option<Year>,
    pub year_from: Option<Year>,
    pub year_to: Option<Year>,
    pub min_score: Option<f64>,
    pub max_score: Option<f64>,
    pub min_rating: Option<MinRating>,
    /// As given; `None` orders by relevance with a `search`, else by the scope's default order.
    pub sort: Option<Sort>,
    /// Which movies the filters apply to: the catalog's (what every catalog request has) or one
    /// list's. Never part of the links: it is the endpoint's path.
    pub scope: Scope,
}

/// Which movies a listing draws from. The catalog's SQL (`crate::movies::store`) serves both: a
/// list's scope joins its rows (`user_list_movies ul`), which restricts the movies and gives the
/// time each was added, for `sort=added` / `-added`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    /// The whole catalog.
    #[default]
    Catalog,
    /// The movies of one user list, by the list's row id.
    List(i32),
}

impl Scope {
    /// The order without a `sort` or a `search`: newest movie first in the catalog, most recently
    /// added first in a list.
    pub fn default_sort(self) -> Sort {
        match self {
            Self::Catalog => Sort::default(),
            Self::List(_) => Sort::AddedDesc,
        }
    }
}

impl Filters {
    /// The order the rows come in.
    pub fn order(&self) -> Sort {
        match (self.sort, &self.search) {
            // Only a list has the time a movie was added (the catalog's `sort` refuses `added`).
            (Some(sort), _) if sort.needs_list() && self.scope == Scope::Catalog => Sort::default(),
            (Some(sort), _) => sort,
            (None, Some(_)) => Sort::Relevance,
            (None, None) => self.scope.default_sort(),
        }
    }

    /// Whether rows come by a search's rank.
    pub fn by_relevance(&self) -> bool {
        self.search.is_some() && self.order() == Sort::Relevance
    }

    /// Whether the rows depend on the community's ratings (`min_rating`, `sort=rating`), which
    /// change without a catalog write.
    pub fn depends_on_ratings(&self) -> bool {
        self.min_rating.is_some() || self.order().joins_ratings()
    }

    /// The active filters as query pairs, in a fixed order, for the pagination links.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(search) = &self.search {
            pairs.push(("search", search.text.clone()));
        }
        let names = [
            ("genre", &self.genre),
            ("actor", &self.actor),
            ("language", &self.language),
        ];
        for (key, value) in names {
            if let Some(choice) = value {
                pairs.push((key, choice.to_string()));
            }
        }
        if let Some(c) = &self.country {
            pairs.push(("country", c.to_string()));
        }
        let years = [
            ("year", self.year),
            ("year_from", self.year_from),
            ("year_to", self.year_to),
        ];
        for (key, year) in years {
            if let Some(y) = year {
                pairs.push((key, y.get().to_string()));
            }
        }
        for (key, score) in [("min_score", self.min_score), ("max_score", self.max_score)] {
            if let Some(s) = score {
                pairs.push((key, s.to_string()));
            }
        }
        if let Some(rating) = self.min_rating {
            pairs.push(("min_rating", rating.get().to_string()));
        }
        // The order is named when it is not what the other parameters imply.
        let implied = if self.search.is_some() {
            Sort::Relevance
        } else {
            self.scope.default_sort()
        };
        if self.order() != implied {
            pairs.push(("sort", self.order().as_str().to_owned()));
        }
        pairs
    }
}

/// `GET /movies/` query string.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub page: Page,
    pub per_page: PerPage,
    pub filters: Filters,
}

/// Longest text filter. Genre and actor names are at most this long, so longer filters can never
/// match; a `search` pattern's cost grows with its length on every row it is compared with.
pub const FILTER_MAX_CHARS: usize = NAME_MAX_CHARS;
/// Most values a multi-value filter takes (`genre=a,b|c` has three).
pub const MAX_FILTER_VALUES: usize = 20;

/// A free-text filter as given: at most [`FILTER_MAX_CHARS`] characters, trimmed; blank means
/// "no filter".
#[derive(Debug, Clone, PartialEq)]
pub struct TextFilter(Option<String>);

impl TextFilter {
    /// The trimmed text, `None` when blank.
    pub fn into_active(self) -> Option<String> {
        self.0
    }
}

impl FromInput for TextFilter {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let text = String::from_input(value)?;
        if !at_most_chars(&text, FILTER_MAX_CHARS) {
            return Err(string_too_long(FILTER_MAX_CHARS));
        }
        Ok(Self(Some(text.trim().to_owned()).filter(|t| !t.is_empty())))
    }
}

crate::value_schema!(TextFilter => string().max_length(Some(FILTER_MAX_CHARS)));

/// A full-text search as given (for the links) and as a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub text: String,
    pub query: SearchQuery,
}

/// `search`: blank, or nothing but punctuation, means "no filter"; words beyond the 16th are ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchFilter(Option<Search>);

impl FromInput for SearchFilter {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let Some(text) = TextFilter::from_input(value)?.into_active() else {
            return Ok(Self(None));
        };
        Ok(Self(
            SearchQuery::parse(&text).map(|query| Search { text, query }),
        ))
    }
}

crate::value_schema!(SearchFilter => string()
    .max_length(Some(FILTER_MAX_CHARS))
    .description(Some(
        "Words of the name or the overview, case- and accent-insensitive, with English stemming \
         (`storms` finds `Storm`); every word must match, the last one also as a prefix. Words \
         beyond the 16th are ignored."
    ))
    .example(Some(serde_json::json!("space storm"))));

/// A multi-value filter: groups separated by `,` that must all match, each a choice of values
/// separated by `|` of which one must match (`genre=Drama,Comedy|Romance`: dramas that are also
/// comedies or romances). Values are trimmed; empty ones are ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice<T> {
    /// Never empty, nor is any group.
    pub all_of: Vec<Vec<T>>,
}

impl<T: std::fmt::Display> std::fmt::Display for Choice<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, group) in self.all_of.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            for (j, value) in group.iter().enumerate() {
                if j > 0 {
                    f.write_str("|")?;
                }
                write!(f, "{value}")?;
            }
        }
        Ok(())
    }
}

impl<T> Choice<T> {
    /// `None` when no value is given; each value made by `parse`.
    fn parse(value: &Value, parse: impl Fn(&str) -> T) -> Result<Option<Self>, Invalid> {
        let Some(text) = TextFilter::from_input(value)?.into_active() else {
            return Ok(None);
        };
        // Counted by separators, which the document's pattern can state exactly.
        if text.matches([',', '|']).count() >= MAX_FILTER_VALUES {
            return Err(Invalid::new(
                "value_error",
                format!("Value error, a filter has at most {MAX_FILTER_VALUES} values"),
            ));
        }
        let mut all_of = Vec::new();
        for group in text.split(',') {
            let mut any_of = Vec::new();
            for value in group.split('|').map(str::trim).filter(|v| !v.is_empty()) {
                any_of.push(parse(value));
            }
            if !any_of.is_empty() {
                all_of.push(any_of);
            }
        }
        Ok((!all_of.is_empty()).then_some(Self { all_of }))
    }
}

/// `genre`, `actor`, `language`: names, compared case-insensitively.
#[derive(Debug, Clone, PartialEq)]
pub struct NameFilter(Option<Choice<String>>);

impl FromInput for NameFilter {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Choice::parse(value, str::to_owned).map(Self)
    }
}

/// At most 19 separators (the values' limit, as the server counts it), and no NUL (refused in every
/// text the service reads).
const CHOICE_PATTERN: &str = "^[^,|\\u0000]*([,|][^,|\\u0000]*){0,19}$";

crate::value_schema!(NameFilter => string()
.max_length(Some(FILTER_MAX_CHARS))
.description(Some(
    "Names, case-insensitive: `A,B` matches movies with all of them, `A|B` with any of them \
     (`A,B|C`: A and one of B or C). At most 20 names."
)));

/// A country filter: blank means "no filter", anything else is one or more country codes with `,`
/// and `|` as for [`NameFilter`] (a movie has one country, so only `|` is useful), upper-cased as
/// codes are stored; a value longer than a code matches no movie.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryFilter(Option<Choice<String>>);

impl FromInput for CountryFilter {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Choice::parse(value, upper_code).map(Self)
    }
}

crate::value_schema!(CountryFilter => string()
    .max_length(Some(FILTER_MAX_CHARS))
    .pattern(Some(CHOICE_PATTERN))
    .description(Some(
        "Country codes, compared upper-cased: `US|GB` matches movies of either (a movie has one \
         country, so `US,GB` matches none). At most 20 codes."
    ))
    .example(Some(serde_json::json!("US"))));

/// `GET /movies/` query string, as given: read by `FromFields`, documented by `IntoParams`, one
/// declaration. The handler turns it into a [`ListQuery`]. Every list of movies takes it: `S` is
/// the endpoint's `sort` ([`Sort`], which refuses `added`, for the catalog; a list's movies take
/// `crate::lists::domain::ListSort`).
#[derive(Debug, Clone, PartialEq, FromFields, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams<S: FromInput + utoipa::ToSchema = Sort> {
    /// Page number, from 1.
    #[field(default = Page::FIRST)]
    #[param(inline, required = false)]
    pub page: Page,
    /// Movies per page.
    #[field(default = PerPage::DEFAULT)]
    #[param(inline, required = false)]
    pub per_page: PerPage,
    /// Full-text search of the name and the overview (best match first unless `sort` is given).
    #[param(inline)]
    pub search: Option<SearchFilter>,
    /// Genre names.
    #[param(inline)]
    pub genre: Option<NameFilter>,
    /// Actor names.
    #[param(inline)]
    pub actor: Option<NameFilter>,
    /// Language names.
    #[param(inline)]
    pub language: Option<NameFilter>,
    /// Country codes, e.g. `US` or `US|GB`.
    #[param(inline)]
    pub country: Option<CountryFilter>,
    /// Release year.
    #[param(inline)]
    pub year: Option<Year>,
    /// Released in this year or later.
    #[param(inline)]
    pub year_from: Option<Year>,
    /// Released in this year or earlier (a `year_to` before `year_from` matches nothing).
    #[param(inline)]
    pub year_to: Option<Year>,
    /// Lowest score (inclusive).
    pub min_score: Option<f64>,
    /// Highest score (inclusive).
    pub max_score: Option<f64>,
    /// Lowest mean community rating, 1 to 10 (inclusive).
    #[param(inline)]
    pub min_rating: Option<MinRating>,
    /// `id`, `-id`, `name`, `-name`, `date`, `-date`, `score`, `-score`, `rating`, `-rating` or
    /// `relevance`; on a list's movies also `added` / `-added` (when each was added to the list).
    /// Default: `relevance` with a `search` (ties newest first), else `-id` in the catalog and
    /// `-added` in a list. `rating` orders by the mean community rating, then the number of
    /// ratings (both ascending, or both descending with `-rating`), then newest first; unrated
    /// movies come last either way.
    #[param(inline)]
    pub sort: Option<S>,
}

impl<S: FromInput + utoipa::ToSchema + Into<Sort>> From<ListParams<S>> for ListQuery {
    fn from(p: ListParams<S>) -> Self {
        Self {
            page: p.page,
            per_page: p.per_page,
            filters: Filters {
                search: p.search.and_then(|SearchFilter(s)| s),
                genre: p.genre.and_then(|NameFilter(c)| c),
                actor: p.actor.and_then(|NameFilter(c)| c),
                language: p.language.and_then(|NameFilter(c)| c),
                country: p.country.and_then(|CountryFilter(c)| c),
                year: p.year,
                year_from: p.year_from,
                year_to: p.year_to,
                min_score: p.min_score,
                max_score: p.max_score,
                min_rating: p.min_rating,
                sort: p.sort.map(Into::into),
                scope: Scope::Catalog,
            },
        }
    }
}

impl FromFields for ListQuery {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        ListParams::<Sort>::from_fields(f).map(Self::from)
    }
}

/// `{movie_id}`.
#[derive(Debug, Clone, Copy, FromFields)]
pub struct MoviePath {
    pub movie_id: MovieId,
}

/// `POST /movies/` body.
#[derive(Debug, Clone, ToSchema, FromFields)]
pub struct NewMovie {
    #[schema(inline)]
    pub name: MovieName,
    #[schema(inline)]
    pub date: ReleaseDate,
    #[schema(inline)]
    pub score: Score,
    #[schema(example = "Adonis has been thriving in his career and family life.")]
    pub overview: String,
    pub status: MovieStatus,
    #[schema(inline)]
    pub budget: Budget,
    #[schema(inline)]
    pub revenue: Revenue,
    #[schema(inline)]
    pub country: CountryCode,
    /// Genre names (at most 1000, each at most 255 characters); stored title-cased. Missing
    /// ones are created.
    #[schema(inline, max_items = 1000, example = json!(["Drama", "Action"]))]
    pub genres: Vec<LookupName>,
    /// Actor names (at most 1000, each at most 255 characters); stored title-cased.
    #[schema(inline, max_items = 1000, example = json!(["Michael B. Jordan"]))]
    pub actors: Vec<LookupName>,
    /// Language names (at most 1000, each at most 255 characters); stored title-cased.
    #[schema(inline, max_items = 1000, example = json!(["English"]))]
    pub languages: Vec<LookupName>,
}

/// `PATCH /movies/{movie_id}/` body: any subset of the movie's own fields.
#[derive(Debug, Clone, Default, ToSchema)]
pub struct MovieUpdate {
    #[schema(inline)]
    pub name: Option<MovieName>,
    #[schema(inline)]
    pub date: Option<ReleaseDate>,
    #[schema(inline)]
    pub score: Option<Score>,
    pub overview: Option<String>,
    pub status: Option<MovieStatus>,
    #[schema(inline)]
    pub budget: Option<Budget>,
    #[schema(inline)]
    pub revenue: Option<Revenue>,
    /// A field sent as `null`. The original assigned it and the NOT NULL column refused it, which it
    /// answered with 400 `Invalid input data.`; so does Theater.
    #[schema(ignore)]
    pub sets_null: bool,
}

impl MovieUpdate {
    pub const FIELDS: [&'static str; 7] = [
        "name", "date", "score", "overview", "status", "budget", "revenue",
    ];

    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.date.is_none()
            && self.score.is_none()
            && self.overview.is_none()
            && self.status.is_none()
            && self.budget.is_none()
            && self.revenue.is_none()
    }
}

impl FromFields for MovieUpdate {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let sets_null = Self::FIELDS
            .iter()
            .any(|name| matches!(f.raw(name), Some(Value::Null)));
        Some(Self {
            name: f.optional("name"),
            date: f.optional("date"),
            score: f.optional("score"),
            overview: f.optional("overview"),
            status: f.optional("status"),
            budget: f.optional("budget"),
            revenue: f.optional("revenue"),
            sets_null,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::Error;

    fn body<T: FromFields>(v: Value) -> Result<T, Error> {
        Fields::from_body(v)?.read()
    }

    fn query(pairs: &[(&str, &str)]) -> Result<ListQuery, Error> {
        let map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        Fields::new("query", map).read()
    }

    #[test]
    fn a_new_movie_reports_every_bad_field() {
        let Err(Error::Validation(errors)) = body::<NewMovie>(json!({
            "name": "x", "date": "2020-01-01", "score": 101, "overview": "o", "status": "Done",
            "budget": -1, "revenue": 0, "country": "abcd", "genres": ["a", 1], "actors": "b",
        })) else {
            panic!("expected a 422")
        };
        let locs: Vec<Value> = errors.iter().map(|e| json!(e.loc)).collect();
        assert_eq!(
            locs,
            [
                json!(["body", "score"]),
                json!(["body", "status"]),
                json!(["body", "budget"]),
                json!(["body", "country"]),
                json!(["body", "genres", 1]),
                json!(["body", "actors"]),
                json!(["body", "languages"]),
            ]
        );
    }

    #[test]
    fn names_are_normalised() {
        let movie: NewMovie = body(json!({
            "name": "x", "date": "2020-01-01", "score": 1, "overview": "o", "status": "Released",
            "budget": 1, "revenue": 0, "country": "us", "genres": ["sci-fi"], "actors": ["they're"],
            "languages": ["english"],
        }))
        .unwrap();
        assert_eq!(movie.country.as_str(), "US");
        assert_eq!(movie.genres[0].as_str(), "Sci-Fi");
        assert_eq!(movie.actors[0].as_str(), "They'Re");
        assert_eq!(movie.languages[0].as_str(), "English");
    }

    #[test]
    fn updates_note_explicit_nulls() {
        let update: MovieUpdate = body(json!({"name": null, "score": 5})).unwrap();
        assert!(update.sets_null && update.name.is_none());
        assert_eq!(update.score.map(Score::get), Some(5.0));
        let empty: MovieUpdate = body(json!({})).unwrap();
        assert!(empty.is_empty() && !empty.sets_null);
    }

    #[test]
    fn a_lists_default_order_is_most_recently_added() {
        let mut q = query(&[]).unwrap();
        assert_eq!(q.filters.scope, Scope::Catalog);
        q.filters.scope = Scope::List(7);
        assert_eq!(q.filters.order(), Sort::AddedDesc);
        // The default is not named in the links; the catalog's is, in a list.
        assert!(q.filters.query_pairs().is_empty());
        q.filters.sort = Some(Sort::IdDesc);
        assert_eq!(q.filters.query_pairs(), [("sort", "-id".to_owned())]);
        // A search still orders by relevance by default.
        let mut searched = query(&[("search", "storm")]).unwrap();
        searched.filters.scope = Scope::List(7);
        assert_eq!(searched.filters.order(), Sort::Relevance);
        // Only a list has the time a movie was added: the catalog never orders by it.
        let mut catalog = query(&[]).unwrap();
        catalog.filters.sort = Some(Sort::Added);
        assert_eq!(catalog.filters.order(), Sort::IdDesc);
    }

    #[test]
    fn list_filters_parse_and_render_in_links() {
        let q = query(&[]).unwrap();
        assert_eq!((q.page.get(), q.per_page.get()), (1, 10));
        assert!(q.filters.query_pairs().is_empty());
        let q = query(&[
            ("sort", "-score"),
            ("search", "  war "),
            ("country", " us "),
            ("genre", ""),
            ("year", "2023"),
            ("max_score", "9"),
            ("year_to", "2024"),
            ("min_score", "7.5"),
            ("year_from", "2020"),
        ])
        .unwrap();
        assert_eq!(
            q.filters.query_pairs(),
            [
                ("search", "war".to_owned()),
                ("country", "US".to_owned()),
                ("year", "2023".to_owned()),
                ("year_from", "2020".to_owned()),
                ("year_to", "2024".to_owned()),
                ("min_score", "7.5".to_owned()),
                ("max_score", "9".to_owned()),
                ("sort", "-score".to_owned()),
            ]
        );
        // A value longer than a code is no error: it matches no movie.
        let long = query(&[("country", "abcd|us")]).unwrap();
        assert_eq!(
            long.filters.query_pairs(),
            [("country", "ABCD|US".to_owned())]
        );
        let Err(Error::Validation(errors)) = query(&[("country", &"|".repeat(20))]) else {
            panic!("expected a 422")
        };
        assert_eq!(errors[0].loc, [json!("query"), json!("country")]);
        assert_eq!(errors[0].kind, "value_error");
        let Err(Error::Validation(errors)) = query(&[("sort", "best"), ("per_page", "0")]) else {
            panic!("expected a 422")
        };
        assert_eq!(errors.len(), 2);
    }
}
