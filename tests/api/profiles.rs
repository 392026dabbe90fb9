//! `/api/v1/profiles/users/{user_id}/profile/`: every outcome of the contract, in its order, every
//! validation rule, GET and PATCH, storage consistency and the streaming size limit — over real
//! HTTP, with the in-memory object store (or a test double around it) and with the embedded
//! local-filesystem storage.

use std::{
    io::Cursor,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use chrono::Datelike;
use futures::{StreamExt, TryStreamExt, future::BoxFuture};
use object_store::{
    GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, memory::InMemory, path::Path,
};
use reqwest::multipart::{Form, Part};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait};
use serde_json::{Value, json};
use theater::{auth::Group, entities::user_profile, storage::Storage};

use crate::{
    db_tests,
    helpers::{Backend, TestApp, json, spawn_app, spawn_app_with_state},
};

const UPLOAD_FAILED: &str = "Failed to upload avatar. Please try again later.";
const FORBIDDEN: &str = "You don't have permission to edit this profile.";
const USER_NOT_ACTIVE: &str = "User not found or not active.";
const ALREADY_EXISTS: &str = "User already has a profile.";
const NOT_FOUND: &str = "Profile not found.";
const FIELDS: [&str; 6] = [
    "first_name",
    "last_name",
    "gender",
    "date_of_birth",
    "info",
    "avatar",
];

// ---------------------------------------------------------------------------------------------
// Images, forms and requests

/// A real 2x2 image of one colour.
pub fn image_bytes(format: image::ImageFormat, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(2, 2, image::Rgb(rgb));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode image");
    out.into_inner()
}

pub fn png(rgb: [u8; 3]) -> Vec<u8> {
    image_bytes(image::ImageFormat::Png, rgb)
}

pub fn jpeg() -> Vec<u8> {
    image_bytes(image::ImageFormat::Jpeg, [10, 120, 200])
}

/// A minimal GIF: a real image, of a format the contract refuses.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// The text fields of a valid form, with some replaced or removed.
fn fields_with(changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("first_name", "John"),
        ("last_name", "Doe"),
        ("gender", "man"),
        ("date_of_birth", "1990-01-01"),
        ("info", "This is a test profile."),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (name, value) in changes {
        fields.retain(|(k, _)| k != name);
        if let Some(v) = value {
            fields.push(((*name).to_owned(), (*v).to_owned()));
        }
    }
    fields
}

fn form(fields: Vec<(String, String)>, avatar: Option<(Vec<u8>, &str)>) -> Form {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k, v);
    }
    if let Some((bytes, name)) = avatar {
        form = form.part(
            "avatar",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    }
    form
}

/// A valid form whose avatar is `bytes` named `name`.
fn valid_form(bytes: Vec<u8>, name: &str) -> Form {
    form(fields_with(&[]), Some((bytes, name)))
}

fn profile_path(user_id: i32) -> String {
    format!("/api/v1/profiles/users/{user_id}/profile/")
}

type PutHook = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// An object store that can fail, slow down or interleave another writer with uploads.
#[derive(Default)]
pub struct TestStore {
    inner: InMemory,
    fail_puts: AtomicBool,
    /// Reads (and metadata requests) fail, as an unreachable server.
    fail_reads: AtomicBool,
    /// Uploads never answer, as an S3 server that accepts connections and then stalls.
    hang_puts: AtomicBool,
    pub put_delay_ms: AtomicU64,
    pub puts: AtomicUsize,
    /// Runs once, inside the next upload (before the object is stored).
    on_put: Mutex<Option<PutHook>>,
}

impl std::fmt::Debug for TestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestStore")
    }
}

impl std::fmt::Display for TestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestStore")
    }
}

#[async_trait::async_trait]
impl ObjectStore for TestStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        if self.fail_puts.load(Ordering::SeqCst) {
            return Err(object_store::Error::Generic {
                store: "test",
                source: "injected upload failure".into(),
            });
        }
        if self.hang_puts.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        let delay = self.put_delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let hook = self.on_put.lock().unwrap().take();
        if let Some(hook) = hook {
            hook().await;
        }
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        if self.fail_reads.load(Ordering::SeqCst) {
            return Err(object_store::Error::Generic {
                store: "test",
                source: "injected read failure".into(),
            });
        }
        self.inner.get_opts(location, options).await
    }

    async fn delete(&self, location: &Path) -> object_store::Result<()> {
        self.inner.delete(location).await
    }

    fn list(
        &self,
        prefix: Option<&Path>,
    ) -> futures::stream::BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy(&self, from: &Path, to: &Path) -> object_store::Result<()> {
        self.inner.copy(from, to).await
    }

    async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> object_store::Result<()> {
        self.inner.copy_if_not_exists(from, to).await
    }
}

impl TestStore {
    /// A store that cannot be read (readiness tests).
    pub fn failing_reads() -> Self {
        let store = Self::default();
        store.fail_reads.store(true, Ordering::SeqCst);
        store
    }
}

/// An app whose avatars go to a [`TestStore`], served at `/media/`.
async fn memory_app(backend: Backend) -> (TestApp, Arc<TestStore>) {
    let store = Arc::new(TestStore::default());
    let served = store.clone();
    let app = spawn_app_with_state(
        backend,
        |_| {},
        |state| state.storage = Storage::served(served, &state.config.app_base_url),
    )
    .await;
    (app, store)
}

