//! Migration 6: runs per hour, for the overview chart (see `db::run_buckets`).

use crate::db::run_buckets::HOURS;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

/// Migration 6: `sync_run_hours`, each configuration's rows (as first made; migration 9
/// adds every configuration's).
pub struct CreateRunHours;

impl MigrationName for CreateRunHours {
    fn name(&self) -> &str {
        "m0006_sync_run_hours"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateRunHours {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        hours_as_first_made(m.get_connection()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::db::counters::drop_with_triggers(m.get_connection(), "sync_runs", HOURS.table).await
    }
}

/// `sync_run_hours` with each configuration's rows only, as migration 6 made it.
pub(super) async fn hours_as_first_made(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared(&HOURS.create_table(db.get_database_backend()))
        .await?;
    db.execute_unprepared(&HOURS.backfill(false)).await?;
    HOURS.follow_runs(db, false).await
}
