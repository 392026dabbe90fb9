//! Token revocation and rate limits over HTTP: each revocation event, revocations reaching another
//! instance, login floods that must not lock the owner out, the register/resend/reset limits, and
//! limits shared by two instances and surviving a restart. Client addresses are simulated with
//! `TRUSTED_PROXIES=127.0.0.1/32` and `X-Forwarded-For`.

use std::{collections::HashMap, time::Duration};

use sea_orm::TransactionTrait;
use serde_json::{Value, json};

use crate::{
    db_tests,
    helpers::{
        Backend, TestApp,
        accounts::{
            LOGIN, LOGOUT, NEW_PASSWORD, PASSWORD, PASSWORD_CHANGE, REFRESH, REGISTER, RESEND,
            RESET_COMPLETE, RESET_REQUEST,
        },
        json,
        mail::{spawn_mail_app, spawn_mail_app_with},
        spawn_instance_on,
    },
};
const REVOKED: (u16, &str) = (401, "Token has been revoked.");

fn trusting_localhost(env: &mut HashMap<String, String>) {
    env.insert("TRUSTED_PROXIES".into(), "127.0.0.1/32".into());
}

impl TestApp {
    /// POSTs `body` as if from `client` (through a trusted proxy at 127.0.0.1).
    async fn post_from(&self, client: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("X-Forwarded-For", client)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// The status [`Self::post_from`] gets.
    async fn status_from(&self, client: &str, path: &str, body: &Value) -> u16 {
        self.post_from(client, path, body).await.status().as_u16()
    }

    async fn login_from(&self, client: &str, email: &str, password: &str) -> u16 {
        let body = json!({"email": email, "password": password});
        self.status_from(client, LOGIN, &body).await
    }

    /// What a protected endpoint answers for `access`: (status, detail).
    async fn use_token(&self, access: &str, user_id: i32) -> (u16, String) {
        let response = self
            .get_with_token(
                &format!("/api/v1/profiles/users/{user_id}/profile/"),
                access,
            )
            .await;
        let (status, body) = json(response).await;
        (
            status,
            body["detail"].as_str().unwrap_or_default().to_owned(),
        )
    }

    async fn token_works(&self, access: &str, user_id: i32) -> bool {
        self.use_token(access, user_id).await.0 != 401
    }

    async fn assert_revoked(&self, access: &str, user_id: i32) {
        let (status, detail) = self.use_token(access, user_id).await;
        assert_eq!((status, detail.as_str()), REVOKED);
    }

    async fn refresh_status(&self, refresh: &str) -> (u16, Value) {
        json(
            self.post_json(REFRESH, &json!({"refresh_token": refresh}))
                .await,
        )
        .await
    }

    /// Asserts that a session is over: its access token revoked, its refresh token gone.
    async fn assert_session_ended(&self, (access, refresh): &(String, String), user_id: i32) {
        self.assert_revoked(access, user_id).await;
        let not_found = (401, json!({"detail": "Refresh token not found."}));
        assert_eq!(self.refresh_status(refresh).await, not_found);
    }

    /// Logs in again and asserts that the new session's access token works (`after` what).
    async fn new_session(
        &self,
        email: &str,
        password: &str,
        user_id: i32,
        after: &str,
    ) -> (String, String) {
        let session = self.tokens(email, password).await;
        assert!(
            self.token_works(&session.0, user_id).await,
            "a new login after {after}"
        );
        session
    }
}

/// A mail app with `LOGIN_RATE_LIMIT=limit`, and `email` an active user.
async fn spawn_login_limited(backend: Backend, limit: &str, email: &str) -> TestApp {
    let app = spawn_mail_app_with(backend, |env| {
        env.insert("LOGIN_RATE_LIMIT".into(), limit.into());
    })
    .await;
    app.active_user(email).await;
    app
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .expect("ASCII")
        .parse()
        .expect("seconds")
}

async fn every_revocation_event_refuses_older_access_tokens(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    let email = "rev@example.com";
    let id = app.active_user(email).await;

    // A token with only the contract's claims, minted elsewhere, works until a revocation.
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"user_id": id, "exp": chrono::Utc::now().timestamp() + 3600}),
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::TEST_ACCESS_SECRET.as_bytes()),
    )
    .unwrap();
    assert!(app.token_works(&foreign, id).await);

    // Logout.
    let session = app.tokens(email, PASSWORD).await;
    assert!(app.token_works(&session.0, id).await);
    let response = app
        .post_json(LOGOUT, &json!({"refresh_token": session.1}))
        .await;
    assert_eq!(response.status(), 200);
    app.assert_session_ended(&session, id).await;
    app.assert_revoked(&foreign, id).await;
    // A login right after (same second, likely the same millisecond) works.
    let session = app.new_session(email, PASSWORD, id, "logout").await;

    // Password change.
    let response = app
        .client
        .post(app.url(PASSWORD_CHANGE))
        .bearer_auth(&session.0)
        .json(&json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.assert_session_ended(&session, id).await;
    let session = app.new_session(email, NEW_PASSWORD, id, "the change").await;

    // Password reset.
    app.post_json(RESET_REQUEST, &json!({"email": email})).await;
    let token = app
        .mail(email, "Password Reset Request")
        .await
        .link_param("token");
    let request = json!({"email": email, "password": PASSWORD, "token": token});
    assert_eq!(app.post_json(RESET_COMPLETE, &request).await.status(), 200);
    app.assert_session_ended(&session, id).await;
    let session = app.new_session(email, PASSWORD, id, "the reset").await;

    // What the administration will call: in the change's transaction, then applied after commit.
    let txn = app.db.begin().await.unwrap();
    let revoked = theater::revocation::revoke_user_tokens(&txn, id, theater::rate_limit::now_ms())
        .await
        .unwrap();
    txn.commit().await.unwrap();
    app.state.revocations.apply(revoked);
    app.assert_session_ended(&session, id).await;
    // Refreshed tokens of a session that outlived a logout elsewhere work.
    let (_, other_session) = app.tokens(email, PASSWORD).await;
    let (access, refresh) = app.tokens(email, PASSWORD).await;
    app.post_json(LOGOUT, &json!({"refresh_token": refresh}))
        .await;
    app.assert_revoked(&access, id).await;
    let (status, body) = app.refresh_status(&other_session).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        app.token_works(body["access_token"].as_str().unwrap(), id)
            .await
    );
}

