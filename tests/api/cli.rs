//! The `theater` command line as an operator uses it: the real binary, a private data directory.

use std::{
    io::Write,
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::{
    helpers::free_port,
    service::{theater, wait_healthy},
};

fn run(command: &mut Command, stdin: &str) -> (i32, String, String) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("theater runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("theater exits");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Spawns `serve`, waits until it is healthy on `port`, then sends it SIGTERM.
async fn healthy_then_terminated(serve: &mut Command, port: u16) -> Child {
    let mut child = serve.spawn().unwrap();
    wait_healthy(port, &mut child).await;
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child
}

#[test]
fn migrate_status_lists_pending_then_applied_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(theater(dir.path()).args(["migrate", "status"]), "");
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.lines().all(|l| l.starts_with("pending ")), "{out}");
    assert!(err.contains("migrations pending"), "{err}");
    // Still nothing applied: status is read-only.
    let (code, out, _) = run(theater(dir.path()).args(["migrate", "status"]), "");
    assert_eq!(code, 1, "{out}");

    let (code, _, err) = run(theater(dir.path()).arg("migrate"), "");
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(theater(dir.path()).args(["migrate", "status"]), "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.lines().any(|l| l.starts_with("applied ")), "{out}");
    assert!(out.contains("migrations applied"), "{out}");
    assert!(!out.contains("pending"), "{out}");
}

#[test]
fn users_create_reads_the_password_from_stdin_and_can_be_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let create = |extra: &[&str]| {
        let mut command = theater(dir.path());
        command.args([
            "users",
            "create",
            "--email",
            "Admin@Example.com",
            "--group",
            "admin",
            "--active",
        ]);
        command.args(extra);
        command
    };
    let (code, out, err) = run(&mut create(&[]), "Str0ng#Pass\n");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("<admin@example.com> in group admin (active)"),
        "{out}"
    );
    // It signs no tokens: no secret is generated and none is warned about.
    assert!(!err.contains("SECRET_KEY"), "{err}");
    assert!(!dir.path().join("data/secrets").exists());

    // Again: a conflict, with the API's text…
    let (code, _, err) = run(&mut create(&[]), "Str0ng#Pass\n");
    assert_eq!(code, 1);
    assert!(
        err.contains("A user with this email admin@example.com already exists."),
        "{err}"
    );
    // …unless --if-missing asks for the bootstrap behaviour.
    let (code, out, err) = run(&mut create(&["--if-missing"]), "Str0ng#Pass\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("exists; nothing changed"), "{out}");

    // The password rules apply to what comes on stdin; an empty stdin is refused clearly.
    let mut weak = theater(dir.path());
    weak.args(["users", "create", "--email", "b@example.com"]);
    let (code, _, err) = run(&mut weak, "short\n");
    assert_eq!(code, 1);
    assert!(
        err.contains("password: Password must contain at least 8 characters."),
        "{err}"
    );
    let mut empty = theater(dir.path());
    empty.args(["users", "create", "--email", "c@example.com"]);
    let (code, _, err) = run(&mut empty, "");
    assert_eq!(code, 1);
    assert!(err.contains("no password"), "{err}");
}

#[tokio::test]
async fn serve_flags_win_over_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = healthy_then_terminated(
        theater(dir.path())
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .env("PORT", "1")
            .env("BIND_ADDRESS", "0.0.0.0")
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
        port,
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
}

/// The first thing a newcomer reads: where the docs are, what the service runs on, what to do next.
#[tokio::test]
async fn serve_prints_a_start_up_summary() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = healthy_then_terminated(
        theater(dir.path())
            .args(["serve", "--port", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
        port,
    )
    .await;
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stdout);
    for expected in [
        format!("API docs:  http://127.0.0.1:{port}/docs"),
        "database:  sqlite://".to_owned(),
        "avatars:   the local directory".to_owned(),
        "e-mail:    not sent".to_owned(),
        "catalog:   0 movies".to_owned(),
        "theater seed --synthetic 10000".to_owned(),
    ] {
        assert!(log.contains(&expected), "{expected:?} not in:\n{log}");
    }
}
