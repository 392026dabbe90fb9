//! The community's rules over their store: who may write (signed in, within the per-user write
//! limit), what a missing movie or a missing rating answers, and the summary.

use axum::extract::FromRef;
use sea_orm::DatabaseConnection;

use super::{
    domain::{Reaction, Stars},
    error::CommunityError,
    store::{self, WriteError},
    wire::{CommunitySummary, MovieReaction, Rating},
};
use crate::{
    movies::domain::MovieId,
    rate_limit::{self, Quota},
    state::AppState,
};

type Result<T, E = CommunityError> = std::result::Result<T, E>;

/// The database and the write limit, for the community endpoints.
#[derive(Clone)]
pub struct Community {
    db: DatabaseConnection,
    /// `COMMUNITY_RATE_LIMIT` per `COMMUNITY_RATE_WINDOW_SECONDS`; `None`: off.
    writes: Option<Quota>,
}

impl FromRef<AppState> for Community {
    fn from_ref(state: &AppState) -> Self {
        Self::new(state.db.clone(), write_quota(state))
    }
}

impl From<WriteError> for CommunityError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::MovieNotFound => Self::MovieNotFound,
            WriteError::Db(e) => Self::Internal(e.into()),
        }
    }
}

/// The quota of community writes (`COMMUNITY_RATE_LIMIT` per `COMMUNITY_RATE_WINDOW_SECONDS`;
/// `None`: off).
pub fn write_quota(state: &AppState) -> Option<Quota> {
    Quota::new(
        state.config.community_rate_limit,
        state.config.community_rate_window,
    )
}

/// A movie id that no row can have (beyond the column's type) is simply not found.
fn movie_row(id: MovieId) -> Result<i32> {
    id.as_i32().ok_or(CommunityError::MovieNotFound)
}

impl Community {
    pub fn new(db: DatabaseConnection, writes: Option<Quota>) -> Self {
        Self { db, writes }
    }

    /// Counts one community write of `user_id`; 429 when over the limit.
    async fn spend_write(&self, user_id: i32) -> Result<()> {
        match rate_limit::community_write(&self.db, self.writes, user_id).await? {
            None => Ok(()),
            Some(wait) => Err(CommunityError::TooManyWrites(wait)),
        }
    }

    /// `PUT …/rating/`: sets (or replaces) the caller's rating.
    pub async fn rate(&self, user_id: i32, movie: MovieId, score: Stars) -> Result<Rating> {
        let movie_id = movie_row(movie)?;
        self.spend_write(user_id).await?;
        store::rate(&self.db, user_id, movie_id, score).await?;
        Ok(Rating {
            movie_id,
            score: score.get(),
        })
    }

    /// `DELETE …/rating/`.
    pub async fn unrate(&self, user_id: i32, movie: MovieId) -> Result<()> {
        let movie_id = movie_row(movie)?;
        self.spend_write(user_id).await?;
        if store::unrate(&self.db, user_id, movie_id).await? {
            Ok(())
        } else {
            Err(CommunityError::NotRated)
        }
    }

    /// `PUT …/reaction/`: sets (or replaces) the caller's reaction.
    pub async fn react(
        &self,
        user_id: i32,
        movie: MovieId,
        value: Reaction,
    ) -> Result<MovieReaction> {
        let movie_id = movie_row(movie)?;
        self.spend_write(user_id).await?;
        store::react(&self.db, user_id, movie_id, value).await?;
        Ok(MovieReaction { movie_id, value })
    }

    /// `DELETE …/reaction/`.
    pub async fn unreact(&self, user_id: i32, movie: MovieId) -> Result<()> {
        let movie_id = movie_row(movie)?;
        self.spend_write(user_id).await?;
        if store::unreact(&self.db, user_id, movie_id).await? {
            Ok(())
        } else {
            Err(CommunityError::NoReaction)
        }
    }

    /// `GET …/community/`: exact at every moment (read from the aggregates every write keeps).
    pub async fn summary(&self, movie: MovieId, viewer: Option<i32>) -> Result<CommunitySummary> {
        let movie_id = movie_row(movie)?;
        store::summary(&self.db, movie_id, viewer)
            .await?
            .ok_or(CommunityError::MovieNotFound)
    }
}
