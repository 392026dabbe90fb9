//! SQLite keeps a table in its rowid b-tree, whose leaves hold whole rows (overviews included):
//! skipping N movies to reach a deep page walked all of them. A separate index on `id` holds only
//! ids, so skipping walks ~50x fewer pages. PostgreSQL's primary-key index already serves this.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Movies {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Sqlite {
            return Ok(());
        }
        super::create_index(manager, "ix_movies_id", Movies::Table, [Movies::Id]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Sqlite {
            return Ok(());
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_movies_id")
                    .table(Movies::Table)
                    .to_owned(),
            )
            .await
    }
}
