//! Service behaviour around the API: CORS, and the real `theater` binary — start-up on the embedded
//! defaults, JSON logs with request ids, a clear line for bad settings (weak secrets included), e-mail
//! logged as one line without EMAIL_HOST, graceful shutdown.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    db_tests,
    helpers::{Backend, TestApp, free_port, spawn_app_with},
};

/// `GET /health` from a page on `origin`.
async fn health_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .get(app.url("/health"))
        .header("Origin", origin)
        .send()
        .await
        .unwrap()
}

async fn cors_is_off_by_default_and_follows_the_setting(backend: Backend) {
    let app = spawn_app_with(backend.clone(), |_| {}).await;
    let response = health_from(&app, "https://app.example.com").await;
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );

    let app = spawn_app_with(backend, |env| {
        env.insert(
            "CORS_ALLOWED_ORIGINS".into(),
            "https://app.example.com".into(),
        );
    })
    .await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/theater/movies/"))
        .header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let other = health_from(&app, "https://evil.example.com").await;
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

/// Browsers never let `Access-Control-Allow-Headers: *` cover `Authorization`: it must be listed, or
/// no page on another origin can call a protected endpoint.
async fn cors_preflights_allow_the_authorization_header(backend: Backend) {
    for origins in ["https://app.example.com", "*"] {
        let app = spawn_app_with(backend.clone(), |env| {
            env.insert("CORS_ALLOWED_ORIGINS".into(), origins.into());
        })
        .await;
        let preflight = app
            .client
            .request(
                reqwest::Method::OPTIONS,
                app.url("/api/v1/accounts/password-change/"),
            )
            .header("Origin", "https://app.example.com")
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type",
            )
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success(), "{}", preflight.status());
        let allowed = preflight.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        let allowed: Vec<&str> = allowed.split(',').map(str::trim).collect();
        for header in ["authorization", "content-type", "x-request-id"] {
            assert!(allowed.contains(&header), "{origins}: {allowed:?}");
        }
        assert!(!allowed.contains(&"*"), "{origins}: {allowed:?}");

        // A script may read the request id and Retry-After of the real response.
        let response = health_from(&app, "https://app.example.com").await;
        let exposed = response.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            exposed.contains("x-request-id") && exposed.contains("retry-after"),
            "{exposed}"
        );
    }
}

db_tests!(
    cors_is_off_by_default_and_follows_the_setting,
    cors_preflights_allow_the_authorization_header,
);

/// `theater` with a private data directory and nothing else from the environment that could leak in.
pub(crate) fn theater(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_theater"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", dir.join("data"))
        .env("BIND_ADDRESS", "127.0.0.1");
    command
}

/// Waits until `GET /health` answers 200.
pub(crate) async fn wait_healthy(port: u16, child: &mut Child) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            && r.status() == 200
        {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "theater serve exited early"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("theater serve did not become healthy");
}

#[tokio::test]
async fn serve_runs_on_embedded_defaults_logs_json_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = theater(dir.path())
        .arg("serve")
        .env("PORT", port.to_string())
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_healthy(port, &mut child).await;

    // The embedded defaults: a SQLite file and generated secrets under DATA_DIR, all private.
    assert!(dir.path().join("data/theater.db").exists());
    assert!(dir.path().join("data/secrets/SECRET_KEY_ACCESS").exists());
    assert_private(&dir.path().join("data"));

    let response = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/api/v1/theater/movies/"))
        .header("x-request-id", "req-test-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-test-42");
    assert_eq!(response.status(), 404);

    // SIGTERM: the process finishes and exits cleanly.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");

    let lines: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| l.unwrap())
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(&l).unwrap_or_else(|_| panic!("not a JSON log line: {l}")))
        .collect();
    let request_line = lines
        .iter()
        .find(|l| l["span"]["request_id"] == "req-test-42")
        .unwrap_or_else(|| panic!("no log line carries the request id: {lines:#?}"));
    assert_eq!(request_line["span"]["path"], "/api/v1/theater/movies/");
    assert!(lines.iter().any(|l| {
        l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("shutdown"))
    }));
}

#[test]
fn a_malformed_setting_stops_start_up_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = theater(dir.path())
        .arg("serve")
        .env("PORT", "eighty")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("PORT"), "{stderr}");
}

/// The secret `.env.example` ships, as a `cp .env.example .env` would set it.
fn example_secret(name: &str) -> String {
    include_str!("../../.env.example")
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} in .env.example"))
        .to_owned()
}

#[test]
fn serve_refuses_weak_secrets_with_one_line_naming_the_variable() {
    let strong = "4f1c2a9e8b7d6c5f4e3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e";
    let cases = [
        // The example file's value: anyone could forge tokens with it.
        (
            example_secret("SECRET_KEY_ACCESS"),
            strong.to_owned(),
            "SECRET_KEY_ACCESS",
        ),
        (
            "change-me-access".to_owned(),
            strong.to_owned(),
            "SECRET_KEY_ACCESS",
        ),
        (strong.to_owned(), "short".to_owned(), "SECRET_KEY_REFRESH"),
        (strong.to_owned(), strong.to_owned(), "SECRET_KEY_REFRESH"),
    ];
    for (access, refresh, var) in cases {
        let dir = tempfile::tempdir().unwrap();
        let output = theater(dir.path())
            .arg("serve")
            .env("PORT", free_port().to_string())
            .env("SECRET_KEY_ACCESS", &access)
            .env("SECRET_KEY_REFRESH", &refresh)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{var}: {output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(var), "{stderr}");
        assert!(
            !stderr.contains(&access) && !stderr.contains(&refresh),
            "{stderr}"
        );
    }
}