async fn revocations_reach_another_instance_within_a_second(backend: Backend) {
    let a = spawn_mail_app(backend).await;
    let b = spawn_instance_on(&a, |_| {}, |_| {}).await;
    let email = "multi@example.com";
    let id = a.active_user(email).await;
    let (access, refresh) = a.tokens(email, PASSWORD).await;
    assert!(b.token_works(&access, id).await);
    a.post_json(LOGOUT, &json!({"refresh_token": refresh}))
        .await;
    let start = std::time::Instant::now();
    while b.token_works(&access, id).await {
        // Generous on a loaded machine; the poll runs every 250 ms.
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the other instance still accepts the token"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "revocation seen by the other instance after {:?}",
        start.elapsed()
    );
    b.assert_revoked(&access, id).await;
    // A login on the other instance right after works on both.
    let (access, _) = b.tokens(email, PASSWORD).await;
    assert!(b.token_works(&access, id).await && a.token_works(&access, id).await);
}

async fn a_flood_of_wrong_passwords_does_not_lock_the_owner_out(backend: Backend) {
    let app = spawn_mail_app_with(backend.clone(), |env| {
        trusting_localhost(env);
        env.insert("LOGIN_RATE_LIMIT".into(), "3".into());
        env.insert("LOGIN_SLOWDOWN_MAX_MS".into(), "400".into());
    })
    .await;
    let email = "owner@example.com";
    app.active_user(email).await;
    let attacker = "203.0.113.66";
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(app.login_from(attacker, email, NEW_PASSWORD).await);
    }
    assert_eq!(statuses[..3], [401; 3]);
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    let response = app
        .post_from(
            attacker,
            LOGIN,
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 429, "the attacker's address is refused");
    assert!((1..=900).contains(&retry_after(&response)));
    let (_, body) = json(response).await;
    assert_eq!(body["detail"], "Too many login attempts. Try again later.");
    // The owner, elsewhere, gets in.
    assert_eq!(app.login_from("198.51.100.7", email, PASSWORD).await, 201);

    // Many attacking addresses at once: each gets its own few guesses (slowed down), and the owner
    // still gets in.
    let guesses = futures::future::join_all((0..4).flat_map(|n| {
        let app = &app;
        (0..3).map(move |_| async move {
            app.login_from(&format!("203.0.113.{n}"), email, NEW_PASSWORD)
                .await
        })
    }))
    .await;
    assert!(guesses.iter().all(|s| *s == 401), "{guesses:?}");
    assert_eq!(app.login_from("198.51.100.8", email, PASSWORD).await, 201);
    // The per-address limit spans e-mails: one address spraying accounts is stopped too.
    let sprayer = "192.0.2.50";
    let app_limited = spawn_mail_app_with(backend, |env| {
        trusting_localhost(env);
        env.insert("LOGIN_ADDRESS_RATE_LIMIT".into(), "3".into());
    })
    .await;
    let sprayed: Vec<u16> = futures::future::join_all((0..5).map(|n| {
        let app = &app_limited;
        async move {
            app.login_from(sprayer, &format!("u{n}@example.com"), PASSWORD)
                .await
        }
    }))
    .await;
    assert_eq!(
        sprayed.iter().filter(|s| **s == 401).count(),
        3,
        "{sprayed:?}"
    );
    assert_eq!(
        sprayed.iter().filter(|s| **s == 429).count(),
        2,
        "{sprayed:?}"
    );
}

