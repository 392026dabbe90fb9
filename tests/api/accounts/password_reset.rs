//! `POST /api/v1/accounts/password-reset/request/` and `/reset-password/complete/`.

use chrono::{TimeDelta, Utc};
use sea_orm::EntityTrait;
use serde_json::json;
use theater::entities::password_reset_token;

use super::{assert_500, count, detail, expire, messages, spawn_app_with_a_closed_db};
use crate::{
    db_tests,
    helpers::{
        Backend, TestApp,
        accounts::{NEW_PASSWORD, PASSWORD, REFRESH, RESET_COMPLETE, RESET_REQUEST},
        json,
        mail::spawn_mail_app,
    },
};

const RESET_REQUESTED: &str = "If you are registered, you will receive an email with instructions.";

async fn reset_request_answers_the_same_and_mails_only_active_users(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("active@example.com").await;
    app.register("inactive@example.com", PASSWORD).await;
    let expected = json!({"message": RESET_REQUESTED});
    for email in [
        "nobody@example.com",
        "inactive@example.com",
        "ACTIVE@example.com",
    ] {
        let (status, body) =
            json(app.post_json(RESET_REQUEST, &json!({"email": email})).await).await;
        assert_eq!((status, body), (200, expected.clone()), "{email}");
    }
    let tokens = password_reset_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(tokens.len(), 1);
    let lifetime = tokens[0].expires_at - Utc::now();
    assert!(lifetime > TimeDelta::hours(23) && lifetime <= TimeDelta::hours(24));
    let all = app.deliver_mail().await;
    assert!(
        all.iter()
            .all(|m| m.subject != "Password Reset Request" || m.to == "active@example.com")
    );

    let mail = app
        .mail_naming("active@example.com", "Password Reset Request")
        .await;
    assert!(
        mail.link()
            .starts_with(&format!("{}/accounts/reset-password?", app.address))
    );
    assert_eq!(mail.link_param("email"), "active@example.com");
    assert_eq!(mail.link_param("token"), tokens[0].token);

    // A second request replaces the token.
    app.post_json(RESET_REQUEST, &json!({"email": "active@example.com"}))
        .await;
    let again = password_reset_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_ne!(again[0].token, tokens[0].token);
    app.assert_mail_count("active@example.com", "Password Reset Request", 2)
        .await;
    let (status, _) = json(app.post_json(RESET_REQUEST, &json!({"email": "bad"})).await).await;
    assert_eq!(status, 422);
}

async fn reset_complete_changes_the_password_and_signs_out(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("r@example.com").await;
    let (_, refresh) = app.tokens("r@example.com", PASSWORD).await;
    app.post_json(RESET_REQUEST, &json!({"email": "r@example.com"}))
        .await;
    let token = app
        .mail("r@example.com", "Password Reset Request")
        .await
        .link_param("token");
    let request = json!({"email": "r@example.com", "password": NEW_PASSWORD, "token": token});
    let (status, answer) = json(app.post_json(RESET_COMPLETE, &request).await).await;
    assert_eq!(
        (status, answer),
        (200, json!({"message": "Password reset successfully."}))
    );
    assert_eq!(count::<password_reset_token::Entity>(&app).await, 0);

    app.mail_linking_to_login("r@example.com", "Your Password Has Been Successfully Reset")
        .await;

    assert_eq!(app.login("r@example.com", PASSWORD).await.status(), 401);
    assert_eq!(app.login("r@example.com", NEW_PASSWORD).await.status(), 201);
    let (status, body) = app.post_refresh_token(REFRESH, &refresh).await;
    assert_eq!((status, detail(&body)), (401, "Refresh token not found."));
    // The token is used up.
    let (status, _) = json(app.post_json(RESET_COMPLETE, &request).await).await;
    assert_eq!(status, 400);
}

/// Requests a reset for `email`; returns the token stored for it.
async fn requested_token(app: &TestApp, email: &str) -> String {
    app.post_json(RESET_REQUEST, &json!({"email": email})).await;
    password_reset_token::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .token
}

async fn reset_complete_rejects_every_bad_combination(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let invalid = (400, json!({"detail": "Invalid email or token."}));
    let complete = |email: &str, token: &str| {
        let body = json!({"email": email, "password": NEW_PASSWORD, "token": token});
        let app = &app;
        async move { json(app.post_json(RESET_COMPLETE, &body).await).await }
    };
    // Unknown user; inactive user; no token.
    app.register("idle@example.com", PASSWORD).await;
    app.active_user("u@example.com").await;
    for email in ["ghost@example.com", "idle@example.com", "u@example.com"] {
        assert_eq!(complete(email, "t").await, invalid);
    }
    // A wrong token deletes the stored one: the right one no longer works either.
    let token = requested_token(&app, "u@example.com").await;
    assert_eq!(complete("u@example.com", "guess").await, invalid);
    assert_eq!(count::<password_reset_token::Entity>(&app).await, 0);
    assert_eq!(complete("u@example.com", &token).await, invalid);
    // An expired token is deleted.
    let token = requested_token(&app, "u@example.com").await;
    expire::<password_reset_token::Entity>(&app, password_reset_token::Column::ExpiresAt).await;
    assert_eq!(complete("u@example.com", &token).await, invalid);
    assert_eq!(count::<password_reset_token::Entity>(&app).await, 0);
    assert_eq!(app.login("u@example.com", PASSWORD).await.status(), 201);
    // The new password obeys the rules.
    let (status, body) = json(
        app.post_json(
            RESET_COMPLETE,
            &json!({"email": "u@example.com", "password": "weak", "token": "t"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(messages(&body)[0].contains("Password must contain at least 8 characters."));
}

async fn reset_complete_reports_a_database_failure_as_500(backend: Backend) {
    let app = spawn_app_with_a_closed_db(backend).await;
    let body = json!({"email": "u@example.com", "password": NEW_PASSWORD, "token": "t"});
    let answer = json(app.post_json(RESET_COMPLETE, &body).await).await;
    assert_500(&answer, "An error occurred while resetting the password.");
}

db_tests!(
    reset_request_answers_the_same_and_mails_only_active_users,
    reset_complete_changes_the_password_and_signs_out,
    reset_complete_rejects_every_bad_combination,
    reset_complete_reports_a_database_failure_as_500,
);
