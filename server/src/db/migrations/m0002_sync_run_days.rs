//! Migration 2: `sync_run_days`, the number of runs per organisation, UTC day and
//! configuration, one column per status, kept exact by triggers on `sync_runs`. It lets the
//! Syncs page say how many runs match a filter without counting hundreds of thousands of
//! rows: whole days are summed from here and only the partial days at a window's edges are
//! counted row by row. One row per day and configuration (not per status) keeps the sum
//! over a year to about a thousand rows for an organisation with three configurations.

use app::domain::RunStatus;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct CreateRunDays;

impl MigrationName for CreateRunDays {
    fn name(&self) -> &str {
        "m0002_sync_run_days"
    }
}

/// The status columns, named by the statuses' slugs.
fn status_columns() -> impl Iterator<Item = &'static str> {
    RunStatus::ALL.into_iter().map(RunStatus::slug)
}

fn join<T: AsRef<str>>(parts: impl Iterator<Item = T>, sep: &str) -> String {
    parts
        .map(|p| p.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

fn create_table(backend: DatabaseBackend) -> String {
    let columns = join(
        status_columns().map(|s| format!("{s} BIGINT NOT NULL DEFAULT 0")),
        ",\n    ",
    );
    // On SQLite the rows live in the primary key's b-tree, so a sum reads no other pages.
    let rowid = if backend == DatabaseBackend::Sqlite {
        " WITHOUT ROWID"
    } else {
        ""
    };
    format!(
        "CREATE TABLE sync_run_days (
    organisation_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    configuration_id BIGINT NOT NULL,
    {columns},
    PRIMARY KEY (organisation_id, day, configuration_id)
){rowid}"
    )
}

fn backfill() -> String {
    let sums = join(
        status_columns().map(|s| format!("SUM(CASE WHEN status = '{s}' THEN 1 ELSE 0 END)")),
        ", ",
    );
    format!(
        "INSERT INTO sync_run_days (organisation_id, day, configuration_id, {})
    SELECT organisation_id, sort_at_ms / 86400000, configuration_id, {sums}
    FROM sync_runs GROUP BY organisation_id, sort_at_ms / 86400000, configuration_id",
        join(status_columns(), ", ")
    )
}

/// `1` for the row's status column and `0` for the others, as SQL, for `row` = NEW or OLD.
fn flags(row: &str, backend: DatabaseBackend) -> String {
    join(
        status_columns().map(|s| match backend {
            DatabaseBackend::Sqlite => format!("({row}.status = '{s}')"),
            _ => format!("({row}.status = '{s}')::int"),
        }),
        ", ",
    )
}

fn add_new(backend: DatabaseBackend) -> String {
    let columns = join(status_columns(), ", ");
    let table = if backend == DatabaseBackend::Sqlite {
        ""
    } else {
        "sync_run_days."
    };
    let sets = join(
        status_columns().map(|s| format!("{s} = {table}{s} + excluded.{s}")),
        ", ",
    );
    format!(
        "INSERT INTO sync_run_days (organisation_id, day, configuration_id, {columns})
        VALUES (NEW.organisation_id, NEW.sort_at_ms / 86400000, NEW.configuration_id, {})
        ON CONFLICT (organisation_id, day, configuration_id) DO UPDATE SET {sets};",
        flags("NEW", backend)
    )
}

fn remove_old(backend: DatabaseBackend) -> String {
    let sets = join(
        status_columns().map(|s| match backend {
            DatabaseBackend::Sqlite => format!("{s} = {s} - (OLD.status = '{s}')"),
            _ => format!("{s} = {s} - (OLD.status = '{s}')::int"),
        }),
        ", ",
    );
    format!(
        "UPDATE sync_run_days SET {sets}
        WHERE organisation_id = OLD.organisation_id AND day = OLD.sort_at_ms / 86400000
          AND configuration_id = OLD.configuration_id;"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for CreateRunDays {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = db.get_database_backend();
        db.execute_unprepared(&create_table(backend)).await?;
        db.execute_unprepared(&backfill()).await?;
        for t in crate::db::counters::triggers(
            backend,
            "sync_runs",
            "sync_run_days",
            "organisation_id, configuration_id, status, sort_at_ms",
            &remove_old(backend),
            &add_new(backend),
        ) {
            db.execute_unprepared(&t).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::db::counters::drop_with_triggers(m.get_connection(), "sync_runs", "sync_run_days")
            .await
    }
}
