//! `GET /media/{key}`: stored avatars served from local storage, without their metadata.

use reqwest::Method;
use serde_json::json;
use theater::auth::Group;

use super::{memory_app, valid_form};
use crate::{
    db_tests,
    helpers::{
        Backend,
        images::{contains, jpeg, jpeg_with_exif, png, png_with_text},
        json, response, spawn_app,
    },
};

async fn local_storage_keeps_files_under_media_and_serves_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, auth) = app.user("local@example.com", Group::User).await;
    // A JPEG named .png: the content decides the extension and the content type.
    let avatar = jpeg();
    let (status, body) = app
        .create_profile(id, &auth, valid_form(avatar.clone(), "../me.png"))
        .await;
    assert_eq!(status, 201, "{body}");
    let key = format!("avatars/{id}_me.jpg");
    assert_eq!(body["avatar"], format!("{}/media/{key}", app.address));
    let file = app.data_dir.path().join("media").join(&key);
    assert_eq!(std::fs::read(file).unwrap(), avatar);

    let served = app.get(&format!("/media/{key}")).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(served.bytes().await.unwrap(), avatar);

    // Read-only, no listings, nothing outside the media directory.
    for path in [
        "/media/avatars/",
        "/media/avatars",
        "/media/..%2Ftheater.db",
        "/media/avatars/..%2F..%2Ftheater.db",
        "/media/avatars/missing.png",
    ] {
        let (status, body) = json(app.get(path).await).await;
        assert_eq!(
            (status, &body),
            (404, &json!({"detail": "Not Found"})),
            "{path}"
        );
    }
    let put = app.request(Method::PUT, &format!("/media/{key}")).body("x");
    assert_eq!(response(put).await.status(), 405);
}

async fn stored_avatars_lose_their_metadata_and_take_their_formats_name(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    for (i, (bytes, name, key_name, content_type)) in [
        (jpeg_with_exif(), "me.html", "me.jpg", "image/jpeg"),
        (png_with_text(), "me.svg", "me.png", "image/png"),
    ]
    .into_iter()
    .enumerate()
    {
        assert!(contains(&bytes, b"GPSLatitude"));
        assert!(
            image::load_from_memory(&bytes).is_ok(),
            "the test image is valid"
        );
        let (id, auth) = app.user(&format!("exif{i}@example.com"), Group::User).await;
        let (status, body) = app.create_profile(id, &auth, valid_form(bytes, name)).await;
        assert_eq!(status, 201, "{body}");
        let key = format!("avatars/{id}_{key_name}");
        assert_eq!(body["avatar"], format!("{}/media/{key}", app.address));
        let served = app.get(&format!("/media/{key}")).await;
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], content_type);
        let stored = served.bytes().await.unwrap();
        assert!(!contains(&stored, b"GPSLatitude"), "{key}");
        assert!(
            image::load_from_memory(&stored).is_ok(),
            "{key} still decodes"
        );
    }
}

async fn local_avatars_lose_their_metadata_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, auth) = app.user("localexif@example.com", Group::User).await;
    let (status, body) = app
        .create_profile(id, &auth, valid_form(jpeg_with_exif(), "x.svg"))
        .await;
    assert_eq!(status, 201, "{body}");
    let file = app
        .data_dir
        .path()
        .join(format!("media/avatars/{id}_x.jpg"));
    let stored = std::fs::read(file).unwrap();
    assert!(!contains(&stored, b"GPSLatitude"));
    assert!(image::load_from_memory(&stored).is_ok());
}

async fn odd_media_paths_are_404_never_500(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, auth) = app.user("oddmedia@example.com", Group::User).await;
    let (status, _) = app
        .create_profile(id, &auth, valid_form(png([1, 2, 3]), "a.png"))
        .await;
    assert_eq!(status, 201);
    let long = "a".repeat(5000);
    for path in [
        format!("/media/avatars/{id}_a.png%23123"),
        "/media/avatars/1_a.jpg%23123".to_owned(),
        format!("/media/avatars/{id}_a.png%00"),
        "/media/avatars/%00".to_owned(),
        "/media/avatars/1_a.jpg%2F..".to_owned(),
        "/media/avatars/%2E%2E/theater.db".to_owned(),
        "/media/avatars/1_a.jpg%3Fx%3D1".to_owned(),
        "/media/avatars/1_a%20b.jpg".to_owned(),
        "/media/avatars/%E2%80%AE.jpg".to_owned(),
        "/media/avatars/%5C..%5Ctheater.db".to_owned(),
        format!("/media/avatars/{long}"),
    ] {
        let (status, body) = json(app.get(&path).await).await;
        assert_eq!(
            (status, &body),
            (404, &json!({"detail": "Not Found"})),
            "{path}"
        );
    }
    // The real object is still served.
    assert_eq!(
        app.get(&format!("/media/avatars/{id}_a.png"))
            .await
            .status(),
        200
    );
}

db_tests!(
    local_storage_keeps_files_under_media_and_serves_them,
    stored_avatars_lose_their_metadata_and_take_their_formats_name,
    local_avatars_lose_their_metadata_too,
    odd_media_paths_are_404_never_500,
);
