//! What the outbox needs to deliver mail exactly as it promises: a `Message-ID` fixed when the
//! message is written (so a resend after a crash carries the same id and receivers can recognise it),
//! the message's link (so the log transport can show it as one plain line) and `failed_at` for
//! messages the server refused for good (SMTP 5xx): those are never retried.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EmailOutbox {
    Table,
    MessageId,
    Link,
    FailedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time. Existing rows keep NULL
        // (the worker derives a stable id from the row for them).
        let columns = [
            string_len_null(EmailOutbox::MessageId, 255),
            text_null(EmailOutbox::Link),
            timestamp_with_time_zone_null(EmailOutbox::FailedAt),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(EmailOutbox::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            EmailOutbox::FailedAt,
            EmailOutbox::Link,
            EmailOutbox::MessageId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(EmailOutbox::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
