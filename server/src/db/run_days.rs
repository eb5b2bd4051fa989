//! Migration 2: `sync_run_days`, the number of runs per organisation, configuration,
//! status and UTC day, kept exact by triggers on `sync_runs`. It lets the Syncs page say
//! how many runs match a filter without counting hundreds of thousands of rows: whole
//! days are summed from here and only the partial days at a window's edges are counted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct CreateRunDays;

impl MigrationName for CreateRunDays {
    fn name(&self) -> &str {
        "m0002_sync_run_days"
    }
}

/// Milliseconds in a day; `day = sort_at_ms / DAY_MS` (integer division) in SQL and Rust.
pub const DAY_MS: i64 = 86_400_000;

const TABLE: &str = "CREATE TABLE sync_run_days (
    organisation_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    configuration_id BIGINT NOT NULL,
    status VARCHAR NOT NULL,
    runs BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, day, configuration_id, status)
)";

const BACKFILL: &str =
    "INSERT INTO sync_run_days (organisation_id, day, configuration_id, status, runs)
    SELECT organisation_id, sort_at_ms / 86400000, configuration_id, status, COUNT(*)
    FROM sync_runs GROUP BY organisation_id, sort_at_ms / 86400000, configuration_id, status";

const SQLITE_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER sync_run_days_insert AFTER INSERT ON sync_runs BEGIN
        INSERT INTO sync_run_days (organisation_id, day, configuration_id, status, runs)
        VALUES (NEW.organisation_id, NEW.sort_at_ms / 86400000, NEW.configuration_id, NEW.status, 1)
        ON CONFLICT (organisation_id, day, configuration_id, status) DO UPDATE SET runs = runs + 1;
    END",
    "CREATE TRIGGER sync_run_days_delete AFTER DELETE ON sync_runs BEGIN
        UPDATE sync_run_days SET runs = runs - 1
        WHERE organisation_id = OLD.organisation_id AND day = OLD.sort_at_ms / 86400000
          AND configuration_id = OLD.configuration_id AND status = OLD.status;
    END",
    "CREATE TRIGGER sync_run_days_update
    AFTER UPDATE OF organisation_id, configuration_id, status, sort_at_ms ON sync_runs BEGIN
        UPDATE sync_run_days SET runs = runs - 1
        WHERE organisation_id = OLD.organisation_id AND day = OLD.sort_at_ms / 86400000
          AND configuration_id = OLD.configuration_id AND status = OLD.status;
        INSERT INTO sync_run_days (organisation_id, day, configuration_id, status, runs)
        VALUES (NEW.organisation_id, NEW.sort_at_ms / 86400000, NEW.configuration_id, NEW.status, 1)
        ON CONFLICT (organisation_id, day, configuration_id, status) DO UPDATE SET runs = runs + 1;
    END",
];

const POSTGRES_TRIGGERS: [&str; 2] = [
    "CREATE FUNCTION sync_run_days_apply() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE sync_run_days SET runs = runs - 1
            WHERE organisation_id = OLD.organisation_id AND day = OLD.sort_at_ms / 86400000
              AND configuration_id = OLD.configuration_id AND status = OLD.status;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            INSERT INTO sync_run_days (organisation_id, day, configuration_id, status, runs)
            VALUES (NEW.organisation_id, NEW.sort_at_ms / 86400000, NEW.configuration_id, NEW.status, 1)
            ON CONFLICT (organisation_id, day, configuration_id, status)
            DO UPDATE SET runs = sync_run_days.runs + 1;
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER sync_run_days_apply
    AFTER INSERT OR DELETE OR UPDATE OF organisation_id, configuration_id, status, sort_at_ms ON sync_runs
    FOR EACH ROW EXECUTE FUNCTION sync_run_days_apply()",
];

#[async_trait::async_trait]
impl MigrationTrait for CreateRunDays {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // On SQLite the rows live in the primary key's b-tree, so a sum reads no other pages.
        let table = match db.get_database_backend() {
            DatabaseBackend::Sqlite => format!("{TABLE} WITHOUT ROWID"),
            _ => TABLE.to_string(),
        };
        db.execute_unprepared(&table).await?;
        db.execute_unprepared(BACKFILL).await?;
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for t in SQLITE_TRIGGERS {
                    db.execute_unprepared(t).await?;
                }
            }
            _ => {
                for t in POSTGRES_TRIGGERS {
                    db.execute_unprepared(t).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for t in ["insert", "delete", "update"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS sync_run_days_{t}"))
                        .await?;
                }
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS sync_run_days_apply ON sync_runs")
                    .await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS sync_run_days_apply()")
                    .await?;
            }
        }
        db.execute_unprepared("DROP TABLE sync_run_days").await?;
        Ok(())
    }
}
