//! Users' movie lists (`../shared/EXTENSIONS.md`, "Lists"):
//!
//! - `user_lists`: a user's lists — the two built-ins (`kind` `favorites` and `watchlist`, named
//!   `Favorites` and `Watchlist`, created on first use by `crate::lists::store::ensure_builtins`) and
//!   their own (`custom`). `name_key` is the name as compared: trimmed and lower-cased, unique per user
//!   (`ux_user_lists_user_name`), so "Horror" and "horror " are the same name, and no custom list can
//!   be called "favorites" beside the built-in. As a built-in's name never changes, that index also
//!   keeps one built-in of each kind per user (the built-ins' concurrent creation relies on it:
//!   `INSERT … ON CONFLICT (user_id, name_key) DO NOTHING`).
//! - `user_list_movies`: which movies a list holds, since when (`added_at`, the `sort=added` order).
//!
//! Every row goes with its user, its list and its movie (cascading foreign keys). Lists are not
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
enum UserLists {
    Table,
    Id,
    UserId,
    Name,
    NameKey,
    Kind,
    Public,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserListMovies {
    Table,
    ListId,
    MovieId,
    AddedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserLists::Table)
                    .col(pk_auto(UserLists::Id))
                    .col(integer(UserLists::UserId))
                    .col(string_len(UserLists::Name, 100))
                    .col(string(UserLists::NameKey))
                    .col(
                        string_len(UserLists::Kind, 16).check(Expr::col(UserLists::Kind).is_in([
                            "favorites",
                            "watchlist",
                            "custom",
                        ])),
                    )
                    .col(boolean(UserLists::Public).default(false))
                    .col(timestamp_now(UserLists::CreatedAt))
                    .foreign_key(&mut cascade(
                        UserLists::Table,
                        UserLists::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // Also the index a user's lists are read by (it leads with the user).
        manager
            .create_index(
                Index::create()
                    .name("ux_user_lists_user_name")
                    .table(UserLists::Table)
                    .col(UserLists::UserId)
                    .col(UserLists::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserListMovies::Table)
                    .col(integer(UserListMovies::ListId))
                    .col(integer(UserListMovies::MovieId))
                    .col(timestamp_now(UserListMovies::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(UserListMovies::ListId)
                            .col(UserListMovies::MovieId),
                    )
                    .foreign_key(&mut cascade(
                        UserListMovies::Table,
                        UserListMovies::ListId,
                        UserLists::Table,
                        UserLists::Id,
                    ))
                    .foreign_key(&mut cascade(
                        UserListMovies::Table,
                        UserListMovies::MovieId,
                        Movies::Table,
                        Movies::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // A list's movies in the order they were added (the default `-added` walks it backwards).
        create_index(
            manager,
            "ix_user_list_movies_list_added",
            UserListMovies::Table,
            [UserListMovies::ListId, UserListMovies::AddedAt],
        )
        .await?;
        // A movie's deletion finds its list rows by this index, and so does the community summary's
        // `me.favorite` / `me.watchlist`.
        create_index(
            manager,
            "ix_user_list_movies_movie_id",
            UserListMovies::Table,
            [UserListMovies::MovieId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["user_list_movies", "user_lists"]).await
    }
}
