//! End-to-end: profiles against a real S3-compatible server (s3s-fs, started by `scripts/s3.sh`,
//! which exports `THEATER_E2E_S3_*`). Skipped, with the reason printed, when those are absent.
//!
//! s3s-fs with credentials accepts only signed requests (it has no public-read bucket policy, as
//! a MinIO deployment would), so the returned URL is fetched as a pre-signed URL: the very URL the
//! API returned, plus the signature's query string.

use std::{collections::HashMap, time::Duration};

use futures::TryStreamExt;
use object_store::{Attribute, ObjectStore, aws::AmazonS3Builder, path::Path, signer::Signer};
use reqwest::multipart::{Form, Part};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use theater::entities::user_profile;

use crate::{
    db_tests,
    helpers::{
        Backend, TestApp,
        images::{contains, jpeg, jpeg_with_exif, png, png_with_text},
        json, row_where, spawn_app_with,
    },
};

/// The server `scripts/s3.sh start` described.
#[derive(Clone, Debug)]
struct S3Server {
    host: String,
    port: u16,
    access_key: String,
    secret_key: String,
    bucket: String,
}

impl S3Server {
    fn from_env() -> Option<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let found = (|| {
            Some(Self {
                host: var("THEATER_E2E_S3_HOST")?,
                port: var("THEATER_E2E_S3_PORT")?.parse().ok()?,
                access_key: var("THEATER_E2E_S3_ACCESS_KEY")?,
                secret_key: var("THEATER_E2E_S3_SECRET_KEY")?,
                bucket: var("THEATER_E2E_S3_BUCKET")?,
            })
        })();
        if found.is_none() {
            eprintln!(
                "skipped: THEATER_E2E_S3_HOST/PORT/ACCESS_KEY/SECRET_KEY/BUCKET are not set; \
                 run `eval \"$(scripts/s3.sh start)\"` first (.ci/run does)"
            );
        }
        found
    }

    /// The service's `MINIO_*` settings for this server.
    fn configure(&self, env: &mut HashMap<String, String>) {
        env.insert("MINIO_HOST".into(), self.host.clone());
        env.insert("MINIO_PORT".into(), self.port.to_string());
        env.insert("MINIO_ROOT_USER".into(), self.access_key.clone());
        env.insert("MINIO_ROOT_PASSWORD".into(), self.secret_key.clone());
        env.insert("MINIO_STORAGE".into(), self.bucket.clone());
    }

    /// An S3 client of the test's own, to look behind the service's back.
    fn client(&self) -> object_store::aws::AmazonS3 {
        AmazonS3Builder::new()
            .with_endpoint(format!("http://{}:{}", self.host, self.port))
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_bucket_name(&self.bucket)
            .with_access_key_id(&self.access_key)
            .with_secret_access_key(&self.secret_key)
            .with_region("us-east-1")
            .build()
            .expect("S3 client")
    }
}

/// A name no other test (or earlier run) uses: every test shares the bucket.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

pub(crate) fn profile_form(avatar: Vec<u8>, file_name: &str) -> Form {
    Form::new()
        .text("first_name", "Ada")
        .text("last_name", "Lovelace")
        .text("gender", "woman")
        .text("date_of_birth", "1990-12-10")
        .text("info", "End to end.")
        .part(
            "avatar",
            Part::bytes(avatar).file_name(file_name.to_owned()),
        )
}

/// A new active user whose address starts with `prefix` and no other run uses.
async fn new_user(app: &TestApp, prefix: &str) -> i32 {
    let email = format!("{}@example.com", unique(prefix));
    app.insert_user(&email, theater::auth::Group::User, true)
        .await
}

/// `GET` of `user_id`'s profile, as that user.
async fn read(app: &TestApp, user_id: i32) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/profiles/users/{user_id}/profile/")))
        .header("Authorization", app.bearer(user_id))
        .send()
        .await
        .unwrap()
}

async fn create(app: &TestApp, user_id: i32, form: Form) -> (u16, serde_json::Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/profiles/users/{user_id}/profile/")))
        .header("Authorization", app.bearer(user_id))
        .multipart(form)
        .send()
        .await
        .expect("request");
    json(response).await
}