async fn successful_logins_never_spend_the_budget(backend: Backend) {
    let email = "daily@example.com";
    let app = spawn_login_limited(backend, "3", email).await;
    assert_eq!(app.login(email, NEW_PASSWORD).await.status(), 401);
    assert_eq!(app.login(email, NEW_PASSWORD).await.status(), 401);
    for i in 0..30 {
        assert_eq!(app.login(email, PASSWORD).await.status(), 201, "login {i}");
    }
    // The two failures are still counted: one more is allowed, then none.
    assert_eq!(app.login(email, NEW_PASSWORD).await.status(), 401);
    assert_eq!(app.login(email, PASSWORD).await.status(), 429);
}

async fn spoofed_forwarding_headers_are_ignored_without_trusted_proxies(backend: Backend) {
    let email = "spoof@example.com";
    let app = spawn_login_limited(backend, "2", email).await;
    assert_eq!(app.login_from("10.0.0.1", email, NEW_PASSWORD).await, 401);
    assert_eq!(app.login_from("10.0.0.2", email, NEW_PASSWORD).await, 401);
    // Every request came from 127.0.0.1, whatever the header says.
    assert_eq!(app.login_from("10.0.0.3", email, PASSWORD).await, 429);
}

async fn account_requests_are_limited_per_address_and_per_e_mail(backend: Backend) {
    let app = spawn_mail_app_with(backend, |env| {
        trusting_localhost(env);
        env.insert("ACCOUNT_EMAIL_RATE_LIMIT".into(), "2".into());
        env.insert("ACCOUNT_ADDRESS_RATE_LIMIT".into(), "4".into());
    })
    .await;
    app.active_user("known@example.com").await;
    app.post_json(
        REGISTER,
        &json!({"email": "idle@example.com", "password": PASSWORD}),
    )
    .await;
    let mut address = 0;
    let mut next_address = || {
        address += 1;
        format!("198.51.100.{address}")
    };
    // Per e-mail, from any address, and the same for accounts that exist, wait for activation or
    // do not exist: the answer reveals nothing.
    for path in [RESEND, RESET_REQUEST] {
        for email in ["known@example.com", "idle@example.com", "ghost@example.com"] {
            let body = json!({"email": email});
            for _ in 0..2 {
                let response = app.post_from(&next_address(), path, &body).await;
                assert_eq!(response.status(), 200, "{path} {email}");
            }
            let response = app.post_from(&next_address(), path, &body).await;
            assert_eq!(response.status(), 429, "{path} {email}");
            assert!(retry_after(&response) >= 1);
            let (_, body) = json(response).await;
            assert_eq!(body["detail"], "Too many requests. Try again later.");
        }
    }
    // Per address, across e-mails.
    for path in [RESEND, RESET_REQUEST] {
        let from = next_address();
        for n in 0..4 {
            let body = json!({"email": format!("a{n}@example.com")});
            assert_eq!(app.post_from(&from, path, &body).await.status(), 200);
        }
        let body = json!({"email": "a9@example.com"});
        assert_eq!(app.post_from(&from, path, &body).await.status(), 429);
    }
    let from = next_address();
    for n in 0..4 {
        let body = json!({"email": format!("new{n}@example.com"), "password": PASSWORD});
        assert_eq!(app.post_from(&from, REGISTER, &body).await.status(), 201);
    }
    let body = json!({"email": "new9@example.com", "password": PASSWORD});
    assert_eq!(app.post_from(&from, REGISTER, &body).await.status(), 429);
    // Registering one e-mail over and over: 201, 409, then refused.
    let body = json!({"email": "twice@example.com", "password": PASSWORD});
    for (attempt, expected) in [201, 409, 429].into_iter().enumerate() {
        let status = app.status_from(&next_address(), REGISTER, &body).await;
        assert_eq!(status, expected, "registration {attempt}");
    }
}

