//! The audit log (`../shared/EXTENSIONS.md`, "Administration"): one row per write by an admin or a
//! moderator, or by an operator at the command line, written in the transaction of the write itself
//! (`crate::audit::record`), so an entry exists exactly when the change does.
//!
//! Entries outlive their actor: `actor_id` is a plain column, not a foreign key (a cascade would
//! erase the history of a deleted admin, and `SET NULL` would lose who it was), and the actor's
//! e-mail at the time is kept beside it. Rows are never updated; only `theater audit prune` deletes
//! them. `details` is a JSON object as text (the same on both backends).

use sea_orm_migration::{prelude::*, schema::*};

use super::{create_index, drop_tables, timestamp_now};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    ActorEmail,
    Via,
    Action,
    Target,
    ClientIp,
    Details,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(timestamp_now(AuditLog::At))
                    .col(integer_null(AuditLog::ActorId))
                    .col(text_null(AuditLog::ActorEmail))
                    .col(string_len(AuditLog::Via, 8))
                    .col(text(AuditLog::Action))
                    .col(text(AuditLog::Target))
                    .col(string_len_null(AuditLog::ClientIp, 45))
                    .col(text(AuditLog::Details))
                    .to_owned(),
            )
            .await?;
        // Newest first is id order; the filters of `GET /admin/audit/` each have an index, and so
        // has the prune's `at < cutoff`.
        create_index(
            manager,
            "ix_audit_log_actor",
            AuditLog::Table,
            [AuditLog::ActorId, AuditLog::Id],
        )
        .await?;
        create_index(
            manager,
            "ix_audit_log_action",
            AuditLog::Table,
            [AuditLog::Action, AuditLog::Id],
        )
        .await?;
        create_index(manager, "ix_audit_log_at", AuditLog::Table, [AuditLog::At]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["audit_log"]).await
    }
}
