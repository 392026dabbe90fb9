//! `theater seed --synthetic N --community`: the generated community is consistent — every
//! aggregate equals what the rows give, as if each had come through the API — and the endpoints
//! serve it.

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::Value;
use theater::{
    community::synthetic::{BUSY_MOVIE_REVIEWS, rebuild_stats, seed_community},
    movies::import::{Progress, seed_synthetic_in_chunks},
};

use crate::{
    db_tests,
    helpers::{Backend, TestApp, spawn_app_with},
    movies::movie_url,
};

impl TestApp {
    /// Every `movie_stats` row as text, in movie order (to compare two states).
    async fn stats_rows(&self) -> Vec<String> {
        let backend = self.db.get_database_backend();
        let sql = "SELECT movie_id, rating_count, rating_sum, rated_1, rated_10, likes, dislikes, \
                   reviews FROM movie_stats ORDER BY movie_id";
        self.db
            .query_all_raw(sea_orm::Statement::from_string(backend, sql.to_owned()))
            .await
            .expect("query")
            .iter()
            .map(|row| {
                (0..8)
                    .map(|i| {
                        row.try_get_by_index::<i64>(i)
                            .map(|n| n.to_string())
                            .unwrap_or_else(|_| {
                                row.try_get_by_index::<i32>(i)
                                    .expect("a number")
                                    .to_string()
                            })
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    }
}

async fn a_synthetic_community_is_consistent_and_served(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    seed_synthetic_in_chunks(&app.db, 300, 3, 300, &Progress::Silent)
        .await
        .expect("movies");
    let report = seed_community(&app.db, 3, &Progress::Silent)
        .await
        .expect("community");
    assert_eq!(report.users, 100);
    assert!(report.ratings > 1_000, "{report:?}");
    assert!(report.reviews > BUSY_MOVIE_REVIEWS, "{report:?}");
    assert_eq!(
        app.number_of("SELECT COUNT(*) FROM movie_ratings").await,
        report.ratings as i64
    );

    // The aggregates are what the rows give: rebuilding them again changes nothing, and they agree
    // with the rows counted here.
    let before = app.stats_rows().await;
    rebuild_stats(&app.db).await.expect("rebuild");
    assert_eq!(app.stats_rows().await, before);
    assert_eq!(
        app.number_of("SELECT COALESCE(SUM(rating_count), 0) FROM movie_stats")
            .await,
        report.ratings as i64
    );
    let first = app.number_of("SELECT MIN(id) FROM movies").await;
    let busy_reviews = app
        .number_of(&format!(
            "SELECT COUNT(*) FROM reviews WHERE movie_id = {first}"
        ))
        .await;
    let (status, summary) = app
        .call(
            Method::GET,
            &format!("{}community/", movie_url(first)),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["reviews"], busy_reviews);
    let likes = app
        .number_of("SELECT COALESCE(SUM(likes), 0) FROM reviews")
        .await;
    let like_rows = app
        .number_of("SELECT COUNT(*) FROM review_reactions WHERE value = 1")
        .await;
    assert_eq!(likes, like_rows);
    assert_eq!(
        app.number_of("SELECT COUNT(*) FROM reviews WHERE score <> likes - dislikes")
            .await,
        0,
        "every review's score is its likes minus its dislikes"
    );

    // The busy movie's review page, top first; the catalog by rating.
    let (status, page) = app
        .call(
            Method::GET,
            &format!("{}reviews/?sort=top&per_page=20", movie_url(first)),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total_items"], BUSY_MOVIE_REVIEWS as i64);
    let (status, rated) = app
        .call(
            Method::GET,
            "/api/v1/theater/movies/?sort=-rating&per_page=5",
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{rated}");
    let rated_ids: Vec<&Value> = rated["movies"].as_array().expect("movies").iter().collect();
    assert_eq!(rated_ids.len(), 5);
}

db_tests!(a_synthetic_community_is_consistent_and_served);
