//! The lists' value types: a list's name, its kind, the `{list}` of a path and a list's `sort`.

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::{
    http::openapi::{NOT_BLANK, string},
    movies::domain::{RowId, Sort, string_too_long, string_too_short},
    validation::{FromInput, Invalid, at_most_chars, text},
};

/// Longest list name, in characters (after trimming).
pub const NAME_MAX_CHARS: usize = 100;

/// A list's name: trimmed, 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListName(String);

impl ListName {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let name = s.trim();
        if !at_most_chars(name, NAME_MAX_CHARS) {
            return Err(string_too_long(NAME_MAX_CHARS));
        }
        if name.is_empty() {
            return Err(string_too_short(1));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as names are compared (`user_lists.name_key`): lower-cased, so that a user cannot
    /// have "Horror" and "horror" — two lists they could not tell apart in a menu.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl FromInput for ListName {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Self::parse(text(value)?)
    }
}

crate::value_schema!(ListName => string()
    .min_length(Some(1))
    .max_length(Some(NAME_MAX_CHARS))
    .pattern(Some(NOT_BLANK))
    .description(Some(
        "Trimmed; 1 to 100 characters. Unique among the user's lists ignoring case, the built-ins' \
         `Favorites` and `Watchlist` included."
    ))
    .example(Some(json!("Sunday classics"))));

/// What a list is: one of the two every user has, or one of their own.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum ListKind {
    Favorites,
    Watchlist,
    Custom,
}

impl ListKind {
    /// The two lists every user has, in the order they are shown (first, before the user's own).
    pub const BUILT_IN: [ListKind; 2] = [Self::Favorites, Self::Watchlist];

    /// As stored in `user_lists.kind`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn is_built_in(self) -> bool {
        self != Self::Custom
    }

    /// A built-in's fixed name (`None` for a custom list, which has its own).
    pub fn built_in_name(self) -> Option<&'static str> {
        match self {
            Self::Favorites => Some("Favorites"),
            Self::Watchlist => Some("Watchlist"),
            Self::Custom => None,
        }
    }
}

/// A `{list}` path segment: a list id, or the word `favorites` / `watchlist` for a built-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListRef {
    Id(RowId),
    BuiltIn(ListKind),
}

impl FromInput for ListRef {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let s = text(value)?;
        match s.parse::<ListKind>() {
            Ok(kind) if kind.is_built_in() => return Ok(Self::BuiltIn(kind)),
            _ => {}
        }
        RowId::from_input(value).map(Self::Id).map_err(|_| {
            Invalid::new(
                "list_reference",
                "Input should be a list id, 'favorites' or 'watchlist'",
            )
        })
    }
}

impl std::fmt::Display for ListRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{}", id.get()),
            Self::BuiltIn(kind) => f.write_str(kind.as_str()),
        }
    }
}

crate::value_schema!(ListRef => string()
    .pattern(Some("^(-?[0-9]+|favorites|watchlist)$"))
    .description(Some("A list id, or `favorites` / `watchlist` for a built-in list."))
    .example(Some(json!("favorites"))));

/// The `sort` of a list's movies: every catalog ordering, and `added` / `-added`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListSort(Sort);

impl From<ListSort> for Sort {
    fn from(sort: ListSort) -> Self {
        sort.0
    }
}

impl FromInput for ListSort {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        Sort::parse_input(value, true).map(Self)
    }
}

crate::value_schema!(ListSort => string()
    .pattern(Some("^(-?(id|name|date|score|rating|added)|relevance)$"))
    .example(Some(json!("-added"))));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_one_to_a_hundred_characters() {
        assert_eq!(ListName::parse("  To watch ").unwrap().as_str(), "To watch");
        assert_eq!(ListName::parse("Horror").unwrap().key(), "horror");
        assert_eq!(
            ListName::parse("HORROR ").unwrap().key(),
            ListName::parse("horror").unwrap().key()
        );
        assert!(ListName::parse(&"é".repeat(100)).is_ok());
        let e = ListName::parse(&"a".repeat(101)).unwrap_err();
        assert_eq!(
            (e.kind.as_ref(), e.msg.as_str()),
            (
                "string_too_long",
                "String should have at most 100 characters"
            )
        );
        // Spaces around a long name do not count.
        assert!(ListName::parse(&format!("  {}  ", "a".repeat(100))).is_ok());
        assert_eq!(ListName::parse("   ").unwrap_err().kind, "string_too_short");
        assert_eq!(
            ListName::from_input(&json!(5)).unwrap_err().kind,
            "string_type"
        );
        assert_eq!(
            ListName::from_input(&json!("a\u{0}b")).unwrap_err().kind,
            "value_error"
        );
    }

    #[test]
    fn a_list_reference_is_an_id_or_a_built_in_word() {
        assert_eq!(
            ListRef::from_input(&json!("favorites")),
            Ok(ListRef::BuiltIn(ListKind::Favorites))
        );
        assert_eq!(
            ListRef::from_input(&json!("watchlist")),
            Ok(ListRef::BuiltIn(ListKind::Watchlist))
        );
        let id = ListRef::from_input(&json!("42")).unwrap();
        assert_eq!(id.to_string(), "42");
        assert!(matches!(id, ListRef::Id(row) if row.as_i32() == Some(42)));
        for bad in ["custom", "Favorites", "abc", "1.5", ""] {
            let e = ListRef::from_input(&json!(bad)).unwrap_err();
            assert_eq!(e.kind, "list_reference", "{bad}");
        }
        assert_eq!(
            ListRef::BuiltIn(ListKind::Watchlist).to_string(),
            "watchlist"
        );
    }

    #[test]
    fn kinds_and_their_names() {
        assert_eq!(
            ListKind::BUILT_IN.map(ListKind::as_str),
            ["favorites", "watchlist"]
        );
        assert_eq!(ListKind::Favorites.built_in_name(), Some("Favorites"));
        assert_eq!(ListKind::Custom.built_in_name(), None);
        assert!(!ListKind::Custom.is_built_in());
        assert_eq!("custom".parse::<ListKind>(), Ok(ListKind::Custom));
    }

    #[test]
    fn a_list_sorts_by_every_catalog_order_and_by_added() {
        assert_eq!(
            ListSort::from_input(&json!("added")).map(Sort::from),
            Ok(Sort::Added)
        );
        assert_eq!(
            ListSort::from_input(&json!("-rating")).map(Sort::from),
            Ok(Sort::RatingDesc)
        );
        assert_eq!(
            ListSort::from_input(&json!("newest")).unwrap_err().kind,
            "literal_error"
        );
    }
}
