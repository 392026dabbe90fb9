//! Schema migrations. One schema for PostgreSQL and SQLite: everything is written with sea-query's
//! portable builders, so the same migration runs unchanged on both. Table and column names are part
//! of the contract (operators and tests query them).

use sea_orm_migration::prelude::*;

mod m20260101_000001_schema;
mod m20260101_000002_email_outbox;
mod m20260102_000003_movie_id_index;
mod m20260201_000004_email_outbox_delivery;
mod m20261201_000005_limits;

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
        ]
    }
}
