//! `POST /api/v1/accounts/login/`: tokens (JSON body or OAuth2 form), refusals, rate limits.

use chrono::{TimeDelta, Utc};
use sea_orm::ColumnTrait;
use serde_json::json;
use theater::entities::refresh_token;

use super::{assert_500, count, detail, messages, spawn_app_with_a_closed_db};
use crate::{
    db_tests,
    helpers::{
        Backend,
        accounts::{LOGIN, NEW_PASSWORD, PASSWORD, PASSWORD_CHANGE},
        json,
        mail::{spawn_mail_app, spawn_mail_app_with},
        pluck, row_where,
    },
};

async fn login_returns_tokens_and_stores_the_refresh_token(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let id = app.active_user("in@example.com").await;
    let (status, body) = json(app.login("IN@example.com", PASSWORD).await).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["token_type"], "bearer");
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();
    assert_eq!(app.state.tokens.decode_access(access).unwrap().user_id, id);
    assert_eq!(
        app.state.tokens.decode_refresh(refresh).unwrap().user_id,
        id
    );
    let stored = row_where::<refresh_token::Entity>(
        &app.db,
        refresh_token::Column::Token.eq(refresh),
        "stored refresh token",
    )
    .await;
    assert_eq!(stored.user_id, id);
    let lifetime = stored.expires_at - Utc::now();
    assert!(lifetime > TimeDelta::days(6) && lifetime <= TimeDelta::days(7));
}

async fn login_rejects_bad_credentials_and_inactive_accounts(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    app.active_user("ok@example.com").await;
    app.register("off@example.com", PASSWORD).await;
    let (status, body) = json(app.login("ghost@example.com", PASSWORD).await).await;
    assert_eq!((status, detail(&body)), (401, "Invalid email or password."));
    let (status, body) = json(app.login("ok@example.com", NEW_PASSWORD).await).await;
    assert_eq!((status, detail(&body)), (401, "Invalid email or password."));
    let (status, body) = json(app.login("off@example.com", PASSWORD).await).await;
    assert_eq!(
        (status, detail(&body)),
        (403, "User account is not activated.")
    );
    // The password rules apply to the login body too.
    let (status, body) = json(app.login("ok@example.com", "nouppercase1#").await).await;
    assert_eq!(status, 422);
    assert!(messages(&body)[0].contains("Password must contain at least one uppercase letter."));
    assert_eq!(count::<refresh_token::Entity>(&app).await, 0);
}

/// The OAuth2 password grant, as Swagger UI's Authorize dialog sends it: a form with `username`.
async fn login_takes_the_oauth2_password_grant_as_a_form(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let id = app.active_user("form@example.com").await;
    let form = |body: &str| {
        let request = app
            .client
            .post(app.url(LOGIN))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        async move { json(request.send().await.unwrap()).await }
    };
    let grant = format!(
        "grant_type=password&username=Form%40example.com&password={}&scope=&client_id=",
        PASSWORD.replace('#', "%23")
    );
    let (status, body) = form(&grant).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["token_type"], "bearer");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(app.state.tokens.decode_access(access).unwrap().user_id, id);
    // The token opens what a pasted one does.
    let me = app
        .get_with_token(&format!("/api/v1/profiles/users/{id}/profile/"), access)
        .await;
    assert_ne!(me.status(), 401);

    // The login's rules and texts, at the form's field names.
    let (status, body) = form("username=form%40example.com&password=Wr0ng%23Pass").await;
    assert_eq!((status, detail(&body)), (401, "Invalid email or password."));
    let (status, body) = form("password=x").await;
    assert_eq!(status, 422);
    let locs = pluck(&body["detail"], "loc");
    assert!(locs.contains(&&json!(["body", "username"])), "{body}");
    assert!(locs.contains(&&json!(["body", "password"])), "{body}");
    let (status, body) =
        form(&grant.replace("grant_type=password", "grant_type=client_credentials")).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "grant_type"]),
        "{body}"
    );
    // A password never comes back in a 422, from a form either.
    let (_, body) = form("username=nope&password=Secret%231Pass").await;
    assert!(!body.to_string().contains("Secret#1Pass"), "{body}");
    // JSON stays the contract's body.
    assert_eq!(app.login("form@example.com", PASSWORD).await.status(), 201);
}

async fn login_reports_a_database_failure_as_500(backend: Backend) {
    let app = spawn_app_with_a_closed_db(backend).await;
    let answer = json(app.login("a@example.com", PASSWORD).await).await;
    assert_500(&answer, "An error occurred while processing the request.");
}

async fn login_attempts_are_rate_limited(backend: Backend) {
    let app = spawn_mail_app_with(backend, |env| {
        env.insert("LOGIN_RATE_LIMIT".into(), "3".into());
        env.insert("LOGIN_ADDRESS_RATE_LIMIT".into(), "3".into());
        env.insert("LOGIN_RATE_WINDOW_SECONDS".into(), "600".into());
    })
    .await;
    let id = app.active_user("x@example.com").await;
    for _ in 0..3 {
        assert_eq!(app.login("x@example.com", NEW_PASSWORD).await.status(), 401);
    }
    let response = app.login("x@example.com", PASSWORD).await;
    assert_eq!(response.status(), 429, "even the right password waits");
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=200).contains(&retry), "{retry}");
    let (_, body) = json(response).await;
    assert!(body["detail"].is_string());
    // The same client is limited for other accounts too (the per-address limit)...
    assert_eq!(app.login("y@example.com", PASSWORD).await.status(), 429);
    // ...and for guesses at the old password through a password change.
    let response = app
        .client
        .post(app.url(PASSWORD_CHANGE))
        .header("Authorization", app.bearer(id))
        .json(&json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
}

db_tests!(
    login_returns_tokens_and_stores_the_refresh_token,
    login_rejects_bad_credentials_and_inactive_accounts,
    login_takes_the_oauth2_password_grant_as_a_form,
    login_reports_a_database_failure_as_500,
    login_attempts_are_rate_limited,
);
