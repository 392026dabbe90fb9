//! The e-mail outbox: messages are written in the same transaction as the change that causes them
//! and delivered by a background worker, so an SMTP outage delays mail but never loses it.

use sea_orm_migration::{prelude::*, schema::*};

use super::{create_index, drop_tables, timestamp_now};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EmailOutbox {
    Table,
    Id,
    Recipient,
    Subject,
    HtmlBody,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    SentAt,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EmailOutbox::Table)
                    .col(pk_auto(EmailOutbox::Id))
                    .col(string_len(EmailOutbox::Recipient, 255))
                    .col(string_len(EmailOutbox::Subject, 255))
                    .col(text(EmailOutbox::HtmlBody))
                    .col(timestamp_now(EmailOutbox::CreatedAt))
                    .col(integer(EmailOutbox::Attempts).default(0))
                    .col(timestamp_now(EmailOutbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(EmailOutbox::SentAt))
                    .col(text_null(EmailOutbox::LastError))
                    .to_owned(),
            )
            .await?;
        // The worker asks for "unsent, due now, oldest first".
        create_index(
            manager,
            "ix_email_outbox_pending",
            EmailOutbox::Table,
            [EmailOutbox::SentAt, EmailOutbox::NextAttemptAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["email_outbox"]).await
    }
}
