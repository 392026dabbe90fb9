//! `POST /api/v1/accounts/activate/` and `/activation/resend/`: activating, and a new token for it.

use sea_orm::{EntityTrait, sea_query::Expr};
use serde_json::{Value, json};
use theater::entities::{activation_token, user};

use super::{count, detail, expire};
use crate::{
    db_tests,
    helpers::{
        Backend, TestApp,
        accounts::{ACTIVATE, PASSWORD, RESEND},
        json,
        mail::spawn_mail_app,
    },
};

/// Registers `email` with [`PASSWORD`]; returns the token its activation e-mail carries.
async fn registered(app: &TestApp, email: &str) -> String {
    app.register(email, PASSWORD).await;
    app.mail(email, "Account Activation")
        .await
        .link_param("token")
}

async fn activate(app: &TestApp, email: &str, token: &str) -> (u16, Value) {
    json(
        app.post_json(ACTIVATE, &json!({"email": email, "token": token}))
            .await,
    )
    .await
}

async fn activate_activates_deletes_the_token_and_sends_the_activated_email(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let token = registered(&app, "act@example.com").await;
    let (status, body) = activate(&app, "ACT@example.com", &token).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"message": "User account activated successfully."})
        )
    );
    assert!(app.user_row("act@example.com").await.unwrap().is_active);
    assert_eq!(count::<activation_token::Entity>(&app).await, 0);

    let mail = app
        .mail_linking_to_login("act@example.com", "Account Activated Successfully")
        .await;
    let page = app.get(&mail.link_path()).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(r#"action="/accounts/login""#)
    );
}

async fn activate_rejects_unknown_wrong_and_expired_tokens(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let token = registered(&app, "exp@example.com").await;
    let invalid = json!({"detail": "Invalid or expired activation token."});
    for (email, token) in [
        ("exp@example.com", "wrong"),
        ("other@example.com", token.as_str()),
    ] {
        let (status, answer) = activate(&app, email, token).await;
        assert_eq!((status, answer), (400, invalid.clone()));
    }
    // A wrong guess leaves the real token alone...
    assert_eq!(count::<activation_token::Entity>(&app).await, 1);
    // ...an expired one is deleted.
    expire::<activation_token::Entity>(&app, activation_token::Column::ExpiresAt).await;
    let (status, answer) = activate(&app, "exp@example.com", &token).await;
    assert_eq!((status, answer), (400, invalid));
    assert_eq!(count::<activation_token::Entity>(&app).await, 0);
    assert!(!app.user_row("exp@example.com").await.unwrap().is_active);
}

async fn activate_refuses_an_active_account(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let token = registered(&app, "on@example.com").await;
    user::Entity::update_many()
        .col_expr(user::Column::IsActive, Expr::value(true))
        .exec(&app.db)
        .await
        .unwrap();
    let (status, body) = activate(&app, "on@example.com", &token).await;
    assert_eq!(
        (status, detail(&body)),
        (400, "User account is already active.")
    );
    app.assert_mail_count("on@example.com", "Account Activated Successfully", 0)
        .await;
}

async fn activation_resend_only_mails_inactive_users(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("done@example.com").await;
    let first = registered(&app, "wait@example.com").await;
    let mut answers = Vec::new();
    for email in ["ghost@example.com", "done@example.com", "Wait@example.com"] {
        answers.push(json(app.post_json(RESEND, &json!({"email": email})).await).await);
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 200);
    app.assert_mail_count("done@example.com", "Account Activation", 1)
        .await;
    app.assert_mail_count("wait@example.com", "Account Activation", 2)
        .await;
    let last = app
        .deliver_mail()
        .await
        .into_iter()
        .rfind(|m| m.to == "wait@example.com")
        .unwrap()
        .link_param("token");
    assert_ne!(first, last);
    assert_eq!(activate(&app, "wait@example.com", &first).await.0, 400);
    assert_eq!(activate(&app, "wait@example.com", &last).await.0, 200);
}

db_tests!(
    activate_activates_deletes_the_token_and_sends_the_activated_email,
    activate_rejects_unknown_wrong_and_expired_tokens,
    activate_refuses_an_active_account,
    activation_resend_only_mails_inactive_users,
);
