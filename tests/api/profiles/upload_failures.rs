//! `POST /api/v1/profiles/users/{user_id}/profile/`: failed or stalled uploads, races, consistency.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use object_store::{ObjectStore, PutPayload, path::Path};
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::json;
use theater::auth::Group;

use super::{ALREADY_EXISTS, UPLOAD_FAILED, memory_app, valid_form, valid_png_form};
use crate::{
    db_tests,
    helpers::{Backend, images::png, json, spawn_app_with_state, store::TestStore},
};

async fn a_failed_upload_is_500_and_writes_no_row(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("s3down@example.com", Group::User).await;
    store.fail_puts.store(true, Ordering::SeqCst);
    let (status, body) = app.create_profile(id, &auth, valid_png_form()).await;
    assert_eq!((status, body), (500, json!({"detail": UPLOAD_FAILED})));
    assert!(app.profile_rows().await.is_empty());
    // The service keeps serving, and the user can try again.
    store.fail_puts.store(false, Ordering::SeqCst);
    let (status, _) = app.create_profile(id, &auth, valid_png_form()).await;
    assert_eq!(status, 201);
}

async fn a_failed_insert_removes_the_uploaded_object(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("dbdown@example.com", Group::User).await;
    app.break_profile_writes("INSERT").await;
    let (status, body) = app.create_profile(id, &auth, valid_png_form()).await;
    assert_eq!(
        (status, body),
        (500, json!({"detail": "Internal server error."}))
    );
    assert_eq!(store.puts.load(Ordering::SeqCst), 1, "the upload happened");
    assert!(app.objects().await.is_empty(), "and was undone");
    assert!(app.profile_rows().await.is_empty());
}

async fn a_hanging_store_stalls_only_the_profile_writes(backend: Backend) {
    let store = Arc::new(TestStore::hanging_puts());
    let app = spawn_app_with_state(
        backend,
        |env| {
            env.insert("STORAGE_TIMEOUT_SECONDS".into(), "3".into());
        },
        |state| {
            let timeout = state.config.connections.storage_timeout;
            state.storage = store.storage_for(state).with_timeout(timeout);
        },
    )
    .await;
    let mut users = Vec::new();
    for i in 0..6 {
        users.push(app.user(&format!("hang{i}@example.com"), Group::User).await);
    }
    // Ten writes, more than the test pool's four connections; some users have two, which wait
    // for that user's lock.
    let done = AtomicUsize::new(0);
    let started = std::time::Instant::now();
    let writes = futures::future::join_all((0..10).map(|i| {
        let (id, auth) = &users[i % users.len()];
        let (app, done) = (&app, &done);
        async move {
            let response = app.post_profile(*id, Some(auth), valid_png_form()).await;
            done.fetch_add(1, Ordering::SeqCst);
            json(response).await
        }
    }));
    let probe = async {
        // Every user's first write has reached the (hanging) store.
        while store.puts.load(Ordering::SeqCst) < users.len() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let health = json(app.get("/health").await).await;
        let movies = json(app.get("/api/v1/theater/movies/").await).await;
        (health, movies, done.load(Ordering::SeqCst))
    };
    let (responses, (health, movies, finished)) =
        tokio::time::timeout(Duration::from_secs(60), async {
            tokio::join!(writes, probe)
        })
        .await
        .expect("the writes end with the storage deadline");
    assert_eq!(health, (200, json!({"status": "ok", "database": "ok"})));
    assert_eq!(movies, (404, json!({"detail": "No movies found."})));
    assert_eq!(
        finished, 0,
        "the probes were answered while every write still waited"
    );
    for response in responses {
        assert_eq!(response, (500, json!({"detail": UPLOAD_FAILED})));
    }
    assert!(started.elapsed() >= Duration::from_millis(2500));
    assert!(app.profile_rows().await.is_empty());
}

async fn concurrent_creates_give_one_201_and_one_400(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("race@example.com", Group::User).await;
    // Slow uploads: without serialisation both requests would pass the existence check.
    store.put_delay_ms.store(300, Ordering::SeqCst);
    let (red, blue) = (png([255, 0, 0]), png([0, 0, 255]));
    let (a, b) = tokio::join!(
        app.post_profile(id, Some(&auth), valid_form(red.clone(), "me.png")),
        app.post_profile(id, Some(&auth), valid_form(blue.clone(), "me.png")),
    );
    let ((status_a, body_a), (status_b, body_b)) = (json(a).await, json(b).await);
    let mut statuses = [status_a, status_b];
    statuses.sort();
    assert_eq!(statuses, [201, 400], "{body_a} {body_b}");
    let (winner, loser_body) = if status_a == 201 {
        (red, body_b)
    } else {
        (blue, body_a)
    };
    assert_eq!(loser_body, json!({"detail": ALREADY_EXISTS}));
    assert_eq!(app.profile_rows().await.len(), 1);
    // The winner's image is the one stored under the shared key.
    assert_eq!(
        app.objects().await,
        vec![(format!("avatars/{id}_me.png"), Bytes::from(winner))]
    );
    assert_eq!(
        store.puts.load(Ordering::SeqCst),
        1,
        "the loser uploaded nothing"
    );
}

async fn a_writer_that_bypassed_the_lock_wins_and_our_object_goes(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("bypass@example.com", Group::User).await;
    // Another writer (say, an old release) inserts its profile while our upload runs.
    let db = app.db.clone();
    let theirs = format!("avatars/{id}_theirs.png");
    let their_key = theirs.clone();
    let inner = store.clone();
    *store.on_put.lock().unwrap() = Some(Box::new(move || {
        Box::pin(async move {
            inner
                .inner
                .put(
                    &Path::parse(&their_key).unwrap(),
                    PutPayload::from_static(b"x"),
                )
                .await
                .unwrap();
            db.execute_raw(sea_orm::Statement::from_sql_and_values(
                db.get_database_backend(),
                match db.get_database_backend() {
                    DbBackend::Postgres => {
                        "INSERT INTO user_profiles (user_id, avatar) VALUES ($1, $2)"
                    }
                    _ => "INSERT INTO user_profiles (user_id, avatar) VALUES (?, ?)",
                },
                [id.into(), their_key.into()],
            ))
            .await
            .unwrap();
        })
    }));
    let (status, body) = app
        .create_profile(id, &auth, valid_form(png([0; 3]), "ours.png"))
        .await;
    assert_eq!((status, body), (400, json!({"detail": ALREADY_EXISTS})));
    let keys: Vec<String> = app.objects().await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, vec![theirs]);
}

db_tests!(
    a_failed_upload_is_500_and_writes_no_row,
    a_failed_insert_removes_the_uploaded_object,
    a_hanging_store_stalls_only_the_profile_writes,
    concurrent_creates_give_one_201_and_one_400,
    a_writer_that_bypassed_the_lock_wins_and_our_object_goes,
);
