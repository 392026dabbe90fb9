//! Discovery's value types: an actor id from the path, and an actor name search.

use serde_json::Value;

use crate::{
    movies::{search::words, wire::TextFilter},
    validation::{FromInput, Invalid},
};

/// An `{actor_id}` path segment: any integer is valid input (a 404 answers ids no row can have).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActorId(i64);

impl ActorId {
    /// The id as the `actors.id` column type, `None` when no row can have it.
    pub fn as_i32(self) -> Option<i32> {
        i32::try_from(self.0).ok()
    }
}

impl FromInput for ActorId {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        i64::from_input(value).map(Self)
    }
}

/// Longest actor search that is run: more words than a name has cannot match.
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

impl NameSearch {
    /// Whether a name matches: every word of the search begins a different word of the name... or
    /// the same one (`an` and `ann` both match `Ann`); the order does not matter.
    pub fn matches(&self, name: &str) -> bool {
        let name_words = words(name);
        self.words
            .iter()
            .all(|w| name_words.iter().any(|n| n.starts_with(w.as_str())))
    }
}

/// The parameter as read: blank is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameSearchParam(pub Option<NameSearch>);

impl FromInput for NameSearchParam {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let Some(text) = TextFilter::from_input(value)?.into_active() else {
            return Ok(Self(None));
        };
        let words = words(&text);
        if words.len() > MAX_NAME_WORDS {
            return Err(Invalid::new(
                "value_error",
                format!("Value error, a name search has at most {MAX_NAME_WORDS} words"),
            ));
        }
        Ok(Self(
            (!words.is_empty()).then_some(NameSearch { text, words }),
        ))
    }
}

crate::value_schema!(NameSearchParam => crate::http::openapi::string()
    .max_length(Some(crate::movies::wire::FILTER_MAX_CHARS))
    .description(Some(
        "Words that begin words of the actor's name, case- and accent-insensitive (`tom cru` \
         finds Tom Cruise). At most 8 words."
    ))
    .example(Some(serde_json::json!("tom cru"))));

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
        assert!(s.matches("Tom Cruise"));
        assert!(s.matches("Tomas Cruz-Garcia"));
        assert!(!s.matches("Tom Hanks"));
        assert!(!search("ruise").unwrap().matches("Tom Cruise"));
        assert!(search("maria").unwrap().matches("María Evoli"));
        assert!(search("  ").is_none());
        assert!(search("-").is_none());
    }

    #[test]
    fn long_name_searches_are_refused() {
        let long = ["a"; MAX_NAME_WORDS + 1].join(" ");
        assert!(NameSearchParam::from_input(&json!(long)).is_err());
    }
}
