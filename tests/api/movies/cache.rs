//! The catalog cache behind `GET` list and detail: writes show at once, outside changes without it.

use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{MOVIES, movie, movie_url, open_catalog};
use crate::{
    db_tests,
    helpers::{Backend, TestApp, json, spawn_app_with},
};

/// An open catalog whose cache keeps entries for `seconds` (`0`: no cache).
async fn spawn_with_cache_ttl(backend: Backend, seconds: &str) -> TestApp {
    spawn_app_with(backend, |env| {
        open_catalog(env);
        env.insert("CATALOG_CACHE_TTL_SECONDS".into(), seconds.into());
    })
    .await
}

/// Details and list pages are cached; every write through the API must show at once.
async fn writes_show_at_once_through_the_cache(backend: Backend) {
    let app = spawn_with_cache_ttl(backend, "3600").await;
    let first = app.created(&movie("Cached", "2020-01-01")).await;
    // Prime both caches.
    let (_, detail) = json(app.get(&movie_url(first)).await).await;
    assert_eq!(detail["score"], 73.0);
    let (_, page) = json(app.get(MOVIES).await).await;
    assert_eq!(page["total_items"], 1);

    let (status, _) = json(
        app.patch_json(&movie_url(first), &json!({"score": 12.5}))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (_, detail) = json(app.get(&movie_url(first)).await).await;
    assert_eq!(detail["score"], 12.5);

    let second = app.created(&movie("Also cached", "2021-01-01")).await;
    let (_, page) = json(app.get(MOVIES).await).await;
    assert_eq!(page["total_items"], 2);
    assert_eq!(page["movies"][0]["id"], second);

    assert_eq!(app.delete(&movie_url(second)).await.status(), 204);
    let (status, _) = json(app.get(&movie_url(second)).await).await;
    assert_eq!(status, 404);
    let (_, page) = json(app.get(MOVIES).await).await;
    assert_eq!(page["total_items"], 1);
    assert_eq!(page["movies"][0]["score"], 12.5);
}

/// With the cache off, a change made outside the service (another process, SQL by hand) shows on the
/// next request.
async fn without_the_cache_outside_changes_show_at_once(backend: Backend) {
    let app = spawn_with_cache_ttl(backend, "0").await;
    let id = app.created(&movie("Outside", "2020-01-01")).await;
    assert_eq!(json(app.get(&movie_url(id)).await).await.1["score"], 73.0);
    app.db
        .execute_unprepared(&format!("UPDATE movies SET score = 1 WHERE id = {id}"))
        .await
        .unwrap();
    assert_eq!(json(app.get(&movie_url(id)).await).await.1["score"], 1.0);
}

db_tests!(
    writes_show_at_once_through_the_cache,
    without_the_cache_outside_changes_show_at_once,
);
