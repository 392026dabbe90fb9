//! `POST /api/v1/profiles/users/{user_id}/profile/`: every validation rule, each failure reported.

use bytes::Bytes;
use chrono::Datelike;
use reqwest::multipart::Form;
use serde_json::json;
use std::sync::atomic::Ordering;
use theater::auth::Group;

use super::{
    FIELDS, GIF, assert_fields, assert_msg_contains, form, form_with, memory_app,
    memory_app_with_user, profile_path, valid_form,
};
use crate::{
    db_tests,
    helpers::{Backend, TestApp, images::png, json, response},
};

/// Creating `user_id`'s profile (with `auth`) from a valid form whose `field` is `value` is a 422
/// with one failure, on `field`, its message containing `text`.
async fn assert_refused(
    app: &TestApp,
    user_id: i32,
    auth: &str,
    (field, value): (&str, &str),
    text: &str,
) {
    let changes = [(field, Some(value))];
    let (status, body) = app.create_profile(user_id, auth, form_with(&changes)).await;
    assert_eq!(status, 422, "{field}: {value:?}");
    assert_msg_contains(&assert_fields(&body, &[field])[0], text);
}

async fn every_missing_field_is_reported(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "missing@example.com").await;
    let (status, body) = app
        .create_profile(id, &auth, Form::new().text("unrelated", "x"))
        .await;
    assert_eq!(status, 422);
    for error in assert_fields(&body, &FIELDS) {
        assert_eq!(error["type"], "missing");
        assert_eq!(error["msg"], "Field required");
    }
    // Empty text values are missing values, as in FastAPI (info has its own message).
    let empty = form_with(&[("first_name", Some("")), ("gender", Some(""))]);
    let (status, body) = app.create_profile(id, &auth, empty).await;
    assert_eq!(status, 422);
    let errors = assert_fields(&body, &["first_name", "gender"]);
    assert!(errors.iter().all(|e| e["type"] == "missing"));
}

async fn a_body_of_another_type_is_an_empty_form(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "json@example.com").await;
    let post = || {
        app.client
            .post(app.url(&profile_path(id)))
            .header("Authorization", &auth)
    };
    // A JSON body; no body at all: the same.
    for request in [post().json(&json!({"first_name": "John"})), post()] {
        let (status, body) = json(request.send().await.unwrap()).await;
        assert_eq!(status, 422);
        assert_fields(&body, &FIELDS);
    }
}

async fn malformed_multipart_is_422(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "malformed@example.com").await;
    for (content_type, body) in [
        (
            "multipart/form-data; boundary=xyz",
            "--xyz\r\nno headers end here",
        ),
        ("multipart/form-data", "--xyz\r\n\r\n"),
        (
            "multipart/form-data; boundary=xyz",
            "--xyz\r\nContent-Disposition: form-data; name=\"info\"\r\n\r\nunterminated",
        ),
    ] {
        let request = app
            .raw_post(&profile_path(id), content_type, body)
            .header("Authorization", &auth);
        let (status, body) = json(response(request).await).await;
        assert_eq!(status, 422, "{content_type}: {body}");
        assert_eq!(body["detail"][0]["loc"], json!(["body"]));
        assert_msg_contains(&body["detail"][0], "There was an error parsing the body");
    }
    assert!(app.profile_rows().await.is_empty());
}

async fn names_must_be_english_letters(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "names@example.com").await;
    let bad = form_with(&[("first_name", Some("Jöhn")), ("last_name", Some("Sm1th"))]);
    let (status, body) = app.create_profile(id, &auth, bad).await;
    assert_eq!(status, 422);
    let errors = assert_fields(&body, &["first_name", "last_name"]);
    assert_msg_contains(&errors[0], "Jöhn contains non-english letters");
    assert_msg_contains(&errors[1], "Sm1th contains non-english letters");
    assert_eq!(errors[0]["type"], "value_error");
    assert_eq!(errors[0]["input"], "Jöhn");
    // `user_profiles.first_name` is VARCHAR(100): longer is a 422, not a database error.
    let long = "a".repeat(101);
    let text = "String should have at most 100 characters";
    assert_refused(&app, id, &auth, ("last_name", &long), text).await;
    let text = "Mary Ann contains non-english letters";
    assert_refused(&app, id, &auth, ("first_name", "Mary Ann"), text).await;
}

async fn gender_must_be_man_or_woman(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "gender@example.com").await;
    let text = "Gender must be one of: man, woman";
    for gender in ["other", "Man"] {
        assert_refused(&app, id, &auth, ("gender", gender), text).await;
    }
    let woman = form_with(&[("gender", Some("woman"))]);
    let (status, body) = app.create_profile(id, &auth, woman).await;
    assert_eq!((status, &body["gender"]), (201, &json!("woman")));
}

