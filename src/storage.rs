//! Object storage for uploaded files (avatars), behind one small interface over the `object_store`
//! crate: an S3-compatible bucket (MinIO in the original deployment) when `MINIO_HOST` is set,
//! otherwise a directory under `{DATA_DIR}/media` that the service serves itself at `/media/{key}`.
//! Tests swap in `object_store`'s in-memory store ([`Storage::in_memory`]), served the same way.
//!
//! The database keeps object *keys*; [`Storage::url`] turns a key into the public URL a client gets.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    body::Body,
    extract::{Path as UrlPath, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{
    Attribute, Attributes, ClientOptions, GetOptions, ObjectStore, PutOptions, PutPayload,
    RetryConfig, aws::AmazonS3Builder, local::LocalFileSystem, memory::InMemory, path::Path,
};

use crate::{config::Config, error::Error};

/// Where avatars live and how clients reach them.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Prefix of public URLs: `{key}` is appended after a `/`.
    public_base: String,
    kind: Kind,
    /// The media directory of a local store (readiness checks that it is writable).
    local_dir: Option<std::path::PathBuf>,
    /// The longest one call may take (`STORAGE_TIMEOUT_SECONDS`): a hanging server must turn into
    /// an error while the client still waits, whatever the store's own timeouts do.
    timeout: Duration,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The store itself is left out: it holds the S3 credentials.
        f.debug_struct("Storage")
            .field("kind", &self.kind)
            .field("public_base", &self.public_base)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Clients fetch objects from the bucket itself.
    S3,
    /// The service serves objects at `/media/{key}`. `LocalFileSystem` cannot keep attributes, so
    /// the content type is recognised from the content when serving.
    Local,
    /// As `Local`, but in memory (tests); attributes are kept.
    Memory,
}

/// Bounds on S3 calls. The object_store defaults retry for up to three minutes; an upload happens
/// while the client waits (and while the user's profile writes are serialised), so a dead server
/// must turn into the documented 500 within seconds. Each request and all retries together stay
/// within `STORAGE_TIMEOUT_SECONDS`; [`Storage`] also puts that deadline around every call.
const S3_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const S3_MAX_RETRIES: usize = 2;

/// The deadline of stores built without a configuration (tests).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A storage call that failed or ran out of time.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{operation} {key}: no answer within {timeout:?}")]
    TimedOut {
        operation: &'static str,
        key: String,
        timeout: Duration,
    },
    #[error("{operation} {key}: {source}")]
    Failed {
        operation: &'static str,
        key: String,
        source: object_store::Error,
    },
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
}

