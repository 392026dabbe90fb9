//! `POST /api/v1/theater/movies/`: the normalised detail, shared related rows, duplicates, races.

use serde_json::{Value, json};

use super::{movie, movie_url, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, json, names},
};

async fn create_returns_the_normalised_detail(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let mut body = movie("Creed III", "2023-03-02");
    body["genres"] = json!(["sci-fi", "drama", "Drama"]);
    body["actors"] = json!(["they're", "2nd unit"]);
    body["languages"] = json!([" spanish", "english"]);
    body["country"] = json!("au");
    let (status, created) = app.create_movie(&body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["name"], "Creed III");
    assert_eq!(created["date"], "2023-03-02");
    assert_eq!(created["score"], json!(73.0));
    assert_eq!(created["status"], "Released");
    assert_eq!(created["budget"], json!(75000000.0));
    assert_eq!(created["revenue"], json!(271616668.0));
    assert_eq!(created["overview"], "Overview of Creed III.");
    assert_eq!(created["country"]["code"], "AU");
    assert!(created["country"]["id"].is_i64());
    assert_eq!(created["country"]["name"], Value::Null);
    assert_eq!(names(&created["genres"]), ["Drama", "Sci-Fi"]);
    assert_eq!(names(&created["actors"]), ["2Nd Unit", "They'Re"]);
    assert_eq!(names(&created["languages"]), [" Spanish", "English"]);
    // The detail shows exactly what the create answered.
    let (status, detail) = json(app.get(&movie_url(id)).await).await;
    assert_eq!(status, 200);
    assert_eq!(detail, created);
    // Numbers are JSON numbers, in the original's float rendering.
    let text = app.get_text(&movie_url(id)).await;
    assert!(text.contains(r#""budget":75000000.0"#), "{text}");
    assert!(text.contains(r#""score":73.0"#), "{text}");
    assert_eq!(app.count("genres").await, 2);
    assert_eq!(app.count("movies_genres").await, 2);
}

async fn existing_related_rows_are_reused(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let first = app.created(&movie("One", "2020-01-01")).await;
    let mut body = movie("Two", "2020-01-01");
    body["genres"] = json!(["DRAMA", "comedy"]);
    body["country"] = json!("US");
    let (_, second) = app.create_movie(&body).await;
    assert_eq!(app.count("countries").await, 1);
    assert_eq!(app.count("genres").await, 3);
    assert_eq!(app.count("actors").await, 2);
    assert_eq!(app.count("languages").await, 1);
    let (_, one) = json(app.get(&movie_url(first)).await).await;
    assert_eq!(one["country"], second["country"]);
    let drama = |v: &Value| {
        v["genres"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "Drama")
            .cloned()
    };
    assert_eq!(drama(&one), drama(&second));
    assert!(drama(&one).is_some());
}

async fn budgets_keep_cents(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let mut body = movie("Cents", "2021-05-05");
    body["budget"] = json!(1234.567);
    body["score"] = json!(0);
    body["revenue"] = json!(0);
    let (status, created) = app.create_movie(&body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["budget"], json!(1234.57));
    let (_, detail) = json(app.get(&movie_url(&created["id"])).await).await;
    assert_eq!(detail["budget"], json!(1234.57));
    assert_eq!(detail["score"], json!(0.0));
}

async fn duplicates_are_409(backend: Backend) {
    let app = spawn_open_app(backend).await;
    app.created(&movie("Creed III", "2023-03-02")).await;
    let (status, body) = app.create_movie(&movie("Creed III", "2023-03-02")).await;
    assert_eq!(status, 409);
    assert_eq!(
        body,
        json!({"detail": "A movie with the name 'Creed III' and release date '2023-03-02' already exists."})
    );
    // Same name, other date: a different movie.
    app.created(&movie("Creed III", "2023-03-03")).await;
    assert_eq!(app.count("movies").await, 2);
}

async fn concurrent_creates_share_new_rows_without_duplicates(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let creates = (0..12).map(|i| {
        let mut body = movie(&format!("Parallel {i}"), "2022-02-02");
        body["genres"] = json!(["brand new genre", "another new genre", "drama"]);
        body["actors"] = json!(["shared actor", format!("actor {i}")]);
        body["languages"] = json!(["klingon"]);
        body["country"] = json!("zz");
        let app = &app;
        async move { app.create_movie(&body).await }
    });
    for (status, body) in futures::future::join_all(creates).await {
        assert_eq!(status, 201, "{body}");
    }
    assert_eq!(app.count("movies").await, 12);
    assert_eq!(app.count("genres").await, 3);
    assert_eq!(app.count("actors").await, 13);
    assert_eq!(app.count("languages").await, 1);
    assert_eq!(app.count("countries").await, 1);
    assert_eq!(app.count("movies_genres").await, 36);
}

async fn concurrent_creates_of_one_movie_give_one_row(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let body = movie("Only once", "2022-02-02");
    let creates = (0..6).map(|_| app.create_movie(&body));
    let statuses: Vec<u16> = futures::future::join_all(creates)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 400, 409].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(app.count("movies").await, 1);
}

db_tests!(
    create_returns_the_normalised_detail,
    existing_related_rows_are_reused,
    budgets_keep_cents,
    duplicates_are_409,
    concurrent_creates_share_new_rows_without_duplicates,
    concurrent_creates_of_one_movie_give_one_row,
);
