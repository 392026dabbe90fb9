//! The contract's schema: accounts, profiles, tokens and the movie catalog.

use sea_orm_migration::{prelude::*, schema::*};

use super::{cascade, create_index, drop_tables, timestamp_now};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UserGroups {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    HashedPassword,
    IsActive,
    CreatedAt,
    UpdatedAt,
    GroupId,
}

#[derive(DeriveIden)]
enum UserProfiles {
    Table,
    Id,
    FirstName,
    LastName,
    Avatar,
    Gender,
    DateOfBirth,
    Info,
    UserId,
}

#[derive(DeriveIden)]
enum TokenColumn {
    Id,
    Token,
    ExpiresAt,
    UserId,
}

#[derive(DeriveIden)]
enum Movies {
    Table,
    Id,
    Name,
    Date,
    Score,
    Overview,
    Status,
    Budget,
    Revenue,
    CountryId,
}

#[derive(DeriveIden)]
enum Countries {
    Table,
    Id,
    Code,
    Name,
}

#[derive(DeriveIden)]
enum Named {
    Id,
    Name,
}

#[derive(DeriveIden)]
enum Link {
    MovieId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Accounts.
        manager
            .create_table(
                Table::create()
                    .table(UserGroups::Table)
                    .col(pk_auto(UserGroups::Id))
                    .col(string_len_uniq(UserGroups::Name, 16))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(UserGroups::Table)
                    .columns([UserGroups::Name])
                    .values_panic(["user".into()])
                    .values_panic(["moderator".into()])
                    .values_panic(["admin".into()])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Email, 255))
                    .col(string_len(Users::HashedPassword, 255))
                    .col(boolean(Users::IsActive).default(false))
                    .col(timestamp_now(Users::CreatedAt))
                    .col(timestamp_now(Users::UpdatedAt))
                    .col(integer(Users::GroupId))
                    .foreign_key(&mut cascade(
                        Users::Table,
                        Users::GroupId,
                        UserGroups::Table,
                        UserGroups::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserProfiles::Table)
                    .col(pk_auto(UserProfiles::Id))
                    .col(string_len_null(UserProfiles::FirstName, 100))
                    .col(string_len_null(UserProfiles::LastName, 100))
                    .col(string_len_null(UserProfiles::Avatar, 255))
                    .col(
                        string_len_null(UserProfiles::Gender, 10)
                            .check(Expr::col(UserProfiles::Gender).is_in(["man", "woman"])),
                    )
                    .col(date_null(UserProfiles::DateOfBirth))
                    .col(text_null(UserProfiles::Info))
                    .col(integer_uniq(UserProfiles::UserId))
                    .foreign_key(&mut cascade(
                        UserProfiles::Table,
                        UserProfiles::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // Activation and reset tokens: one per user. Refresh tokens: one per login.
        for (table, one_per_user, len) in [
            ("activation_tokens", true, 64),
            ("password_reset_tokens", true, 64),
            ("refresh_tokens", false, 512),
        ] {
            let user_id = if one_per_user {
                integer_uniq(TokenColumn::UserId)
            } else {
                integer(TokenColumn::UserId)
            };
            manager
                .create_table(
                    Table::create()
                        .table(Alias::new(table))
                        .col(pk_auto(TokenColumn::Id))
                        .col(string_len_uniq(TokenColumn::Token, len))
                        .col(timestamp_with_time_zone(TokenColumn::ExpiresAt))
                        .col(user_id)
                        .foreign_key(&mut cascade(
                            Alias::new(table),
                            TokenColumn::UserId,
                            Users::Table,
                            Users::Id,
                        ))
                        .to_owned(),
                )
                .await?;
            // Expired-token clean-up scans by expiry; refresh tokens are also looked up by user.
            let (expiry, user) = (
                format!("ix_{table}_expires_at"),
                format!("ix_{table}_user_id"),
            );
            create_index(
                manager,
                &expiry,
                Alias::new(table),
                [TokenColumn::ExpiresAt],
            )
            .await?;
            if !one_per_user {
                create_index(manager, &user, Alias::new(table), [TokenColumn::UserId]).await?;
            }
        }

        // Catalog.
        manager
            .create_table(
                Table::create()
                    .table(Countries::Table)
                    .col(pk_auto(Countries::Id))
                    .col(string_len_uniq(Countries::Code, 3))
                    .col(string_len_null(Countries::Name, 255))
                    .to_owned(),
            )
            .await?;
        for table in ["genres", "actors", "languages"] {
            manager
                .create_table(
                    Table::create()
                        .table(Alias::new(table))
                        .col(pk_auto(Named::Id))
                        .col(string_len_uniq(Named::Name, 255))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Movies::Table)
                    .col(pk_auto(Movies::Id))
                    .col(string_len(Movies::Name, 255))
                    .col(date(Movies::Date))
                    .col(double(Movies::Score))
                    .col(text(Movies::Overview))
                    .col(
                        string_len(Movies::Status, 32).check(Expr::col(Movies::Status).is_in([
                            "Released",
                            "Post Production",
                            "In Production",
                        ])),
                    )
                    .col(decimal_len(Movies::Budget, 15, 2))
                    .col(double(Movies::Revenue))
                    .col(integer(Movies::CountryId))
                    .foreign_key(&mut cascade(
                        Movies::Table,
                        Movies::CountryId,
                        Countries::Table,
                        Countries::Id,
                    ))
                    .index(
                        Index::create()
                            .name("uq_movie_name_date")
                            .col(Movies::Name)
                            .col(Movies::Date)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_movies_country_id",
            Movies::Table,
            [Movies::CountryId],
        )
        .await?;
        for (table, other_column, other_table) in [
            ("movies_genres", "genre_id", "genres"),
            ("actors_movies", "actor_id", "actors"),
            ("movies_languages", "language_id", "languages"),
        ] {
            let other = Alias::new(other_column);
            manager
                .create_table(
                    Table::create()
                        .table(Alias::new(table))
                        .col(integer(Link::MovieId))
                        .col(integer(other.clone()))
                        .primary_key(Index::create().col(Link::MovieId).col(other.clone()))
                        .foreign_key(&mut cascade(
                            Alias::new(table),
                            Link::MovieId,
                            Movies::Table,
                            Movies::Id,
                        ))
                        .foreign_key(&mut cascade(
                            Alias::new(table),
                            other.clone(),
                            Alias::new(other_table),
                            Named::Id,
                        ))
                        .to_owned(),
                )
                .await?;
            // The primary key serves lookups by movie; this one serves filters by genre/actor/language.
            let name = format!("ix_{table}_{other_column}");
            let columns = [other.into_iden(), Link::MovieId.into_iden()];
            create_index(manager, &name, Alias::new(table), columns).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            "movies_languages",
            "actors_movies",
            "movies_genres",
            "movies",
            "languages",
            "actors",
            "genres",
            "countries",
            "refresh_tokens",
            "password_reset_tokens",
            "activation_tokens",
            "user_profiles",
            "users",
            "user_groups",
        ];
        drop_tables(manager, &tables).await
    }
}
