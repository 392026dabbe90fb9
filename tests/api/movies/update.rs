//! `PATCH /api/v1/theater/movies/{movie_id}/`: the given fields change; conflicts, 404s, 422s.

use serde_json::json;

use super::{movie, movie_url, one_error, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, json},
};

async fn patch_updates_given_fields(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let id = app.created(&movie("Before", "2020-01-01")).await;
    let (status, body) = json(
        app.patch_json(
            &movie_url(id),
            &json!({"name": "After", "date": "2021-02-03", "score": 99.5, "overview": "New.",
                    "status": "Post Production", "budget": 10.5, "revenue": 20}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"detail": "Movie updated successfully."}))
    );
    let (_, detail) = json(app.get(&movie_url(id)).await).await;
    assert_eq!(detail["name"], "After");
    assert_eq!(detail["date"], "2021-02-03");
    assert_eq!(detail["score"], json!(99.5));
    assert_eq!(detail["overview"], "New.");
    assert_eq!(detail["status"], "Post Production");
    assert_eq!(detail["budget"], json!(10.5));
    assert_eq!(detail["revenue"], json!(20.0));
    assert_eq!(detail["genres"].as_array().unwrap().len(), 2);

    // A subset leaves the rest alone; an empty body changes nothing and succeeds.
    let (status, _) = json(app.patch_json(&movie_url(id), &json!({"score": 1})).await).await;
    assert_eq!(status, 200);
    let (status, _) = json(app.patch_json(&movie_url(id), &json!({})).await).await;
    assert_eq!(status, 200);
    let (_, detail) = json(app.get(&movie_url(id)).await).await;
    assert_eq!(
        (detail["score"].clone(), detail["name"].clone()),
        (json!(1.0), json!("After"))
    );
}

async fn patch_errors(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let id = app.created(&movie("Taken", "2020-01-01")).await;
    let other = app.created(&movie("Other", "2020-01-01")).await;
    let invalid = json!({"detail": "Invalid input data."});
    let not_found = json!({"detail": "Movie with the given ID was not found."});

    // Renaming onto another movie's (name, date).
    let (status, body) = json(
        app.patch_json(&movie_url(other), &json!({"name": "Taken"}))
            .await,
    )
    .await;
    assert_eq!((status, &body), (400, &invalid));
    // A NOT NULL field set to null, as the original's database refused it.
    let (status, body) = json(
        app.patch_json(&movie_url(other), &json!({"overview": null}))
            .await,
    )
    .await;
    assert_eq!((status, &body), (400, &invalid));

    for body in [json!({"score": 1}), json!({}), json!({"name": null})] {
        let (status, response) = json(app.patch_json(&movie_url(other + 100), &body).await).await;
        assert_eq!((status, &response), (404, &not_found), "{body}");
    }
    let (status, response) = json(
        app.patch_json(&movie_url("4294967296"), &json!({"score": 1}))
            .await,
    )
    .await;
    assert_eq!((status, &response), (404, &not_found));

    let (status, body) = json(
        app.patch_json(
            &movie_url(id),
            &json!({"score": 101, "status": "Done", "budget": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let kinds: Vec<&str> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["less_than_equal", "enum", "float_parsing"]);
    let (status, body) = json(app.patch_json(&movie_url("x"), &json!({})).await).await;
    assert_eq!(status, 422);
    assert_eq!(one_error(&body)["loc"], json!(["path", "movie_id"]));

    let (_, detail) = json(app.get(&movie_url(other)).await).await;
    assert_eq!(detail["name"], "Other");
    assert_eq!(detail["overview"], "Overview of Other.");
}

db_tests!(patch_updates_given_fields, patch_errors,);
