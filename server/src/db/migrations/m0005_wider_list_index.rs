//! Migration 5: the list's index `(organisation_id, sort_at_ms, id)` widened with the
//! status, configuration, start and finish. The list still reads it in (time, id) order,
//! and now tells a run's status from the index entry, visiting the table only for the runs
//! it shows; the overview chart, where it counts runs one by one, reads nothing else.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct WiderListIndex;

impl MigrationName for WiderListIndex {
    fn name(&self) -> &str {
        "m0005_wider_list_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for WiderListIndex {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ix_sync_runs_org_sort")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_sync_runs_org_sort ON sync_runs \
             (organisation_id, sort_at_ms, id, status, configuration_id, started_at_ms, finished_at_ms)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ix_sync_runs_org_sort")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_sync_runs_org_sort ON sync_runs (organisation_id, sort_at_ms, id)",
        )
        .await?;
        Ok(())
    }
}
