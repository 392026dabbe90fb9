//! Schema migrations. One schema for PostgreSQL and SQLite: everything is written with sea-query's
//! portable builders, so the same migration runs unchanged on both — but for the full-text index
//! (`m20261202_000006_movie_search`), which each backend has its own kind of. Table and column names are part
//! of the contract (operators and tests query them).

use sea_orm_migration::prelude::*;

mod m20260101_000001_schema;
mod m20260101_000002_email_outbox;
mod m20260102_000003_movie_id_index;
mod m20260201_000004_email_outbox_delivery;
mod m20261201_000005_limits;
mod m20261202_000006_movie_search;
mod m20261203_000007_catalog_version;
pub mod m20261204_000008_community;
mod m20261205_000009_reviews;
mod m20261205_000010_lists;
mod m20261206_000011_notifications;
mod m20261207_000012_audit;
mod m20261208_000013_object_deletions;
mod m20261209_000014_review_score;

/// `CREATE INDEX {name} ON {table} ({columns})`.
async fn create_index<C: IntoIden>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column.into_iden());
    }
    manager.create_index(index).await
}

/// `FOREIGN KEY ({table}.{column}) REFERENCES {to_table} ({to_column}) ON DELETE CASCADE`: every
/// reference in the schema goes with the row it names.
fn cascade(
    table: impl IntoIden,
    column: impl IntoIden,
    to_table: impl IntoIden,
    to_column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(to_table, to_column)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A timestamp column that defaults to the time of the insert.
fn timestamp_now(column: impl IntoIden) -> ColumnDef {
    sea_orm_migration::schema::timestamp_with_time_zone(column)
        .default(Expr::current_timestamp())
        .to_owned()
}

/// `DROP TABLE` each, in order.
async fn drop_tables(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(Alias::new(*table)).to_owned())
            .await?;
    }
    Ok(())
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_schema::Migration),
            Box::new(m20260101_000002_email_outbox::Migration),
            Box::new(m20260102_000003_movie_id_index::Migration),
            Box::new(m20260201_000004_email_outbox_delivery::Migration),
            Box::new(m20261201_000005_limits::Migration),
            Box::new(m20261202_000006_movie_search::Migration),
            Box::new(m20261203_000007_catalog_version::Migration),
            Box::new(m20261204_000008_community::Migration),
            Box::new(m20261205_000009_reviews::Migration),
            Box::new(m20261205_000010_lists::Migration),
            Box::new(m20261206_000011_notifications::Migration),
            Box::new(m20261207_000012_audit::Migration),
            Box::new(m20261208_000013_object_deletions::Migration),
            Box::new(m20261209_000014_review_score::Migration),
        ]
    }
}
