//! Request and response types of the lists endpoints (`../shared/EXTENSIONS.md`, "Lists").

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use super::domain::{ListKind, ListName, ListRef, ListSort};
use crate::{
    movies::{domain::RowId, wire::ListParams},
    validation::{FromFields, JsonBool},
};

/// A list as shown to its owner, and to anyone when it is public.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UserList {
    pub id: i32,
    /// A built-in's is `Favorites` or `Watchlist`.
    #[schema(example = "Sunday classics")]
    pub name: String,
    pub kind: ListKind,
    /// Whether anyone (without a token too) may read the list and its movies.
    pub public: bool,
    /// How many movies the list holds.
    #[schema(example = 12)]
    pub movies: i64,
    #[serde(serialize_with = "iso_utc")]
    #[schema(value_type = String, format = DateTime, example = "2026-12-01T18:00:00Z")]
    pub created_at: DateTime<Utc>,
}

/// ISO 8601 in UTC to the second, as every timestamp Theater adds (`2026-12-01T18:00:00Z`).
fn iso_utc<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&at.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// `POST /users/me/lists/` body.
#[derive(Debug, Clone, FromFields, ToSchema)]
pub struct NewList {
    #[schema(inline)]
    pub name: ListName,
    /// Whether anyone may read it (a JSON boolean; default `false`).
    #[field(default = JsonBool(false))]
    #[schema(inline, default = false, required = false)]
    pub public: JsonBool,
}

/// `PATCH /users/me/lists/{list}/` body: either or both. A built-in's `name` cannot change.
#[derive(Debug, Clone, Default, FromFields, ToSchema)]
pub struct ListUpdate {
    #[schema(inline)]
    pub name: Option<ListName>,
    #[schema(inline)]
    pub public: Option<JsonBool>,
}

/// `{list}`: one of the caller's lists.
#[derive(Debug, Clone, Copy, FromFields)]
pub struct ListPath {
    pub list: ListRef,
}

/// `{list}/movies/{movie_id}`.
#[derive(Debug, Clone, Copy, FromFields)]
pub struct ListMoviePath {
    pub list: ListRef,
    pub movie_id: RowId,
}

/// `{list_id}` of the public endpoints.
#[derive(Debug, Clone, Copy, FromFields)]
pub struct PublicListPath {
    pub list_id: RowId,
}

/// The query of a list's movies: the catalog's, with a list's `sort`.
pub type ListMoviesParams = ListParams<ListSort>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_utc_to_the_second() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T18:00:00.123456+00:00")
            .unwrap()
            .with_timezone(&Utc);
        let list = UserList {
            id: 1,
            name: "Favorites".into(),
            kind: ListKind::Favorites,
            public: false,
            movies: 0,
            created_at: at,
        };
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            serde_json::json!({
                "id": 1, "name": "Favorites", "kind": "favorites", "public": false, "movies": 0,
                "created_at": "2026-12-01T18:00:00Z",
            })
        );
    }
}