async fn limits_hold_across_instances_and_restarts(backend: Backend) {
    let env = |env: &mut HashMap<String, String>| {
        trusting_localhost(env);
        env.insert("LOGIN_RATE_LIMIT".into(), "4".into());
        env.insert("ACCOUNT_EMAIL_RATE_LIMIT".into(), "2".into());
    };
    let a = spawn_mail_app_with(backend, env).await;
    let b = spawn_instance_on(&a, env, |_| {}).await;
    let email = "shared@example.com";
    a.active_user(email).await;
    let guesser = "203.0.113.9";
    for app in [&a, &b, &a, &b] {
        assert_eq!(app.login_from(guesser, email, NEW_PASSWORD).await, 401);
    }
    assert_eq!(a.login_from(guesser, email, PASSWORD).await, 429);
    assert_eq!(b.login_from(guesser, email, PASSWORD).await, 429);
    let reset = json!({"email": email});
    for (app, from, expected) in [
        (&a, "192.0.2.1", 200),
        (&b, "192.0.2.2", 200),
        (&a, "192.0.2.3", 429),
    ] {
        let status = app.status_from(from, RESET_REQUEST, &reset).await;
        assert_eq!(status, expected, "a reset request from {from}");
    }
    // A restarted service (fresh process state, same database) remembers.
    let restarted = spawn_instance_on(&a, env, |_| {}).await;
    assert_eq!(restarted.login_from(guesser, email, PASSWORD).await, 429);
    let response = restarted
        .post_from("192.0.2.4", RESET_REQUEST, &reset)
        .await;
    assert_eq!(response.status(), 429);
    assert_eq!(
        restarted.login_from("192.0.2.5", email, PASSWORD).await,
        201
    );
}

db_tests!(
    every_revocation_event_refuses_older_access_tokens,
    revocations_reach_another_instance_within_a_second,
    a_flood_of_wrong_passwords_does_not_lock_the_owner_out,
    successful_logins_never_spend_the_budget,
    spoofed_forwarding_headers_are_ignored_without_trusted_proxies,
    account_requests_are_limited_per_address_and_per_e_mail,
    limits_hold_across_instances_and_restarts,
);
