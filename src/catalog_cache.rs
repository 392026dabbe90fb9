//! Rendered JSON of the two hot read endpoints (movie detail, list pages), kept for
//! `CATALOG_CACHE_TTL_SECONDS`.
//!
//! Why: with SQLite every query crosses to a database thread and back; at 15,000 requests/s those
//! hand-offs, not the SQL, dominate (see bench/RESULTS.md). A hit is a hash lookup and a copy.
//!
//! Coherence: keys carry a generation that every catalog write made through this process bumps, so
//! after a write no earlier body is reachable — not even one a request that started before the write
//! stores afterwards. Writes made by other processes (another instance, `theater seed`, SQL by hand)
//! show up within the TTL. Concurrent misses of one key share a single load, so an emptied cache under
//! load costs one query per key, not one per request.

use std::{
    future::Future,
    hash::Hash,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use bytes::Bytes;
use moka::future::Cache;

/// Upper bound of the memory the cached bodies may take, per cache.
const DETAIL_BYTES: u64 = 16 * 1024 * 1024;
const LIST_BYTES: u64 = 8 * 1024 * 1024;
/// Filter sets whose counts are kept.
const COUNTS: u64 = 10_000;

pub struct CatalogCache {
    detail: Option<Cache<(u64, i32), Bytes>>,
    lists: Option<Cache<(u64, String), Bytes>>,
    /// Matching-movie counts per filter set: every page of one listing shares its count, so paging
    /// through a catalog costs one `COUNT(*)`, not one per page (PostgreSQL counts by scanning).
    counts: Option<Cache<(u64, String), i64>>,
    /// Bumped by every local write.
    generation: AtomicU64,
}

/// A response body serialised once: the bytes are what the cache keeps (a hit is a copy, not a
/// render).
pub fn to_json(value: &impl serde::Serialize) -> anyhow::Result<Bytes> {
    Ok(Bytes::from(serde_json::to_vec(value)?))
}

/// Why a load stored nothing.
enum Miss {
    Absent,
    Failed(anyhow::Error),
}

impl CatalogCache {
    /// A cache keeping bodies for `ttl`; a zero `ttl` disables caching.
    pub fn new(ttl: Duration) -> Self {
        let enabled = !ttl.is_zero();
        Self {
            detail: enabled.then(|| bounded(ttl, DETAIL_BYTES)),
            lists: enabled.then(|| bounded(ttl, LIST_BYTES)),
            counts: enabled.then(|| {
                Cache::builder()
                    .time_to_live(ttl)
                    .max_capacity(COUNTS)
                    .build()
            }),
            generation: AtomicU64::new(0),
        }
    }

    /// A movie's detail body: cached, or loaded by `load` (whose `None`, a missing movie, is not cached).
    pub async fn detail(
        &self,
        id: i32,
        load: impl Future<Output = anyhow::Result<Option<Bytes>>>,
    ) -> anyhow::Result<Option<Bytes>> {
        self.through(self.detail.as_ref(), id, load).await
    }

    /// A list page's body, keyed by its canonical query.
    pub async fn list(
        &self,
        key: String,
        load: impl Future<Output = anyhow::Result<Option<Bytes>>>,
    ) -> anyhow::Result<Option<Bytes>> {
        self.through(self.lists.as_ref(), key, load).await
    }

    /// The number of movies matching a filter set, keyed by its canonical query string.
    pub async fn count(
        &self,
        key: String,
        load: impl Future<Output = anyhow::Result<i64>>,
    ) -> anyhow::Result<i64> {
        let counted = self
            .through(self.counts.as_ref(), key, async { load.await.map(Some) })
            .await?;
        counted.ok_or_else(|| anyhow::anyhow!("a count load returned nothing"))
    }

    async fn through<K, V>(
        &self,
        cache: Option<&Cache<(u64, K), V>>,
        key: K,
        load: impl Future<Output = anyhow::Result<Option<V>>>,
    ) -> anyhow::Result<Option<V>>
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        let Some(cache) = cache else {
            return load.await;
        };
        let key = (self.generation.load(Ordering::Acquire), key);
        let loaded = cache
            .try_get_with(key, async {
                match load.await {
                    Ok(Some(body)) => Ok(body),
                    Ok(None) => Err(Miss::Absent),
                    Err(e) => Err(Miss::Failed(e)),
                }
            })
            .await;
        match loaded {
            Ok(body) => Ok(Some(body)),
            Err(miss) => match &*miss {
                Miss::Absent => Ok(None),
                // Shared by every request that waited on this load, hence a copy of the message.
                Miss::Failed(e) => Err(anyhow::anyhow!("{e:#}")),
            },
        }
    }

    /// A write changed the catalog: no body cached before it is served again.
    pub fn movie_changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        // Unreachable already; this only frees their memory sooner.
        if let Some(detail) = &self.detail {
            detail.invalidate_all();
        }
        if let Some(lists) = &self.lists {
            lists.invalidate_all();
        }
        if let Some(counts) = &self.counts {
            counts.invalidate_all();
        }
    }
}

