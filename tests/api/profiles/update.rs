//! `PATCH /api/v1/profiles/users/{user_id}/profile/`: only the given fields change; a new avatar.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use theater::auth::Group;

use super::{
    FORBIDDEN, GIF, UPLOAD_FAILED, USER_NOT_ACTIVE, assert_fields, assert_msg_contains, memory_app,
    memory_app_with_user, profile_path, valid_form,
};
use crate::{
    db_tests,
    helpers::{
        Backend,
        images::{image_bytes, jpeg, png},
        json,
    },
};

async fn patching_changes_only_the_given_fields(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "patch@example.com").await;
    let (status, _) = app.patch_info(id, &auth, "x").await;
    assert_eq!(status, 404);
    let (_, created) = app
        .create_profile(id, &auth, valid_form(png([3; 3]), "a.png"))
        .await;

    let changes = Form::new()
        .text("first_name", "JANE")
        .text("gender", "woman")
        .text("info", "Updated.");
    let (status, body) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!(status, 200, "{body}");
    let mut expected = created.clone();
    expected["first_name"] = json!("jane");
    expected["gender"] = json!("woman");
    expected["info"] = json!("Updated.");
    assert_eq!(body, expected);
    let (_, read) = json(app.get_profile(id, Some(&auth)).await).await;
    assert_eq!(read, expected);

    // Nothing to change: the profile as it is.
    let (status, body) = json(app.patch_profile(id, &auth, Form::new()).await).await;
    assert_eq!((status, &body), (200, &expected));

    // A url-encoded form works for text fields.
    let response = app
        .client
        .patch(app.url(&profile_path(id)))
        .header("Authorization", &auth)
        .form(&[("last_name", "Roe")])
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!((status, &body["last_name"]), (200, &json!("roe")));

    // Same rules as on creation; every failure reported.
    let bad = Form::new()
        .text("first_name", "J4ne")
        .text("info", " ")
        .part("avatar", Part::bytes(GIF.to_vec()).file_name("a.gif"));
    let (status, body) = json(app.patch_profile(id, &auth, bad).await).await;
    assert_eq!(status, 422);
    let errors = assert_fields(&body, &["first_name", "info", "avatar"]);
    assert_msg_contains(&errors[0], "J4ne contains non-english letters");
    assert_msg_contains(&errors[2], "Invalid image format");
}

async fn patching_the_avatar_replaces_the_object(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "avatar@example.com").await;
    app.post_profile(id, Some(&auth), valid_form(png([1; 3]), "old.png"))
        .await;

    let new = jpeg();
    let changes = Form::new().part("avatar", Part::bytes(new.clone()).file_name("new.jpg"));
    let (status, body) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!(status, 200, "{body}");
    let key = format!("avatars/{id}_new.jpg");
    assert_eq!(body["avatar"], format!("{}/media/{key}", app.address));
    assert_eq!(app.objects().await, vec![(key.clone(), Bytes::from(new))]);

    // Same name, new content of the same format: replaced in place.
    let newer = image_bytes(image::ImageFormat::Jpeg, [2; 3]);
    let changes = Form::new().part("avatar", Part::bytes(newer.clone()).file_name("new.jpg"));
    let (status, _) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.objects().await,
        vec![(key.clone(), Bytes::from(newer.clone()))]
    );
    let served = app.get(&format!("/media/{key}")).await;
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.bytes().await.unwrap(), newer);

    // A PNG under the old name gets its own key; the JPEG goes.
    let png_avatar = png([3; 3]);
    let changes = Form::new().part(
        "avatar",
        Part::bytes(png_avatar.clone()).file_name("new.jpg"),
    );
    let (status, body) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!(status, 200);
    let png_key = format!("avatars/{id}_new.png");
    assert_eq!(body["avatar"], format!("{}/media/{png_key}", app.address));
    assert_eq!(
        app.objects().await,
        vec![(png_key, Bytes::from(png_avatar))]
    );
}

async fn a_failed_update_keeps_the_old_avatar(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("keep@example.com", Group::User).await;
    let old = png([1; 3]);
    app.post_profile(id, Some(&auth), valid_form(old.clone(), "old.png"))
        .await;
    let old_object = vec![(format!("avatars/{id}_old.png"), Bytes::from(old))];

    store.fail_puts.store(true, Ordering::SeqCst);
    let changes = Form::new().part("avatar", Part::bytes(jpeg()).file_name("new.jpg"));
    let (status, body) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!((status, body), (500, json!({"detail": UPLOAD_FAILED})));
    store.fail_puts.store(false, Ordering::SeqCst);

    app.break_profile_writes("UPDATE").await;
    let changes = Form::new()
        .text("info", "never saved")
        .part("avatar", Part::bytes(jpeg()).file_name("new.jpg"));
    let (status, _) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!(status, 500);
    assert_eq!(
        app.objects().await,
        old_object,
        "the new object was removed"
    );
    let row = &app.profile_rows().await[0];
    assert_eq!(row.avatar, Some(format!("avatars/{id}_old.png")));
    assert_eq!(row.info.as_deref(), Some("This is a test profile."));
}

async fn patch_permissions_follow_creation(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "perm@example.com").await;
    let (_, other) = app.user("other@example.com", Group::User).await;
    let (_, admin) = app.user("admin@example.com", Group::Admin).await;
    app.post_profile(id, Some(&auth), valid_form(png([1; 3]), "a.png"))
        .await;
    let (status, body) = app.patch_info(id, &other, "hacked").await;
    assert_eq!((status, body), (403, json!({"detail": FORBIDDEN})));
    let (status, body) = app.patch_info(id, &admin, "moderated").await;
    assert_eq!((status, &body["info"]), (200, &json!("moderated")));
    let inactive = app
        .insert_user("gone@example.com", Group::User, false)
        .await;
    let (status, body) = app.patch_info(inactive, &admin, "x").await;
    assert_eq!((status, body), (401, json!({"detail": USER_NOT_ACTIVE})));
}

db_tests!(
    patching_changes_only_the_given_fields,
    patching_the_avatar_replaces_the_object,
    a_failed_update_keeps_the_old_avatar,
    patch_permissions_follow_creation,
);
