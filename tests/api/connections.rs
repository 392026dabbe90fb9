//! Connection handling (issue #8, item 6): the header and idle deadlines, the connection cap and a
//! graceful shutdown that ends within its deadline while slow and idle clients are connected.
//! Raw TCP, because an HTTP client would hide exactly what is tested. Deadlines are configured
//! short; assertions allow far more, since this machine is shared and loaded.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use theater::auth::Group;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    db_tests,
    helpers::{
        Backend, TestApp, images::png, insert_user, spawn_app_with, store::TestStore,
        test_database, test_env,
    },
};

/// Far more than any deadline in these tests: a connection still open after it was not closed.
const PATIENCE: Duration = Duration::from_secs(20);

fn settings(
    header: u64,
    idle: u64,
    max: Option<usize>,
) -> impl FnOnce(&mut HashMap<String, String>) {
    move |env| {
        env.insert(
            "HTTP_HEADER_READ_TIMEOUT_SECONDS".into(),
            header.to_string(),
        );
        env.insert("HTTP_IDLE_TIMEOUT_SECONDS".into(), idle.to_string());
        if let Some(max) = max {
            env.insert("HTTP_MAX_CONNECTIONS".into(), max.to_string());
        }
    }
}

async fn connect(app: &TestApp) -> TcpStream {
    let addr = app.address.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connect")
}

async fn send_get(stream: &mut TcpStream, path: &str) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
}

/// Reads one response (headers and a `Content-Length` body) and returns its status.
async fn read_response(stream: &mut TcpStream) -> u16 {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return head[9..12].parse().expect("status code");
            }
        }
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed before a full response");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Waits until the server closes `stream` (EOF or reset); panics after [`PATIENCE`].
async fn closed_by_server(stream: &mut TcpStream) {
    let mut chunk = [0u8; 1024];
    let outcome = tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(outcome.is_ok(), "the server kept the connection open");
}

async fn a_partial_request_is_closed_after_the_header_deadline(backend: Backend) {
    let app = spawn_app_with(backend, settings(1, 60, None)).await;
    let mut slow = connect(&app).await;
    let started = Instant::now();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: test\r\nX-Slow: ")
        .await
        .unwrap();
    closed_by_server(&mut slow).await;
    assert!(started.elapsed() >= Duration::from_millis(900));

    // The server itself is fine.
    assert_eq!(app.get("/health").await.status(), 200);
}

async fn an_idle_keep_alive_connection_is_closed_after_the_idle_deadline(backend: Backend) {
    let app = spawn_app_with(backend, settings(1, 3, None)).await;
    let mut client = connect(&app).await;
    // Keep-alive works: two requests on one connection.
    for _ in 0..2 {
        send_get(&mut client, "/health").await;
        assert_eq!(read_response(&mut client).await, 200);
    }
    let idle_since = Instant::now();
    closed_by_server(&mut client).await;
    // The idle deadline (3 s), not the header deadline (1 s), closed it.
    assert!(
        idle_since.elapsed() >= Duration::from_millis(2500),
        "closed after {:?}",
        idle_since.elapsed()
    );
}

async fn connections_beyond_the_cap_wait_until_one_closes(backend: Backend) {
    let app = spawn_app_with(backend, settings(30, 60, Some(2))).await;
    let mut first = connect(&app).await;
    let mut second = connect(&app).await;
    for stream in [&mut first, &mut second] {
        send_get(stream, "/health").await;
        assert_eq!(read_response(stream).await, 200);
    }

    // The third connection is not accepted while two are open: its request gets no answer.
    let mut third = connect(&app).await;
    send_get(&mut third, "/health").await;
    let early = tokio::time::timeout(Duration::from_millis(1500), read_response(&mut third)).await;
    assert!(early.is_err(), "a connection beyond the cap was served");

    // One closes: the waiting connection is served.
    drop(first);
    let status = tokio::time::timeout(PATIENCE, read_response(&mut third))
        .await
        .expect("the waiting connection was served once a slot was free");
    assert_eq!(status, 200);

    drop(third);
    let health = tokio::time::timeout(PATIENCE, app.get("/health"))
        .await
        .expect("/health answers again");
    assert_eq!(health.status(), 200);
}