impl TestApp {
    async fn post_profile(
        &self,
        user_id: i32,
        auth: Option<&str>,
        form: Form,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(&profile_path(user_id)))
            .multipart(form);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send().await.expect("request")
    }

    async fn patch_profile(&self, user_id: i32, auth: &str, form: Form) -> reqwest::Response {
        self.client
            .patch(self.url(&profile_path(user_id)))
            .header("Authorization", auth)
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    async fn get_profile(&self, user_id: i32, auth: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(&profile_path(user_id)));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        request.send().await.expect("request")
    }

    /// An active user and their `Authorization` header.
    async fn user(&self, email: &str, group: Group) -> (i32, String) {
        let id = self.insert_user(email, group, true).await;
        (id, self.bearer(id))
    }

    async fn profile_rows(&self) -> Vec<user_profile::Model> {
        user_profile::Entity::find().all(&self.db).await.unwrap()
    }

    /// Every object in the app's store, as (key, bytes).
    async fn objects(&self) -> Vec<(String, Bytes)> {
        let store = self.state.storage.object_store().clone();
        let metas: Vec<ObjectMeta> = store.list(None).try_collect().await.unwrap();
        let mut out = Vec::new();
        for meta in metas {
            let bytes = store
                .get(&meta.location)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            out.push((meta.location.to_string(), bytes));
        }
        out.sort();
        out
    }

    /// Makes every insert (and update) into `user_profiles` fail, as a broken database would.
    async fn break_profile_writes(&self, operation: &str) {
        let db = &self.db;
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER fail_profile_{operation} BEFORE {operation} ON user_profiles \
                     BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                ))
                .await
                .unwrap();
            }
            _ => {
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION fail_profile_write() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$",
                )
                .await
                .unwrap();
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER fail_profile_{operation} BEFORE {operation} ON user_profiles \
                     FOR EACH ROW EXECUTE FUNCTION fail_profile_write()"
                ))
                .await
                .unwrap();
            }
        }
    }
}

/// The `detail` list of a 422 whose failures are exactly on `fields`, in that order.
fn assert_fields(body: &Value, fields: &[&str]) -> Vec<Value> {
    let errors = body["detail"]
        .as_array()
        .expect("a validation error list")
        .clone();
    let locs: Vec<Value> = errors.iter().map(|e| e["loc"].clone()).collect();
    let expected: Vec<Value> = fields.iter().map(|f| json!(["body", f])).collect();
    assert_eq!(locs, expected, "{body}");
    errors
}

fn assert_msg_contains(error: &Value, text: &str) {
    let msg = error["msg"].as_str().expect("msg");
    assert!(msg.contains(text), "{msg:?} should contain {text:?}");
}

// ---------------------------------------------------------------------------------------------
// 201 and storage

async fn creating_a_profile_stores_the_key_and_returns_the_url(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("john@example.com", Group::User).await;
    let avatar = jpeg();
    let response = app
        .post_profile(id, Some(&auth), valid_form(avatar.clone(), "avatar.jpg"))
        .await;
    let (status, body) = json(response).await;
    assert_eq!(status, 201, "{body}");
    let key = format!("avatars/{id}_avatar.jpg");
    let url = format!("{}/media/{key}", app.address);
    let rows = app.profile_rows().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        body,
        json!({
            "id": rows[0].id,
            "user_id": id,
            "first_name": "john",
            "last_name": "doe",
            "gender": "man",
            "date_of_birth": "1990-01-01",
            "info": "This is a test profile.",
            "avatar": url,
        })
    );
    assert_eq!(rows[0].avatar.as_deref(), Some(key.as_str()));
    assert_eq!(rows[0].first_name.as_deref(), Some("john"));
    assert_eq!(
        app.objects().await,
        vec![(key.clone(), Bytes::from(avatar.clone()))]
    );
    // The content type is stored with the object...
    let stored = app
        .state
        .storage
        .object_store()
        .get(&Path::parse(&key).unwrap())
        .await
        .unwrap();
    assert_eq!(
        stored
            .attributes
            .get(&object_store::Attribute::ContentType)
            .map(|v| v.to_string()),
        Some("image/jpeg".to_owned())
    );
    // ...and the URL serves the image.
    let served = app.client.get(&url).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.bytes().await.unwrap(), avatar);
}

async fn the_path_without_trailing_slash_works_too(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("slash@example.com", Group::User).await;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/profiles/users/{id}/profile")))
        .header("Authorization", &auth)
        .multipart(valid_form(png([1, 2, 3]), "a.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn local_storage_keeps_files_under_media_and_serves_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, auth) = app.user("local@example.com", Group::User).await;
    // A JPEG named .png: the content decides the extension and the content type.
    let avatar = jpeg();
    let (status, body) = json(
        app.post_profile(id, Some(&auth), valid_form(avatar.clone(), "../me.png"))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let key = format!("avatars/{id}_me.jpg");
    assert_eq!(body["avatar"], format!("{}/media/{key}", app.address));
    let file = app.data_dir.path().join("media").join(&key);
    assert_eq!(std::fs::read(file).unwrap(), avatar);

    let served = app.get(&format!("/media/{key}")).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(served.bytes().await.unwrap(), avatar);

    // Read-only, no listings, nothing outside the media directory.
    for path in [
        "/media/avatars/",
        "/media/avatars",
        "/media/..%2Ftheater.db",
        "/media/avatars/..%2F..%2Ftheater.db",
        "/media/avatars/missing.png",
    ] {
        let (status, body) = json(app.get(path).await).await;
        assert_eq!(
            (status, &body),
            (404, &json!({"detail": "Not Found"})),
            "{path}"
        );
    }
    let put = app
        .client
        .put(app.url(&format!("/media/{key}")))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 405);
}

/// A JPEG with an EXIF (APP1) segment holding a GPS position.
pub fn jpeg_with_exif() -> Vec<u8> {
    let plain = jpeg();
    let exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude=48.8584;GPSLongitude=2.2945";
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(exif);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG with a `tEXt` chunk holding a GPS position, right after its header.
pub fn png_with_text() -> Vec<u8> {
    let plain = png([4, 5, 6]);
    // Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC).
    let (head, rest) = plain.split_at(8 + 25);
    let data = b"Comment\0GPSLatitude=48.8584";
    let mut chunk = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    let mut typed = b"tEXt".to_vec();
    typed.extend_from_slice(data);
    chunk.extend_from_slice(&typed);
    chunk.extend_from_slice(&crc32(&typed).to_be_bytes());
    [head, &chunk, rest].concat()
}

/// The CRC-32 PNG chunks carry (over type and data).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn stored_avatars_lose_their_metadata_and_take_their_formats_name(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    for (i, (bytes, name, key_name, content_type)) in [
        (jpeg_with_exif(), "me.html", "me.jpg", "image/jpeg"),
        (png_with_text(), "me.svg", "me.png", "image/png"),
    ]
    .into_iter()
    .enumerate()
    {
        assert!(contains(&bytes, b"GPSLatitude"));
        assert!(
            image::load_from_memory(&bytes).is_ok(),
            "the test image is valid"
        );
        let (id, auth) = app.user(&format!("exif{i}@example.com"), Group::User).await;
        let (status, body) = json(
            app.post_profile(id, Some(&auth), valid_form(bytes, name))
                .await,
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let key = format!("avatars/{id}_{key_name}");
        assert_eq!(body["avatar"], format!("{}/media/{key}", app.address));
        let served = app.get(&format!("/media/{key}")).await;
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], content_type);
        let stored = served.bytes().await.unwrap();
        assert!(!contains(&stored, b"GPSLatitude"), "{key}");
        assert!(
            image::load_from_memory(&stored).is_ok(),
            "{key} still decodes"
        );
    }
}

