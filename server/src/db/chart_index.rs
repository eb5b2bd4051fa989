//! Migration 5: an index for the Syncs page's overview chart. It holds every column the
//! chart's count reads (organisation, time, status, configuration, start and finish), so a
//! 90-day window of a large organisation is counted from the index alone, in time order.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct ChartIndex;

impl MigrationName for ChartIndex {
    fn name(&self) -> &str {
        "m0005_chart_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ChartIndex {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_sync_runs_org_sort_stats ON sync_runs \
                 (organisation_id, sort_at_ms, status, configuration_id, started_at_ms, finished_at_ms)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX ix_sync_runs_org_sort_stats")
            .await?;
        Ok(())
    }
}
