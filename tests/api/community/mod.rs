//! `/api/v1/theater/movies/{movie_id}/rating|reaction|community/` and the catalog's `sort=rating`
//! and `min_rating`.

mod ratings;
mod synthetic;