async fn local_avatars_lose_their_metadata_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, auth) = app.user("localexif@example.com", Group::User).await;
    let (status, body) = json(
        app.post_profile(id, Some(&auth), valid_form(jpeg_with_exif(), "x.svg"))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let file = app
        .data_dir
        .path()
        .join(format!("media/avatars/{id}_x.jpg"));
    let stored = std::fs::read(file).unwrap();
    assert!(!contains(&stored, b"GPSLatitude"));
    assert!(image::load_from_memory(&stored).is_ok());
}

async fn odd_media_paths_are_404_never_500(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, auth) = app.user("oddmedia@example.com", Group::User).await;
    let (status, _) = json(
        app.post_profile(id, Some(&auth), valid_form(png([1, 2, 3]), "a.png"))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let long = "a".repeat(5000);
    for path in [
        format!("/media/avatars/{id}_a.png%23123"),
        "/media/avatars/1_a.jpg%23123".to_owned(),
        format!("/media/avatars/{id}_a.png%00"),
        "/media/avatars/%00".to_owned(),
        "/media/avatars/1_a.jpg%2F..".to_owned(),
        "/media/avatars/%2E%2E/theater.db".to_owned(),
        "/media/avatars/1_a.jpg%3Fx%3D1".to_owned(),
        "/media/avatars/1_a%20b.jpg".to_owned(),
        "/media/avatars/%E2%80%AE.jpg".to_owned(),
        "/media/avatars/%5C..%5Ctheater.db".to_owned(),
        format!("/media/avatars/{long}"),
    ] {
        let (status, body) = json(app.get(&path).await).await;
        assert_eq!(
            (status, &body),
            (404, &json!({"detail": "Not Found"})),
            "{path}"
        );
    }
    // The real object is still served.
    assert_eq!(
        app.get(&format!("/media/avatars/{id}_a.png"))
            .await
            .status(),
        200
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Authorization

async fn missing_or_bad_tokens_are_401_before_validation(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let id = app.insert_user("tok@example.com", Group::User, true).await;
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"user_id": id, "exp": chrono::Utc::now().timestamp() - 10}),
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::TEST_ACCESS_SECRET.as_bytes()),
    )
    .unwrap();
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"user_id": id, "exp": chrono::Utc::now().timestamp() + 600}),
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret"),
    )
    .unwrap();
    let cases = [
        (None, "Authorization header is missing"),
        (
            Some("Token abc".to_owned()),
            "Invalid Authorization header format. Expected 'Bearer <token>'",
        ),
        (Some(format!("Bearer {expired}")), "Token has expired."),
        (Some(format!("Bearer {foreign}")), "Invalid token."),
    ];
    for (auth, message) in cases {
        // An invalid form too: the token is checked first.
        let invalid = form(fields_with(&[("gender", Some("x"))]), None);
        let (status, body) = json(app.post_profile(id, auth.as_deref(), invalid).await).await;
        assert_eq!((status, body), (401, json!({"detail": message})));
    }
    assert!(app.profile_rows().await.is_empty());
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
}

// ---------------------------------------------------------------------------------------------
// 2. Validation

async fn every_missing_field_is_reported(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("missing@example.com", Group::User).await;
    let (status, body) = json(
        app.post_profile(id, Some(&auth), Form::new().text("unrelated", "x"))
            .await,
    )
    .await;
    assert_eq!(status, 422);
    for error in assert_fields(&body, &FIELDS) {
        assert_eq!(error["type"], "missing");
        assert_eq!(error["msg"], "Field required");
    }
    // Empty text values are missing values, as in FastAPI (info has its own message).
    let empty = form(
        fields_with(&[("first_name", Some("")), ("gender", Some(""))]),
        Some((png([0, 0, 0]), "a.png")),
    );
    let (status, body) = json(app.post_profile(id, Some(&auth), empty).await).await;
    assert_eq!(status, 422);
    let errors = assert_fields(&body, &["first_name", "gender"]);
    assert!(errors.iter().all(|e| e["type"] == "missing"));
}

