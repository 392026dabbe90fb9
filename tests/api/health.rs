use serde_json::json;

use crate::{
    db_tests,
    helpers::{Backend, json, spawn_app},
};

async fn health_reports_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = json(app.get("/health").await).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"status": "ok", "database": "ok"}));
}

async fn health_is_503_when_the_database_is_down(backend: Backend) {
    let app = spawn_app(backend).await;
    app.db.clone().close().await.expect("close pool");
    let (status, body) = json(app.get("/health").await).await;
    assert_eq!(status, 503);
    assert_eq!(body["database"], "unreachable");
}

async fn unknown_paths_are_json_404_and_carry_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/api/v1/nothing/here/").await;
    assert!(response.headers().contains_key("x-request-id"));
    let (status, body) = json(response).await;
    assert_eq!((status, body), (404, json!({"detail": "Not Found"})));
}

async fn docs_and_openapi_are_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let (status, doc) = json(app.get("/openapi.json").await).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/health"].is_object());
}

db_tests!(
    health_reports_the_database,
    health_is_503_when_the_database_is_down,
    unknown_paths_are_json_404_and_carry_a_request_id,
    docs_and_openapi_are_served,
    metrics_count_requests_by_route_and_status,
);

async fn metrics_count_requests_by_route_and_status(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/health").await.status(), 200);
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total")
            && l.contains("route=\"/health\"")
            && l.contains("status=\"200\"")),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("db_pool_connections"), "{text}");
    assert!(text.contains("email_outbox_pending"), "{text}");
}
