//! Migration 6: `sync_run_hours`, runs per organisation, UTC hour, configuration and status,
//! with the summed duration of the finished ones, kept exact by triggers on `sync_runs`.
//! The Syncs page's overview chart counts days of the viewer's calendar from it: every
//! time zone in use today is a whole number of hours from UTC or (a few) a half or
//! three-quarter hour, so for most viewers a local day is exactly 24 of these rows per
//! configuration and status, a 90-day chart sums a few thousand rows instead of visiting
//! every run; the rest count runs one by one (see `store::run_chart`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct CreateRunHours;

impl MigrationName for CreateRunHours {
    fn name(&self) -> &str {
        "m0006_sync_run_hours"
    }
}

/// Milliseconds in an hour; `hour = sort_at_ms / HOUR_MS` in SQL and Rust.
pub const HOUR_MS: i64 = 3_600_000;

fn create_table(backend: DatabaseBackend) -> String {
    // On SQLite the rows live in the primary key's b-tree: a window is one range of it.
    let rowid = if backend == DatabaseBackend::Sqlite {
        " WITHOUT ROWID"
    } else {
        ""
    };
    format!(
        "CREATE TABLE sync_run_hours (
    organisation_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    configuration_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    runs BIGINT NOT NULL DEFAULT 0,
    duration_sum_ms BIGINT NOT NULL DEFAULT 0,
    finished BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (organisation_id, hour, configuration_id, status)
){rowid}"
    )
}

const BACKFILL: &str = "INSERT INTO sync_run_hours
        (organisation_id, hour, configuration_id, status, runs, duration_sum_ms, finished)
    SELECT organisation_id, sort_at_ms / 3600000, configuration_id, status, COUNT(*),
        COALESCE(SUM(finished_at_ms - started_at_ms), 0), COUNT(finished_at_ms - started_at_ms)
    FROM sync_runs GROUP BY organisation_id, sort_at_ms / 3600000, configuration_id, status";

/// A run's duration (0 unless it started and finished) and whether it has one, as SQL.
fn duration(row: &str, backend: DatabaseBackend) -> (String, String) {
    let finished =
        format!("({row}.started_at_ms IS NOT NULL AND {row}.finished_at_ms IS NOT NULL)");
    let sum = format!("COALESCE({row}.finished_at_ms - {row}.started_at_ms, 0)");
    match backend {
        DatabaseBackend::Sqlite => (sum, finished),
        _ => (sum, format!("{finished}::int")),
    }
}

fn add_new(backend: DatabaseBackend) -> String {
    let (sum, finished) = duration("NEW", backend);
    let table = if backend == DatabaseBackend::Sqlite {
        ""
    } else {
        "sync_run_hours."
    };
    format!(
        "INSERT INTO sync_run_hours
            (organisation_id, hour, configuration_id, status, runs, duration_sum_ms, finished)
        VALUES (NEW.organisation_id, NEW.sort_at_ms / 3600000, NEW.configuration_id, NEW.status,
            1, {sum}, {finished})
        ON CONFLICT (organisation_id, hour, configuration_id, status) DO UPDATE SET
            runs = {table}runs + 1,
            duration_sum_ms = {table}duration_sum_ms + excluded.duration_sum_ms,
            finished = {table}finished + excluded.finished;"
    )
}

fn remove_old(backend: DatabaseBackend) -> String {
    let (sum, finished) = duration("OLD", backend);
    // Rows are left at zero rather than deleted: a trigger stays one statement, and an
    // hour's row is soon used again by the runs around it.
    format!(
        "UPDATE sync_run_hours SET runs = runs - 1, duration_sum_ms = duration_sum_ms - {sum},
            finished = finished - {finished}
        WHERE organisation_id = OLD.organisation_id AND hour = OLD.sort_at_ms / 3600000
          AND configuration_id = OLD.configuration_id AND status = OLD.status;"
    )
}

/// The columns whose change moves a run between rows (or changes its duration).
const WATCHED: &str =
    "organisation_id, configuration_id, status, sort_at_ms, started_at_ms, finished_at_ms";

#[async_trait::async_trait]
impl MigrationTrait for CreateRunHours {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = db.get_database_backend();
        db.execute_unprepared(&create_table(backend)).await?;
        db.execute_unprepared(BACKFILL).await?;
        for t in super::counters::triggers(
            backend,
            "sync_run_hours",
            WATCHED,
            &remove_old(backend),
            &add_new(backend),
        ) {
            db.execute_unprepared(&t).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        super::counters::drop_with_triggers(m.get_connection(), "sync_run_hours").await
    }
}
