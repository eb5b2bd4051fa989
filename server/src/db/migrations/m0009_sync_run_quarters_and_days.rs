//! Migration 9: runs per quarter of a day and per day, for the overview chart (see
//! `db::run_buckets`).

use super::m0006_sync_run_hours::hours_as_first_made;
use crate::db::run_buckets::{DAYS, HOURS, QUARTERS};
use sea_orm_migration::prelude::*;

/// Migration 9: `sync_run_quarters` and `sync_run_status_days` beside the hours, each with
/// every configuration's rows beside each configuration's, keyed configuration before
/// time (the hours are made again so: they are counts of the runs, refilled from them).
/// With hours alone, a 90-day chart summed some forty thousand rows for a large
/// organisation; now each of its days is a difference of two sums reached from the
/// nearest UTC day.
pub struct CreateRunQuartersAndDays;

impl MigrationName for CreateRunQuartersAndDays {
    fn name(&self) -> &str {
        "m0009_sync_run_quarters_and_days"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateRunQuartersAndDays {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        crate::db::counters::drop_with_triggers(db, "sync_runs", HOURS.table).await?;
        for buckets in [HOURS, QUARTERS, DAYS] {
            buckets.create(db).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for buckets in [DAYS, QUARTERS, HOURS] {
            crate::db::counters::drop_with_triggers(db, "sync_runs", buckets.table).await?;
        }
        hours_as_first_made(db).await
    }
}
