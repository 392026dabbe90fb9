//! Reviews of movies, with replies, reactions and reports (`../shared/EXTENSIONS.md`, "Reviews"):
//!
//! - `reviews`: a text about a movie by a user, top-level (`parent_id` NULL) or a reply to another
//!   review of the same movie; threads of any depth. `replies` counts the direct replies, `likes`
//!   and `dislikes` the reactions — all maintained by the writes (`crate::reviews::store`), so no
//!   request aggregates. A deleted review with replies stays as a tombstone (`deleted`, empty text,
//!   no author); without replies its row goes. `user_id` is set NULL if a user row ever goes without
//!   the review rule having been applied (a safety net: the account deletion applies it).
//! - `review_reactions`: one like (`1`) or dislike (`-1`) per user and review;
//! - `review_reports`: one report (with its reason) per user and review;
//! - `movie_stats.reviews`: the movie's visible reviews, replies included (the summary's `reviews`).
//!
//! Reviews go with their movie; reactions and reports with their review and their user.

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
enum MovieStats {
    Table,
    Reviews,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    MovieId,
    ParentId,
    UserId,
    Text,
    Deleted,
    Likes,
    Dislikes,
    Replies,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReviewReactions {
    Table,
    ReviewId,
    UserId,
    Value,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReviewReports {
    Table,
    ReviewId,
    UserId,
    Reason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .col(pk_auto(Reviews::Id))
                    .col(integer(Reviews::MovieId))
                    .col(integer_null(Reviews::ParentId))
                    .col(integer_null(Reviews::UserId))
                    .col(text(Reviews::Text))
                    .col(boolean(Reviews::Deleted).default(false))
                    .col(integer(Reviews::Likes).default(0))
                    .col(integer(Reviews::Dislikes).default(0))
                    .col(integer(Reviews::Replies).default(0))
                    .col(timestamp_now(Reviews::CreatedAt))
                    .col(timestamp_now(Reviews::UpdatedAt))
                    .foreign_key(&mut cascade(
                        Reviews::Table,
                        Reviews::MovieId,
                        Movies::Table,
                        Movies::Id,
                    ))
                    .foreign_key(&mut cascade(
                        Reviews::Table,
                        Reviews::ParentId,
                        Reviews::Table,
                        Reviews::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reviews::Table, Reviews::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A movie's top-level reviews in id order (newest, oldest); a review's replies; a user's.
        create_index(
            manager,
            "ix_reviews_movie_parent",
            Reviews::Table,
            [Reviews::MovieId, Reviews::ParentId, Reviews::Id],
        )
        .await?;
        create_index(
            manager,
            "ix_reviews_parent",
            Reviews::Table,
            [Reviews::ParentId, Reviews::Id],
        )
        .await?;
        create_index(
            manager,
            "ix_reviews_user",
            Reviews::Table,
            [Reviews::UserId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReviewReactions::Table)
                    .col(integer(ReviewReactions::ReviewId))
                    .col(integer(ReviewReactions::UserId))
                    .col(
                        small_integer(ReviewReactions::Value)
                            .check(Expr::col(ReviewReactions::Value).is_in([1, -1])),
                    )
                    .col(timestamp_now(ReviewReactions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ReviewReactions::ReviewId)
                            .col(ReviewReactions::UserId),
                    )
                    .foreign_key(&mut cascade(
                        ReviewReactions::Table,
                        ReviewReactions::ReviewId,
                        Reviews::Table,
                        Reviews::Id,
                    ))
                    .foreign_key(&mut cascade(
                        ReviewReactions::Table,
                        ReviewReactions::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_review_reactions_user",
            ReviewReactions::Table,
            [ReviewReactions::UserId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReviewReports::Table)
                    .col(integer(ReviewReports::ReviewId))
                    .col(integer(ReviewReports::UserId))
                    .col(text(ReviewReports::Reason))
                    .col(timestamp_now(ReviewReports::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ReviewReports::ReviewId)
                            .col(ReviewReports::UserId),
                    )
                    .foreign_key(&mut cascade(
                        ReviewReports::Table,
                        ReviewReports::ReviewId,
                        Reviews::Table,
                        Reviews::Id,
                    ))
                    .foreign_key(&mut cascade(
                        ReviewReports::Table,
                        ReviewReports::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_review_reports_user",
            ReviewReports::Table,
            [ReviewReports::UserId],
        )
        .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(MovieStats::Table)
                    .add_column(integer(MovieStats::Reviews).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MovieStats::Table)
                    .drop_column(MovieStats::Reviews)
                    .to_owned(),
            )
            .await?;
        drop_tables(manager, &["review_reports", "review_reactions", "reviews"]).await
    }
}
