//! Notifications (`../shared/EXTENSIONS.md`, "Notifications"):
//!
//! - `notifications`: a reply to a user's review or a like of it, for that user, written in the
//!   reply's or like's transaction (`crate::notifications`). `review_id` is the review the event is
//!   about for its recipient: the new reply, or the liked review. Unique per review, actor and kind,
//!   so a like taken back and given again notifies once. Everything goes with its recipient, its
//!   actor, its movie and its review (cascading foreign keys).
//! - `notification_settings`: a user's e-mail choices; no row means the defaults (reply e-mails on,
//!   like e-mails off).
//! - `email_outbox.list_unsubscribe`: the one-click unsubscribe URL of a notification e-mail (RFC
//!   8058 headers are sent when it is set; account e-mails never have one).

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
enum Reviews {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum EmailOutbox {
    Table,
    ListUnsubscribe,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    MovieId,
    ReviewId,
    ActorId,
    Read,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotificationSettings {
    Table,
    UserId,
    EmailReviewReplies,
    EmailReviewLikes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(pk_auto(Notifications::Id))
                    .col(integer(Notifications::UserId))
                    .col(string_len(Notifications::Kind, 20).check(
                        Expr::col(Notifications::Kind).is_in(["review_reply", "review_like"]),
                    ))
                    .col(integer(Notifications::MovieId))
                    .col(integer(Notifications::ReviewId))
                    .col(integer(Notifications::ActorId))
                    .col(boolean(Notifications::Read).default(false))
                    .col(timestamp_now(Notifications::CreatedAt))
                    .foreign_key(&mut cascade(
                        Notifications::Table,
                        Notifications::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        Notifications::Table,
                        Notifications::ActorId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        Notifications::Table,
                        Notifications::MovieId,
                        Movies::Table,
                        Movies::Id,
                    ))
                    .foreign_key(&mut cascade(
                        Notifications::Table,
                        Notifications::ReviewId,
                        Reviews::Table,
                        Reviews::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_notifications_event")
                    .table(Notifications::Table)
                    .col(Notifications::ReviewId)
                    .col(Notifications::ActorId)
                    .col(Notifications::Kind)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // A user's notifications, newest first; the deletion of an actor or a movie finds theirs.
        create_index(
            manager,
            "ix_notifications_user",
            Notifications::Table,
            [Notifications::UserId, Notifications::Id],
        )
        .await?;
        create_index(
            manager,
            "ix_notifications_actor",
            Notifications::Table,
            [Notifications::ActorId],
        )
        .await?;
        create_index(
            manager,
            "ix_notifications_movie",
            Notifications::Table,
            [Notifications::MovieId],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationSettings::Table)
                    .col(integer(NotificationSettings::UserId).primary_key())
                    .col(boolean(NotificationSettings::EmailReviewReplies).default(true))
                    .col(boolean(NotificationSettings::EmailReviewLikes).default(false))
                    .foreign_key(&mut cascade(
                        NotificationSettings::Table,
                        NotificationSettings::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(EmailOutbox::Table)
                    .add_column(text_null(EmailOutbox::ListUnsubscribe))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EmailOutbox::Table)
                    .drop_column(EmailOutbox::ListUnsubscribe)
                    .to_owned(),
            )
            .await?;
        drop_tables(manager, &["notification_settings", "notifications"]).await
    }
}
