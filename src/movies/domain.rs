//! The catalog's value types. Each parses raw input once, with the 422 texts pydantic gave the
//! original's fields (`Field(ge=0, le=100)`, `max_length=255`, the status enum, the date validator), and
//! also enforces the column limits the original left to the database (3-character country codes,
//! `numeric(15,2)` budgets), so such input is a 422 rather than a database error.

use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Utc};
use rust_decimal::{Decimal, RoundingStrategy, prelude::ToPrimitive};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{ToSchema, openapi::KnownFormat};

use crate::{
    http::openapi::{NO_NUL, integer, number, string, string_as},
    validation::{FromInput, Invalid, at_most_chars, bounded_f64, bounded_int, text, within},
};

use super::text::python_title;

/// Width of `movies.name`, `genres.name`, `actors.name`, `languages.name`, `countries.name`.
pub const NAME_MAX_CHARS: usize = 255;
/// Width of `countries.code`.
pub const COUNTRY_CODE_MAX_CHARS: usize = 3;
/// `numeric(15,2)` holds values below 10^13.
const BUDGET_LIMIT: i64 = 10_000_000_000_000;

// The schemas request types inline: each type's rules, as JSON Schema states them.
crate::value_schema!(MovieName => string()
    .max_length(Some(NAME_MAX_CHARS))
    .pattern(Some(NO_NUL))
    .example(Some(json!("Creed III"))));
// The latest allowed year moves with the calendar: the document adds it for today.
crate::value_schema!(ReleaseDate => string_as(KnownFormat::Date)
    .description(Some("The year may be next year at most."))
    .example(Some(json!("2023-03-02"))));
crate::value_schema!(Score => number()
    .minimum(Some(0))
    .maximum(Some(100))
    .example(Some(json!(73.0))));
crate::value_schema!(Budget => number()
    .minimum(Some(0))
    // `numeric(15,2)`: values from 9999999999999.995 on round to 10^13, which does not fit.
    .exclusive_maximum(Some(9_999_999_999_999.995_f64))
    .example(Some(json!(75000000.0))));
crate::value_schema!(Revenue => number().minimum(Some(0)).example(Some(json!(271616668.0))));
crate::value_schema!(CountryCode => string()
    .description(Some(
        "Country code, 1 to 3 characters; stored upper-cased (a character whose upper case is \
         longer,\nsuch as `ß`, is kept as written).",
    ))
    .min_length(Some(1))
    .max_length(Some(COUNTRY_CODE_MAX_CHARS))
    .pattern(Some(NO_NUL))
    .example(Some(json!("US"))));
crate::value_schema!(LookupName => string().max_length(Some(NAME_MAX_CHARS)).pattern(Some(NO_NUL)));
crate::value_schema!(Page => integer().minimum(Some(1)).default(Some(json!(1))));
crate::value_schema!(PerPage => integer()
    .minimum(Some(1))
    .maximum(Some(20))
    .default(Some(json!(10))));
crate::value_schema!(Year => integer()
    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(KnownFormat::Int32)))
    .minimum(Some(1))
    .maximum(Some(9999)));
crate::value_schema!(Sort => string()
    .pattern(Some("^(-?(id|name|date|score|rating)|relevance)$"))
    .example(Some(json!("-score"))));

/// pydantic's `string_too_long`.
pub fn string_too_long(max: usize) -> Invalid {
    let unit = if max == 1 { "character" } else { "characters" };
    Invalid::new(
        "string_too_long",
        format!("String should have at most {max} {unit}"),
    )
    .with_ctx(json!({ "max_length": max }))
}

/// pydantic's `string_too_short`.
pub fn string_too_short(min: usize) -> Invalid {
    let unit = if min == 1 { "character" } else { "characters" };
    Invalid::new(
        "string_too_short",
        format!("String should have at least {min} {unit}"),
    )
    .with_ctx(json!({ "min_length": min }))
}

