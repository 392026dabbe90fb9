//! The community's value types: a rating's score and a reaction's value.

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::validation::{FromInput, Invalid, bounded_int};

/// A rating: a whole number of stars from 1 to 10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stars(u8);

impl Stars {
    pub fn get(self) -> u8 {
        self.0
    }

    /// `rated_{n}`: the histogram column this score counts in. Only ever formatted from a value
    /// that parsed, so it is safe inside SQL text.
    pub fn bucket(self) -> String {
        format!("rated_{}", self.0)
    }

    /// From a stored score; `None` outside 1..=10 (the column's check makes that impossible).
    pub fn from_stored(n: i16) -> Option<Self> {
        u8::try_from(n)
            .ok()
            .filter(|n| (1..=10).contains(n))
            .map(Self)
    }
}

impl FromInput for Stars {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        let n = bounded_int(value, Some(1), Some(10))?;
        u8::try_from(n).map(Self).map_err(|_| Invalid::le(10))
    }
}

crate::value_schema!(Stars => utoipa::openapi::ObjectBuilder::new()
    .schema_type(utoipa::openapi::schema::Type::Integer)
    .minimum(Some(1))
    .maximum(Some(10))
    .example(Some(json!(8))));

/// A reaction to a movie or a review.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Reaction {
    Like,
    Dislike,
}

impl Reaction {
    /// As stored: `1` or `-1`.
    pub fn stored(self) -> i16 {
        match self {
            Self::Like => 1,
            Self::Dislike => -1,
        }
    }

    pub fn from_stored(n: i16) -> Option<Self> {
        match n {
            1 => Some(Self::Like),
            -1 => Some(Self::Dislike),
            _ => None,
        }
    }

    /// What it adds to a review's `score` (likes − dislikes).
    pub fn score(self) -> i32 {
        i32::from(self.stored())
    }

    /// The `movie_stats` column that counts it.
    pub fn counter(self) -> &'static str {
        match self {
            Self::Like => "likes",
            Self::Dislike => "dislikes",
        }
    }
}

impl FromInput for Reaction {
    fn from_input(value: &Value) -> Result<Self, Invalid> {
        const EXPECTED: &str = "'like' or 'dislike'";
        value.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
            Invalid::new("enum", format!("Input should be {EXPECTED}"))
                .with_ctx(json!({ "expected": EXPECTED }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_are_whole_numbers_from_one_to_ten() {
        assert_eq!(Stars::from_input(&json!(7)).map(Stars::get), Ok(7));
        assert_eq!(Stars::from_input(&json!("10")).map(Stars::get), Ok(10));
        assert_eq!(
            Stars::from_input(&json!(0)).unwrap_err().kind,
            "greater_than_equal"
        );
        assert_eq!(
            Stars::from_input(&json!(11)).unwrap_err().kind,
            "less_than_equal"
        );
        assert_eq!(
            Stars::from_input(&json!(7.5)).unwrap_err().kind,
            "int_from_float"
        );
        assert_eq!(Stars::from_input(&json!(3)).unwrap().bucket(), "rated_3");
        assert_eq!(Stars::from_stored(11), None);
    }

    #[test]
    fn reactions_are_like_or_dislike() {
        assert_eq!(Reaction::from_input(&json!("like")), Ok(Reaction::Like));
        assert_eq!(
            Reaction::from_input(&json!("dislike")),
            Ok(Reaction::Dislike)
        );
        let e = Reaction::from_input(&json!("Like")).unwrap_err();
        assert_eq!(
            (e.kind.as_ref(), e.msg.as_str()),
            ("enum", "Input should be 'like' or 'dislike'")
        );
        for r in [Reaction::Like, Reaction::Dislike] {
            assert_eq!(Reaction::from_stored(r.stored()), Some(r));
        }
    }
}
