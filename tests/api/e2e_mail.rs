//! End to end against a real SMTP capture server (maildev, with AUTH): `scripts/maildev.sh start`
//! starts one and prints the `THEATER_E2E_*` variables these tests read; `.ci/run` does that. Without
//! them the tests skip with the reason printed.

use std::{sync::Arc, time::Duration};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use theater::{
    auth::Group,
    entities::email_outbox,
    mail::{Backoff, Mail},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{
    Backend, TestApp,
    accounts::{NEW_PASSWORD, PASSWORD},
    free_port, json,
    mail::SentMail,
    spawn_app_with, spawn_app_with_state,
};

struct Smtp {
    host: String,
    port: String,
    user: String,
    password: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The shared maildev instance, or `None` with the reason printed.
fn shared_maildev() -> Option<(Smtp, String)> {
    let found = (|| {
        Some((
            Smtp {
                host: var("THEATER_E2E_SMTP_HOST")?,
                port: var("THEATER_E2E_SMTP_PORT")?,
                user: var("THEATER_E2E_SMTP_USER")?,
                password: var("THEATER_E2E_SMTP_PASSWORD")?,
            },
            var("THEATER_E2E_MAILDEV_URL")?,
        ))
    })();
    if found.is_none() {
        eprintln!(
            "skipped: THEATER_E2E_SMTP_* / THEATER_E2E_MAILDEV_URL are not set; run \
             `eval \"$(scripts/maildev.sh start)\"` first (.ci/run does)"
        );
    }
    found
}

fn smtp_env(env: &mut std::collections::HashMap<String, String>, smtp: &Smtp) {
    env.insert("EMAIL_HOST".into(), smtp.host.clone());
    env.insert("EMAIL_PORT".into(), smtp.port.clone());
    env.insert("EMAIL_HOST_USER".into(), smtp.user.clone());
    env.insert("EMAIL_HOST_PASSWORD".into(), smtp.password.clone());
    env.insert("EMAIL_USE_TLS".into(), "false".into());
}

fn unique_email(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{tag}-{nanos}@example.com")
}

/// Waits (at most `timeout`) for maildev to hold an e-mail to `to` with `subject`.
async fn captured(maildev: &str, to: &str, subject: &str, timeout: Duration) -> SentMail {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Ok(response) = client.get(format!("{maildev}/email")).send().await
            && let Ok(list) = response.json::<Vec<Value>>().await
            && let Some(mail) = list.iter().find(|m| {
                m["subject"] == subject
                    && m["to"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|a| a["address"] == to))
            })
        {
            return SentMail {
                to: to.to_owned(),
                from: mail["from"][0]["address"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                subject: subject.to_owned(),
                html: mail["html"].as_str().expect("an HTML body").to_owned(),
            };
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no e-mail {subject:?} to {to} reached maildev within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const WAIT: Duration = Duration::from_secs(20);

/// The `Message-ID` header maildev received on the e-mail to `to` with `subject`.
async fn captured_message_id(maildev: &str, to: &str, subject: &str) -> String {
    let list: Vec<Value> = reqwest::get(format!("{maildev}/email"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mail = list
        .iter()
        .find(|m| {
            m["subject"] == subject
                && m["to"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|a| a["address"] == to))
        })
        .expect("the captured e-mail");
    mail["headers"]["message-id"]
        .as_str()
        .unwrap_or_else(|| panic!("no Message-ID header: {mail}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_accounts_flow_through_real_smtp() {
    let Some((smtp, maildev)) = shared_maildev() else {
        return;
    };
    // The background jobs run as under `theater serve`.
    let app: TestApp = spawn_app_with(Backend::Sqlite, |env| smtp_env(env, &smtp)).await;
    let email = unique_email("e2e");

    let (status, body) = json(app.register(&email, PASSWORD).await).await;
    assert_eq!(status, 201, "{body}");
    let activation = captured(&maildev, &email, "Account Activation", WAIT).await;
    assert_eq!(activation.email_element(), email);
    // The Message-ID fixed when the message was written went out with it.
    let stored = email_outbox::Entity::find()
        .filter(email_outbox::Column::Recipient.eq(email.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .and_then(|row| row.message_id)
        .expect("a stored Message-ID");
    assert_eq!(
        captured_message_id(&maildev, &email, "Account Activation").await,
        stored
    );
    assert_eq!(activation.from, smtp.user, "sent from EMAIL_HOST_USER");
    assert!(activation.link().starts_with(&app.address));
    let page = app.get_text(&activation.link_path()).await;
    let result = app.submit(&page, &[]).await;
    assert_eq!(result.status(), 200);
    assert!(
        result
            .text()
            .await
            .unwrap()
            .contains("Your account is active.")
    );

    let activated = captured(&maildev, &email, "Account Activated Successfully", WAIT).await;
    assert_eq!(activated.email_element(), email);
    assert_eq!(app.get(&activated.link_path()).await.status(), 200);

    let (_, refresh) = app.tokens(&email, PASSWORD).await;
    let (status, body) = json(
        app.post_json(
            "/api/v1/accounts/refresh/",
            &json!({"refresh_token": refresh}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    app.post_json(
        "/api/v1/accounts/password-reset/request/",
        &json!({"email": email}),
    )
    .await;
    let reset = captured(&maildev, &email, "Password Reset Request", WAIT).await;
    assert_eq!(reset.email_element(), email);
    let form = app.get_text(&reset.link_path()).await;
    let result = app.submit(&form, &[("password", NEW_PASSWORD)]).await;
    assert_eq!(result.status(), 200);

    let done = captured(
        &maildev,
        &email,
        "Your Password Has Been Successfully Reset",
        WAIT,
    )
    .await;
    assert_eq!(done.email_element(), email);
    assert_eq!(app.get(&done.link_path()).await.status(), 200);
    assert_eq!(app.login(&email, PASSWORD).await.status(), 401);
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_mail_survives_an_smtp_outage() {
    let Some(bin) = var("THEATER_E2E_MAILDEV_BIN") else {
        eprintln!(
            "skipped: THEATER_E2E_MAILDEV_BIN is not set; run `eval \"$(scripts/maildev.sh start)\"` first"
        );
        return;
    };
    let (smtp_port, web_port) = (free_port(), free_port());
    let smtp = Smtp {
        host: "127.0.0.1".into(),
        port: smtp_port.to_string(),
        user: "outage@example.com".into(),
        password: "outage-pass".into(),
    };
    // Nothing listens on the SMTP port yet. The worker retries quickly so the test stays short.
    let app = spawn_app_with_state(
        Backend::Sqlite,
        |env| {
            smtp_env(env, &smtp);
            env.insert("BACKGROUND_JOBS".into(), "false".into());
        },
        |state| {
            let mail = Mail::from_config(&state.config)
                .unwrap()
                .with_backoff(Backoff {
                    base: Duration::from_millis(200),
                    max: Duration::from_millis(800),
                });
            state.mail = Arc::new(mail);
        },
    )
    .await;
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(theater::mail::outbox::run_worker(
        app.db.clone(),
        app.state.mail.clone(),
        shutdown.clone(),
    ));

    let email = unique_email("outage");
    let started = std::time::Instant::now();
    let (status, body) = json(app.register(&email, PASSWORD).await).await;
    assert_eq!(status, 201, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the response waited for SMTP"
    );

    // The worker tries, fails and records why.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let row = email_outbox::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if row.attempts >= 2 && row.last_error.is_some() {
            assert!(row.sent_at.is_none());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no failed attempt recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // SMTP comes back: a private maildev on that port.
    let mut maildev = tokio::process::Command::new(&bin)
        .args([
            "--ip",
            "127.0.0.1",
            "--smtp",
            &smtp.port,
            "--web",
            &web_port.to_string(),
        ])
        .args([
            "--incoming-user",
            &smtp.user,
            "--incoming-pass",
            &smtp.password,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start maildev");
    let url = format!("http://127.0.0.1:{web_port}");
    let mail = captured(&url, &email, "Account Activation", Duration::from_secs(30)).await;
    assert_eq!(mail.email_element(), email);
    // Marked sent right after the SMTP exchange that delivered it.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while email_outbox::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .sent_at
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the message was not marked sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    shutdown.cancel();
    worker.await.unwrap();
    let _ = maildev.kill().await;
}

/// Delivers what is due once, directly, and returns the outbox row of the single message.
async fn attempt_once(app: &TestApp) -> email_outbox::Model {
    theater::mail::try_execute_task(&app.db, &app.state.mail)
        .await
        .unwrap();
    email_outbox::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("an outbox row")
}

/// Registers a new address on an app sending through `smtp` with `setting` changed, and makes one
/// delivery attempt, which must fail: returns its error.
async fn failed_attempt(smtp: &Smtp, (key, value): (&str, &str), who: &str) -> String {
    let app = spawn_app_with(Backend::Sqlite, |env| {
        smtp_env(env, smtp);
        env.insert(key.into(), value.into());
        env.insert("BACKGROUND_JOBS".into(), "false".into());
    })
    .await;
    app.register(&unique_email(who), PASSWORD).await;
    let row = attempt_once(&app).await;
    assert!(row.sent_at.is_none(), "{key}={value}: sent");
    row.last_error
        .unwrap_or_else(|| panic!("{key}={value}: no error"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_smtp_auth_is_used_and_starttls_is_never_skipped() {
    let Some((smtp, _)) = shared_maildev() else {
        return;
    };
    // AUTH happens: a wrong password is refused by the server.
    let error = failed_attempt(&smtp, ("EMAIL_HOST_PASSWORD", "wrong"), "auth").await;
    assert!(error.contains("535"), "an authentication failure: {error}");

    // EMAIL_USE_TLS=true requires STARTTLS with a valid certificate; without it nothing is sent in
    // plain text.
    let error = failed_attempt(&smtp, ("EMAIL_USE_TLS", "true"), "tls").await;
    assert!(error.contains("STARTTLS"), "{error}");
}

/// The headers maildev received on the e-mail to `to` with `subject` (names in lower case).
async fn captured_headers(maildev: &str, to: &str, subject: &str) -> Value {
    let list: Vec<Value> = reqwest::get(format!("{maildev}/email"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list.iter()
        .find(|m| {
            m["subject"] == subject
                && m["to"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|a| a["address"] == to))
        })
        .map(|m| m["headers"].clone())
        .expect("the captured e-mail")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_a_reply_email_carries_one_click_unsubscribe() {
    let Some((smtp, maildev)) = shared_maildev() else {
        return;
    };
    let app: TestApp = spawn_app_with(Backend::Sqlite, |env| {
        smtp_env(env, &smtp);
        env.insert("CATALOG_WRITES".into(), "open".into());
    })
    .await;
    let author = unique_email("author");
    let author_id = app.insert_user(&author, Group::User, true).await;
    let replier = app
        .insert_user(&unique_email("replier"), Group::User, true)
        .await;
    let movie_id = app
        .created(&crate::movies::movie("Mailed reply", "2020-01-01"))
        .await;
    let reviews = format!("/api/v1/theater/movies/{movie_id}/reviews/");
    let (status, review) = app
        .call(
            reqwest::Method::POST,
            &reviews,
            Some(&app.bearer(author_id)),
            Some(json!({"text": "What a film"})),
        )
        .await;
    assert_eq!(status, 201, "{review}");
    let reply = json!({"text": "Agreed <3", "parent_id": review["id"]});
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            &reviews,
            Some(&app.bearer(replier)),
            Some(reply),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let subject = "New reply to your review";
    let mail = captured(&maildev, &author, subject, WAIT).await;
    assert!(mail.html.contains("Agreed &lt;3"), "{}", mail.html);
    let headers = captured_headers(&maildev, &author, subject).await;
    assert_eq!(
        headers["list-unsubscribe-post"], "List-Unsubscribe=One-Click",
        "{headers}"
    );
    let header = headers["list-unsubscribe"]
        .as_str()
        .expect("List-Unsubscribe");
    let url = header
        .strip_prefix('<')
        .and_then(|h| h.strip_suffix('>'))
        .expect("an angle-bracketed URL");
    assert!(url.starts_with(&app.address), "{url}");
    assert!(
        mail.html
            .contains(&format!("id=\"unsubscribe\" href=\"{url}\"")),
        "{}",
        mail.html
    );

    // The one-click POST from the captured URL, as a mail client sends it: no login.
    let response = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, settings) = app
        .call(
            reqwest::Method::GET,
            "/api/v1/users/me/notification-settings/",
            Some(&app.bearer(author_id)),
            None,
        )
        .await;
    assert_eq!(settings["email_review_replies"], false);
}