/// `Released`, `Post Production` or `In Production` (the `movies.status` check constraint).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
)]
pub enum MovieStatus {
    Released,
    #[serde(rename = "Post Production")]
    #[strum(serialize = "Post Production")]
    PostProduction,
    #[serde(rename = "In Production")]
    #[strum(serialize = "In Production")]
    InProduction,
}

impl MovieStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

impl FromInput for MovieStatus {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        const EXPECTED: &str = "'Released', 'Post Production' or 'In Production'";
        value.as_str().and_then(Self::parse).ok_or_else(|| {
            Invalid::new("enum", format!("Input should be {EXPECTED}"))
                .with_ctx(json!({ "expected": EXPECTED }))
        })
    }
}

/// A movie title: at most 255 characters (pydantic's `max_length=255`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovieName(String);

impl MovieName {
    pub fn parse(s: String) -> Result<Self, Invalid> {
        if !at_most_chars(&s, NAME_MAX_CHARS) {
            return Err(string_too_long(NAME_MAX_CHARS));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl FromInput for MovieName {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Self::parse(String::from_input(value)?)
    }
}

/// A release date whose year is at most next year (the original's `validate_date`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseDate(NaiveDate);

impl ReleaseDate {
    pub fn parse(date: NaiveDate) -> Result<Self, Invalid> {
        let limit = Utc::now().year() + 1;
        if date.year() > limit {
            return Err(Invalid::value_error(format!(
                "The year in 'date' cannot be greater than {limit}."
            )));
        }
        Ok(Self(date))
    }

    pub fn get(self) -> NaiveDate {
        self.0
    }
}

impl FromInput for ReleaseDate {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Self::parse(NaiveDate::from_input(value)?)
    }
}

/// `score`: 0 to 100.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(f64);

impl Score {
    pub fn parse(n: f64) -> Result<Self, Invalid> {
        within(n, Some(0), Some(100)).map(Self)
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl FromInput for Score {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        bounded_f64(value, Some(0), Some(100)).map(Self)
    }
}

/// `revenue`: not negative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Revenue(f64);

impl Revenue {
    pub fn parse(n: f64) -> Result<Self, Invalid> {
        within(n, Some(0), None).map(Self)
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl FromInput for Revenue {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        bounded_f64(value, Some(0), None).map(Self)
    }
}

/// `budget`: not negative, stored as `numeric(15,2)`. Rounded to cents here, half away from zero as
/// PostgreSQL rounds, so SQLite (which stores what it is given) keeps the same value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget(Decimal);

impl Budget {
    pub fn parse(n: f64) -> Result<Self, Invalid> {
        let n = within(n, Some(0), None)?;
        let too_large = || {
            Invalid::new(
                "less_than",
                format!("Input should be less than {BUDGET_LIMIT}"),
            )
            .with_ctx(json!({ "lt": BUDGET_LIMIT }))
        };
        // Through the shortest decimal text of the float, as the original's driver sent it: 1.005
        // is "1.005" (rounded to 1.01), not the binary 1.00499999... .
        let decimal = match Decimal::from_str(&n.to_string()) {
            Ok(d) => d,
            // More fractional digits than a Decimal holds: a value far below one cent.
            Err(_) if n < 1.0 => Decimal::ZERO,
            Err(_) => return Err(too_large()),
        }
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        if decimal >= Decimal::from(BUDGET_LIMIT) {
            return Err(too_large());
        }
        Ok(Self(decimal.normalize()))
    }

    pub fn get(self) -> Decimal {
        self.0
    }

