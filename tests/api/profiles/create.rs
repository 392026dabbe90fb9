//! `POST /api/v1/profiles/users/{user_id}/profile/`: the 201, authorization, permission, once only.

use bytes::Bytes;
use object_store::{ObjectStore, path::Path};
use reqwest::Method;
use serde_json::json;
use std::sync::atomic::Ordering;
use theater::auth::Group;

use super::{
    ALREADY_EXISTS, FORBIDDEN, USER_NOT_ACTIVE, fields_with, form, form_with, memory_app,
    memory_app_with_user, valid_form, valid_png_form,
};
use crate::{
    db_tests,
    helpers::{
        Backend, TEST_ACCESS_SECRET,
        images::{jpeg, png},
        json, response,
    },
};

async fn creating_a_profile_stores_the_key_and_returns_the_url(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "john@example.com").await;
    let avatar = jpeg();
    let response = app
        .post_profile(id, Some(&auth), valid_form(avatar.clone(), "avatar.jpg"))
        .await;
    let (status, body) = json(response).await;
    assert_eq!(status, 201, "{body}");
    let key = format!("avatars/{id}_avatar.jpg");
    let url = format!("{}/media/{key}", app.address);
    let rows = app.profile_rows().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        body,
        json!({
            "id": rows[0].id,
            "user_id": id,
            "first_name": "john",
            "last_name": "doe",
            "gender": "man",
            "date_of_birth": "1990-01-01",
            "info": "This is a test profile.",
            "avatar": url,
        })
    );
    assert_eq!(rows[0].avatar.as_deref(), Some(key.as_str()));
    assert_eq!(rows[0].first_name.as_deref(), Some("john"));
    assert_eq!(
        app.objects().await,
        vec![(key.clone(), Bytes::from(avatar.clone()))]
    );
    // The content type is stored with the object...
    let stored = app
        .state
        .storage
        .object_store()
        .get(&Path::parse(&key).unwrap())
        .await
        .unwrap();
    assert_eq!(
        stored
            .attributes
            .get(&object_store::Attribute::ContentType)
            .map(|v| v.to_string()),
        Some("image/jpeg".to_owned())
    );
    // ...and the URL serves the image.
    let served = app.client.get(&url).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.bytes().await.unwrap(), avatar);
}

async fn the_path_without_trailing_slash_works_too(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "slash@example.com").await;
    let without_slash = format!("/api/v1/profiles/users/{id}/profile");
    let request = app
        .request(Method::POST, &without_slash)
        .header("Authorization", &auth)
        .multipart(valid_form(png([1, 2, 3]), "a.png"));
    assert_eq!(response(request).await.status(), 201);
}

async fn missing_or_bad_tokens_are_401_before_validation(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let id = app.insert_user("tok@example.com", Group::User, true).await;
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"user_id": id, "exp": chrono::Utc::now().timestamp() - 10}),
        &jsonwebtoken::EncodingKey::from_secret(TEST_ACCESS_SECRET.as_bytes()),
    )
    .unwrap();
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"user_id": id, "exp": chrono::Utc::now().timestamp() + 600}),
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret"),
    )
    .unwrap();
    let cases = [
        (None, "Authorization header is missing"),
        (
            Some("Token abc".to_owned()),
            "Invalid Authorization header format. Expected 'Bearer <token>'",
        ),
        (Some(format!("Bearer {expired}")), "Token has expired."),
        (Some(format!("Bearer {foreign}")), "Invalid token."),
    ];
    for (auth, message) in cases {
        // An invalid form too: the token is checked first.
        let invalid = form(fields_with(&[("gender", Some("x"))]), None);
        let (status, body) = json(app.post_profile(id, auth.as_deref(), invalid).await).await;
        assert_eq!((status, body), (401, json!({"detail": message})));
    }
    assert!(app.profile_rows().await.is_empty());
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
}

async fn only_the_owner_or_an_admin_may_create(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (owner, _) = app.user("owner@example.com", Group::User).await;
    let (_, other) = app.user("other@example.com", Group::User).await;
    let (_, moderator) = app.user("mod@example.com", Group::Moderator).await;
    let (_, admin) = app.user("admin@example.com", Group::Admin).await;

    // Validation comes before permission.
    let invalid = form_with(&[("gender", Some("x"))]);
    let (status, _) = app.create_profile(owner, &other, invalid).await;
    assert_eq!(status, 422);

    for auth in [&other, &moderator] {
        let (status, body) = app.create_profile(owner, auth, valid_png_form()).await;
        assert_eq!((status, body), (403, json!({"detail": FORBIDDEN})));
    }
    // A token of a user that no longer exists cannot act for others either.
    let ghost = app.bearer(999_999);
    let (status, _) = app.create_profile(owner, &ghost, valid_png_form()).await;
    assert_eq!(status, 403);
    assert!(app.objects().await.is_empty());

    let (status, body) = app.create_profile(owner, &admin, valid_png_form()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user_id"], owner);
}

async fn the_target_user_must_exist_and_be_active(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (_, admin) = app.user("admin@example.com", Group::Admin).await;
    let inactive = app
        .insert_user("inactive@example.com", Group::User, false)
        .await;
    for (target, auth) in [
        (inactive, admin.clone()),
        (inactive, app.bearer(inactive)),
        (424_242, admin.clone()),
    ] {
        let (status, body) = app.create_profile(target, &auth, valid_png_form()).await;
        assert_eq!((status, body), (401, json!({"detail": USER_NOT_ACTIVE})));
    }
    assert!(app.objects().await.is_empty());
}

async fn a_second_profile_is_400_and_keeps_the_first_avatar(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("twice@example.com", Group::User).await;
    let first = png([1, 1, 1]);
    let (status, _) = app
        .create_profile(id, &auth, valid_form(first.clone(), "a.png"))
        .await;
    assert_eq!(status, 201);
    let (status, body) = app
        .create_profile(id, &auth, valid_form(png([2, 2, 2]), "a.png"))
        .await;
    assert_eq!((status, body), (400, json!({"detail": ALREADY_EXISTS})));
    assert_eq!(store.puts.load(Ordering::SeqCst), 1, "nothing uploaded");
    assert_eq!(
        app.objects().await,
        vec![(format!("avatars/{id}_a.png"), Bytes::from(first))]
    );
}

db_tests!(
    creating_a_profile_stores_the_key_and_returns_the_url,
    the_path_without_trailing_slash_works_too,
    missing_or_bad_tokens_are_401_before_validation,
    only_the_owner_or_an_admin_may_create,
    the_target_user_must_exist_and_be_active,
    a_second_profile_is_400_and_keeps_the_first_avatar,
);
