//! `GET /api/v1/profiles/users/{user_id}/profile/`: the owner and admins read it, others may not.

use serde_json::json;
use theater::auth::Group;

use super::{FORBIDDEN, NOT_FOUND, memory_app_with_user, valid_form};
use crate::{
    db_tests,
    helpers::{Backend, images::png, json},
};

async fn reading_a_profile(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "read@example.com").await;
    let (_, other) = app.user("other@example.com", Group::User).await;
    let (_, admin) = app.user("admin@example.com", Group::Admin).await;

    let (status, body) = json(app.get_profile(id, Some(&auth)).await).await;
    assert_eq!((status, body), (404, json!({"detail": NOT_FOUND})));

    let (_, created) = app
        .create_profile(id, &auth, valid_form(png([3; 3]), "a.png"))
        .await;
    for who in [&auth, &admin] {
        let (status, body) = json(app.get_profile(id, Some(who)).await).await;
        assert_eq!((status, &body), (200, &created));
    }
    let (status, body) = json(app.get_profile(id, Some(&other)).await).await;
    assert_eq!((status, body), (403, json!({"detail": FORBIDDEN})));
    let (status, body) = json(app.get_profile(id, None).await).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Authorization header is missing"}))
    );
    let (status, body) = json(app.get("/api/v1/profiles/users/abc/profile/").await).await;
    assert_eq!(status, 401, "{body}");
    let response = app
        .client
        .get(app.url("/api/v1/profiles/users/abc/profile/"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["path", "user_id"]));
}

db_tests!(reading_a_profile,);