    /// The JSON number the original rendered (its schema declared `budget: float`).
    pub fn as_f64(self) -> f64 {
        self.0.to_f64().unwrap_or_default()
    }
}

impl FromInput for Budget {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Self::parse(f64::from_input(value)?)
    }
}

/// A country code, upper-cased (the original's `value.upper()`), 1 to 3 characters so that it fits
/// `countries.code`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        if !at_most_chars(s, COUNTRY_CODE_MAX_CHARS) {
            return Err(string_too_long(COUNTRY_CODE_MAX_CHARS));
        }
        if s.is_empty() {
            return Err(string_too_short(1));
        }
        Ok(Self(s.chars().map(upper_one).collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The English short name of an ISO 3166-1 alpha-2 code, `None` for codes the standard lacks.
    pub fn english_name(&self) -> Option<&'static str> {
        rust_iso3166::from_alpha2(&self.0).map(|c| c.name)
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A character's upper case when it is one character, else the character itself. Python's
/// `upper()` turns `ß` into `SS`; keeping the code as long as its input makes "at most 3
/// characters" one rule that the OpenAPI document can state (`maxLength`), for codes that no
/// country has anyway.
/// A code as stored: each character upper-cased as [`CountryCode::parse`] does (whatever the length).
pub fn upper_code(code: &str) -> String {
    code.chars().map(upper_one).collect()
}

fn upper_one(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

impl FromInput for CountryCode {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Self::parse(text(value)?)
    }
}

/// A genre, actor or language name, title-cased as the original's `item.title()`, at most 255
/// characters after title-casing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LookupName(String);

impl LookupName {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        // Title-casing never shortens a string (each character maps to one or more), so longer
        // input fails before any case mapping, whose cost grows with it.
        if !at_most_chars(s, NAME_MAX_CHARS) {
            return Err(string_too_long(NAME_MAX_CHARS));
        }
        let titled = python_title(s);
        if !at_most_chars(&titled, NAME_MAX_CHARS) {
            return Err(string_too_long(NAME_MAX_CHARS));
        }
        Ok(Self(titled))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl FromInput for LookupName {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Self::parse(text(value)?)
    }
}

/// `page`: 1 or more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page(i64);

impl Page {
    pub const FIRST: Page = Page(1);

    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromInput for Page {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        bounded_int(value, Some(1), None).map(Self)
    }
}

/// `per_page`: 1 to 20.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerPage(i64);

impl PerPage {
    pub const DEFAULT: PerPage = PerPage(10);

    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromInput for PerPage {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        bounded_int(value, Some(1), Some(20)).map(Self)
    }
}

/// An id path segment (`{movie_id}`, `{actor_id}`): any integer is valid input (a 404 answers ids
/// no row can have), anything else is pydantic's `int_parsing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowId(i64);

impl RowId {
    /// The id as given.
    pub fn get(self) -> i64 {
        self.0
    }

    /// The id as the `id` column type (`INTEGER`), `None` when no row can have it.
    pub fn as_i32(self) -> Option<i32> {
        i32::try_from(self.0).ok()
    }
}

impl FromInput for RowId {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        i64::from_input(value).map(Self)
    }
}

/// A `{movie_id}` path segment.
pub type MovieId = RowId;

/// A release year filter: 1 to 9999 (the range of a `date`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Year(i32);

impl Year {
    pub fn get(self) -> i32 {
        self.0
    }

    /// `[January 1st of this year, January 1st of the next)`.
    pub fn range(self) -> (NaiveDate, NaiveDate) {
        let start = NaiveDate::from_ymd_opt(self.0, 1, 1).unwrap_or(NaiveDate::MIN);
        let end = NaiveDate::from_ymd_opt(self.0 + 1, 1, 1).unwrap_or(NaiveDate::MAX);
        (start, end)
    }
}

impl FromInput for Year {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let n = bounded_int(value, Some(1), Some(9999))?;
        i32::try_from(n).map(Self).map_err(|_| Invalid::le(9999))
    }
}

/// A `min_rating` filter: a mean community rating from 1 to 10 (inclusive).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinRating(f64);

impl MinRating {
    pub fn get(self) -> f64 {
        self.0
    }
}

impl FromInput for MinRating {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        bounded_f64(value, Some(1), Some(10)).map(Self)
    }
}

crate::value_schema!(MinRating => utoipa::openapi::ObjectBuilder::new()
    .schema_type(utoipa::openapi::schema::Type::Number)
    .minimum(Some(1))
    .maximum(Some(10))
    .description(Some("Lowest mean community rating (inclusive); unrated movies never match.")));

