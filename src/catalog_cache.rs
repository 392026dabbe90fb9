//! The catalog's in-memory read structures, all invalidated together by one generation:
//!
//! - rendered JSON of the two hot read endpoints (movie detail, list pages), kept for
//!   `CATALOG_CACHE_TTL_SECONDS`. Why: with SQLite every query crosses to a database thread and
//!   back; at 15,000 requests/s those hand-offs, not the SQL, dominate (see bench/RESULTS.md). A hit
//!   is a hash lookup and a copy.
//! - the **orders**: for each filter set, search and sort that was listed, the ids of every
//!   matching movie in the listing's order (`CATALOG_INDEX_MB`, 4 bytes per id). Every page of that
//!   listing, and its count, is then a slice of one array plus one primary-key read of the page's
//!   rows, whatever the page's depth or the filters' cost: what keeps a random deep page or a genre
//!   page of a million movies cheap when the body cache is off or misses. Orders that depend on
//!   the community's ratings (`sort=rating`, `min_rating`) change without a catalog write, so they
//!   live at most [`RATED_ORDERS_TTL`] (a quarter of the memory is theirs).
//!
//! Coherence: keys carry a generation that every catalog write made through this process bumps, so
//! after a write no earlier entry is reachable — not even one a request that started before the write
//! stores afterwards. Writes made by other processes (another instance, `theater seed`, SQL by hand)
//! bump `catalog_version` (triggers, in the writing transaction; migration 7), which
//! [`run_change_watcher`] reads every `CATALOG_CHANGE_POLL_MS` (50): they reach every instance
//! within that interval, and no cached request reads the database. A local write is seen twice (at
//! once, then by the poll): one needless invalidation per write, in exchange for one mechanism. The
//! TTLs are the safety net (the orders' is [`ORDERS_TTL`] while the poll runs, the body TTL when it
//! does not). Concurrent misses of one key share a single load, so an emptied cache under load costs
//! one query per key, not one per request.

