//! `POST /api/v1/accounts/register/`: an inactive user and its activation e-mail; conflicts, rules.

use chrono::{TimeDelta, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use theater::entities::{activation_token, email_outbox, user, user_group};

use super::{assert_500, count, detail, messages, spawn_app_with_a_closed_db};
use crate::{
    db_tests,
    helpers::{
        Backend,
        accounts::{PASSWORD, REGISTER},
        json,
        mail::spawn_mail_app,
    },
};

async fn register_creates_an_inactive_user_and_sends_the_activation_email(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let (status, body) = json(app.register("New.User@Example.COM", PASSWORD).await).await;
    assert_eq!(status, 201, "{body}");
    let user = app
        .user_row("new.user@example.com")
        .await
        .expect("stored lower-cased");
    assert_eq!(
        body,
        json!({"id": user.id, "email": "new.user@example.com"})
    );
    assert!(!user.is_active);
    assert!(user.hashed_password.starts_with("$argon2id$"));
    let group = user_group::Entity::find_by_id(user.group_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.name, "user");

    let token = activation_token::Entity::find()
        .filter(activation_token::Column::UserId.eq(user.id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("an activation token");
    let lifetime = token.expires_at - Utc::now();
    assert!(lifetime > TimeDelta::hours(23) && lifetime <= TimeDelta::hours(24));
    assert!(token.token.len() <= 64);

    // The response did not wait for the mail: it is in the outbox, unsent.
    let pending = email_outbox::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert!(pending[0].sent_at.is_none());

    let mail = app
        .mail_naming("new.user@example.com", "Account Activation")
        .await;
    assert_eq!(mail.from, "theater@localhost");
    assert!(
        mail.link()
            .starts_with(&format!("{}/accounts/activate?", app.address))
    );
    assert_eq!(mail.link_param("email"), "new.user@example.com");
    assert_eq!(mail.link_param("token"), token.token);
    let sent = email_outbox::Entity::find().all(&app.db).await.unwrap();
    assert!(sent[0].sent_at.is_some() && sent[0].attempts == 1);
}

async fn register_conflicts_on_an_existing_email(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    assert_eq!(
        app.register("taken@example.com", PASSWORD).await.status(),
        201
    );
    // Lower-casing makes these the same address.
    let (status, body) = json(app.register("Taken@Example.com", PASSWORD).await).await;
    assert_eq!(status, 409);
    assert_eq!(
        detail(&body),
        "A user with this email taken@example.com already exists."
    );
    assert_eq!(count::<user::Entity>(&app).await, 1);
}

async fn concurrent_registrations_of_one_email_create_one_user(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let responses =
        futures::future::join_all((0..4).map(|_| app.register("race@example.com", PASSWORD))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409]);
    assert_eq!(count::<user::Entity>(&app).await, 1);
    app.assert_mail_count("race@example.com", "Account Activation", 1)
        .await;
}

async fn register_validates_email_and_password_rules_in_order(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let rules = [
        ("Ab1#", "Password must contain at least 8 characters."),
        (
            "abcdefg1#",
            "Password must contain at least one uppercase letter.",
        ),
        (
            "ABCDEFG1#",
            "Password must contain at least one lower letter.",
        ),
        ("ABCDefgh#", "Password must contain at least one digit."),
        (
            "ABCDefgh1",
            "Password must contain at least one special character: @, $, !, %, *, ?, #, &.",
        ),
    ];
    for (password, expected) in rules {
        let (status, body) = json(app.register("a@example.com", password).await).await;
        assert_eq!(status, 422, "{password}");
        let entry = &body["detail"][0];
        assert_eq!(entry["loc"], json!(["body", "password"]));
        assert_eq!(entry["type"], "value_error");
        assert!(entry["msg"].as_str().unwrap().contains(expected), "{body}");
    }
    let (status, body) = json(app.register("not-an-email", "x").await).await;
    assert_eq!(status, 422);
    let msgs = messages(&body);
    assert_eq!(msgs.len(), 2, "both fields are reported: {body}");
    assert!(msgs[0].starts_with("value is not a valid email address: "));
    assert_eq!(body["detail"][0]["loc"], json!(["body", "email"]));
    let (status, body) = json(app.post_json(REGISTER, &json!({})).await).await;
    assert_eq!(status, 422);
    assert_eq!(messages(&body), ["Field required", "Field required"]);
    assert_eq!(count::<user::Entity>(&app).await, 0);
}

async fn register_reports_a_database_failure_as_500(backend: Backend) {
    let app = spawn_app_with_a_closed_db(backend).await;
    let answer = json(app.register("a@example.com", PASSWORD).await).await;
    assert_500(&answer, "An error occurred during user creation.");
}

db_tests!(
    register_creates_an_inactive_user_and_sends_the_activation_email,
    register_conflicts_on_an_existing_email,
    concurrent_registrations_of_one_email_create_one_user,
    register_validates_email_and_password_rules_in_order,
    register_reports_a_database_failure_as_500,
);
