//! `CATALOG_WRITES` on the movie write endpoints: staff only by default, anyone when open.

use serde_json::json;
use theater::auth::Group;

use super::{MOVIES, movie, movie_url, spawn_open_app};
use crate::{
    db_tests,
    helpers::{Backend, json, spawn_app},
};

/// Staff mode is the default: without `CATALOG_WRITES`, anonymous writes are refused.
async fn staff_mode_guards_writes(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.insert_user("user@example.com", Group::User, true).await;
    let moderator = app
        .insert_user("moderator@example.com", Group::Moderator, true)
        .await;
    let admin = app
        .insert_user("admin@example.com", Group::Admin, true)
        .await;
    let inactive = app
        .insert_user("inactive@example.com", Group::Admin, false)
        .await;
    let (user, moderator, admin, inactive, ghost) = (
        app.bearer(user),
        app.bearer(moderator),
        app.bearer(admin),
        app.bearer(inactive),
        app.bearer(inactive + 1000),
    );
    let body = movie("Guarded", "2020-01-01");
    let detail = |s: &str| json!({ "detail": s });

    // Creating: every refusal, then staff succeed.
    let post = reqwest::Method::POST;
    let refusals = [
        (None, 401, "Authorization header is missing"),
        (
            Some("Token abc"),
            401,
            "Invalid Authorization header format. Expected 'Bearer <token>'",
        ),
        (Some("Bearer not-a-jwt"), 401, "Invalid token."),
        (
            Some(inactive.as_str()),
            401,
            "User not found or not active.",
        ),
        (Some(ghost.as_str()), 401, "User not found or not active."),
        (
            Some(user.as_str()),
            403,
            "You don't have permission to modify the catalog.",
        ),
    ];
    for (auth, status, text) in &refusals {
        let response = app.send(post.clone(), MOVIES, *auth, Some(&body)).await;
        assert_eq!(response, (*status, detail(text)), "{auth:?}");
        // Authentication is checked before the body.
        let response = app
            .send(post.clone(), MOVIES, *auth, Some(&json!({})))
            .await;
        assert_eq!(
            response,
            (*status, detail(text)),
            "{auth:?} with a bad body"
        );
    }
    assert_eq!(app.count("movies").await, 0);
    let (status, created) = app
        .send(post.clone(), MOVIES, Some(&moderator), Some(&body))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, _) = app
        .send(
            post,
            MOVIES,
            Some(&admin),
            Some(&movie("By admin", "2020-01-01")),
        )
        .await;
    assert_eq!(status, 201);

    // Reading stays open.
    let (status, _) = json(app.get(&movie_url(id)).await).await;
    assert_eq!(status, 200);
    let (status, _) = json(app.get(MOVIES).await).await;
    assert_eq!(status, 200);

    // Updating and deleting.
    for method in [reqwest::Method::PATCH, reqwest::Method::DELETE] {
        let patch_body = json!({"score": 1});
        let body = (method == reqwest::Method::PATCH).then_some(&patch_body);
        for (auth, status, text) in &refusals {
            let response = app.send(method.clone(), &movie_url(id), *auth, body).await;
            assert_eq!(response, (*status, detail(text)), "{method} {auth:?}");
            // Before path validation too.
            let response = app.send(method.clone(), &movie_url("x"), *auth, body).await;
            assert_eq!(
                response,
                (*status, detail(text)),
                "{method} {auth:?} bad id"
            );
        }
    }
    let (status, _) = app
        .send(
            reqwest::Method::PATCH,
            &movie_url(id),
            Some(&admin),
            Some(&json!({"score": 1})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &movie_url(id),
            Some(&moderator),
            None,
        )
        .await;
    assert_eq!(status, 204);
}

async fn open_mode_needs_no_token(backend: Backend) {
    let app = spawn_open_app(backend).await;
    // Even a garbage Authorization header is ignored, as the original had no auth on movies.
    let (status, created) = app
        .send(
            reqwest::Method::POST,
            MOVIES,
            Some("Bearer garbage"),
            Some(&movie("Open", "2020-01-01")),
        )
        .await;
    assert_eq!(status, 201, "{created}");
}

db_tests!(staff_mode_guards_writes, open_mode_needs_no_token,);