async fn a_body_of_another_type_is_an_empty_form(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("json@example.com", Group::User).await;
    let response = app
        .client
        .post(app.url(&profile_path(id)))
        .header("Authorization", &auth)
        .json(&json!({"first_name": "John"}))
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 422);
    assert_fields(&body, &FIELDS);

    // No body at all: the same.
    let response = app
        .client
        .post(app.url(&profile_path(id)))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 422);
    assert_fields(&body, &FIELDS);
}

async fn malformed_multipart_is_422(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("malformed@example.com", Group::User).await;
    for (content_type, body) in [
        (
            "multipart/form-data; boundary=xyz",
            "--xyz\r\nno headers end here",
        ),
        ("multipart/form-data", "--xyz\r\n\r\n"),
        (
            "multipart/form-data; boundary=xyz",
            "--xyz\r\nContent-Disposition: form-data; name=\"info\"\r\n\r\nunterminated",
        ),
    ] {
        let response = app
            .client
            .post(app.url(&profile_path(id)))
            .header("Authorization", &auth)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, body) = json(response).await;
        assert_eq!(status, 422, "{content_type}: {body}");
        assert_eq!(body["detail"][0]["loc"], json!(["body"]));
        assert_msg_contains(&body["detail"][0], "There was an error parsing the body");
    }
    assert!(app.profile_rows().await.is_empty());
}

async fn names_must_be_english_letters(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("names@example.com", Group::User).await;
    let bad = form(
        fields_with(&[("first_name", Some("Jöhn")), ("last_name", Some("Sm1th"))]),
        Some((png([0, 0, 0]), "a.png")),
    );
    let (status, body) = json(app.post_profile(id, Some(&auth), bad).await).await;
    assert_eq!(status, 422);
    let errors = assert_fields(&body, &["first_name", "last_name"]);
    assert_msg_contains(&errors[0], "Jöhn contains non-english letters");
    assert_msg_contains(&errors[1], "Sm1th contains non-english letters");
    assert_eq!(errors[0]["type"], "value_error");
    assert_eq!(errors[0]["input"], "Jöhn");
    // `user_profiles.first_name` is VARCHAR(100): longer is a 422, not a database error.
    let long = "a".repeat(101);
    let bad = form(
        fields_with(&[("last_name", Some(&long))]),
        Some((png([0, 0, 0]), "a.png")),
    );
    let (status, body) = json(app.post_profile(id, Some(&auth), bad).await).await;
    assert_eq!(status, 422);
    assert_msg_contains(
        &assert_fields(&body, &["last_name"])[0],
        "String should have at most 100 characters",
    );
    let spaced = form(
        fields_with(&[("first_name", Some("Mary Ann"))]),
        Some((png([0, 0, 0]), "a.png")),
    );
    let (status, body) = json(app.post_profile(id, Some(&auth), spaced).await).await;
    assert_eq!(status, 422);
    assert_msg_contains(
        &assert_fields(&body, &["first_name"])[0],
        "Mary Ann contains non-english letters",
    );
}

async fn gender_must_be_man_or_woman(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("gender@example.com", Group::User).await;
    for gender in ["other", "Man"] {
        let bad = form(
            fields_with(&[("gender", Some(gender))]),
            Some((png([0, 0, 0]), "a.png")),
        );
        let (status, body) = json(app.post_profile(id, Some(&auth), bad).await).await;
        assert_eq!(status, 422);
        assert_msg_contains(
            &assert_fields(&body, &["gender"])[0],
            "Gender must be one of: man, woman",
        );
    }
    let woman = form(
        fields_with(&[("gender", Some("woman"))]),
        Some((png([0, 0, 0]), "a.png")),
    );
    let (status, body) = json(app.post_profile(id, Some(&auth), woman).await).await;
    assert_eq!((status, &body["gender"]), (201, &json!("woman")));
}

async fn birth_date_rules(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("dob@example.com", Group::User).await;
    let today = chrono::Utc::now().date_naive();
    let seventeen = today
        .with_year(today.year() - 17)
        .unwrap_or(today)
        .to_string();
    let cases = [
        (
            "1899-12-31",
            "Invalid birth date - year must be greater than 1900.",
        ),
        (
            seventeen.as_str(),
            "You must be at least 18 years old to register.",
        ),
        (
            "2999-01-01",
            "You must be at least 18 years old to register.",
        ),
        ("01/02/1990", "Input should be a valid date"),
    ];
    for (date, message) in cases {
        let bad = form(
            fields_with(&[("date_of_birth", Some(date))]),
            Some((png([0, 0, 0]), "a.png")),
        );
        let (status, body) = json(app.post_profile(id, Some(&auth), bad).await).await;
        assert_eq!(status, 422, "{date}");
        assert_msg_contains(&assert_fields(&body, &["date_of_birth"])[0], message);
    }
    let ok = form(
        fields_with(&[("date_of_birth", Some("1900-01-01"))]),
        Some((png([0, 0, 0]), "a.png")),
    );
    assert_eq!(app.post_profile(id, Some(&auth), ok).await.status(), 201);
}

async fn info_must_not_be_blank(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("info@example.com", Group::User).await;
    for info in ["   ", ""] {
        let bad = form(
            fields_with(&[("info", Some(info))]),
            Some((png([0, 0, 0]), "a.png")),
        );
        let (status, body) = json(app.post_profile(id, Some(&auth), bad).await).await;
        assert_eq!(status, 422, "{info:?}");
        assert_msg_contains(
            &assert_fields(&body, &["info"])[0],
            "Info field cannot be empty or contain only spaces.",
        );
    }
    let huge = "x".repeat(70 * 1024);
    let bad = form(
        fields_with(&[("info", Some(&huge))]),
        Some((png([0, 0, 0]), "a.png")),
    );
    let (status, body) = json(app.post_profile(id, Some(&auth), bad).await).await;
    assert_eq!(status, 422);
    let error = &assert_fields(&body, &["info"])[0];
    assert_eq!(error["type"], "string_too_long");
    assert_msg_contains(error, "String should have at most 65536 characters");
}

