//! `search` on the movie list: the full-text index stays exact under create, PATCH and DELETE
//! (import: `importer.rs`), in the transaction of the write.

use serde_json::{Value, json};

use super::{MOVIES, movie, movie_ids, movie_url, spawn_open_app};
use crate::helpers::TestApp;
use crate::{
    db_tests,
    helpers::{Backend, json},
};

impl TestApp {
    /// The ids a search finds, best first (none for the catalog's 404).
    async fn found(&self, search: &str) -> Vec<i64> {
        self.search_page(search)
            .await
            .map_or_else(Vec::new, |page| movie_ids(&page))
    }

    /// Rows of the full-text index: one per movie, never one for a deleted movie.
    async fn index_rows(&self) -> i64 {
        self.count("movie_search").await
    }
}

async fn the_index_follows_every_write(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let mut body = movie("Storm Chasers", "2011-05-01");
    body["overview"] = json!("Meteorologists drive into tornadoes.");
    let storm = app.created(&body).await;
    let other = app.created(&movie("Quiet Days", "2012-01-01")).await;
    assert_eq!(app.found("storms").await, [storm]);
    assert_eq!(app.found("tornado").await, [storm]);
    assert_eq!(app.index_rows().await, 2);

    // A new name replaces the old one's words; a new overview its words.
    let url = movie_url(storm);
    let patch = |body: Value| {
        let (app, url) = (&app, &url);
        async move { app.patch_json(url, &body).await }
    };
    assert_eq!(patch(json!({"name": "Twister"})).await.status(), 200);
    assert_eq!(app.found("storm").await, Vec::<i64>::new());
    assert_eq!(app.found("twister").await, [storm]);
    assert_eq!(app.found("tornado").await, [storm]);
    assert_eq!(
        patch(json!({"overview": "Scientists chase a flood."}))
            .await
            .status(),
        200
    );
    assert_eq!(app.found("tornado").await, Vec::<i64>::new());
    assert_eq!(app.found("twister%20floods").await, [storm]);
    // Other fields leave the words as they are.
    assert_eq!(patch(json!({"score": 12.5})).await.status(), 200);
    assert_eq!(app.found("twister").await, [storm]);
    // A refused PATCH changes nothing, the index included.
    let (status, _) = json(patch(json!({"name": "Quiet Days", "date": "2012-01-01"})).await).await;
    assert_eq!(status, 400);
    assert_eq!(app.found("twister").await, [storm]);
    assert_eq!(app.found("quiet").await, [other]);
    assert_eq!(app.index_rows().await, 2);

    assert_eq!(app.delete(&movie_url(storm)).await.status(), 204);
    assert_eq!(app.found("twister").await, Vec::<i64>::new());
    assert_eq!(app.index_rows().await, 1);
}

async fn relevance_ranks_names_first_with_ties_newest_first(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let mut ids = Vec::new();
    // Harbour and Beacon tie: the same overview, and names of one term each (BM25 ranks shorter
    // documents higher).
    for (name, overview) in [
        ("Harbour", "A ship comes in."),
        ("Ships", "Nothing else."),
        ("Beacon", "A ship comes in."),
    ] {
        let mut body = movie(name, "2020-01-01");
        body["overview"] = json!(overview);
        ids.push(app.created(&body).await);
    }
    let [harbour, ships, beacon] = ids[..] else {
        unreachable!()
    };
    assert_eq!(app.found("ship").await, [ships, beacon, harbour]);
    // Paging through a ranked search keeps the order.
    let page = |n: u32| {
        let app = &app;
        async move {
            app.get(&format!("{MOVIES}?search=ship&per_page=1&page={n}"))
                .await
        }
    };
    let mut paged = Vec::new();
    for n in 1..=3 {
        let (status, body) = json(page(n).await).await;
        assert_eq!(status, 200);
        assert_eq!(body["total_items"], 3);
        paged.push(body["movies"][0]["id"].as_i64().unwrap());
    }
    assert_eq!(paged, [ships, beacon, harbour]);
    let (_, first) = json(page(1).await).await;
    assert_eq!(
        first["next_page"],
        "/theater/movies/?page=2&per_page=1&search=ship"
    );
}

/// Found by the robustness suite on PostgreSQL: a word of 2 KB (or a megabyte of overview) was a
/// 500, as PostgreSQL refuses such lexemes and `tsvector`s.
async fn huge_words_and_overviews_are_indexed_within_bounds(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let mut body = movie("Longwinded", "2020-01-01");
    let long_word = "x".repeat(3_000);
    body["overview"] = json!(format!("{long_word} {}", "storm wind rain ".repeat(50_000)));
    let id = app.created(&body).await;
    assert_eq!(app.found("longwinded%20rain").await, [id]);
    assert_eq!(app.found(&"x".repeat(250)).await, [id]);
}

db_tests!(
    huge_words_and_overviews_are_indexed_within_bounds,
    the_index_follows_every_write,
    relevance_ranks_names_first_with_ties_newest_first,
);
