//! `POST /api/v1/profiles/users/{user_id}/profile/`: huge bodies are cut off early, with the answer.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use bytes::Bytes;
use futures::StreamExt;
use serde_json::json;
use theater::auth::Group;

use super::{
    assert_fields, assert_msg_contains, fields_with, memory_app, memory_app_with_user,
    profile_path, valid_form,
};
use crate::{
    db_tests,
    helpers::{Backend, TestApp, images::png, json},
};

/// A multipart body of `avatar_len` avatar bytes (a PNG header, then zeros), streamed in 64 KiB
/// chunks; `pulled` counts the bytes the client actually took from the stream.
fn streamed_upload(avatar_len: usize, pulled: Arc<AtomicUsize>) -> (reqwest::Body, u64, String) {
    let boundary = "theater-test-boundary";
    let mut head = String::new();
    for (k, v) in fields_with(&[]) {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    head.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"avatar\"; \
         filename=\"huge.png\"\r\nContent-Type: image/png\r\n\r\n"
    ));
    let mut first = head.into_bytes();
    let header = png([1, 1, 1]);
    first.extend_from_slice(&header);
    let tail = format!("\r\n--{boundary}--\r\n").into_bytes();
    const CHUNK: usize = 64 * 1024;
    let padding = avatar_len - header.len();
    let total = (first.len() + padding + tail.len()) as u64;
    let chunks = std::iter::once(Bytes::from(first))
        .chain(
            (0..padding.div_ceil(CHUNK))
                .map(move |i| Bytes::from(vec![0u8; CHUNK.min(padding - i * CHUNK)])),
        )
        .chain(std::iter::once(Bytes::from(tail)));
    let stream = futures::stream::iter(chunks).map(move |chunk| {
        pulled.fetch_add(chunk.len(), Ordering::SeqCst);
        Ok::<_, std::io::Error>(chunk)
    });
    (
        reqwest::Body::wrap_stream(stream),
        total,
        format!("multipart/form-data; boundary={boundary}"),
    )
}

/// POSTs a [`streamed_upload`] of `avatar_len` to `user_id`'s profile; returns the answer and the
/// body's length.
async fn post_streamed(
    app: &TestApp,
    user_id: i32,
    auth: Option<&str>,
    avatar_len: usize,
    pulled: Arc<AtomicUsize>,
) -> (reqwest::Response, u64) {
    let (body, length, content_type) = streamed_upload(avatar_len, pulled);
    let mut request = app
        .client
        .post(app.url(&profile_path(user_id)))
        .header("Content-Type", content_type)
        .header("Content-Length", length)
        .body(body);
    if let Some(auth) = auth {
        request = request.header("Authorization", auth);
    }
    let response = request
        .send()
        .await
        .expect("the client receives the answer, not a reset connection");
    (response, length)
}

async fn a_50_mb_upload_is_cut_off_early_with_the_422(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("huge@example.com", Group::User).await;
    const FIFTY_MB: usize = 50 * 1024 * 1024;
    let pulled = Arc::new(AtomicUsize::new(0));
    let (response, length) = post_streamed(&app, id, Some(&auth), FIFTY_MB, pulled.clone()).await;
    assert_eq!(response.headers()["connection"], "close");
    let (status, body) = json(response).await;
    assert_eq!(status, 422, "{body}");
    assert_msg_contains(
        &assert_fields(&body, &["avatar"])[0],
        "Image size exceeds 1 MB",
    );
    let sent = pulled.load(Ordering::SeqCst);
    eprintln!("the client had produced {sent} of {length} bytes when the 422 arrived");
    assert!(
        sent < FIFTY_MB / 2,
        "the server read on: the client produced {sent} bytes"
    );
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
    // The service keeps serving.
    assert_eq!(app.get("/health").await.status(), 200);
}

async fn a_big_upload_with_a_bad_token_still_gets_its_401(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let id = app
        .insert_user("bigauth@example.com", Group::User, true)
        .await;
    let pulled = Arc::new(AtomicUsize::new(0));
    let (response, _) = post_streamed(&app, id, None, 20 * 1024 * 1024, pulled).await;
    let (status, body) = json(response).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Authorization header is missing"}))
    );
}

async fn bodies_padded_past_the_route_limit_are_413(backend: Backend) {
    let (app, id, auth) = memory_app_with_user(backend, "padded@example.com").await;
    // Each part is within its own limit; together they are far beyond any valid form.
    let mut padded = valid_form(png([1, 2, 3]), "a.png");
    for i in 0..40 {
        padded = padded.text(format!("extra{i}"), "x".repeat(60 * 1024));
    }
    let (status, body) = app.create_profile(id, &auth, padded).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["detail"].is_string());
    // The text the OpenAPI document gives as this response's example.
    assert_eq!(body["detail"], "Request payload is too large");
    assert!(app.profile_rows().await.is_empty());
}

db_tests!(
    a_50_mb_upload_is_cut_off_early_with_the_422,
    a_big_upload_with_a_bad_token_still_gets_its_401,
    bodies_padded_past_the_route_limit_are_413,
);