/// The catalog's orderings; `-` means descending. Every ordering ends with the id so pages are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, strum::IntoStaticStr, strum::EnumString)]
pub enum Sort {
    #[strum(serialize = "id")]
    Id,
    #[default]
    #[strum(serialize = "-id")]
    IdDesc,
    #[strum(serialize = "name")]
    Name,
    #[strum(serialize = "-name")]
    NameDesc,
    #[strum(serialize = "date")]
    Date,
    #[strum(serialize = "-date")]
    DateDesc,
    #[strum(serialize = "score")]
    Score,
    #[strum(serialize = "-score")]
    ScoreDesc,
    /// By the community's mean rating, then the number of ratings, then newest; unrated movies last.
    #[strum(serialize = "rating")]
    Rating,
    /// As `rating`, best first; unrated movies still last.
    #[strum(serialize = "-rating")]
    RatingDesc,
    /// Best match first (ties newest first); the default with a `search`, `-id` without one.
    #[strum(serialize = "relevance")]
    Relevance,
    /// In the order the movies were added to a list, oldest first: only a user list's movies have
    /// that time, so only the list endpoints accept it ([`Sort::parse_input`]).
    #[strum(serialize = "added")]
    Added,
    /// Most recently added first: a list's default.
    #[strum(serialize = "-added")]
    AddedDesc,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The SQL `ORDER BY` list over `movies m`.
    pub fn order_by(self) -> &'static str {
        match self {
            Self::Id => "m.id ASC",
            Self::IdDesc => "m.id DESC",
            Self::Name => "m.name ASC, m.id DESC",
            Self::NameDesc => "m.name DESC, m.id DESC",
            Self::Date => "m.date ASC, m.id DESC",
            Self::DateDesc => "m.date DESC, m.id DESC",
            Self::Score => "m.score ASC, m.id DESC",
            Self::ScoreDesc => "m.score DESC, m.id DESC",
            // Over `movie_stats st` joined by [`Self::joins_ratings`]; a NULL mean is unrated.
            Self::Rating => {
                "CASE WHEN st.rating_avg IS NULL THEN 1 ELSE 0 END, st.rating_avg ASC, \
                 st.rating_count ASC, m.id DESC"
            }
            Self::RatingDesc => {
                "CASE WHEN st.rating_avg IS NULL THEN 1 ELSE 0 END, st.rating_avg DESC, \
                 st.rating_count DESC, m.id DESC"
            }
            // Without a search to rank by (the store orders a search's matches by their rank).
            Self::Relevance => "m.id DESC",
            // Over the list's rows `user_list_movies ul`, joined for a list's scope
            // (`crate::movies::wire::Scope`); one movie was added once, so the id only breaks
            // ties of the same instant.
            Self::Added => "ul.added_at ASC, m.id ASC",
            Self::AddedDesc => "ul.added_at DESC, m.id DESC",
        }
    }
}

impl Sort {
    /// Whether [`Self::order_by`] needs the movie's ratings (`movie_stats st`) joined.
    pub fn joins_ratings(self) -> bool {
        matches!(self, Self::Rating | Self::RatingDesc)
    }

    /// Whether [`Self::order_by`] needs a list's rows (`user_list_movies ul`): `added`, `-added`.
    pub fn needs_list(self) -> bool {
        matches!(self, Self::Added | Self::AddedDesc)
    }

    /// A `sort` parameter: the catalog's orderings, and with `with_added` (the movies of a list)
    /// also `added` and `-added`. Each refusal names exactly what its endpoint accepts.
    pub fn parse_input(value: &Value, with_added: bool) -> Result<Self, Invalid> {
        const CATALOG: &str = "'id', '-id', 'name', '-name', 'date', '-date', 'score', '-score', \
             'rating', '-rating' or 'relevance'";
        const LISTED: &str = "'id', '-id', 'name', '-name', 'date', '-date', 'score', '-score', \
             'rating', '-rating', 'relevance', 'added' or '-added'";
        let expected = if with_added { LISTED } else { CATALOG };
        value
            .as_str()
            .and_then(|s| s.parse::<Self>().ok())
            .filter(|sort| with_added || !sort.needs_list())
            .ok_or_else(|| {
                Invalid::new("literal_error", format!("Input should be {expected}"))
                    .with_ctx(json!({ "expected": expected }))
            })
    }
}

