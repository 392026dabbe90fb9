//! `GET /theater/movies/{movie_id}/similar/`: shared actors, name words and genres, never the movie.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::movies::{movie, movie_ids, movie_url, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, json},
};

impl TestApp {
    async fn similar_ids(&self, id: i64, query: &str) -> Vec<i64> {
        let (status, body) = json(
            self.get(&format!("/api/v1/theater/movies/{id}/similar/{query}"))
                .await,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        movie_ids(&body)
    }
}

async fn similar_movies_share_actors_words_and_genres(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let list = |items: &str| json!(items.split(',').collect::<Vec<_>>());
    let add = |name: &'static str, genres: &'static str, actors: &'static str| {
        let app = &app;
        let mut body = movie(name, "2020-01-01");
        body["genres"] = list(genres);
        body["actors"] = list(actors);
        async move { app.created(&body).await }
    };
    let creed = add("Creed", "drama,sport", "michael jordan,tessa thompson").await;
    let creed_two = add("Creed II", "drama,sport", "michael jordan").await;
    let other_jordan = add("Black Panther", "action", "michael jordan").await;
    let sport = add("Rocky", "sport", "sylvester stallone").await;
    let unrelated = add("Amélie", "romance", "audrey tautou").await;

    // 3 per actor + 1 per genre + 2 per name word.
    let similar = app.similar_ids(creed, "").await;
    assert_eq!(similar, [creed_two, other_jordan, sport]);
    assert!(!similar.contains(&creed) && !similar.contains(&unrelated));
    assert_eq!(app.similar_ids(creed, "?limit=1").await, [creed_two]);
    assert_eq!(app.similar_ids(unrelated, "").await, Vec::<i64>::new());

    // Writes show at once.
    assert_eq!(app.delete(&movie_url(creed_two)).await.status(), 204);
    assert_eq!(app.similar_ids(creed, "").await, [other_jordan, sport]);

    for id in ["999999", "99999999999"] {
        let (status, body) = json(
            app.get(&format!("/api/v1/theater/movies/{id}/similar/"))
                .await,
        )
        .await;
        assert_eq!(
            (status, body),
            (
                404,
                json!({"detail": "Movie with the given ID was not found."})
            )
        );
    }
    for query in ["?limit=0", "?limit=21", "?limit=x"] {
        let (status, body): (u16, Value) = json(
            app.get(&format!("/api/v1/theater/movies/{creed}/similar/{query}"))
                .await,
        )
        .await;
        assert_eq!(status, 422, "{query}: {body}");
    }
}

db_tests!(similar_movies_share_actors_words_and_genres);
