//! Migration 8: an index for each lane of the runs list (see `store::run_page`). A page of
//! runs in a status, in a configuration, or in a configuration and status is one seek into
//! an index that holds that lane in (sort time, id) order, so a rare status costs no more
//! than a common one. The index on (configuration, status, time) gains the id, which
//! PostgreSQL needs to read a lane in (time, id) order without sorting it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct LaneIndexes;

impl MigrationName for LaneIndexes {
    fn name(&self) -> &str {
        "m0008_lane_indexes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for LaneIndexes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for sql in [
            "CREATE INDEX ix_sync_runs_org_status_sort ON sync_runs \
             (organisation_id, status, sort_at_ms, id)",
            "CREATE INDEX ix_sync_runs_config_sort ON sync_runs (configuration_id, sort_at_ms, id)",
            "DROP INDEX ix_sync_runs_config_status_sort",
            "CREATE INDEX ix_sync_runs_config_status_sort ON sync_runs \
             (configuration_id, status, sort_at_ms, id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for sql in [
            "DROP INDEX ix_sync_runs_org_status_sort",
            "DROP INDEX ix_sync_runs_config_sort",
            "DROP INDEX ix_sync_runs_config_status_sort",
            "CREATE INDEX ix_sync_runs_config_status_sort ON sync_runs \
             (configuration_id, status, sort_at_ms)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