async fn avatar_goes_to_s3_and_the_url_serves_it(backend: Backend) {
    let Some(s3) = S3Server::from_env() else {
        return;
    };
    let app = spawn_app_with(backend, |env| s3.configure(env)).await;
    let user = new_user(&app, "e2e").await;
    let file_name = format!("{}.jpg", unique("avatar"));
    let avatar = jpeg();

    let (status, body) = create(&app, user, profile_form(avatar.clone(), &file_name)).await;
    assert_eq!(status, 201, "{body}");
    let key = format!("avatars/{user}_{file_name}");
    let url = format!("http://{}:{}/{}/{key}", s3.host, s3.port, s3.bucket);
    assert_eq!(body["avatar"], url);
    let row = row_where::<user_profile::Entity>(
        &app.db,
        user_profile::Column::UserId.eq(user),
        "profile row",
    )
    .await;
    assert_eq!(row.avatar.as_deref(), Some(key.as_str()));

    // Through the S3 API: listed, same bytes, stored with its content type.
    let client = s3.client();
    let listed: Vec<String> = client
        .list(Some(&Path::from("avatars")))
        .map_ok(|meta| meta.location.to_string())
        .try_collect()
        .await
        .expect("list the bucket");
    assert!(listed.contains(&key), "{key} not in {listed:?}");
    let object = client.get(&Path::parse(&key).unwrap()).await.expect("get");
    let content_type = object
        .attributes
        .get(&Attribute::ContentType)
        .map(|v| v.to_string());
    assert_eq!(content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(object.bytes().await.unwrap(), avatar);

    // The returned URL serves the same bytes (signed: see the module comment).
    let signed = client
        .signed_url(
            reqwest::Method::GET,
            &Path::parse(&key).unwrap(),
            Duration::from_secs(60),
        )
        .await
        .expect("pre-signed URL");
    assert!(
        signed.as_str().starts_with(&format!("{url}?")),
        "{signed} is not {url} plus a signature"
    );
    let served = reqwest::get(signed.as_str()).await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap(), avatar);

    // With S3 the service does not serve /media itself.
    assert_eq!(app.get(&format!("/media/{key}")).await.status(), 404);

    // Replacing the avatar deletes the old object from the bucket.
    let new_name = format!("{}.png", unique("avatar"));
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/profiles/users/{user}/profile/")))
        .header("Authorization", app.bearer(user))
        .multipart(Form::new().part(
            "avatar",
            Part::bytes(png([4, 5, 6])).file_name(new_name.clone()),
        ))
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 200, "{body}");
    let new_key = format!("avatars/{user}_{new_name}");
    assert!(client.head(&Path::parse(&new_key).unwrap()).await.is_ok());
    assert!(matches!(
        client.head(&Path::parse(&key).unwrap()).await,
        Err(object_store::Error::NotFound { .. })
    ));
}

async fn s3_avatars_lose_their_metadata_and_take_their_formats_name(backend: Backend) {
    let Some(s3) = S3Server::from_env() else {
        return;
    };
    let app = spawn_app_with(backend, |env| s3.configure(env)).await;
    let (status, body) = json(app.get("/ready").await).await;
    assert_eq!((status, &body["storage"]), (200, &json!("ok")), "{body}");
    let client = s3.client();
    for (bytes, extension, content_type) in [
        (jpeg_with_exif(), "jpg", "image/jpeg"),
        (png_with_text(), "png", "image/png"),
    ] {
        let user = new_user(&app, "exif").await;
        let stem = unique("me");
        let (status, body) = create(&app, user, profile_form(bytes, &format!("{stem}.svg"))).await;
        assert_eq!(status, 201, "{body}");
        let key = format!("avatars/{user}_{stem}.{extension}");
        let object = client.get(&Path::parse(&key).unwrap()).await.expect("get");
        let stored_type = object
            .attributes
            .get(&Attribute::ContentType)
            .map(|v| v.to_string());
        assert_eq!(stored_type.as_deref(), Some(content_type));
        let stored = object.bytes().await.unwrap();
        assert!(!contains(&stored, b"GPSLatitude"), "{key}");
        assert!(image::load_from_memory(&stored).is_ok(), "{key} decodes");
    }
}

/// A private s3s-fs that the test may stop.
struct PrivateS3 {
    server: S3Server,
    process: tokio::process::Child,
    binary: String,
    _root: tempfile::TempDir,
}

impl PrivateS3 {
    async fn start(binary: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let bucket = "private";
        std::fs::create_dir(root.path().join(bucket)).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Self::spawn(binary, port, root.path()).await;
        Self {
            server: S3Server {
                host: "127.0.0.1".into(),
                port,
                access_key: "private-key".into(),
                secret_key: "private-secret".into(),
                bucket: bucket.into(),
            },
            process,
            binary: binary.to_owned(),
            _root: root,
        }
    }

    /// Starts it again on the same port and files.
    async fn restart(&mut self) {
        self.process = Self::spawn(&self.binary, self.server.port, self._root.path()).await;
    }

    async fn spawn(binary: &str, port: u16, root: &std::path::Path) -> tokio::process::Child {
        let process = tokio::process::Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--access-key",
                "private-key",
                "--secret-key",
                "private-secret",
            ])
            .arg(root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start s3s-fs");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        process
    }

    async fn stop(&mut self) {
        self.process.kill().await.expect("stop s3s-fs");
    }
}