db_tests!(
    shutdown_lets_an_in_flight_request_finish,
    a_partial_request_is_closed_after_the_header_deadline,
    an_idle_keep_alive_connection_is_closed_after_the_idle_deadline,
    connections_beyond_the_cap_wait_until_one_closes,
    shutdown_ends_within_its_deadline_with_slow_and_idle_clients,
);

/// An application whose shutdown the test triggers.
struct Stoppable {
    addr: String,
    state: theater::state::AppState,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn spawn_stoppable(
    backend: Backend,
    env_changes: impl FnOnce(&mut HashMap<String, String>),
    adjust: impl FnOnce(&mut theater::state::AppState),
) -> Stoppable {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut env = test_env(dir.path(), &format!("http://{addr}"));
    env_changes(&mut env);
    let config = theater::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let db = test_database(&backend, dir.path()).await;
    let mut state = theater::state::AppState::with_db(config, db).unwrap();
    adjust(&mut state);
    let app = theater::startup::Application::with_listener(state.clone(), listener).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    Stoppable {
        addr,
        state,
        stop,
        server,
        _dir: dir,
    }
}

async fn shutdown_ends_within_its_deadline_with_slow_and_idle_clients(backend: Backend) {
    let app = spawn_stoppable(
        backend,
        |env| {
            settings(30, 60, None)(env);
            env.insert("SHUTDOWN_TIMEOUT_SECONDS".into(), "2".into());
        },
        |_| {},
    )
    .await;
    let addr = app.addr.clone();
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    send_get(&mut idle, "/health").await;
    assert_eq!(read_response(&mut idle).await, 200);
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: te")
        .await
        .unwrap();
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    // Let the server accept all three before it is told to stop.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    app.stop.send(()).unwrap();
    // Idle connections are closed at once, not at the deadline.
    closed_by_server(&mut idle).await;
    closed_by_server(&mut silent).await;
    let result = tokio::time::timeout(PATIENCE, app.server)
        .await
        .expect("the server stopped despite a half-sent request");
    result.unwrap().unwrap();
    closed_by_server(&mut slow).await;
    assert!(started.elapsed() < PATIENCE);
    // Nothing listens any more.
    assert!(TcpStream::connect(&addr).await.is_err());
}

/// A request in flight when shutdown starts still gets its answer.
async fn shutdown_lets_an_in_flight_request_finish(backend: Backend) {
    use std::sync::{Arc, atomic::Ordering};

    // The upload takes a while: long enough to be in flight, well within the shutdown deadline.
    let store = Arc::new(TestStore::slow_puts(1500));
    let app = spawn_stoppable(
        backend,
        |env| {
            env.insert("SHUTDOWN_TIMEOUT_SECONDS".into(), "15".into());
        },
        |state| state.storage = store.storage_for(state),
    )
    .await;
    let user_id = insert_user(&app.state.db, "inflight@example.com", Group::User, true).await;
    let token = app.state.tokens.issue_access(user_id).unwrap().token;
    let form = reqwest::multipart::Form::new()
        .text("first_name", "Ada")
        .text("last_name", "Lovelace")
        .text("gender", "woman")
        .text("date_of_birth", "1990-12-10")
        .text("info", "In flight.")
        .part(
            "avatar",
            reqwest::multipart::Part::bytes(png([1, 2, 3])).file_name("a.png"),
        );
    let request = reqwest::Client::new()
        .post(format!(
            "http://{}/api/v1/profiles/users/{user_id}/profile/",
            app.addr
        ))
        .header("Authorization", format!("Bearer {token}"))
        .multipart(form)
        .send();
    let stopper = async {
        while store.puts.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        app.stop.send(()).unwrap();
    };
    let (response, ()) = tokio::join!(request, stopper);
    let response = response.expect("the in-flight request was answered");
    assert_eq!(response.status(), 201);
    tokio::time::timeout(PATIENCE, app.server)
        .await
        .expect("the server stopped after the request")
        .unwrap()
        .unwrap();
}