impl Storage {
    /// S3 when `config.s3` is set, otherwise `{DATA_DIR}/media` (created here).
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let timeout = config.connections.storage_timeout;
        match &config.s3 {
            Some(s3) => {
                let store = AmazonS3Builder::new()
                    .with_endpoint(s3.endpoint())
                    .with_allow_http(true)
                    // MinIO and most self-hosted servers address buckets by path, not by host name.
                    .with_virtual_hosted_style_request(false)
                    .with_bucket_name(&s3.bucket)
                    .with_access_key_id(&s3.access_key)
                    .with_secret_access_key(secrecy::ExposeSecret::expose_secret(&s3.secret_key))
                    // Signatures need a region; MinIO accepts the AWS default.
                    .with_region("us-east-1")
                    .with_client_options(
                        ClientOptions::new()
                            .with_allow_http(true)
                            .with_connect_timeout(S3_CONNECT_TIMEOUT.min(timeout))
                            .with_timeout(timeout),
                    )
                    .with_retry(RetryConfig {
                        max_retries: S3_MAX_RETRIES,
                        retry_timeout: timeout,
                        ..Default::default()
                    })
                    .build()
                    .context("configuring the S3 client (MINIO_*)")?;
                Ok(Self {
                    store: Arc::new(store),
                    public_base: s3.public_base(),
                    kind: Kind::S3,
                    local_dir: None,
                    timeout,
                })
            }
            None => {
                let dir = config.data_dir.join("media");
                crate::files::create_private_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let store = LocalFileSystem::new_with_prefix(&dir)
                    .with_context(|| format!("opening {}", dir.display()))?;
                Ok(Self {
                    store: Arc::new(store),
                    public_base: media_base(&config.app_base_url),
                    kind: Kind::Local,
                    local_dir: Some(dir),
                    timeout,
                })
            }
        }
    }

    /// An in-memory store served at `{app_base_url}/media/{key}` (tests).
    pub fn in_memory(app_base_url: &str) -> Self {
        Self::served(Arc::new(InMemory::new()), app_base_url)
    }

    /// Any store (a test double), served by the service at `{app_base_url}/media/{key}`. The
    /// store must keep attributes (content types), as `InMemory` does.
    pub fn served(store: Arc<dyn ObjectStore>, app_base_url: &str) -> Self {
        Self {
            store,
            public_base: media_base(app_base_url),
            kind: Kind::Memory,
            local_dir: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same store with another deadline per call (tests with a hanging double).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs one store call within the deadline.
    async fn bounded<T>(
        &self,
        operation: &'static str,
        key: &str,
        call: impl Future<Output = object_store::Result<T>>,
    ) -> Result<T, StorageError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(source)) => Err(StorageError::Failed {
                operation,
                key: key.to_owned(),
                source,
            }),
            Err(_) => Err(StorageError::TimedOut {
                operation,
                key: key.to_owned(),
                timeout: self.timeout,
            }),
        }
    }

    /// The underlying store (tests inspect it).
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Where avatars go, in words (the start-up summary).
    pub fn describe(&self) -> String {
        match (self.kind, &self.local_dir) {
            (Kind::S3, _) => format!("S3, avatar URLs under {}", self.public_base),
            (_, Some(dir)) => format!(
                "the local directory {} (served at {}/)",
                dir.display(),
                self.public_base
            ),
            _ => "in memory (not kept)".to_owned(),
        }
    }

    /// True when the service itself must serve the objects at `/media/{key}`.
    pub fn serves_media(&self) -> bool {
        self.kind != Kind::S3
    }

    /// The URL a client fetches `key` from.
    pub fn url(&self, key: &str) -> String {
        format!("{}/{}", self.public_base, key)
    }

    /// Stores `bytes` under `key` (replacing any object there) with its content type.
    pub async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), StorageError> {
        let path = Path::parse(key).map_err(|_| StorageError::InvalidKey(key.to_owned()))?;
        let mut options = PutOptions::default();
        if self.kind != Kind::Local {
            options.attributes =
                Attributes::from_iter([(Attribute::ContentType, content_type.to_owned())]);
        }
        self.bounded(
            "storing",
            key,
            self.store.put_opts(&path, PutPayload::from(bytes), options),
        )
        .await?;
        Ok(())
    }

    /// Removes `key`; an object that is already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = Path::parse(key).map_err(|_| StorageError::InvalidKey(key.to_owned()))?;
        match self
            .bounded("deleting", key, self.store.delete(&path))
            .await
        {
            Ok(()) => Ok(()),
            Err(StorageError::Failed {
                source: object_store::Error::NotFound { .. },
                ..
            }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether the store answers, within `deadline` (and the storage deadline): one metadata
    /// request for a key that never exists (S3: a signed HEAD, so bad credentials or a missing
    /// bucket show too); for a local store also that the media directory takes a new file.
    pub async fn check(&self, deadline: Duration) -> Result<(), StorageError> {
        let probe = Path::from("readiness-probe-never-stored");
        let head = self.clone().with_timeout(deadline.min(self.timeout));
        match head
            .bounded("probing", probe.as_ref(), self.store.head(&probe))
            .await
        {
            Ok(_)
            | Err(StorageError::Failed {
                source: object_store::Error::NotFound { .. },
                ..
            }) => {}
            Err(e) => return Err(e),
        }
        if let Some(dir) = &self.local_dir {
            let file = dir.join(format!(".readiness-probe-{}", std::process::id()));
            let written = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&file)
                .and_then(|_| std::fs::remove_file(&file));
            written.map_err(|e| StorageError::Failed {
                operation: "writing",
                key: file.display().to_string(),
                source: object_store::Error::Generic {
                    store: "LocalFileSystem",
                    source: Box::new(e),
                },
            })?;
        }
        Ok(())
    }

    /// Best-effort removal for clean-up paths: a failure leaves an orphan object, which is logged
    /// (with its key, so an operator can remove it) rather than failing a request already decided.
    pub async fn delete_or_log(&self, key: &str) {
        if let Err(e) = self.delete(key).await {
            tracing::error!(key, error = format!("{e:#}"), "could not delete an object");
        }
    }
}