async fn s3_down_is_500_and_the_api_keeps_serving(backend: Backend) {
    if S3Server::from_env().is_none() {
        return;
    }
    let Ok(binary) = std::env::var("THEATER_E2E_S3_BIN") else {
        eprintln!("skipped: THEATER_E2E_S3_BIN is not set (scripts/s3.sh start sets it)");
        return;
    };
    let mut private = PrivateS3::start(&binary).await;
    let server = private.server.clone();
    let app = spawn_app_with(backend, |env| server.configure(env)).await;
    let before = app
        .insert_user("before@example.com", theater::auth::Group::User, true)
        .await;
    let after = app
        .insert_user("after@example.com", theater::auth::Group::User, true)
        .await;
    let (status, body) = create(&app, before, profile_form(jpeg(), "a.jpg")).await;
    assert_eq!(status, 201, "the private server works at first: {body}");

    private.stop().await;
    let (status, body) = create(&app, after, profile_form(jpeg(), "a.jpg")).await;
    assert_eq!(
        (status, body),
        (
            500,
            json!({"detail": "Failed to upload avatar. Please try again later."})
        )
    );
    let rows = user_profile::Entity::find()
        .filter(user_profile::Column::UserId.eq(after))
        .all(&app.db)
        .await
        .unwrap();
    assert!(rows.is_empty(), "no profile row without its avatar");

    // The API keeps serving; it is alive, but not ready.
    assert_eq!(app.get("/health").await.status(), 200);
    let (status, body) = json(app.get("/ready").await).await;
    assert_eq!(
        (status, &body["storage"]),
        (503, &json!("unreachable")),
        "{body}"
    );
    let response = read(&app, before).await;
    assert_eq!(response.status(), 200);
}

/// Deleting a user while S3 is down: the deletion succeeds at once (their rows gone, the profile
/// too, so nothing points at the object), the avatar object waits in `object_deletions`, and once
/// S3 is back the retry removes it.
async fn a_user_deleted_while_s3_is_down_loses_the_avatar_when_it_returns(backend: Backend) {
    if S3Server::from_env().is_none() {
        return;
    }
    let Ok(binary) = std::env::var("THEATER_E2E_S3_BIN") else {
        eprintln!("skipped: THEATER_E2E_S3_BIN is not set (scripts/s3.sh start sets it)");
        return;
    };
    let mut private = PrivateS3::start(&binary).await;
    let server = private.server.clone();
    let app = spawn_app_with(backend, |env| server.configure(env)).await;
    let admin = app
        .insert_user("root@example.com", theater::auth::Group::Admin, true)
        .await;
    let user = app
        .insert_user("leaving@example.com", theater::auth::Group::User, true)
        .await;
    let (status, body) = create(&app, user, profile_form(jpeg(), "a.jpg")).await;
    assert_eq!(status, 201, "{body}");
    let key = user_profile::Entity::find()
        .filter(user_profile::Column::UserId.eq(user))
        .one(&app.db)
        .await
        .unwrap()
        .and_then(|p| p.avatar)
        .expect("an avatar key");
    let s3 = server.client();
    assert!(s3.head(&Path::from(key.as_str())).await.is_ok());

    private.stop().await;
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/admin/users/{user}/")))
        .header("Authorization", app.bearer(admin))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204, "the deletion does not wait for S3");
    let profile = user_profile::Entity::find()
        .filter(user_profile::Column::UserId.eq(user))
        .one(&app.db)
        .await
        .unwrap();
    assert!(profile.is_none(), "the row went with the user");
    assert_eq!(theater::object_cleanup::pending(&app.db).await.unwrap(), 1);

    private.restart().await;
    assert!(
        s3.head(&Path::from(key.as_str())).await.is_ok(),
        "still there while S3 was down"
    );
    // The background job retries after its back-off; here the same function, once it is due.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while theater::object_cleanup::pending(&app.db).await.unwrap() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the retry never removed the object"
        );
        theater::object_cleanup::purge_due(&app.db, &app.state.storage)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(matches!(
        s3.head(&Path::from(key.as_str())).await,
        Err(object_store::Error::NotFound { .. })
    ));
}

/// `MINIO_PUBLIC_URL`: the object goes to the S3 server the service uses, the URL names the address
/// browsers use (here the same server under another host name, so the URL still serves it).
async fn avatar_urls_use_the_public_bucket_url(backend: Backend) {
    let Some(s3) = S3Server::from_env() else {
        return;
    };
    let public = format!("http://localhost:{}/{}", s3.port, s3.bucket);
    let app = spawn_app_with(backend, |env| {
        s3.configure(env);
        env.insert("MINIO_PUBLIC_URL".into(), format!("{public}/"));
    })
    .await;
    let user = new_user(&app, "e2e").await;
    let file_name = format!("{}.jpg", unique("avatar"));
    let (status, body) = create(&app, user, profile_form(jpeg(), &file_name)).await;
    assert_eq!(status, 201, "{body}");
    let key = format!("avatars/{user}_{file_name}");
    assert_eq!(body["avatar"], format!("{public}/{key}"));
    assert!(s3.client().head(&Path::parse(&key).unwrap()).await.is_ok());
    let response = read(&app, user).await;
    let (status, body) = json(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["avatar"], format!("{public}/{key}"));
}

db_tests!(
    avatar_urls_use_the_public_bucket_url,
    avatar_goes_to_s3_and_the_url_serves_it,
    s3_avatars_lose_their_metadata_and_take_their_formats_name,
    s3_down_is_500_and_the_api_keeps_serving,
    a_user_deleted_while_s3_is_down_loses_the_avatar_when_it_returns,
);
