//! `TestStore`: an in-memory object store that can fail, stall, slow down or let another writer in.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures::future::BoxFuture;
use object_store::{
    GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, memory::InMemory, path::Path,
};

use theater::{state::AppState, storage::Storage};

pub type PutHook = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// An object store that can fail, slow down or interleave another writer with uploads.
#[derive(Default)]
pub struct TestStore {
    pub inner: InMemory,
    pub fail_puts: AtomicBool,
    /// Reads (and metadata requests) fail, as an unreachable server.
    pub fail_reads: AtomicBool,
    /// Uploads never answer, as an S3 server that accepts connections and then stalls.
    pub hang_puts: AtomicBool,
    pub put_delay_ms: AtomicU64,
    pub puts: AtomicUsize,
    /// Runs once, inside the next upload (before the object is stored).
    pub on_put: Mutex<Option<PutHook>>,
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

    /// A store whose uploads never answer.
    pub fn hanging_puts() -> Self {
        let store = Self::default();
        store.hang_puts.store(true, Ordering::SeqCst);
        store
    }

    /// A store whose uploads take `ms` milliseconds.
    pub fn slow_puts(ms: u64) -> Self {
        let store = Self::default();
        store.put_delay_ms.store(ms, Ordering::SeqCst);
        store
    }

    /// Storage for `state` that keeps avatars in this store and serves them at `/media/`.
    pub fn storage_for(self: &Arc<Self>, state: &AppState) -> Storage {
        Storage::served(self.clone(), &state.config.app_base_url)
    }
}
