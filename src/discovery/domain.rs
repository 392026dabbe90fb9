//! Discovery's value types: an actor id from the path, and an actor name search.

use serde_json::Value;

use crate::{
    movies::{search::words, wire::TextFilter},
    validation::{FromInput, Invalid, bounded_int},
};

/// An `{actor_id}` path segment.
pub type ActorId = crate::movies::domain::RowId;

/// Words of an actor search or a prefix that are used; later ones are ignored.
pub const MAX_NAME_WORDS: usize = 8;

/// `search` of the actor index: words of the name, case- and accent-insensitive, each matching the
/// start of a word of the name (`tom cru` finds `Tom Cruise`). Blank means "all actors".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameSearch {
    /// As given (trimmed), for the links.
    pub text: String,
    /// Folded words, at most [`MAX_NAME_WORDS`].
    pub words: Vec<String>,
}

/// The parameter as read: blank is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameSearchParam(pub Option<NameSearch>);

impl FromInput for NameSearchParam {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let Some(text) = TextFilter::from_input(value)?.into_active() else {
            return Ok(Self(None));
        };
        let mut words = words(&text);
        words.truncate(MAX_NAME_WORDS);
        Ok(Self(
            (!words.is_empty()).then_some(NameSearch { text, words }),
        ))
    }
}

crate::value_schema!(NameSearchParam => crate::http::openapi::string()
    .max_length(Some(crate::movies::wire::FILTER_MAX_CHARS))
    .description(Some(
        "Words that begin words of the actor's name, case- and accent-insensitive (`tom cru` \
         finds Tom Cruise). Words beyond the 8th are ignored."
    ))
    .example(Some(serde_json::json!("tom cru"))));

/// `limit` of the similar movies and the suggestions: 1 to 20, 10 by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(i64);

impl Limit {
    pub const DEFAULT: Limit = Limit(10);

    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromInput for Limit {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        bounded_int(value, Some(1), Some(20)).map(Self)
    }
}

crate::value_schema!(Limit => crate::http::openapi::integer()
    .minimum(Some(1))
    .maximum(Some(20))
    .default(Some(serde_json::json!(10))));

/// Longest `q` of a suggestion: a prefix being typed, not a text.
pub const SUGGEST_MAX_CHARS: usize = 100;

/// `q` of the suggestions: at most [`SUGGEST_MAX_CHARS`] characters, of which the first
/// [`MAX_NAME_WORDS`] words are used, folded like the index; each word begins a word of what is
/// suggested. Blank suggests nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix(pub Vec<String>);

impl Prefix {
    /// Whether every word begins some word of `name`.
    pub fn matches(&self, name: &str) -> bool {
        let name_words = words(name);
        self.0
            .iter()
            .all(|w| name_words.iter().any(|n| n.starts_with(w.as_str())))
    }
}

impl FromInput for Prefix {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let text = String::from_input(value)?;
        if !crate::validation::at_most_chars(&text, SUGGEST_MAX_CHARS) {
            return Err(crate::movies::domain::string_too_long(SUGGEST_MAX_CHARS));
        }
        let mut words = words(&text);
        words.truncate(MAX_NAME_WORDS);
        Ok(Self(words))
    }
}

crate::value_schema!(Prefix => crate::http::openapi::string()
    .max_length(Some(SUGGEST_MAX_CHARS))
    .description(Some(
        "What is being typed: each word begins a word of a movie's name, an actor's name or a \
         genre, case- and accent-insensitive. Words beyond the 8th are ignored."
    ))
    .example(Some(serde_json::json!("dark kn"))));

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn search(text: &str) -> Option<NameSearch> {
        NameSearchParam::from_input(&json!(text)).unwrap().0
    }

    #[test]
    fn name_searches_match_word_starts_in_any_order() {
        let s = search("cru TOM").unwrap();
        assert_eq!(s.words, ["cru", "tom"]);
        let p = Prefix(s.words);
        assert!(p.matches("Tom Cruise"));
        assert!(p.matches("Tomas Cruz-Garcia"));
        assert!(!p.matches("Tom Hanks"));
        assert!(!Prefix(vec!["ruise".into()]).matches("Tom Cruise"));
        assert!(Prefix(search("maria").unwrap().words).matches("María Evoli"));
        assert!(search("  ").is_none());
        assert!(search("-").is_none());
    }

    #[test]
    fn prefixes_fold_and_match_word_starts() {
        let p = Prefix::from_input(&json!("  SCI fi")).unwrap();
        assert_eq!(p.0, ["sci", "fi"]);
        assert!(p.matches("Science Fiction"));
        assert!(!p.matches("Fiction"));
        assert!(Prefix::from_input(&json!("")).unwrap().0.is_empty());
        assert!(Prefix::from_input(&json!("x".repeat(101))).is_err());
        assert_eq!(Limit::from_input(&json!(0)).map(Limit::get).ok(), None);
        assert_eq!(Limit::from_input(&json!(20)).map(Limit::get).ok(), Some(20));
    }

    #[test]
    fn long_name_searches_are_cut() {
        let long = ["a"; MAX_NAME_WORDS + 1].join(" ");
        assert_eq!(search(&long).unwrap().words.len(), MAX_NAME_WORDS);
        let prefix = Prefix::from_input(&json!(long)).unwrap();
        assert_eq!(prefix.0.len(), MAX_NAME_WORDS);
    }
}
