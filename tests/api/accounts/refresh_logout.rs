//! `POST /api/v1/accounts/refresh/` and `/logout/`: refresh tokens used and revoked.

use chrono::Utc;
use sea_orm::EntityTrait;
use serde_json::json;
use theater::entities::refresh_token;

use super::detail;
use crate::{
    db_tests,
    helpers::{
        Backend, TEST_REFRESH_SECRET,
        accounts::{LOGOUT, PASSWORD, REFRESH},
        mail::spawn_mail_app,
    },
};

async fn refresh_issues_an_access_token(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let id = app.active_user("f@example.com").await;
    let (_, refresh) = app.tokens("f@example.com", PASSWORD).await;
    let (status, body) = app.post_refresh_token(REFRESH, &refresh).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body.as_object().unwrap().len(), 2);
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(app.state.tokens.decode_access(access).unwrap().user_id, id);
}

async fn refresh_rejects_bad_tokens(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let id = app.active_user("g@example.com").await;
    let refresh = |token: String| {
        let app = &app;
        async move { app.post_refresh_token(REFRESH, &token).await }
    };
    let (status, body) = refresh("garbage".into()).await;
    assert_eq!((status, detail(&body)), (400, "Invalid token."));
    // An access token is not a refresh token.
    let (status, body) = refresh(app.access_token(id)).await;
    assert_eq!((status, detail(&body)), (400, "Invalid token."));
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"user_id": id, "exp": Utc::now().timestamp() - 10}),
        &jsonwebtoken::EncodingKey::from_secret(TEST_REFRESH_SECRET.as_bytes()),
    )
    .unwrap();
    let (status, body) = refresh(expired).await;
    assert_eq!((status, detail(&body)), (400, "Token has expired."));
    // Valid, but never stored.
    let unknown = app.state.tokens.issue_refresh(id).unwrap().token;
    let (status, body) = refresh(unknown).await;
    assert_eq!((status, detail(&body)), (401, "Refresh token not found."));
    // Stored, but naming a user that does not exist.
    let orphan = app.state.tokens.issue_refresh(id + 1000).unwrap();
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        token: sea_orm::Set(orphan.token.clone()),
        expires_at: sea_orm::Set(orphan.expires_at),
        user_id: sea_orm::Set(id),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap();
    let (status, body) = refresh(orphan.token).await;
    assert_eq!((status, detail(&body)), (404, "User not found."));
}

async fn logout_revokes_the_refresh_token(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("o@example.com").await;
    let (_, refresh) = app.tokens("o@example.com", PASSWORD).await;
    let (_, other) = app.tokens("o@example.com", PASSWORD).await;
    let (status, answer) = app.post_refresh_token(LOGOUT, &refresh).await;
    assert_eq!(
        (status, answer),
        (200, json!({"message": "Logged out successfully."}))
    );
    let (status, answer) = app.post_refresh_token(REFRESH, &refresh).await;
    assert_eq!((status, detail(&answer)), (401, "Refresh token not found."));
    let (status, answer) = app.post_refresh_token(LOGOUT, &refresh).await;
    assert_eq!((status, detail(&answer)), (401, "Refresh token not found."));
    // Only that session ended.
    let (status, _) = app.post_refresh_token(REFRESH, &other).await;
    assert_eq!(status, 200);
    let (status, answer) = app.post_refresh_token(LOGOUT, "x").await;
    assert_eq!((status, detail(&answer)), (400, "Invalid token."));
}

db_tests!(
    refresh_issues_an_access_token,
    refresh_rejects_bad_tokens,
    logout_revokes_the_refresh_token,
);
