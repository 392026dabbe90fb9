//! The e-mail outbox behind the account endpoints: retries, refusals, concurrent workers.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use lettre::transport::stub::AsyncStubTransport;
use sea_orm::{EntityTrait, sea_query::Expr};
use theater::{
    entities::email_outbox,
    mail::{ExecutionOutcome, Mail, Transport, try_execute_task},
};

use crate::{
    db_tests,
    helpers::{
        Backend, TestApp,
        accounts::PASSWORD,
        mail::{SentMail, spawn_mail_app, spawn_mail_app_with_transport},
        spawn_app_with, spawn_app_with_state,
    },
};

/// One run of the outbox worker.
async fn run_worker(app: &TestApp) -> ExecutionOutcome {
    try_execute_task(&app.db, &app.state.mail).await.unwrap()
}

/// Makes every unsent message due now, as if its retry time had come.
async fn make_mail_due(app: &TestApp) {
    email_outbox::Entity::update_many()
        .col_expr(email_outbox::Column::NextAttemptAt, Expr::value(Utc::now()))
        .exec(&app.db)
        .await
        .unwrap();
}

/// The one message in the outbox.
async fn the_outbox_row(app: &TestApp) -> email_outbox::Model {
    email_outbox::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("an outbox row")
}

/// Registers `email`, asserting the 201: its activation e-mail is then in the outbox.
async fn register_one(app: &TestApp, email: &str) {
    let response = app.register(email, PASSWORD).await;
    assert_eq!(response.status(), 201, "registering {email}");
}

/// Asserts that the last delivery error of `row` mentions `text`.
fn assert_last_error(row: &email_outbox::Model, text: &str) {
    let error = row
        .last_error
        .as_deref()
        .unwrap_or_else(|| panic!("no error: {row:?}"));
    assert!(error.contains(text), "{text:?} not in {row:?}");
}

/// The `Message-ID` header of a raw message.
fn message_id(raw: &str) -> String {
    raw.lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap_or_else(|| panic!("no Message-ID in {raw}"))
        .to_owned()
}

/// The `Message-ID` of every message the stub transport received.
async fn message_ids(app: &TestApp) -> Vec<String> {
    app.stub()
        .messages()
        .await
        .iter()
        .map(|(_, raw)| message_id(raw))
        .collect()
}

/// Makes the message due and runs the worker once, which must end in `outcome`; the message must
/// then have had `attempts` attempts, and the gauges must read `failed` and `pending`.
async fn retry_due_mail(
    app: &TestApp,
    outcome: ExecutionOutcome,
    attempts: i32,
    (failed, pending): (u32, u32),
) {
    make_mail_due(app).await;
    assert_eq!(run_worker(app).await, outcome);
    assert_eq!(the_outbox_row(app).await.attempts, attempts);
    assert_outbox_gauges(app, failed, pending).await;
}

/// The outbox gauges of `/metrics` read `failed` and `pending`.
async fn assert_outbox_gauges(app: &TestApp, failed: u32, pending: u32) {
    let metrics = app.get_text("/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l == format!("email_outbox_failed {failed}")),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l == format!("email_outbox_pending {pending}")),
        "{metrics}"
    );
}

/// An app whose mail goes to a stub transport that refuses every message.
async fn spawn_failing_mail_app(backend: Backend) -> TestApp {
    spawn_mail_app_with_transport(backend, |_| {}, AsyncStubTransport::new_error()).await
}

/// An SMTP server on 127.0.0.1 that accepts every command but answers `RCPT TO` with `reply`, so
/// tests see how the worker treats a refusal through the real SMTP client.
async fn refusing_smtp_server(reply: &'static str) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = tokio::io::BufReader::new(read).lines();
                if write.write_all(b"220 refusing ESMTP\r\n").await.is_err() {
                    return;
                }
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let answer = match command.get(..4) {
                        Some("RCPT") => reply,
                        Some("QUIT") => "221 bye",
                        _ => "250 ok",
                    };
                    if write
                        .write_all(format!("{answer}\r\n").as_bytes())
                        .await
                        .is_err()
                        || command.starts_with("QUIT")
                    {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// An app whose mail goes over SMTP to `127.0.0.1:{port}`, with the worker driven by the test.
async fn spawn_smtp_app(backend: Backend, port: u16) -> TestApp {
    spawn_app_with(backend, |env| {
        env.insert("BACKGROUND_JOBS".into(), "false".into());
        env.insert("EMAIL_HOST".into(), "127.0.0.1".into());
        env.insert("EMAIL_PORT".into(), port.to_string());
    })
    .await
}

async fn failed_deliveries_are_retried_with_backoff_and_survive_a_restart(backend: Backend) {
    let app = spawn_failing_mail_app(backend).await;
    register_one(&app, "later@example.com").await;
    assert_eq!(run_worker(&app).await, ExecutionOutcome::TaskCompleted);
    let row = the_outbox_row(&app).await;
    assert_eq!(row.attempts, 1);
    assert!(row.sent_at.is_none());
    assert_last_error(&row, "stub error");
    let wait = row.next_attempt_at - Utc::now();
    assert!(
        wait > TimeDelta::seconds(20) && wait <= TimeDelta::seconds(30),
        "{wait}"
    );
    // Not due yet.
    assert_eq!(run_worker(&app).await, ExecutionOutcome::EmptyQueue);

    // Time passes; a new process (a fresh `Mail` with a working transport) finds the message.
    make_mail_due(&app).await;
    let working = AsyncStubTransport::new_ok();
    let restarted = Mail::from_config(&app.state.config)
        .unwrap()
        .with_transport(Transport::Stub(working.clone()));
    assert_eq!(
        try_execute_task(&app.db, &restarted).await.unwrap(),
        ExecutionOutcome::TaskCompleted
    );
    let sent: Vec<SentMail> = working
        .messages()
        .await
        .iter()
        .map(|(_, raw)| SentMail::parse(raw))
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "Account Activation");
    let row = the_outbox_row(&app).await;
    assert!(row.sent_at.is_some() && row.last_error.is_none());
    assert_eq!(row.attempts, 2);
    assert_eq!(
        try_execute_task(&app.db, &restarted).await.unwrap(),
        ExecutionOutcome::EmptyQueue
    );
}

async fn a_message_keeps_its_message_id_on_every_attempt(backend: Backend) {
    let app = spawn_failing_mail_app(backend).await;
    register_one(&app, "twice@example.com").await;
    run_worker(&app).await;
    make_mail_due(&app).await;
    run_worker(&app).await;
    let ids = message_ids(&app).await;
    assert_eq!(ids.len(), 2, "two attempts");
    assert_eq!(ids[0], ids[1]);
    // `<random@host of APP_BASE_URL>`, as stored when the message was written.
    assert!(
        ids[0].starts_with('<') && ids[0].ends_with("@127.0.0.1>"),
        "{}",
        ids[0]
    );
    assert_eq!(the_outbox_row(&app).await.message_id, Some(ids[0].clone()));

    // Another message gets another id.
    app.register("other@example.com", PASSWORD).await;
    make_mail_due(&app).await;
    while run_worker(&app).await == ExecutionOutcome::TaskCompleted {}
    let mut distinct = message_ids(&app).await;
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 2);
}