/// The catalog's `sort`: `added` and `-added` are refused (only a list's movies have them).
impl FromInput for Sort {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Self::parse_input(value, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_the_pydantic_enum() {
        assert_eq!(
            MovieStatus::from_input(&json!("Post Production")),
            Ok(MovieStatus::PostProduction)
        );
        let e = MovieStatus::from_input(&json!("released")).unwrap_err();
        assert_eq!(e.kind, "enum");
        assert_eq!(
            e.msg,
            "Input should be 'Released', 'Post Production' or 'In Production'"
        );
        assert_eq!(MovieStatus::from_input(&json!(1)).unwrap_err().kind, "enum");
    }

    #[test]
    fn country_codes_are_upper_cased_and_fit_the_column() {
        assert_eq!(CountryCode::parse("us").unwrap().as_str(), "US");
        assert_eq!(CountryCode::parse("gbr").unwrap().as_str(), "GBR");
        let e = CountryCode::parse("usa1").unwrap_err();
        assert_eq!(
            (e.kind.as_ref(), e.msg.as_str()),
            ("string_too_long", "String should have at most 3 characters")
        );
        // A character whose upper case is longer ("ß" → "SS") is kept: the code stays as long as
        // its input.
        assert_eq!(CountryCode::parse("aßb").unwrap().as_str(), "AßB");
        assert_eq!(CountryCode::parse("éu").unwrap().as_str(), "ÉU");
        assert_eq!(CountryCode::parse("").unwrap_err().kind, "string_too_short");
        assert_eq!(
            CountryCode::parse("au").unwrap().english_name(),
            Some("Australia")
        );
        assert_eq!(CountryCode::parse("xx").unwrap().english_name(), None);
    }

    #[test]
    fn bounds_use_pydantic_texts() {
        assert_eq!(
            Score::from_input(&json!(100.5)).unwrap_err().msg,
            "Input should be less than or equal to 100"
        );
        assert_eq!(
            Score::from_input(&json!(-1)).unwrap_err().msg,
            "Input should be greater than or equal to 0"
        );
        assert_eq!(Score::from_input(&json!("73.5")).unwrap().get(), 73.5);
        assert_eq!(
            Revenue::from_input(&json!(-0.5)).unwrap_err().kind,
            "greater_than_equal"
        );
        assert_eq!(
            Budget::from_input(&json!(-1)).unwrap_err().msg,
            "Input should be greater than or equal to 0"
        );
    }

    #[test]
    fn budgets_are_rounded_to_cents_and_fit_numeric_15_2() {
        assert_eq!(Budget::parse(1.005).unwrap().get().to_string(), "1.01");
        assert_eq!(Budget::parse(75_000_000.0).unwrap().as_f64(), 75_000_000.0);
        assert_eq!(
            Budget::parse(9_999_999_999_999.99).unwrap().as_f64(),
            9_999_999_999_999.99
        );
        assert_eq!(Budget::parse(1e13).unwrap_err().kind, "less_than");
        assert_eq!(Budget::parse(1e300).unwrap_err().kind, "less_than");
    }

    #[test]
    fn names_are_limited_to_255_characters() {
        assert!(MovieName::parse("é".repeat(255)).is_ok());
        let e = MovieName::parse("a".repeat(256)).unwrap_err();
        assert_eq!(e.msg, "String should have at most 255 characters");
        assert_eq!(e.ctx.as_deref(), Some(&json!({"max_length": 255})));
        assert_eq!(LookupName::parse("sci-fi").unwrap().as_str(), "Sci-Fi");
        assert!(LookupName::parse(&"a".repeat(256)).is_err());
        // Expanding characters: 128 × "ß" title-cases to "Ss" + 127 × "ß" (fits); 200 × "İ"
        // lower-cases to 399 characters (does not).
        assert!(LookupName::parse(&"ß".repeat(128)).is_ok());
        assert_eq!(
            LookupName::parse(&"İ".repeat(200)).unwrap_err().kind,
            "string_too_long"
        );
    }

    #[test]
    fn text_types_refuse_nul() {
        let nul = json!("Dra\u{0}ma");
        for e in [
            LookupName::from_input(&nul).unwrap_err(),
            CountryCode::from_input(&json!("U\u{0}")).unwrap_err(),
            MovieName::from_input(&nul).unwrap_err(),
            Vec::<LookupName>::from_input(&json!(["ok", "a\u{0}"])).unwrap_err(),
        ] {
            assert_eq!(e.msg, "Value error, Input must not contain NUL characters.");
        }
    }

    /// 64 KB of the worst characters for each text rule: a quick 422 (the limits are checked
    /// before any case mapping), never seconds of CPU.
    #[test]
    fn oversized_text_fails_before_case_mapping() {
        let started = std::time::Instant::now();
        for c in ["Σ", "\u{301}", "ǅ", "ß", "ŉ", "ΐ", "a"] {
            let long = c.repeat(64 * 1024 / c.len());
            assert_eq!(
                LookupName::parse(&long).unwrap_err().kind,
                "string_too_long"
            );
            assert_eq!(
                CountryCode::parse(&long).unwrap_err().kind,
                "string_too_long"
            );
            assert_eq!(
                MovieName::parse(long.clone()).unwrap_err().kind,
                "string_too_long"
            );
        }
        let elapsed = started.elapsed();
        assert!(elapsed.as_secs() < 2, "took {elapsed:?}");
    }

    #[test]
    fn release_dates_may_be_next_year_at_most() {
        let next = Utc::now().year() + 1;
        let ok = NaiveDate::from_ymd_opt(next, 12, 31).unwrap();
        assert!(ReleaseDate::parse(ok).is_ok());
        let late = NaiveDate::from_ymd_opt(next + 1, 1, 1).unwrap();
        let e = ReleaseDate::parse(late).unwrap_err();
        assert_eq!(e.kind, "value_error");
        assert_eq!(
            e.msg,
            format!("Value error, The year in 'date' cannot be greater than {next}.")
        );
    }

    #[test]
    fn pages_and_sorts() {
        assert_eq!(
            PerPage::from_input(&json!("21")).unwrap_err().msg,
            "Input should be less than or equal to 20"
        );
        assert_eq!(
            Page::from_input(&json!("0")).unwrap_err().msg,
            "Input should be greater than or equal to 1"
        );
        assert_eq!(Sort::from_input(&json!("-score")), Ok(Sort::ScoreDesc));
        assert_eq!(
            Sort::from_input(&json!("ratings")).unwrap_err().kind,
            "literal_error"
        );
        // `added` is a list's order: the catalog refuses it with its own list of choices.
        let e = Sort::from_input(&json!("added")).unwrap_err();
        assert_eq!(e.kind, "literal_error");
        assert!(!e.msg.contains("added"), "{}", e.msg);
        assert_eq!(
            Sort::parse_input(&json!("-added"), true),
            Ok(Sort::AddedDesc)
        );
        assert!(
            Sort::parse_input(&json!("best"), true)
                .unwrap_err()
                .msg
                .ends_with("'added' or '-added'")
        );
        assert_eq!(
            MovieId::from_input(&json!("99999999999")).unwrap().as_i32(),
            None
        );
        assert_eq!(
            MovieId::from_input(&json!("abc")).unwrap_err().kind,
            "int_parsing"
        );
        let (start, end) = Year::from_input(&json!("2023")).unwrap().range();
        assert_eq!(
            (start.to_string(), end.to_string()),
            ("2023-01-01".into(), "2024-01-01".into())
        );
    }
}
