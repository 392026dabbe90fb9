//! Request and response types of the community endpoints (`../shared/EXTENSIONS.md`, "Ratings,
//! reactions, community summary").

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::validation::FromFields;

use super::domain::{Reaction, Stars};

/// `PUT …/rating/` body.
#[derive(Debug, Clone, Copy, FromFields, ToSchema)]
pub struct RatingBody {
    #[schema(inline)]
    pub score: Stars,
}

/// A rating as stored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Rating {
    pub movie_id: i32,
    #[schema(minimum = 1, maximum = 10, example = 8)]
    pub score: u8,
}

/// `PUT …/reaction/` body.
#[derive(Debug, Clone, Copy, FromFields, ToSchema)]
pub struct ReactionBody {
    pub value: Reaction,
}

/// A movie reaction as stored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct MovieReaction {
    pub movie_id: i32,
    pub value: Reaction,
}

/// The ratings of a movie.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RatingSummary {
    /// The mean score rounded to 2 decimals; `null` when nobody rated the movie.
    #[schema(example = 7.25)]
    pub average: Option<f64>,
    pub count: i64,
    /// Ratings per score, `"1"` to `"10"`, every score present.
    #[schema(example = json!({"1": 0, "2": 0, "3": 0, "4": 0, "5": 1, "6": 0, "7": 1, "8": 1, "9": 1, "10": 0}))]
    pub histogram: BTreeMap<String, i64>,
}

impl RatingSummary {
    /// From the maintained aggregates: `count` ratings summing to `sum`, `histogram[n - 1]` of
    /// score `n`.
    pub fn new(count: i64, sum: i64, histogram: [i64; 10]) -> Self {
        let average = (count > 0).then(|| round2(sum as f64 / count as f64));
        Self {
            average,
            count,
            histogram: histogram
                .iter()
                .enumerate()
                .map(|(i, n)| ((i + 1).to_string(), *n))
                .collect(),
        }
    }
}

/// Rounded half away from zero to 2 decimals, as a person rounds 7.125 (to 7.13).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// What the caller did with the movie.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MyState {
    /// The caller's score, `null` when they have not rated the movie.
    pub rating: Option<u8>,
    pub reaction: Option<Reaction>,
    /// Whether the movie is in the caller's favorites.
    pub favorite: bool,
    /// Whether the movie is in the caller's watchlist.
    pub watchlist: bool,
}

/// `GET …/community/`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CommunitySummary {
    pub movie_id: i32,
    pub rating: RatingSummary,
    pub likes: i64,
    pub dislikes: i64,
    /// Visible reviews of the movie, replies included.
    pub reviews: i64,
    /// `null` without a token.
    pub me: Option<MyState>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_is_rounded_and_null_without_ratings() {
        let none = RatingSummary::new(0, 0, [0; 10]);
        assert_eq!(none.average, None);
        assert_eq!(none.histogram.len(), 10);
        assert_eq!(none.histogram["10"], 0);
        // 7, 7, 8: 7.333…
        let some = RatingSummary::new(3, 22, [0, 0, 0, 0, 0, 0, 2, 1, 0, 0]);
        assert_eq!(some.average, Some(7.33));
        assert_eq!(some.histogram["7"], 2);
        assert_eq!(RatingSummary::new(8, 57, [0; 10]).average, Some(7.13));
    }
}
