//! Synthetic community data for scale work (`theater seed --synthetic N --community`): users,
//! ratings, reactions and reviews over the catalog's movies, the same rows for the same seed on
//! every machine (ChaCha8). About ten ratings and three reactions per movie (skewed: a few movies
//! get many), one review per ten movies, and one movie — the catalog's first — with
//! [`BUSY_MOVIE_REVIEWS`] reviews, replies and review likes, for the review-page benchmark. The
//! aggregates are then rebuilt from the rows ([`rebuild_stats`]), so they are exact as if every row
//! had come through the API.
//!
//! Written by hand: no crate generates data for this schema; the rows go in as multi-row `INSERT`s
//! of numbers and generated ASCII only (nothing from outside), in one transaction.

use std::{fmt::Write as _, time::Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Value};

use crate::{
    db::{begin_write, execute, statement},
    movies::import::Progress,
};

/// The catalog's first movie gets this many reviews.
pub const BUSY_MOVIE_REVIEWS: usize = 10_000;
/// Rows per `INSERT`.
const BATCH: usize = 1_000;
/// Mean ratings per movie (the distribution is skewed: `30·u²` for a uniform `u`).
const MAX_RATINGS_PER_MOVIE: f64 = 30.0;

/// What [`seed_community`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommunityReport {
    pub users: usize,
    pub ratings: usize,
    pub reactions: usize,
    pub reviews: usize,
    pub seconds_tenths: u64,
}

impl std::fmt::Display for CommunityReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Added {} synthetic users, {} ratings, {} reactions and {} reviews in {:.1} s.",
            self.users,
            self.ratings,
            self.reactions,
            self.reviews,
            self.seconds_tenths as f64 / 10.0
        )
    }
}

/// Multi-row `INSERT`s of one table, flushed every [`BATCH`] rows.
struct Batch {
    head: &'static str,
    tail: &'static str,
    rows: Vec<String>,
    /// Values every statement binds (`$1`…), the same for each row.
    params: Vec<Value>,
    written: usize,
}

impl Batch {
    fn new(head: &'static str, tail: &'static str) -> Self {
        Self {
            head,
            tail,
            rows: Vec::with_capacity(BATCH),
            params: Vec::new(),
            written: 0,
        }
    }

    async fn push(&mut self, db: &impl ConnectionTrait, row: String) -> Result<(), DbErr> {
        self.rows.push(row);
        if self.rows.len() >= BATCH {
            self.flush(db).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "{} VALUES {} {}",
            self.head,
            self.rows.join(", "),
            self.tail
        );
        let written = execute(db, &sql, self.params.clone()).await?;
        self.written += usize::try_from(written).unwrap_or(usize::MAX);
        self.rows.clear();
        Ok(())
    }
}

/// `n` distinct users out of `users`, from a random start with a prime stride (distinct while
/// `n < users`, `users` not a multiple of the stride).
fn distinct_users(rng: &mut ChaCha8Rng, users: &[i32], n: usize) -> Vec<i32> {
    const STRIDE: usize = 7_919;
    let start = rng.gen_range(0..users.len());
    (0..n.min(users.len()))
        .map(|j| users[(start + j * STRIDE) % users.len()])
        .collect()
}

