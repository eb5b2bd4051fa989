//! Migration 12: one person's history. A log entry carries what finding it by person
//! needs without a join: its organisation, its run's sort time (the timeline's order), and
//! its email and Employee ID as search keys (`db::search_key`: ASCII letters lower-cased,
//! compared byte by byte on both databases, so a prefix is one range of an index). Each
//! key has an index `(organisation, key, run's sort time, id)`: a person's timeline is a
//! range of it read newest first, and the distinct keys that start with a prefix are a
//! walk that jumps from one key to the next. An update's entry also keeps the values it
//! changed (`field_changes`, JSON), for the timeline's old → new.
//!
//! Searches are kept for audit in `person_searches`, as downloads are in `log_downloads`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct PersonIndex;

impl MigrationName for PersonIndex {
    fn name(&self) -> &str {
        "m0012_person_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for PersonIndex {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = db.get_database_backend();
        // Keys compare byte by byte: PostgreSQL's default collation would order
        // `a.b` among `ab…` and break a prefix's range.
        let (key_type, lower) = match backend {
            DatabaseBackend::Postgres => (
                "TEXT COLLATE \"C\"",
                "translate(trim(%), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')",
            ),
            _ => ("TEXT", "lower(trim(%))"),
        };
        let key = |col: &str| lower.replace('%', &format!("sync_log_entries.{col}"));
        let sql = [
            "ALTER TABLE sync_log_entries ADD COLUMN organisation_id BIGINT NULL".to_string(),
            "ALTER TABLE sync_log_entries ADD COLUMN run_sort_ms BIGINT NULL".to_string(),
            format!("ALTER TABLE sync_log_entries ADD COLUMN email_key {key_type} NULL"),
            format!("ALTER TABLE sync_log_entries ADD COLUMN external_key {key_type} NULL"),
            "ALTER TABLE sync_log_entries ADD COLUMN field_changes TEXT NULL".to_string(),
            format!(
                "UPDATE sync_log_entries SET organisation_id = r.organisation_id, \
                 run_sort_ms = r.sort_at_ms, email_key = NULLIF({}, ''), \
                 external_key = NULLIF({}, '') \
                 FROM sync_runs r WHERE r.id = sync_log_entries.run_id",
                key("email"),
                key("external_id")
            ),
            "CREATE INDEX ix_log_entries_email ON sync_log_entries \
             (organisation_id, email_key, run_sort_ms, id)"
                .to_string(),
            "CREATE INDEX ix_log_entries_employee ON sync_log_entries \
             (organisation_id, external_key, run_sort_ms, id)"
                .to_string(),
            // A person found in the logs is looked up in the directory by Employee ID.
            "CREATE INDEX ix_users_employee ON users (organisation_id, external_id)".to_string(),
        ];
        for s in sql {
            db.execute_unprepared(&s).await?;
        }
        m.create_table(
            Table::create()
                .table(Alias::new("person_searches"))
                .col(
                    ColumnDef::new(Alias::new("id"))
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Alias::new("organisation_id"))
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Alias::new("user_id"))
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Alias::new("query")).text().not_null())
                // `csv` or `xlsx` for a download of the history, empty for a search.
                .col(ColumnDef::new(Alias::new("format")).text().not_null())
                .col(
                    ColumnDef::new(Alias::new("searched_at_ms"))
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        m.drop_table(
            Table::drop()
                .table(Alias::new("person_searches"))
                .to_owned(),
        )
        .await?;
        for s in [
            "DROP INDEX ix_users_employee",
            "DROP INDEX ix_log_entries_email",
            "DROP INDEX ix_log_entries_employee",
            "ALTER TABLE sync_log_entries DROP COLUMN field_changes",
            "ALTER TABLE sync_log_entries DROP COLUMN external_key",
            "ALTER TABLE sync_log_entries DROP COLUMN email_key",
            "ALTER TABLE sync_log_entries DROP COLUMN run_sort_ms",
            "ALTER TABLE sync_log_entries DROP COLUMN organisation_id",
        ] {
            db.execute_unprepared(s).await?;
        }
        Ok(())
    }
}