use std::{
    future::Future,
    hash::Hash,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use moka::future::Cache;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use tokio_util::sync::CancellationToken;

/// Upper bound of the memory the cached bodies may take, per cache.
const DETAIL_BYTES: u64 = 16 * 1024 * 1024;
const LIST_BYTES: u64 = 8 * 1024 * 1024;
/// Filter sets whose counts are kept.
const COUNTS: u64 = 10_000;
/// How long an order lives while the change poll runs: only a safety net, the poll invalidates it.
pub const ORDERS_TTL: Duration = Duration::from_secs(60);
/// How long an order that depends on the community's ratings (`sort=rating`, `min_rating`) lives:
/// ratings change without a catalog write, so such listings follow them within this time (one
/// query per listing and period, instead of a sort of the catalog per request).
pub const RATED_ORDERS_TTL: Duration = Duration::from_secs(2);

/// Ordered movie ids per (generation, canonical filter set).
type IdArrays = Cache<(u64, String), Arc<[i32]>>;

pub struct CatalogCache {
    detail: Option<Cache<(u64, i32), Bytes>>,
    lists: Option<Cache<(u64, String), Bytes>>,
    /// Matching-movie counts per filter set: every page of one listing shares its count, so paging
    /// through a catalog costs one `COUNT(*)`, not one per page (PostgreSQL counts by scanning).
    counts: Option<Cache<(u64, String), i64>>,
    /// Ordered ids of the movies each filter set (with its sort) lists.
    orders: Option<IdArrays>,
    /// The same for filter sets that depend on ratings, kept for [`RATED_ORDERS_TTL`] at most.
    rated_orders: Option<IdArrays>,
    /// Bumped by every local write and every change [`run_change_watcher`] sees.
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
    /// A cache keeping bodies for `ttl` (zero disables them) and orders in `index_bytes` (zero
    /// disables them) for [`ORDERS_TTL`], or for `ttl` when `change_poll` is zero (no watcher).
    pub fn new(ttl: Duration, index_bytes: u64, change_poll: Duration) -> Self {
        let enabled = !ttl.is_zero();
        let orders_ttl = if change_poll.is_zero() {
            ttl
        } else {
            ORDERS_TTL
        };
        let keeps_orders = index_bytes > 0 && !orders_ttl.is_zero();
        Self {
            orders: keeps_orders.then(|| id_arrays(orders_ttl, index_bytes - index_bytes / 4)),
            rated_orders: keeps_orders
                .then(|| id_arrays(orders_ttl.min(RATED_ORDERS_TTL), index_bytes / 4)),
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

    /// Whether listings are served from orders ([`Self::order`]) rather than a query per page.
    pub fn keeps_orders(&self) -> bool {
        self.orders.is_some()
    }

    /// The ordered ids a filter set lists, keyed by its canonical query string; `rated` for a
    /// filter set whose rows depend on ratings (kept for [`RATED_ORDERS_TTL`] at most).
    pub async fn order(
        &self,
        key: String,
        rated: bool,
        load: impl Future<Output = anyhow::Result<Vec<i32>>>,
    ) -> anyhow::Result<Arc<[i32]>> {
        let cache = if rated {
            &self.rated_orders
        } else {
            &self.orders
        };
        let ids = self
            .through(cache.as_ref(), key, async {
                load.await.map(|ids| Some(Arc::from(ids)))
            })
            .await?;
        ids.ok_or_else(|| anyhow::anyhow!("an order load returned nothing"))
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
        for orders in [&self.orders, &self.rated_orders].into_iter().flatten() {
            orders.invalidate_all();
        }
    }
}

/// A cache of id arrays weighing 4 bytes per id (plus its key) within `bytes`.
fn id_arrays(ttl: Duration, bytes: u64) -> IdArrays {
    Cache::builder()
        .time_to_live(ttl)
        .max_capacity(bytes)
        .weigher(|key: &(u64, String), ids: &Arc<[i32]>| {
            let bytes = key.1.len() + 4 * ids.len();
            u32::try_from(bytes).unwrap_or(u32::MAX)
        })
        .build()
}

/// The catalog's version (`catalog_version`, see the module's documentation).
pub async fn catalog_version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM catalog_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the catalog_version row".into()))?;
    row.try_get_by_index(0)
}

/// Reads the catalog's version every `every` until `shutdown` and forgets every cached entry when it
/// changed. Logs a failure once and its recovery, as the revocation poll does.
pub async fn run_change_watcher(
    db: DatabaseConnection,
    cache: Arc<CatalogCache>,
    every: Duration,
    shutdown: CancellationToken,
) {
    if every.is_zero() {
        return;
    }
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = None;
    let mut failing = false;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = interval.tick() => {}
        }
        match catalog_version(&db).await {
            Ok(version) => {
                if failing {
                    failing = false;
                    tracing::info!("reading the catalog version works again");
                }
                // The first reading too: a change may have landed between startup and now.
                if seen != Some(version) {
                    seen = Some(version);
                    cache.movie_changed();
                }
            }
            Err(e) if !failing => {
                failing = true;
                tracing::error!(
                    "reading the catalog version: {e}; other processes' catalog writes show only when the cache's entries expire"
                );
            }
            Err(_) => {}
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
        let cache = CatalogCache::new(Duration::from_secs(60), 1 << 20, Duration::ZERO);
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
        let cache = CatalogCache::new(Duration::from_secs(60), 1 << 20, Duration::ZERO);
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
        let cache = CatalogCache::new(Duration::from_secs(60), 1 << 20, Duration::ZERO);
        assert_eq!(cache.detail(3, async { Ok(None) }).await.unwrap(), None);
        let failed = cache
            .detail(3, async { Err(anyhow::anyhow!("db down")) })
            .await;
        assert_eq!(failed.unwrap_err().to_string(), "db down");
        assert_eq!(get(&cache, 3, "now").await, Some("now".into()));
        let off = CatalogCache::new(Duration::ZERO, 1 << 20, Duration::ZERO);
        assert_eq!(get(&off, 1, "a").await, Some("a".into()));
        assert_eq!(get(&off, 1, "b").await, Some("b".into()));
    }

    #[tokio::test]
    async fn counts_are_shared_until_a_write() {
        let cache = CatalogCache::new(Duration::from_secs(60), 1 << 20, Duration::ZERO);
        let count = |n: i64| cache.count("genre=Drama".into(), async move { Ok(n) });
        assert_eq!(count(3).await.unwrap(), 3);
        assert_eq!(count(4).await.unwrap(), 3);
        cache.movie_changed();
        assert_eq!(count(4).await.unwrap(), 4);
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_load() {
        let cache = CatalogCache::new(Duration::from_secs(60), 1 << 20, Duration::ZERO);
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

    #[tokio::test]
    async fn orders_are_shared_until_a_write_and_can_be_turned_off() {
        let cache = CatalogCache::new(Duration::ZERO, 1 << 20, Duration::from_millis(50));
        assert!(
            cache.keeps_orders(),
            "the orders do not depend on the body TTL"
        );
        let order =
            |ids: Vec<i32>| cache.order("genre=Drama".into(), false, async move { Ok(ids) });
        assert_eq!(&*order(vec![3, 1]).await.unwrap(), &[3, 1]);
        assert_eq!(&*order(vec![9]).await.unwrap(), &[3, 1]);
        cache.movie_changed();
        assert_eq!(&*order(vec![9]).await.unwrap(), &[9]);
        let off = CatalogCache::new(Duration::from_secs(60), 0, Duration::from_millis(50));
        assert!(!off.keeps_orders());
        // Without the watcher, orders live as long as bodies: none with the body cache off.
        let unwatched = CatalogCache::new(Duration::ZERO, 1 << 20, Duration::ZERO);
        assert!(!unwatched.keeps_orders());
    }

    #[tokio::test]
    async fn the_watcher_forgets_everything_when_the_version_moves() {
        let db = crate::db::memory().await;
        let cache = Arc::new(CatalogCache::new(
            Duration::from_secs(3600),
            1 << 20,
            Duration::from_millis(10),
        ));
        let stop = CancellationToken::new();
        let watcher = tokio::spawn(run_change_watcher(
            db.clone(),
            cache.clone(),
            Duration::from_millis(10),
            stop.clone(),
        ));
        let first = cache.generation.load(Ordering::Acquire);
        // The first reading invalidates once; then nothing moves without a change.
        wait_for(|| cache.generation.load(Ordering::Acquire) > first).await;
        assert_eq!(get(&cache, 1, "old").await, Some("old".into()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(get(&cache, 1, "new").await, Some("old".into()));
        // Read before the change: the watcher may see it while this test still awaits its SQL.
        let before = cache.generation.load(Ordering::Acquire);
        // A change the way another process makes one: SQL, straight to the database.
        db.execute_unprepared("INSERT INTO countries (code) VALUES ('US')")
            .await
            .unwrap();
        db.execute_unprepared(
            "INSERT INTO movies (name, date, score, overview, status, budget, revenue, country_id) \
             VALUES ('M', '2020-01-01', 1, '', 'Released', 1, 1, 1)",
        )
        .await
        .unwrap();
        assert_eq!(catalog_version(&db).await.unwrap(), 1);
        wait_for(|| cache.generation.load(Ordering::Acquire) > before).await;
        assert_eq!(get(&cache, 1, "new").await, Some("new".into()));
        stop.cancel();
        watcher.await.unwrap();
    }

    async fn wait_for(done: impl Fn() -> bool) {
        for _ in 0..500 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("not within 5 s");
    }
}