async fn ids(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<Vec<i32>, DbErr> {
    db.query_all_raw(statement(db, sql, values))
        .await?
        .iter()
        .map(|row| row.try_get_by_index(0))
        .collect()
}

/// Adds the synthetic community over every movie of the catalog (see the module comment).
pub async fn seed_community(
    db: &DatabaseConnection,
    seed: u64,
    progress: &Progress,
) -> anyhow::Result<CommunityReport> {
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x636f_6d6d_756e_6974);
    let txn = begin_write(db).await?;
    let movies = ids(&txn, "SELECT id FROM movies ORDER BY id", vec![]).await?;
    anyhow::ensure!(!movies.is_empty(), "the catalog has no movies to rate");

    // Users: one per ten movies (100 to 100,000), who cannot sign in (a hash of a password nobody
    // knows) until an operator resets it.
    let wanted = (movies.len() / 10).clamp(100, 100_000);
    let hash = crate::accounts::password::hash(&format!("{:032x}", rng.r#gen::<u128>())).await?;
    let group = ids(
        &txn,
        "SELECT id FROM user_groups WHERE name = 'user'",
        vec![],
    )
    .await?;
    let group = *group
        .first()
        .ok_or_else(|| anyhow::anyhow!("no 'user' group"))?;
    let prefix = format!("synthetic-{seed}-");
    progress.start("users", wanted as u64);
    let mut users = Batch::new(
        "INSERT INTO users (email, hashed_password, is_active, group_id, created_at, updated_at)",
        "ON CONFLICT (email) DO NOTHING",
    );
    users.params = vec![Value::from(hash)];
    for i in 0..wanted {
        let row = format!(
            "('{prefix}{i}@example.invalid', $1, TRUE, {group}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        );
        users.push(&txn, row).await?;
        progress.advance(1);
    }
    users.flush(&txn).await?;
    progress.finish();
    let user_ids = ids(
        &txn,
        "SELECT id FROM users WHERE email LIKE $1 ORDER BY id",
        vec![Value::from(format!("{prefix}%"))],
    )
    .await?;

    progress.start("ratings", movies.len() as u64);
    let mut ratings = Batch::new(
        "INSERT INTO movie_ratings (user_id, movie_id, score)",
        "ON CONFLICT (user_id, movie_id) DO NOTHING",
    );
    let mut reactions = Batch::new(
        "INSERT INTO movie_reactions (user_id, movie_id, value)",
        "ON CONFLICT (user_id, movie_id) DO NOTHING",
    );
    let mut reviews = Batch::new(
        "INSERT INTO reviews (movie_id, user_id, text, created_at, updated_at)",
        "",
    );
    for &movie in &movies {
        let u: f64 = rng.r#gen();
        let count = (MAX_RATINGS_PER_MOVIE * u * u) as usize;
        let mean: f64 = rng.gen_range(3.0..9.0);
        for user in distinct_users(&mut rng, &user_ids, count) {
            let score = (mean + rng.gen_range(-2.5..2.5)).round().clamp(1.0, 10.0) as i32;
            ratings
                .push(&txn, format!("({user}, {movie}, {score})"))
                .await?;
            if rng.gen_range(0..3) == 0 {
                let value = if score >= 6 { 1 } else { -1 };
                reactions
                    .push(&txn, format!("({user}, {movie}, {value})"))
                    .await?;
            }
        }
        let written = if movie == movies[0] {
            BUSY_MOVIE_REVIEWS
        } else {
            usize::from(rng.gen_range(0..10) == 0)
        };
        for _ in 0..written {
            let user = user_ids[rng.gen_range(0..user_ids.len())];
            let text = review_text(&mut rng);
            let row = format!("({movie}, {user}, '{text}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
            reviews.push(&txn, row).await?;
        }
        progress.advance(1);
    }
    ratings.flush(&txn).await?;
    reactions.flush(&txn).await?;
    reviews.flush(&txn).await?;
    progress.finish();

    // The busy movie's threads: a reply to every fifth review, and likes on reviews.
    let busy = ids(
        &txn,
        "SELECT id FROM reviews WHERE movie_id = $1 AND parent_id IS NULL ORDER BY id",
        vec![Value::from(movies[0])],
    )
    .await?;
    let mut replies = Batch::new(
        "INSERT INTO reviews (movie_id, parent_id, user_id, text, created_at, updated_at)",
        "",
    );
    let mut likes = Batch::new(
        "INSERT INTO review_reactions (review_id, user_id, value)",
        "ON CONFLICT (review_id, user_id) DO NOTHING",
    );
    for (i, &review) in busy.iter().enumerate() {
        if i % 5 == 0 {
            let user = user_ids[rng.gen_range(0..user_ids.len())];
            let text = review_text(&mut rng);
            let row = format!(
                "({}, {review}, {user}, '{text}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                movies[0]
            );
            replies.push(&txn, row).await?;
        }
        let n = rng.gen_range(0..6);
        for user in distinct_users(&mut rng, &user_ids, n) {
            let value = if rng.gen_range(0..4) == 0 { -1 } else { 1 };
            likes
                .push(&txn, format!("({review}, {user}, {value})"))
                .await?;
        }
    }
    replies.flush(&txn).await?;
    likes.flush(&txn).await?;
    execute(
        &txn,
        "UPDATE reviews SET \
         replies = (SELECT COUNT(*) FROM reviews c WHERE c.parent_id = reviews.id), \
         likes = (SELECT COUNT(*) FROM review_reactions x WHERE x.review_id = reviews.id AND x.value = 1), \
         dislikes = (SELECT COUNT(*) FROM review_reactions x WHERE x.review_id = reviews.id AND x.value = -1), \
         score = (SELECT COALESCE(SUM(x.value), 0) FROM review_reactions x WHERE x.review_id = reviews.id) \
         WHERE movie_id = $1",
        [Value::from(movies[0])],
    )
    .await?;
    rebuild_stats(&txn).await?;
    txn.commit().await?;
    Ok(CommunityReport {
        users: users.written,
        ratings: ratings.written,
        reactions: reactions.written,
        reviews: reviews.written + replies.written,
        seconds_tenths: (started.elapsed().as_millis() / 100) as u64,
    })
}

/// A few generated words (ASCII letters and spaces only: safe inside a SQL literal).
fn review_text(rng: &mut ChaCha8Rng) -> String {
    const WORDS: [&str; 16] = [
        "great", "slow", "moving", "funny", "dark", "bright", "long", "short", "acting", "score",
        "story", "ending", "cast", "pace", "visuals", "twist",
    ];
    let mut text = String::from("Synthetic review:");
    for _ in 0..rng.gen_range(5..25) {
        let _ = write!(text, " {}", WORDS[rng.gen_range(0..WORDS.len())]);
    }
    text
}

/// Recomputes every movie's `movie_stats` row from the ratings, reactions and reviews themselves:
/// the aggregates every write maintains, rebuilt in one pass (after a bulk load; also a repair).
pub async fn rebuild_stats(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    execute(db, "DELETE FROM movie_stats", []).await?;
    let buckets: Vec<String> = (1..=10).map(|n| format!("rated_{n}")).collect();
    let counts: Vec<String> = (1..=10)
        .map(|n| format!("SUM(CASE WHEN score = {n} THEN 1 ELSE 0 END)"))
        .collect();
    // `WHERE TRUE`: SQLite's upsert after a SELECT needs a WHERE to parse unambiguously.
    let sql = format!(
        "INSERT INTO movie_stats (movie_id, rating_count, rating_sum, {}, rating_avg) \
         SELECT movie_id, COUNT(*), SUM(score), {}, CAST(SUM(score) AS DOUBLE PRECISION) / COUNT(*) \
         FROM movie_ratings WHERE TRUE GROUP BY movie_id",
        buckets.join(", "),
        counts.join(", ")
    );
    execute(db, &sql, []).await?;
    execute(
        db,
        "INSERT INTO movie_stats (movie_id, likes, dislikes) \
         SELECT movie_id, SUM(CASE WHEN value = 1 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN value = -1 THEN 1 ELSE 0 END) FROM movie_reactions WHERE TRUE \
         GROUP BY movie_id ON CONFLICT (movie_id) DO UPDATE \
         SET likes = excluded.likes, dislikes = excluded.dislikes",
        [],
    )
    .await?;
    execute(
        db,
        "INSERT INTO movie_stats (movie_id, reviews) \
         SELECT movie_id, COUNT(*) FROM reviews WHERE NOT deleted GROUP BY movie_id \
         ON CONFLICT (movie_id) DO UPDATE SET reviews = excluded.reviews",
        [],
    )
    .await?;
    Ok(())
}
