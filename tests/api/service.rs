//! Service behaviour around the API: CORS, and the real `theater` binary — start-up on the embedded
//! defaults, JSON logs with request ids, a clear line for bad settings, graceful shutdown.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    db_tests,
    helpers::{Backend, free_port, spawn_app_with},
};

async fn cors_is_off_by_default_and_follows_the_setting(backend: Backend) {
    let app = spawn_app_with(backend.clone(), |_| {}).await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("Origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
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
    let other = app
        .client
        .get(app.url("/health"))
        .header("Origin", "https://evil.example.com")
        .send()
        .await
        .unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

db_tests!(cors_is_off_by_default_and_follows_the_setting);

/// `theater` with a private data directory and nothing else from the environment that could leak in.
fn theater(dir: &std::path::Path) -> Command {
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
async fn wait_healthy(port: u16, child: &mut Child) {
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
