//! `GET /users/me/`.

use reqwest::Method;
use serde_json::json;
use theater::auth::Group;

use super::ME;
use crate::{
    db_tests,
    helpers::{Backend, spawn_app},
};

async fn me_is_the_signed_in_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .insert_user("me@example.com", Group::Moderator, true)
        .await;
    let (status, body) = app.me_with(&app.bearer(id)).await;
    assert_eq!(status, 200, "{body}");
    let created = body["created_at"].as_str().expect("created_at").to_owned();
    assert!(created.len() == 20 && created.ends_with('Z'), "{created}");
    assert_eq!(
        body,
        json!({"id": id, "email": "me@example.com", "group": "moderator", "is_active": true, "created_at": created})
    );
    // Without the trailing slash too.
    let (status, _) = app
        .call(
            Method::GET,
            ME.trim_end_matches('/'),
            Some(&app.bearer(id)),
            None,
        )
        .await;
    assert_eq!(status, 200);

    let (status, body) = app.call(Method::GET, ME, None, None).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Authorization header is missing"}))
    );
    let inactive = app.insert_user("off@example.com", Group::User, false).await;
    let (status, body) = app.me_with(&app.bearer(inactive)).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "User not found or not active."}))
    );
    let (status, _) = app.me_with(&app.bearer(inactive + 100)).await;
    assert_eq!(status, 401);
}

db_tests!(me_is_the_signed_in_user);