/// Entries live `ttl`; the cache evicts beyond `max_bytes` of bodies.
fn bounded<K: Hash + Eq + Send + Sync + 'static>(ttl: Duration, max_bytes: u64) -> Cache<K, Bytes> {
    Cache::builder()
        .time_to_live(ttl)
        .max_capacity(max_bytes)
        .weigher(|_, body: &Bytes| u32::try_from(body.len()).unwrap_or(u32::MAX))
        .build()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn body(s: &str) -> anyhow::Result<Option<Bytes>> {
        Ok(Some(Bytes::from(s.to_owned())))
    }

    async fn get(cache: &CatalogCache, id: i32, value: &str) -> Option<Bytes> {
        let value = value.to_owned();
        cache.detail(id, async move { body(&value) }).await.unwrap()
    }

    #[tokio::test]
    async fn hits_skip_the_loader_and_writes_forget() {
        let cache = CatalogCache::new(Duration::from_secs(60));
        assert_eq!(get(&cache, 1, "a").await, Some("a".into()));
        // A hit: the loader's answer is not used.
        assert_eq!(get(&cache, 1, "b").await, Some("a".into()));
        cache.movie_changed();
        assert_eq!(get(&cache, 1, "b").await, Some("b".into()));
        let list = |v: &'static str| cache.list("p1".into(), async move { body(v) });
        assert_eq!(list("x").await.unwrap(), Some("x".into()));
        assert_eq!(list("y").await.unwrap(), Some("x".into()));
        cache.movie_changed();
        assert_eq!(list("y").await.unwrap(), Some("y".into()));
    }

    #[tokio::test]
    async fn a_value_loaded_across_a_write_is_not_served_after_it() {
        let cache = CatalogCache::new(Duration::from_secs(60));
        let loaded = cache
            .detail(7, async {
                // A write lands while this load is in flight.
                cache.movie_changed();
                body("old")
            })
            .await
            .unwrap();
        assert_eq!(loaded, Some("old".into()));
        assert_eq!(get(&cache, 7, "new").await, Some("new".into()));
    }

    #[tokio::test]
    async fn misses_and_failures_are_not_cached_and_zero_ttl_disables() {
        let cache = CatalogCache::new(Duration::from_secs(60));
        assert_eq!(cache.detail(3, async { Ok(None) }).await.unwrap(), None);
        let failed = cache
            .detail(3, async { Err(anyhow::anyhow!("db down")) })
            .await;
        assert_eq!(failed.unwrap_err().to_string(), "db down");
        assert_eq!(get(&cache, 3, "now").await, Some("now".into()));
        let off = CatalogCache::new(Duration::ZERO);
        assert_eq!(get(&off, 1, "a").await, Some("a".into()));
        assert_eq!(get(&off, 1, "b").await, Some("b".into()));
    }

    #[tokio::test]
    async fn counts_are_shared_until_a_write() {
        let cache = CatalogCache::new(Duration::from_secs(60));
        let count = |n: i64| cache.count("genre=Drama".into(), async move { Ok(n) });
        assert_eq!(count(3).await.unwrap(), 3);
        assert_eq!(count(4).await.unwrap(), 3);
        cache.movie_changed();
        assert_eq!(count(4).await.unwrap(), 4);
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_load() {
        let cache = CatalogCache::new(Duration::from_secs(60));
        let loads = AtomicUsize::new(0);
        let requests = (0..16).map(|_| {
            cache.detail(9, async {
                loads.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                body("shared")
            })
        });
        for result in futures::future::join_all(requests).await {
            assert_eq!(result.unwrap(), Some("shared".into()));
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }
}