fn media_base(app_base_url: &str) -> String {
    format!("{}/media", app_base_url.trim_end_matches('/'))
}

/// `GET /media/{key}`: the objects of a local (or in-memory) store, read-only. Keys are checked by
/// `object_store`'s path rules (no `..`, no empty segments), so nothing outside the store can be
/// named, and only objects are served (a directory is "not found", never a listing). The content
/// type is the stored one, or recognised from the content: never guessed from the file name, so
/// an uploaded image named `x.html` is still served as an image.
pub async fn serve_media(
    State(storage): State<Storage>,
    UrlPath(key): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    match media_response(&storage, &key, &headers).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn media_response(
    storage: &Storage,
    key: &str,
    headers: &HeaderMap,
) -> Result<Response, Error> {
    let not_found = || Error::not_found("Not Found");
    let Some(path) = media_path(key) else {
        // A name no object of ours can have: nothing to look up, and nothing worth an alarm.
        tracing::info!(key = %key.escape_debug(), "media request for an impossible key");
        return Err(not_found());
    };
    let options = GetOptions {
        if_none_match: headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ..Default::default()
    };
    let result = match storage
        .bounded("reading", key, storage.store.get_opts(&path, options))
        .await
    {
        Ok(result) => result,
        Err(StorageError::Failed { source, .. }) => match source {
            object_store::Error::NotModified { .. } => {
                return Ok(StatusCode::NOT_MODIFIED.into_response());
            }
            object_store::Error::NotFound { .. } | object_store::Error::InvalidPath { .. } => {
                return Err(not_found());
            }
            e => return Err(Error::internal(crate::error::INTERNAL_ERROR, e)),
        },
        Err(e) => return Err(Error::internal(crate::error::INTERNAL_ERROR, e)),
    };

    let stored_type = result
        .attributes
        .get(&Attribute::ContentType)
        .map(|v| v.as_ref().to_owned());
    let meta = result.meta.clone();
    let mut stream = result.into_stream();
    // The first chunk is enough to recognise an image; it is sent on, not re-read.
    let first = match stream.next().await {
        Some(chunk) => chunk.map_err(|e| Error::internal(crate::error::INTERNAL_ERROR, e))?,
        None => Bytes::new(),
    };
    let content_type = stored_type.unwrap_or_else(|| sniff_content_type(&first).to_owned());
    let body = futures::stream::once(async move { Ok(first) }).chain(stream.map_err(
        |e| -> Box<dyn std::error::Error + Send + Sync> {
            tracing::error!(error = %e, "reading a media object failed mid-stream");
            Box::new(e)
        },
    ));

    let mut response = Body::from_stream(body).into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.size));
    if let Some(etag) = meta.e_tag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        h.insert(header::ETAG, etag);
    }
    let last_modified = meta.last_modified.format("%a, %d %b %Y %H:%M:%S GMT");
    if let Ok(v) = HeaderValue::from_str(&last_modified.to_string()) {
        h.insert(header::LAST_MODIFIED, v);
    }
    // User-supplied content on the service's own origin: never let a browser run it.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

/// Longest key `/media` looks up; stored keys are `avatars/{user id}_{file name of at most 100}`.
const MEDIA_KEY_MAX: usize = 255;