async fn avatar_must_be_a_jpeg_or_png_by_content(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("img@example.com", Group::User).await;
    let mut png_then_garbage = b"\x89PNG\r\n\x1a\n".to_vec();
    png_then_garbage.extend_from_slice(&[7; 64]);
    for (bytes, name) in [
        (GIF.to_vec(), "avatar.jpg"),
        (b"definitely not an image".to_vec(), "avatar.jpg"),
        (png_then_garbage, "avatar.png"),
        (Vec::new(), "empty.png"),
    ] {
        let (status, body) = json(
            app.post_profile(id, Some(&auth), valid_form(bytes, name))
                .await,
        )
        .await;
        assert_eq!(status, 422);
        assert_msg_contains(
            &assert_fields(&body, &["avatar"])[0],
            "Invalid image format",
        );
    }
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
    // The name does not matter: a PNG called .gif is a PNG, and stored as one.
    let (status, body) = json(
        app.post_profile(id, Some(&auth), valid_form(png([9, 9, 9]), "pic.gif"))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let rows = app.profile_rows().await;
    assert_eq!(rows[0].avatar, Some(format!("avatars/{id}_pic.png")));
}

/// A PNG padded to `len` bytes (the header stays valid; the padding is dropped when stored).
fn png_of_len(len: usize) -> Vec<u8> {
    let mut bytes = png([50, 60, 70]);
    bytes.resize(len, 0);
    bytes
}

async fn avatar_must_be_at_most_1_mb(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("size@example.com", Group::User).await;
    let (status, body) = json(
        app.post_profile(
            id,
            Some(&auth),
            valid_form(png_of_len(1024 * 1024 + 1), "big.png"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_msg_contains(
        &assert_fields(&body, &["avatar"])[0],
        "Image size exceeds 1 MB",
    );
    assert!(app.profile_rows().await.is_empty());

    let exact = png_of_len(1024 * 1024);
    let (status, _) = json(
        app.post_profile(id, Some(&auth), valid_form(exact.clone(), "exact.png"))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(app.objects().await[0].1, Bytes::from(png([50, 60, 70])));
}

async fn all_failures_are_reported_together(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("all@example.com", Group::User).await;
    let bad = form(
        vec![
            ("info".into(), " ".into()),
            ("first_name".into(), "Jöhn".into()),
            ("gender".into(), "robot".into()),
            ("date_of_birth".into(), "1800-01-01".into()),
        ],
        Some((GIF.to_vec(), "a.gif")),
    );
    let (status, body) = json(app.post_profile(id, Some(&auth), bad).await).await;
    assert_eq!(status, 422);
    let errors = assert_fields(&body, &FIELDS);
    assert_eq!(errors[1]["type"], "missing");
    assert_msg_contains(&errors[0], "contains non-english letters");
    assert_msg_contains(&errors[2], "Gender must be one of: man, woman");
    assert_msg_contains(&errors[3], "year must be greater than 1900");
    assert_msg_contains(&errors[4], "Info field cannot be empty");
    assert_msg_contains(&errors[5], "Invalid image format");
}

/// A multipart body of `avatar_len` avatar bytes (a PNG header, then zeros), streamed in 64 KiB
/// chunks; `pulled` counts the bytes the client actually took from the stream.
fn streamed_upload(avatar_len: usize, pulled: Arc<AtomicUsize>) -> (reqwest::Body, u64, String) {
    let boundary = "theater-test-boundary";
    let mut head = String::new();
    for (k, v) in fields_with(&[]) {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    head.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"avatar\"; \
         filename=\"huge.png\"\r\nContent-Type: image/png\r\n\r\n"
    ));
    let mut first = head.into_bytes();
    let header = png([1, 1, 1]);
    first.extend_from_slice(&header);
    let tail = format!("\r\n--{boundary}--\r\n").into_bytes();
    const CHUNK: usize = 64 * 1024;
    let padding = avatar_len - header.len();
    let total = (first.len() + padding + tail.len()) as u64;
    let chunks = std::iter::once(Bytes::from(first))
        .chain(
            (0..padding.div_ceil(CHUNK))
                .map(move |i| Bytes::from(vec![0u8; CHUNK.min(padding - i * CHUNK)])),
        )
        .chain(std::iter::once(Bytes::from(tail)));
    let stream = futures::stream::iter(chunks).map(move |chunk| {
        pulled.fetch_add(chunk.len(), Ordering::SeqCst);
        Ok::<_, std::io::Error>(chunk)
    });
    (
        reqwest::Body::wrap_stream(stream),
        total,
        format!("multipart/form-data; boundary={boundary}"),
    )
}

async fn a_50_mb_upload_is_cut_off_early_with_the_422(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("huge@example.com", Group::User).await;
    const FIFTY_MB: usize = 50 * 1024 * 1024;
    let pulled = Arc::new(AtomicUsize::new(0));
    let (body, length, content_type) = streamed_upload(FIFTY_MB, pulled.clone());
    let response = app
        .client
        .post(app.url(&profile_path(id)))
        .header("Authorization", &auth)
        .header("Content-Type", content_type)
        .header("Content-Length", length)
        .body(body)
        .send()
        .await
        .expect("the client receives the answer, not a reset connection");
    assert_eq!(response.headers()["connection"], "close");
    let (status, body) = json(response).await;
    assert_eq!(status, 422, "{body}");
    assert_msg_contains(
        &assert_fields(&body, &["avatar"])[0],
        "Image size exceeds 1 MB",
    );
    let sent = pulled.load(Ordering::SeqCst);
    eprintln!("the client had produced {sent} of {length} bytes when the 422 arrived");
    assert!(
        sent < FIFTY_MB / 2,
        "the server read on: the client produced {sent} bytes"
    );
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
    // The service keeps serving.
    assert_eq!(app.get("/health").await.status(), 200);
}

async fn a_big_upload_with_a_bad_token_still_gets_its_401(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let id = app
        .insert_user("bigauth@example.com", Group::User, true)
        .await;
    let pulled = Arc::new(AtomicUsize::new(0));
    let (body, length, content_type) = streamed_upload(20 * 1024 * 1024, pulled);
    let response = app
        .client
        .post(app.url(&profile_path(id)))
        .header("Content-Type", content_type)
        .header("Content-Length", length)
        .body(body)
        .send()
        .await
        .expect("the client receives the answer, not a reset connection");
    let (status, body) = json(response).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Authorization header is missing"}))
    );
}

async fn bodies_padded_past_the_route_limit_are_413(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("padded@example.com", Group::User).await;
    // Each part is within its own limit; together they are far beyond any valid form.
    let mut padded = valid_form(png([1, 2, 3]), "a.png");
    for i in 0..40 {
        padded = padded.text(format!("extra{i}"), "x".repeat(60 * 1024));
    }
    let (status, body) = json(app.post_profile(id, Some(&auth), padded).await).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["detail"].is_string());
    assert!(app.profile_rows().await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 3. Permission, 4. target user, 5. existing profile

async fn only_the_owner_or_an_admin_may_create(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (owner, _) = app.user("owner@example.com", Group::User).await;
    let (_, other) = app.user("other@example.com", Group::User).await;
    let (_, moderator) = app.user("mod@example.com", Group::Moderator).await;
    let (_, admin) = app.user("admin@example.com", Group::Admin).await;

    // Validation comes before permission.
    let invalid = form(
        fields_with(&[("gender", Some("x"))]),
        Some((png([0; 3]), "a.png")),
    );
    let (status, _) = json(app.post_profile(owner, Some(&other), invalid).await).await;
    assert_eq!(status, 422);

    for auth in [&other, &moderator] {
        let (status, body) = json(
            app.post_profile(owner, Some(auth), valid_form(png([0; 3]), "a.png"))
                .await,
        )
        .await;
        assert_eq!((status, body), (403, json!({"detail": FORBIDDEN})));
    }
    // A token of a user that no longer exists cannot act for others either.
    let ghost = app.bearer(999_999);
    let (status, _) = json(
        app.post_profile(owner, Some(&ghost), valid_form(png([0; 3]), "a.png"))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(app.objects().await.is_empty());

    let (status, body) = json(
        app.post_profile(owner, Some(&admin), valid_form(png([0; 3]), "a.png"))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user_id"], owner);
}

async fn the_target_user_must_exist_and_be_active(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (_, admin) = app.user("admin@example.com", Group::Admin).await;
    let inactive = app
        .insert_user("inactive@example.com", Group::User, false)
        .await;
    for (target, auth) in [
        (inactive, admin.clone()),
        (inactive, app.bearer(inactive)),
        (424_242, admin.clone()),
    ] {
        let (status, body) = json(
            app.post_profile(target, Some(&auth), valid_form(png([0; 3]), "a.png"))
                .await,
        )
        .await;
        assert_eq!((status, body), (401, json!({"detail": USER_NOT_ACTIVE})));
    }
    assert!(app.objects().await.is_empty());
}

async fn a_second_profile_is_400_and_keeps_the_first_avatar(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("twice@example.com", Group::User).await;
    let first = png([1, 1, 1]);
    let (status, _) = json(
        app.post_profile(id, Some(&auth), valid_form(first.clone(), "a.png"))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = json(
        app.post_profile(id, Some(&auth), valid_form(png([2, 2, 2]), "a.png"))
            .await,
    )
    .await;
    assert_eq!((status, body), (400, json!({"detail": ALREADY_EXISTS})));
    assert_eq!(store.puts.load(Ordering::SeqCst), 1, "nothing uploaded");
    assert_eq!(
        app.objects().await,
        vec![(format!("avatars/{id}_a.png"), Bytes::from(first))]
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Upload failures and consistency

async fn a_failed_upload_is_500_and_writes_no_row(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("s3down@example.com", Group::User).await;
    store.fail_puts.store(true, Ordering::SeqCst);
    let (status, body) = json(
        app.post_profile(id, Some(&auth), valid_form(png([0; 3]), "a.png"))
            .await,
    )
    .await;
    assert_eq!((status, body), (500, json!({"detail": UPLOAD_FAILED})));
    assert!(app.profile_rows().await.is_empty());
    // The service keeps serving, and the user can try again.
    store.fail_puts.store(false, Ordering::SeqCst);
    let (status, _) = json(
        app.post_profile(id, Some(&auth), valid_form(png([0; 3]), "a.png"))
            .await,
    )
    .await;
    assert_eq!(status, 201);
}

async fn a_failed_insert_removes_the_uploaded_object(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("dbdown@example.com", Group::User).await;
    app.break_profile_writes("INSERT").await;
    let (status, body) = json(
        app.post_profile(id, Some(&auth), valid_form(png([0; 3]), "a.png"))
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (500, json!({"detail": "Internal server error."}))
    );
    assert_eq!(store.puts.load(Ordering::SeqCst), 1, "the upload happened");
    assert!(app.objects().await.is_empty(), "and was undone");
    assert!(app.profile_rows().await.is_empty());
}

async fn a_hanging_store_stalls_only_the_profile_writes(backend: Backend) {
    let store = Arc::new(TestStore::default());
    store.hang_puts.store(true, Ordering::SeqCst);
    let served = store.clone();
    let app = spawn_app_with_state(
        backend,
        |env| {
            env.insert("STORAGE_TIMEOUT_SECONDS".into(), "3".into());
        },
        |state| {
            state.storage = Storage::served(served, &state.config.app_base_url)
                .with_timeout(state.config.connections.storage_timeout);
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
            let response = app
                .post_profile(*id, Some(auth), valid_form(png([0; 3]), "a.png"))
                .await;
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
    let (status, body) = json(
        app.post_profile(id, Some(&auth), valid_form(png([0; 3]), "ours.png"))
            .await,
    )
    .await;
    assert_eq!((status, body), (400, json!({"detail": ALREADY_EXISTS})));
    let keys: Vec<String> = app.objects().await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, vec![theirs]);
}

// ---------------------------------------------------------------------------------------------
// GET

async fn reading_a_profile(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("read@example.com", Group::User).await;
    let (_, other) = app.user("other@example.com", Group::User).await;
    let (_, admin) = app.user("admin@example.com", Group::Admin).await;

    let (status, body) = json(app.get_profile(id, Some(&auth)).await).await;
    assert_eq!((status, body), (404, json!({"detail": NOT_FOUND})));

    let (_, created) = json(
        app.post_profile(id, Some(&auth), valid_form(png([3; 3]), "a.png"))
            .await,
    )
    .await;
    for who in [&auth, &admin] {
        let (status, body) = json(app.get_profile(id, Some(who)).await).await;
        assert_eq!((status, &body), (200, &created));
    }
    let (status, body) = json(app.get_profile(id, Some(&other)).await).await;
    assert_eq!((status, body), (403, json!({"detail": FORBIDDEN})));
    let (status, body) = json(app.get_profile(id, None).await).await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Authorization header is missing"}))
    );
    let (status, body) = json(app.get("/api/v1/profiles/users/abc/profile/").await).await;
    assert_eq!(status, 401, "{body}");
    let response = app
        .client
        .get(app.url("/api/v1/profiles/users/abc/profile/"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["path", "user_id"]));
}

// ---------------------------------------------------------------------------------------------
// PATCH

async fn patching_changes_only_the_given_fields(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("patch@example.com", Group::User).await;
    let (status, _) = json(
        app.patch_profile(id, &auth, Form::new().text("info", "x"))
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let (_, created) = json(
        app.post_profile(id, Some(&auth), valid_form(png([3; 3]), "a.png"))
            .await,
    )
    .await;

    let changes = Form::new()
        .text("first_name", "JANE")
        .text("gender", "woman")
        .text("info", "Updated.");
    let (status, body) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!(status, 200, "{body}");
    let mut expected = created.clone();
    expected["first_name"] = json!("jane");
    expected["gender"] = json!("woman");
    expected["info"] = json!("Updated.");
    assert_eq!(body, expected);
    let (_, read) = json(app.get_profile(id, Some(&auth)).await).await;
    assert_eq!(read, expected);

    // Nothing to change: the profile as it is.
    let (status, body) = json(app.patch_profile(id, &auth, Form::new()).await).await;
    assert_eq!((status, &body), (200, &expected));

    // A url-encoded form works for text fields.
    let response = app
        .client
        .patch(app.url(&profile_path(id)))
        .header("Authorization", &auth)
        .form(&[("last_name", "Roe")])
        .send()
        .await
        .unwrap();
    let (status, body) = json(response).await;
    assert_eq!((status, &body["last_name"]), (200, &json!("roe")));

    // Same rules as on creation; every failure reported.
    let bad = Form::new()
        .text("first_name", "J4ne")
        .text("info", " ")
        .part("avatar", Part::bytes(GIF.to_vec()).file_name("a.gif"));
    let (status, body) = json(app.patch_profile(id, &auth, bad).await).await;
    assert_eq!(status, 422);
    let errors = assert_fields(&body, &["first_name", "info", "avatar"]);
    assert_msg_contains(&errors[0], "J4ne contains non-english letters");
    assert_msg_contains(&errors[2], "Invalid image format");
}

async fn patching_the_avatar_replaces_the_object(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("avatar@example.com", Group::User).await;
    app.post_profile(id, Some(&auth), valid_form(png([1; 3]), "old.png"))
        .await;

    let new = jpeg();
    let changes = Form::new().part("avatar", Part::bytes(new.clone()).file_name("new.jpg"));
    let (status, body) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!(status, 200, "{body}");
    let key = format!("avatars/{id}_new.jpg");
    assert_eq!(body["avatar"], format!("{}/media/{key}", app.address));
    assert_eq!(app.objects().await, vec![(key.clone(), Bytes::from(new))]);

    // Same name, new content of the same format: replaced in place.
    let newer = image_bytes(image::ImageFormat::Jpeg, [2; 3]);
    let changes = Form::new().part("avatar", Part::bytes(newer.clone()).file_name("new.jpg"));
    let (status, _) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.objects().await,
        vec![(key.clone(), Bytes::from(newer.clone()))]
    );
    let served = app.get(&format!("/media/{key}")).await;
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.bytes().await.unwrap(), newer);

    // A PNG under the old name gets its own key; the JPEG goes.
    let png_avatar = png([3; 3]);
    let changes = Form::new().part(
        "avatar",
        Part::bytes(png_avatar.clone()).file_name("new.jpg"),
    );
    let (status, body) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!(status, 200);
    let png_key = format!("avatars/{id}_new.png");
    assert_eq!(body["avatar"], format!("{}/media/{png_key}", app.address));
    assert_eq!(
        app.objects().await,
        vec![(png_key, Bytes::from(png_avatar))]
    );
}

async fn a_failed_update_keeps_the_old_avatar(backend: Backend) {
    let (app, store) = memory_app(backend).await;
    let (id, auth) = app.user("keep@example.com", Group::User).await;
    let old = png([1; 3]);
    app.post_profile(id, Some(&auth), valid_form(old.clone(), "old.png"))
        .await;
    let old_object = vec![(format!("avatars/{id}_old.png"), Bytes::from(old))];

    store.fail_puts.store(true, Ordering::SeqCst);
    let changes = Form::new().part("avatar", Part::bytes(jpeg()).file_name("new.jpg"));
    let (status, body) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!((status, body), (500, json!({"detail": UPLOAD_FAILED})));
    store.fail_puts.store(false, Ordering::SeqCst);

    app.break_profile_writes("UPDATE").await;
    let changes = Form::new()
        .text("info", "never saved")
        .part("avatar", Part::bytes(jpeg()).file_name("new.jpg"));
    let (status, _) = json(app.patch_profile(id, &auth, changes).await).await;
    assert_eq!(status, 500);
    assert_eq!(
        app.objects().await,
        old_object,
        "the new object was removed"
    );
    let row = &app.profile_rows().await[0];
    assert_eq!(row.avatar, Some(format!("avatars/{id}_old.png")));
    assert_eq!(row.info.as_deref(), Some("This is a test profile."));
}

async fn patch_permissions_follow_creation(backend: Backend) {
    let (app, _) = memory_app(backend).await;
    let (id, auth) = app.user("perm@example.com", Group::User).await;
    let (_, other) = app.user("other@example.com", Group::User).await;
    let (_, admin) = app.user("admin@example.com", Group::Admin).await;
    app.post_profile(id, Some(&auth), valid_form(png([1; 3]), "a.png"))
        .await;
    let (status, body) = json(
        app.patch_profile(id, &other, Form::new().text("info", "hacked"))
            .await,
    )
    .await;
    assert_eq!((status, body), (403, json!({"detail": FORBIDDEN})));
    let (status, body) = json(
        app.patch_profile(id, &admin, Form::new().text("info", "moderated"))
            .await,
    )
    .await;
    assert_eq!((status, &body["info"]), (200, &json!("moderated")));
    let inactive = app
        .insert_user("gone@example.com", Group::User, false)
        .await;
    let (status, body) = json(
        app.patch_profile(inactive, &admin, Form::new().text("info", "x"))
            .await,
    )
    .await;
    assert_eq!((status, body), (401, json!({"detail": USER_NOT_ACTIVE})));
}

// ---------------------------------------------------------------------------------------------
// OpenAPI

async fn the_endpoints_are_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, doc) = json(app.get("/openapi.json").await).await;
    let path = &doc["paths"]["/api/v1/profiles/users/{user_id}/profile/"];
    for method in ["post", "get", "patch"] {
        let op = &path[method];
        assert!(op.is_object(), "{method} is documented");
        // A pasted token, or one Swagger UI's password flow obtained.
        assert_eq!(
            op["security"],
            json!([{"bearer": []}, {"password": []}]),
            "{method}"
        );
        assert!(op["responses"]["403"].is_object());
    }
    for method in ["post", "patch"] {
        let body = &path[method]["requestBody"]["content"]["multipart/form-data"];
        assert!(body.is_object(), "{method} takes a multipart form");
        assert!(path[method]["responses"]["422"].is_object());
        assert!(path[method]["responses"]["500"].is_object());
    }
    for status in ["201", "400", "401", "403", "422", "500"] {
        assert!(path["post"]["responses"][status].is_object(), "{status}");
    }
    assert!(path["get"]["responses"]["404"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ProfileCreateForm"]["properties"]["avatar"]["format"],
        "binary"
    );
    assert!(schemas["ProfileResponse"]["properties"]["avatar"].is_object());
}

db_tests!(
    creating_a_profile_stores_the_key_and_returns_the_url,
    the_path_without_trailing_slash_works_too,
    local_storage_keeps_files_under_media_and_serves_them,
    odd_media_paths_are_404_never_500,
    stored_avatars_lose_their_metadata_and_take_their_formats_name,
    local_avatars_lose_their_metadata_too,
    missing_or_bad_tokens_are_401_before_validation,
    every_missing_field_is_reported,
    a_body_of_another_type_is_an_empty_form,
    malformed_multipart_is_422,
    names_must_be_english_letters,
    gender_must_be_man_or_woman,
    birth_date_rules,
    info_must_not_be_blank,
    avatar_must_be_a_jpeg_or_png_by_content,
    avatar_must_be_at_most_1_mb,
    all_failures_are_reported_together,
    a_50_mb_upload_is_cut_off_early_with_the_422,
    a_big_upload_with_a_bad_token_still_gets_its_401,
    bodies_padded_past_the_route_limit_are_413,
    only_the_owner_or_an_admin_may_create,
    the_target_user_must_exist_and_be_active,
    a_second_profile_is_400_and_keeps_the_first_avatar,
    a_failed_upload_is_500_and_writes_no_row,
    a_failed_insert_removes_the_uploaded_object,
    a_hanging_store_stalls_only_the_profile_writes,
    concurrent_creates_give_one_201_and_one_400,
    a_writer_that_bypassed_the_lock_wins_and_our_object_goes,
    reading_a_profile,
    patching_changes_only_the_given_fields,
    patching_the_avatar_replaces_the_object,
    a_failed_update_keeps_the_old_avatar,
    patch_permissions_follow_creation,
    the_endpoints_are_documented,
);
