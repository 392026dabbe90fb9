//! `object_deletions`: storage objects (avatars) whose row is gone and that must go too — written in
//! the transaction that removed the row, deleted from storage after its commit and retried until
//! storage answers (`crate::object_cleanup`), so an object never outlives its row for long and no row
//! ever points at a missing object.

use sea_orm_migration::{prelude::*, schema::*};

use super::{create_index, drop_tables, timestamp_now};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ObjectDeletions {
    Table,
    Id,
    Key,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ObjectDeletions::Table)
                    .col(pk_auto(ObjectDeletions::Id))
                    .col(text(ObjectDeletions::Key))
                    .col(integer(ObjectDeletions::Attempts).default(0))
                    .col(timestamp_now(ObjectDeletions::NextAttemptAt))
                    .col(text_null(ObjectDeletions::LastError))
                    .col(timestamp_now(ObjectDeletions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "ix_object_deletions_due",
            ObjectDeletions::Table,
            [ObjectDeletions::NextAttemptAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["object_deletions"]).await
    }
}
