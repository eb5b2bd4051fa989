//! The schema, as SeaORM migrations applied on start, one file each, numbered in the
//! order they run (the number is also in each migration's name, which a database records).

use sea_orm_migration::prelude::*;

mod columns;
mod m0001_create_tables;
mod m0002_sync_run_days;
mod m0003_engine;
mod m0004_sessions;
mod m0005_wider_list_index;
mod m0006_sync_run_hours;
mod m0007_record_policy;
mod m0008_lane_indexes;
mod m0009_sync_run_quarters_and_days;
mod m0010_idle_sessions_index;
mod m0011_change_feed;
mod m0012_person_index;
mod m0013_alert_outbox;
mod m0014_alert_counts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_create_tables::CreateTables),
            Box::new(m0002_sync_run_days::CreateRunDays),
            Box::new(m0003_engine::EngineSchema),
            Box::new(m0004_sessions::SessionSchema),
            Box::new(m0005_wider_list_index::WiderListIndex),
            Box::new(m0006_sync_run_hours::CreateRunHours),
            Box::new(m0007_record_policy::RecordPolicy),
            Box::new(m0008_lane_indexes::LaneIndexes),
            Box::new(m0009_sync_run_quarters_and_days::CreateRunQuartersAndDays),
            Box::new(m0010_idle_sessions_index::IdleSessionsIndex),
            Box::new(m0011_change_feed::ChangeFeed),
            Box::new(m0012_person_index::PersonIndex),
            Box::new(m0013_alert_outbox::AlertOutbox),
            Box::new(m0014_alert_counts::AlertCounts),
        ]
    }
}