/// `key` as an object path when it could name an object this service stored: segments of
/// `[A-Za-z0-9._-]`, none empty or starting with a dot (so no `..`), at most [`MEDIA_KEY_MAX`]
/// bytes. Anything else (`#`, `%`, NUL, control characters, back-slashes...) is answered 404 before
/// the store sees it: the local store turns some of those into errors that are not "not found".
fn media_path(key: &str) -> Option<Path> {
    let plausible = !key.is_empty()
        && key.len() <= MEDIA_KEY_MAX
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
    plausible.then(|| Path::parse(key).ok()).flatten()
}

/// The MIME type of an image recognised by its first bytes, `application/octet-stream` otherwise.
pub fn sniff_content_type(head: &[u8]) -> &'static str {
    match image::guess_format(head) {
        Ok(image::ImageFormat::Jpeg) => "image/jpeg",
        Ok(image::ImageFormat::Png) => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn objects_round_trip_with_their_content_type_and_deletes_are_idempotent() {
        let storage = Storage::in_memory("http://127.0.0.1:8000/");
        storage
            .put("avatars/1_a.png", Bytes::from_static(b"png"), "image/png")
            .await
            .unwrap();
        let got = storage
            .object_store()
            .get(&Path::parse("avatars/1_a.png").unwrap())
            .await
            .unwrap();
        assert_eq!(
            got.attributes
                .get(&Attribute::ContentType)
                .map(|v| v.as_ref()),
            Some("image/png")
        );
        assert_eq!(got.bytes().await.unwrap(), Bytes::from_static(b"png"));
        storage.delete("avatars/1_a.png").await.unwrap();
        storage.delete("avatars/1_a.png").await.unwrap();
        assert_eq!(
            storage.url("avatars/1_a.png"),
            "http://127.0.0.1:8000/media/avatars/1_a.png"
        );
    }

    #[tokio::test]
    async fn local_storage_lives_under_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::from_lookup(|_| None).unwrap();
        config.data_dir = dir.path().to_owned();
        let storage = Storage::from_config(&config).unwrap();
        assert!(storage.serves_media());
        storage
            .put("avatars/2_b.jpg", Bytes::from_static(b"jpg"), "image/jpeg")
            .await
            .unwrap();
        let file = dir.path().join("media/avatars/2_b.jpg");
        assert_eq!(std::fs::read(file).unwrap(), b"jpg");
        assert_eq!(
            storage.url("avatars/2_b.jpg"),
            "http://127.0.0.1:8000/media/avatars/2_b.jpg"
        );
    }

    #[test]
    fn s3_urls_name_the_bucket_on_the_minio_endpoint() {
        let vars = [
            ("MINIO_HOST", "minio"),
            ("MINIO_PORT", "9000"),
            ("MINIO_ROOT_USER", "u"),
            ("MINIO_ROOT_PASSWORD", "p"),
            ("MINIO_STORAGE", "theater-storage"),
        ];
        let config = Config::from_lookup(|k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        })
        .unwrap();
        let storage = Storage::from_config(&config).unwrap();
        assert!(!storage.serves_media());
        assert_eq!(
            storage.url("avatars/1_a.jpg"),
            "http://minio:9000/theater-storage/avatars/1_a.jpg"
        );
    }

    #[test]
    fn media_keys_are_only_names_the_service_could_have_stored() {
        assert!(media_path("avatars/1_a.jpg").is_some());
        assert!(media_path("avatars/1_my-photo.v2.png").is_some());
        for bad in [
            "",
            "avatars/1_a.jpg#123",
            "avatars/1_a.jpg\0",
            "avatars/1_a.jpg\u{0}",
            "avatars/../secrets/SECRET_KEY_ACCESS",
            "avatars//1_a.jpg",
            "avatars/.hidden",
            "avatars/1 a.jpg",
            "avatars\\1_a.jpg",
            "avatars/1_a.jpg%2F..",
            &"a".repeat(MEDIA_KEY_MAX + 1),
        ] {
            assert!(media_path(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn content_types_come_from_the_content() {
        assert_eq!(sniff_content_type(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(sniff_content_type(b"\xff\xd8\xff\xe0...."), "image/jpeg");
        assert_eq!(sniff_content_type(b"<html>"), "application/octet-stream");
        assert_eq!(sniff_content_type(b""), "application/octet-stream");
    }
}
