//! `GET /theater/genres/`, `/languages/`, `/countries/`: every value some movie has, with counts.

use serde_json::json;

use super::{browse_catalog, name_counts};
use crate::movies::{movie_url, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, json},
};

fn pairs(items: &[(&str, i64)]) -> Vec<(String, i64)> {
    items.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect()
}

async fn indexes_count_movies_and_follow_writes(backend: Backend) {
    let app = spawn_open_app(backend).await;
    for path in ["genres", "languages", "countries"] {
        let (status, body) = json(app.get(&format!("/api/v1/theater/{path}/")).await).await;
        assert_eq!((status, body), (200, json!([])), "{path}");
    }
    let [alpha, _, _] = browse_catalog(&app).await;
    let (status, genres) = json(app.get("/api/v1/theater/genres/").await).await;
    assert_eq!(status, 200);
    assert_eq!(
        name_counts(&genres),
        pairs(&[("Comedy", 1), ("Drama", 2), ("War", 1)])
    );
    assert!(genres[0]["id"].is_i64());
    let (_, languages) = json(app.get("/api/v1/theater/languages").await).await;
    assert_eq!(
        name_counts(&languages),
        pairs(&[("English", 2), ("French", 1), ("Spanish", 1)])
    );
    let (_, countries) = json(app.get("/api/v1/theater/countries/").await).await;
    let countries: Vec<_> = countries
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].clone(), c["name"].clone(), c["movies"].clone()))
        .collect();
    assert_eq!(
        countries,
        [
            (json!("FR"), json!(null), json!(1)),
            (json!("US"), json!(null), json!(2))
        ]
    );
    // A deleted movie's values go (a genre no movie has is not listed) — at once, cache or not.
    assert_eq!(app.delete(&movie_url(alpha)).await.status(), 204);
    let (_, genres) = json(app.get("/api/v1/theater/genres/").await).await;
    assert_eq!(name_counts(&genres), pairs(&[("Comedy", 1), ("Drama", 1)]));
}

db_tests!(indexes_count_movies_and_follow_writes);
