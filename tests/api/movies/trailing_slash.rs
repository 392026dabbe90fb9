//! Every `/api/v1/theater/movies` endpoint answers without its trailing slash too.

use serde_json::json;

use super::{movie, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, json},
};

async fn paths_without_trailing_slash_work(backend: Backend) {
    let app = spawn_open_app(backend).await;
    let (status, created) = json(
        app.post_json("/api/v1/theater/movies", &movie("Slashless", "2020-01-01"))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_i64().unwrap();
    let (status, page) = json(app.get("/api/v1/theater/movies?page=1&per_page=5").await).await;
    assert_eq!(status, 200);
    assert_eq!(page["total_items"], 1);
    let (status, detail) = json(app.get(&format!("/api/v1/theater/movies/{id}")).await).await;
    assert_eq!((status, &detail["name"]), (200, &json!("Slashless")));
    let (status, _) = json(
        app.patch_json(
            &format!("/api/v1/theater/movies/{id}"),
            &json!({"score": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let response = app.delete(&format!("/api/v1/theater/movies/{id}")).await;
    assert_eq!(response.status(), 204);
}

db_tests!(paths_without_trailing_slash_work,);
