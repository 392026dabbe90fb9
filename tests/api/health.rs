use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    db_tests,
    helpers::{Backend, TestApp, json, spawn_app, spawn_app_with_state},
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
    assert!(doc["paths"]["/ready"]["get"]["responses"]["503"].is_object());
    // Swagger UI shows a file picker for a plain binary string only (a nullable one is a text box).
    let form = &doc["components"]["schemas"]["ProfileUpdateForm"];
    assert_eq!(
        form["properties"]["avatar"],
        json!({"type": "string", "format": "binary", "description": form["properties"]["avatar"]["description"]}),
        "{form}"
    );
    assert!(
        !form["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("avatar"))),
        "{form}"
    );

    // ReDoc, from the binary (no CDN), reading the same document.
    let redoc = app.get("/redoc").await;
    assert_eq!(redoc.status(), 200);
    let page = redoc.text().await.unwrap();
    assert!(
        page.contains("/openapi.json") && page.contains("/redoc/redoc.standalone.js"),
        "{page}"
    );
    assert!(!page.contains("https://"), "{page}");
    let script = app.get("/redoc/redoc.standalone.js").await;
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.bytes().await.unwrap().len() > 100_000);
}

/// With every pooled connection busy from the very start, the server still accepts connections at
/// once: neither the start-up summary's catalog count nor the first load of the token revocations
/// may hold up serving for the pool's 10 s acquire timeout (they did: /health took 12–22 s).
async fn a_busy_pool_at_start_up_does_not_hold_up_serving(backend: Backend) {
    use sea_orm::TransactionTrait;
    let mut held = Vec::new();
    let app = spawn_app_with_state(
        backend,
        |_| {},
        |state| {
            let db = state.db.clone();
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(async {
                    for _ in 0..4 {
                        held.push(db.begin().await.unwrap());
                    }
                })
            });
        },
    )
    .await;
    answers_503_within_the_probe_deadline_then_recovers(&app, held).await;
}

async fn health_gives_up_on_a_database_that_does_not_answer(backend: Backend) {
    use sea_orm::TransactionTrait;
    let app = spawn_app(backend).await;
    // Every pooled connection busy (the test pool has four): a ping would wait for the pool's
    // 10 s acquire timeout; the probe's own 2 s deadline answers first.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(app.db.begin().await.unwrap());
    }
    answers_503_within_the_probe_deadline_then_recovers(&app, held).await;
}

/// With every connection of the pool in `held`: `/health` says the database is unreachable, within
/// its own 2 s deadline rather than the pool's 10 s acquire timeout (under 8 s, on both backends);
/// once they are released it is healthy again. This used to take ~12 s now and then (on SQLite
/// first, then on PostgreSQL too): the server counted the catalog for its start-up summary before
/// accepting connections, and with the pool held that count waited out the acquire timeout.
async fn answers_503_within_the_probe_deadline_then_recovers(
    app: &TestApp,
    held: Vec<sea_orm::DatabaseTransaction>,
) {
    let started = std::time::Instant::now();
    let (status, body) = json(app.get("/health").await).await;
    assert_eq!((status, &body["database"]), (503, &json!("unreachable")));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    drop(held);
    assert_eq!(app.get("/health").await.status(), 200);
}

/// What `/ready` answers: status and body.
async fn ready(app: &TestApp) -> (u16, Value) {
    json(app.get("/ready").await).await
}

/// `/ready`'s body for a reachable, migrated database and a storage that is `storage`.
fn readiness(status: &str, storage: &str) -> Value {
    json!({"status": status, "database": "ok", "migrations": "ok", "storage": storage})
}

async fn ready_when_database_schema_and_storage_are(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(ready(&app).await, (200, readiness("ready", "ok")));
}

async fn a_database_without_the_migrations_is_not_ready(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        // One migration missing (say, a new release before `theater migrate`).
        (
            "DELETE FROM seaql_migrations WHERE version = \
             (SELECT MAX(version) FROM seaql_migrations)",
            ("status", "unavailable"),
        ),
        // A re-created, empty database: no migrations table at all.
        ("DROP TABLE seaql_migrations", ("database", "ok")),
    ];
    for (sql, (field, value)) in cases {
        app.db.execute_unprepared(sql).await.unwrap();
        let (status, body) = ready(&app).await;
        assert_eq!(
            (status, &body["migrations"]),
            (503, &json!("pending")),
            "{body}"
        );
        assert_eq!(body[field], value);
    }
    // The probe created nothing.
    assert!(
        app.db
            .execute_unprepared("SELECT 1 FROM seaql_migrations")
            .await
            .is_err()
    );
    // Liveness is another question: the process and its database are up.
    assert_eq!(app.get("/health").await.status(), 200);
}

async fn unreachable_storage_is_not_ready(backend: Backend) {
    let app = spawn_app_with_state(
        backend,
        |_| {},
        |state| {
            let store = std::sync::Arc::new(crate::helpers::store::TestStore::failing_reads());
            state.storage = store.storage_for(state);
        },
    )
    .await;
    assert_eq!(
        ready(&app).await,
        (503, readiness("unavailable", "unreachable"))
    );
}

async fn a_local_media_directory_that_is_gone_is_not_ready(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/ready").await.status(), 200);
    std::fs::remove_dir_all(app.data_dir.path().join("media")).unwrap();
    let (status, body) = ready(&app).await;
    assert_eq!(
        (status, &body["storage"]),
        (503, &json!("unreachable")),
        "{body}"
    );
}

async fn a_database_that_is_down_is_not_ready(backend: Backend) {
    let app = spawn_app(backend).await;
    app.db.clone().close().await.expect("close pool");
    let (status, body) = ready(&app).await;
    assert_eq!(status, 503);
    assert_eq!(body["database"], "unreachable");
    assert_eq!(body["migrations"], "unknown");
}

async fn a_draining_instance_is_not_ready(backend: Backend) {
    let app = spawn_app(backend).await;
    app.state.readiness.start_draining();
    let (status, body) = ready(&app).await;
    assert_eq!((status, &body["status"]), (503, &json!("draining")));
    assert_eq!(app.get("/health").await.status(), 200);
}

db_tests!(
    a_busy_pool_at_start_up_does_not_hold_up_serving,
    health_gives_up_on_a_database_that_does_not_answer,
    ready_when_database_schema_and_storage_are,
    a_database_without_the_migrations_is_not_ready,
    unreachable_storage_is_not_ready,
    a_local_media_directory_that_is_gone_is_not_ready,
    a_database_that_is_down_is_not_ready,
    a_draining_instance_is_not_ready,
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
