//! Migration 3: what the sync engine needs beyond the history: a way to ask a running
//! sync to stop, what started each run, one scheduled run per schedule slot, at most one
//! run In Progress per configuration, and a quick way to the queue.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct EngineSchema;

impl MigrationName for EngineSchema {
    fn name(&self) -> &str {
        "m0003_engine"
    }
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    CancelRequested,
    Trigger,
    ScheduleSlotMs,
}

#[async_trait::async_trait]
impl MigrationTrait for EngineSchema {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            ColumnDef::new(SyncRuns::CancelRequested)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(SyncRuns::Trigger)
                .string()
                .not_null()
                .default("scheduled")
                .to_owned(),
            ColumnDef::new(SyncRuns::ScheduleSlotMs)
                .big_integer()
                .null()
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(SyncRuns::Table)
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        let db = m.get_connection();
        // Same SQL on both databases: partial indexes exist in SQLite and PostgreSQL.
        for sql in [
            // Two schedulers (two servers) can both see a slot as due; only one run is queued.
            "CREATE UNIQUE INDEX ux_sync_runs_schedule_slot ON sync_runs (configuration_id, schedule_slot_ms)",
            // Two workers claiming at once cannot both start a run of one configuration.
            "CREATE UNIQUE INDEX ux_sync_runs_one_active ON sync_runs (configuration_id) WHERE status = 'in_progress'",
            // The queue and the recovery read only queued / running runs.
            "CREATE INDEX ix_sync_runs_active ON sync_runs (status, queued_at_ms) WHERE status IN ('queued', 'in_progress')",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