async fn permanent_refusals_are_marked_failed_and_never_retried(backend: Backend) {
    let port = refusing_smtp_server("550 5.1.1 no such user here").await;
    let app = spawn_smtp_app(backend, port).await;
    register_one(&app, "nobody@example.com").await;
    assert_eq!(run_worker(&app).await, ExecutionOutcome::TaskCompleted);
    let row = the_outbox_row(&app).await;
    assert!(row.failed_at.is_some() && row.sent_at.is_none(), "{row:?}");
    assert_last_error(&row, "no such user here");
    // Never claimed again, even when its time comes.
    retry_due_mail(&app, ExecutionOutcome::EmptyQueue, 1, (1, 0)).await;
}

async fn transient_refusals_are_retried(backend: Backend) {
    let port = refusing_smtp_server("451 4.3.0 mailbox busy, try later").await;
    let app = spawn_smtp_app(backend, port).await;
    register_one(&app, "busy@example.com").await;
    run_worker(&app).await;
    let row = the_outbox_row(&app).await;
    assert!(row.failed_at.is_none() && row.sent_at.is_none(), "{row:?}");
    assert!(row.next_attempt_at > Utc::now(), "{row:?}");
    assert_last_error(&row, "try later");
    retry_due_mail(&app, ExecutionOutcome::TaskCompleted, 2, (0, 1)).await;
}

async fn concurrent_workers_send_each_message_once(backend: Backend) {
    let app = spawn_mail_app(backend).await;
    for i in 0..12 {
        let message = app
            .state
            .mail
            .render(
                &format!("w{i}@example.com"),
                theater::mail::Notice::ActivationComplete,
            )
            .unwrap();
        theater::mail::outbox::insert(&app.db, message, Utc::now())
            .await
            .unwrap();
    }
    let worker = || async {
        let mut sent = 0;
        loop {
            match try_execute_task(&app.db, &app.state.mail).await {
                Ok(ExecutionOutcome::TaskCompleted) => sent += 1,
                Ok(ExecutionOutcome::EmptyQueue) => break,
                // SQLite may report a busy database under contention; the message stays due.
                Err(e) => eprintln!("worker: {e}"),
            }
        }
        sent
    };
    let (a, b, c) = tokio::join!(worker(), worker(), worker());
    assert_eq!(a + b + c, 12);
    let mut recipients: Vec<String> = app
        .stub()
        .messages()
        .await
        .iter()
        .map(|(envelope, _)| envelope.to()[0].to_string())
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 12);
    assert_eq!(app.stub().messages().await.len(), 12);
}

async fn the_served_application_runs_the_worker(backend: Backend) {
    // Background jobs on, as `theater serve` runs them.
    let stub = AsyncStubTransport::new_ok();
    let app = spawn_app_with_state(backend, |_| {}, {
        let stub = stub.clone();
        move |state| {
            let mail = Mail::from_config(&state.config)
                .unwrap()
                .with_transport(Transport::Stub(stub));
            state.mail = Arc::new(mail);
        }
    })
    .await;
    register_one(&app, "bg@example.com").await;
    for _ in 0..100 {
        if !stub.messages().await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let sent = stub.messages().await;
    assert_eq!(sent.len(), 1, "the worker sent the activation e-mail");
    assert_eq!(SentMail::parse(&sent[0].1).subject, "Account Activation");
}

db_tests!(
    failed_deliveries_are_retried_with_backoff_and_survive_a_restart,
    a_message_keeps_its_message_id_on_every_attempt,
    permanent_refusals_are_marked_failed_and_never_retried,
    transient_refusals_are_retried,
    concurrent_workers_send_each_message_once,
    the_served_application_runs_the_worker,
);
