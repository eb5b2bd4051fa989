//! Migration 7: each configuration's rules for records (what a blank optional value does,
//! whether a changed Employee ID may re-key a person, the optional fields it requires).
//! The defaults keep what the directory holds and re-key with a warning.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct RecordPolicy;

impl MigrationName for RecordPolicy {
    fn name(&self) -> &str {
        "m0007_record_policy"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for RecordPolicy {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for column in [
            "blank_values TEXT NOT NULL DEFAULT 'keep'",
            "allow_rekey BOOLEAN NOT NULL DEFAULT TRUE",
            "required_fields TEXT NOT NULL DEFAULT ''",
        ] {
            db.execute_unprepared(&format!(
                "ALTER TABLE sync_configurations ADD COLUMN {column}"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for column in ["blank_values", "allow_rekey", "required_fields"] {
            db.execute_unprepared(&format!(
                "ALTER TABLE sync_configurations DROP COLUMN {column}"
            ))
            .await?;
        }
        Ok(())
    }
}
