//! `DELETE /api/v1/theater/movies/{movie_id}/`: the movie and its links go, the related rows stay.

use serde_json::json;

use super::{movie, movie_url, one_error, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, json},
};

async fn delete_removes_the_movie_and_its_links(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let keep = app.created(&movie("Keep", "2020-01-01")).await;
    let gone = app.created(&movie("Gone", "2020-01-01")).await;
    assert_eq!(app.count("movies_genres").await, 4);
    assert_eq!(app.count("actors_movies").await, 4);
    assert_eq!(app.count("movies_languages").await, 2);

    let response = app.delete(&movie_url(gone)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(response.text().await.unwrap(), "");
    assert_eq!(app.count("movies_genres").await, 2);
    assert_eq!(app.count("actors_movies").await, 2);
    assert_eq!(app.count("movies_languages").await, 1);
    // The genres, actors and languages themselves stay.
    assert_eq!(app.count("genres").await, 2);

    let not_found = json!({"detail": "Movie with the given ID was not found."});
    let (status, body) = json(app.get(&movie_url(gone)).await).await;
    assert_eq!((status, &body), (404, &not_found));
    let (status, body) = json(app.delete(&movie_url(gone)).await).await;
    assert_eq!((status, &body), (404, &not_found));
    let (status, body) = json(app.delete(&movie_url("nope")).await).await;
    assert_eq!(status, 422);
    assert_eq!(one_error(&body)["loc"], json!(["path", "movie_id"]));
    let (status, _) = json(app.get(&movie_url(keep)).await).await;
    assert_eq!(status, 200);
}

db_tests!(delete_removes_the_movie_and_its_links,);
