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

/// A change made outside the service (another instance, `theater seed`, SQL by hand) reaches even a
/// cache keeping bodies for an hour, through `catalog_version` and its poll, within about a second
/// at the most (the poll runs every 50 ms).
async fn outside_changes_reach_a_long_lived_cache(backend: Backend) {
    let app = spawn_with_cache_ttl(backend, "3600").await;
    let id = app.created(&movie("Outside", "2020-01-01")).await;
    let (_, page) = json(app.get(MOVIES).await).await;
    assert_eq!(page["total_items"], 1);
    assert_eq!(json(app.get(&movie_url(id)).await).await.1["score"], 73.0);
    app.db
        .execute_unprepared(&format!("UPDATE movies SET score = 1 WHERE id = {id}"))
        .await
        .unwrap();
    // A second movie as another process would write it: the row alone, no API call.
    let country = json(app.get(&movie_url(id)).await).await.1["country"]["id"].clone();
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO movies (name, date, score, overview, status, budget, revenue, country_id) \
             VALUES ('By hand', '2021-01-01', 5, 'o', 'Released', 1, 1, {country})"
        ))
        .await
        .unwrap();
    let mut seen = None;
    for _ in 0..100 {
        let (_, detail) = json(app.get(&movie_url(id)).await).await;
        let (_, page) = json(app.get(MOVIES).await).await;
        if detail["score"] == 1.0 && page["total_items"] == 2 {
            assert_eq!(page["movies"][0]["name"], "By hand");
            assert_eq!(page["movies"][1]["score"], 1.0);
            return;
        }
        seen = Some((detail["score"].clone(), page["total_items"].clone()));
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the outside changes did not show within a second: {seen:?}");
}

/// Listings come from the cached orders (`CATALOG_INDEX_MB`, on by default) or, with it at 0, from
/// a query per page: both give the same bodies for every kind of listing.
async fn the_orders_and_the_page_queries_agree(backend: Backend) {
    let app = spawn_with_cache_ttl(backend, "0").await;
    let plain = crate::helpers::spawn_instance_on(
        &app,
        |env| {
            open_catalog(env);
            env.insert("CATALOG_CACHE_TTL_SECONDS".into(), "0".into());
            env.insert("CATALOG_INDEX_MB".into(), "0".into());
        },
        |_| {},
    )
    .await;
    assert!(app.state.catalog_cache.keeps_orders());
    assert!(!plain.state.catalog_cache.keeps_orders());
    for (i, (name, genres)) in [
        ("Red river", vec!["drama"]),
        ("Blue river", vec!["drama", "western"]),
        ("Green hills", vec!["western"]),
        ("River of red", vec!["comedy"]),
        ("Quiet hills", vec!["drama"]),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = movie(name, &format!("20{:02}-01-01", 10 + i));
        body["genres"] = json!(genres);
        body["score"] = json!(50.0 + (i % 3) as f64);
        app.created(&body).await;
    }
    for query in [
        "",
        "?page=2&per_page=2",
        "?page=3&per_page=2",
        "?page=4&per_page=2",
        "?sort=-score&per_page=3",
        "?sort=name&page=2&per_page=2",
        "?genre=drama&per_page=2&page=2",
        "?genre=drama,western",
        "?genre=comedy|western&sort=date",
        "?search=river",
        "?search=river&genre=drama",
        "?search=river&sort=-date&per_page=1&page=2",
        "?search=hills&year_from=2014",
        "?search=nothingmatches",
        "?min_score=51&sort=-score&page=2&per_page=1",
    ] {
        let url = format!("{MOVIES}{query}");
        let (indexed_status, indexed) = json(app.get(&url).await).await;
        let (plain_status, plain) = json(plain.get(&url).await).await;
        assert_eq!(indexed_status, plain_status, "{url}");
        assert_eq!(indexed, plain, "{url}");
    }
}

db_tests!(
    writes_show_at_once_through_the_cache,
    without_the_cache_outside_changes_show_at_once,
    outside_changes_reach_a_long_lived_cache,
    the_orders_and_the_page_queries_agree,
);