async fn birth_date_rules(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "dob@example.com").await;
    let today = chrono::Utc::now().date_naive();
    let seventeen = today
        .with_year(today.year() - 17)
        .unwrap_or(today)
        .to_string();
    let cases = [
        (
            "1899-12-31",
            "Invalid birth date - year must be greater than 1900.",
        ),
        (
            seventeen.as_str(),
            "You must be at least 18 years old to register.",
        ),
        (
            "2999-01-01",
            "You must be at least 18 years old to register.",
        ),
        ("01/02/1990", "Input should be a valid date"),
    ];
    for (date, message) in cases {
        assert_refused(&app, id, &auth, ("date_of_birth", date), message).await;
    }
    let ok = form_with(&[("date_of_birth", Some("1900-01-01"))]);
    assert_eq!(app.post_profile(id, Some(&auth), ok).await.status(), 201);
}

async fn info_must_not_be_blank(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "info@example.com").await;
    let text = "Info field cannot be empty or contain only spaces.";
    for info in ["   ", ""] {
        assert_refused(&app, id, &auth, ("info", info), text).await;
    }
    let huge = "x".repeat(70 * 1024);
    let bad = form_with(&[("info", Some(&huge))]);
    let (status, body) = app.create_profile(id, &auth, bad).await;
    assert_eq!(status, 422);
    let error = &assert_fields(&body, &["info"])[0];
    assert_eq!(error["type"], "string_too_long");
    assert_msg_contains(error, "String should have at most 65536 characters");
}

async fn avatar_must_be_a_jpeg_or_png_by_content(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("img@example.com", Group::User).await;
    let mut png_then_garbage = b"\x89PNG\r\n\x1a\n".to_vec();
    png_then_garbage.extend_from_slice(&[7; 64]);
    for (bytes, name) in [
        (GIF.to_vec(), "avatar.jpg"),
        (b"definitely not an image".to_vec(), "avatar.jpg"),
        (png_then_garbage, "avatar.png"),
        (Vec::new(), "empty.png"),
    ] {
        let (status, body) = app.create_profile(id, &auth, valid_form(bytes, name)).await;
        assert_eq!(status, 422);
        assert_msg_contains(
            &assert_fields(&body, &["avatar"])[0],
            "Invalid image format",
        );
    }
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
    // The name does not matter: a PNG called .gif is a PNG, and stored as one.
    let (status, body) = app
        .create_profile(id, &auth, valid_form(png([9, 9, 9]), "pic.gif"))
        .await;
    assert_eq!(status, 201, "{body}");
    let rows = app.profile_rows().await;
    assert_eq!(rows[0].avatar, Some(format!("avatars/{id}_pic.png")));
}

/// A PNG padded to `len` bytes (the header stays valid; the padding is dropped when stored).
fn png_of_len(len: usize) -> Vec<u8> {
    let mut bytes = png([50, 60, 70]);
    bytes.resize(len, 0);
    bytes
}

async fn avatar_must_be_at_most_1_mb(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "size@example.com").await;
    let (status, body) = app
        .create_profile(
            id,
            &auth,
            valid_form(png_of_len(1024 * 1024 + 1), "big.png"),
        )
        .await;
    assert_eq!(status, 422);
    assert_msg_contains(
        &assert_fields(&body, &["avatar"])[0],
        "Image size exceeds 1 MB",
    );
    assert!(app.profile_rows().await.is_empty());

    let exact = png_of_len(1024 * 1024);
    let (status, _) = app
        .create_profile(id, &auth, valid_form(exact.clone(), "exact.png"))
        .await;
    assert_eq!(status, 201);
    assert_eq!(app.objects().await[0].1, Bytes::from(png([50, 60, 70])));
}

async fn all_failures_are_reported_together(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "all@example.com").await;
    let bad = form(
        vec![
            ("info".into(), " ".into()),
            ("first_name".into(), "Jöhn".into()),
            ("gender".into(), "robot".into()),
            ("date_of_birth".into(), "1800-01-01".into()),
        ],
        Some((GIF.to_vec(), "a.gif")),
    );
    let (status, body) = app.create_profile(id, &auth, bad).await;
    assert_eq!(status, 422);
    let errors = assert_fields(&body, &FIELDS);
    assert_eq!(errors[1]["type"], "missing");
    assert_msg_contains(&errors[0], "contains non-english letters");
    assert_msg_contains(&errors[2], "Gender must be one of: man, woman");
    assert_msg_contains(&errors[3], "year must be greater than 1900");
    assert_msg_contains(&errors[4], "Info field cannot be empty");
    assert_msg_contains(&errors[5], "Invalid image format");
}

db_tests!(
    every_missing_field_is_reported,
    a_body_of_another_type_is_an_empty_form,
    malformed_multipart_is_422,
    names_must_be_english_letters,
    gender_must_be_man_or_woman,
    birth_date_rules,
    info_must_not_be_blank,
    avatar_must_be_a_jpeg_or_png_by_content,
    avatar_must_be_at_most_1_mb,
    all_failures_are_reported_together,
);