/// Starts `theater serve` with `env` on a free port; returns the child and its port once healthy.
async fn serve_with(dir: &std::path::Path, env: &[(&str, &str)]) -> (Child, u16) {
    let port = free_port();
    let mut command = theater(dir);
    command
        .arg("serve")
        .env("PORT", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    wait_healthy(port, &mut child).await;
    (child, port)
}

/// Stops the child with SIGTERM and returns everything it wrote to stdout.
fn stop(child: Child) -> String {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let output = child.wait_with_output().unwrap();
    String::from_utf8(output.stdout).unwrap()
}

/// Registers `email` and waits (generously) until the worker has handled its activation e-mail.
async fn register_and_wait_for_the_mail(dir: &std::path::Path, port: u16, email: &str) {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use theater::entities::email_outbox;
    let client = reqwest::Client::new();
    let response = client
        .post(format!("http://127.0.0.1:{port}/api/v1/accounts/register/"))
        .json(&serde_json::json!({"email": email, "password": "Secret#123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // The worker marks the message sent right after logging it; watch the server's database.
    let db = theater::db::connect(
        &format!("sqlite://{}/theater.db", dir.join("data").display()),
        1,
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let handled = email_outbox::Entity::find()
            .filter(email_outbox::Column::Recipient.eq(email))
            .filter(email_outbox::Column::SentAt.is_not_null())
            .count(&db)
            .await
            .unwrap();
        if handled > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never handled the e-mail"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    db.close().await.ok();
}

#[tokio::test]
async fn without_email_host_each_email_is_one_plain_log_line_without_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let (child, port) = serve_with(dir.path(), &[]).await;
    register_and_wait_for_the_mail(dir.path(), port, "log@example.com").await;
    let stdout = stop(child);

    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("to=log@example.com"))
        .collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let line = lines[0];
    assert!(
        line.contains("e-mail not sent: EMAIL_HOST is not set"),
        "{line}"
    );
    assert!(line.contains("subject=\"Account Activation\""), "{line}");
    assert!(
        line.contains("/accounts/activate?email=log%40example.com&token=<redacted>"),
        "{line}"
    );
    assert!(line.contains("stored in email_outbox id=1"), "{line}");
    assert!(!line.contains("&amp;"), "{line}");
    // Not a terminal: no colour codes anywhere, and no "sent" claim for mail that was only logged.
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    assert!(!stdout.contains("e-mail sent"), "{stdout}");
    // The default catalog mode says nothing; `open` is what warns (see below).
    assert!(!stdout.contains("CATALOG_WRITES=open"), "{stdout}");
}

#[tokio::test]
async fn email_log_links_shows_a_working_link_and_open_catalog_writes_warn() {
    let dir = tempfile::tempdir().unwrap();
    let (child, port) = serve_with(
        dir.path(),
        &[("EMAIL_LOG_LINKS", "true"), ("CATALOG_WRITES", "open")],
    )
    .await;
    register_and_wait_for_the_mail(dir.path(), port, "dev@example.com").await;
    let stdout = stop(child);
    let line = stdout
        .lines()
        .find(|l| l.contains("to=dev@example.com"))
        .unwrap_or_else(|| panic!("no line for the e-mail: {stdout}"));
    let link = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("link="))
        .unwrap();
    let link = url::Url::parse(link).unwrap();
    let token = link
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(token.len() >= 32 && !token.contains("redacted"), "{line}");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("WARN") && l.contains("CATALOG_WRITES=open")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("WARN") && l.contains("EMAIL_LOG_LINKS=true")),
        "{stdout}"
    );

    // The token from the log activates the account (on a restarted server: same data directory).
    let (child, port) = serve_with(dir.path(), &[]).await;
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/accounts/activate/"))
        .json(&serde_json::json!({"email": "dev@example.com", "token": token}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    stop(child);
    assert_eq!(status, 200);
}

/// Directories under `data` (and `data` itself) are 0700, files 0600.
fn assert_private(data: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut pending = vec![data.to_owned()];
    while let Some(path) = pending.pop() {
        let meta = std::fs::metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            for entry in std::fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
        } else {
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }
}

#[test]
fn migrate_creates_the_schema_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let output = theater(dir.path()).arg("migrate").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(dir.path().join("data/theater.db").exists());
    assert_private(&dir.path().join("data"));
    // A second run has nothing to do and still succeeds.
    assert!(
        theater(dir.path())
            .arg("migrate")
            .status()
            .unwrap()
            .success()
    );
}
