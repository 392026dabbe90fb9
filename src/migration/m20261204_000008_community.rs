//! Ratings and reactions on movies (`../shared/EXTENSIONS.md`, "Ratings, reactions, community
//! summary"):
//!
//! - `movie_ratings`: one score (1–10) per user and movie;
//! - `movie_reactions`: one like (`1`) or dislike (`-1`) per user and movie;
//! - `movie_stats`: per movie, the aggregates the summary and the catalog's `sort=rating` /
//!   `min_rating` read — rating count, sum, the ten histogram buckets, the mean, likes, dislikes —
//!   maintained by every rating and reaction write in its own transaction (`crate::community::store`),
//!   so no request aggregates. A movie without a row has no rating and no reaction.
//!
//! Every row goes with its user and its movie (cascading foreign keys). Ratings and reactions are not
//! catalog data: they do not touch `catalog_version`, so they never empty the catalog's caches.

use sea_orm_migration::{prelude::*, schema::*};

use super::{cascade, create_index, drop_tables, timestamp_now};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Movies {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MovieRatings {
    Table,
    UserId,
    MovieId,
    Score,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MovieReactions {
    Table,
    UserId,
    MovieId,
    Value,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MovieStats {
    Table,
    MovieId,
    RatingCount,
    RatingSum,
    RatingAvg,
    Likes,
    Dislikes,
}

/// The histogram's columns, `rated_1` … `rated_10`.
pub const BUCKETS: [&str; 10] = [
    "rated_1", "rated_2", "rated_3", "rated_4", "rated_5", "rated_6", "rated_7", "rated_8",
    "rated_9", "rated_10",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MovieRatings::Table)
                    .col(integer(MovieRatings::UserId))
                    .col(integer(MovieRatings::MovieId))
                    .col(
                        small_integer(MovieRatings::Score)
                            .check(Expr::col(MovieRatings::Score).between(1, 10)),
                    )
                    .col(timestamp_now(MovieRatings::CreatedAt))
                    .col(timestamp_now(MovieRatings::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(MovieRatings::UserId)
                            .col(MovieRatings::MovieId),
                    )
                    .foreign_key(&mut cascade(
                        MovieRatings::Table,
                        MovieRatings::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        MovieRatings::Table,
                        MovieRatings::MovieId,
                        Movies::Table,
                        Movies::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // A movie's deletion finds its ratings by this index (the key leads with the user).
        create_index(
            manager,
            "ix_movie_ratings_movie_id",
            MovieRatings::Table,
            [MovieRatings::MovieId],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(MovieReactions::Table)
                    .col(integer(MovieReactions::UserId))
                    .col(integer(MovieReactions::MovieId))
                    .col(
                        small_integer(MovieReactions::Value)
                            .check(Expr::col(MovieReactions::Value).is_in([1, -1])),
                    )
                    .col(timestamp_now(MovieReactions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(MovieReactions::UserId)
                            .col(MovieReactions::MovieId),
                    )
                    .foreign_key(&mut cascade(
                        MovieReactions::Table,
                        MovieReactions::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        MovieReactions::Table,
                        MovieReactions::MovieId,
                        Movies::Table,
                        Movies::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_movie_reactions_movie_id",
            MovieReactions::Table,
            [MovieReactions::MovieId],
        )
        .await?;
        let mut stats = Table::create();
        stats
            .table(MovieStats::Table)
            .col(integer(MovieStats::MovieId).primary_key())
            .col(integer(MovieStats::RatingCount).default(0))
            .col(big_integer(MovieStats::RatingSum).default(0));
        for bucket in BUCKETS {
            stats.col(integer(Alias::new(bucket)).default(0));
        }
        stats
            .col(double_null(MovieStats::RatingAvg))
            .col(integer(MovieStats::Likes).default(0))
            .col(integer(MovieStats::Dislikes).default(0))
            .foreign_key(&mut cascade(
                MovieStats::Table,
                MovieStats::MovieId,
                Movies::Table,
                Movies::Id,
            ));
        manager.create_table(stats.to_owned()).await?;
        // `min_rating` and `sort=rating` walk the rated movies by mean (NULL: unrated).
        create_index(
            manager,
            "ix_movie_stats_rating",
            MovieStats::Table,
            [
                MovieStats::RatingAvg,
                MovieStats::RatingCount,
                MovieStats::MovieId,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["movie_stats", "movie_reactions", "movie_ratings"],
        )
        .await
    }
}
