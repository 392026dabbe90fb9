//! `/api/v1/theater/movies/{movie_id}/reviews/` and `/api/v1/theater/reviews/…`: threads, edits,
//! deletions with tombstones, reactions, reports, limits and concurrency.

mod threads;
