//! Runs per organisation, configuration and status in fixed spans of UTC time (an hour, a
//! quarter of a day, a day), with the summed duration of the finished ones, kept exact by
//! triggers on `sync_runs`. The Syncs page's overview chart sums them for the days of the
//! viewer's calendar (see `store::run_chart`): a local day's edge is reached from the
//! nearest UTC day through at most two quarters and three hours, and only the last
//! half-hour or less is counted run by run, whatever the viewer's offset.
//!
//! Migration 6 made the hours; migration 9 the quarters and days.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// Milliseconds in an hour; `hour = sort_at_ms / HOUR_MS` in SQL and Rust.
pub const HOUR_MS: i64 = 3_600_000;
/// Milliseconds in a quarter of a day (six hours).
pub const QUARTER_MS: i64 = 6 * HOUR_MS;
/// Milliseconds in a day; `day = sort_at_ms / DAY_MS` (integer division) in SQL and Rust.
pub const DAY_MS: i64 = 86_400_000;
const _: () = assert!(DAY_MS == 4 * QUARTER_MS);

/// One table of runs per span of `ms` milliseconds; its span's number (`sort_at_ms / ms`)
/// is the column `column`.
#[derive(Clone, Copy, Debug)]
pub struct Buckets {
    pub table: &'static str,
    pub column: &'static str,
    pub ms: i64,
}

pub const HOURS: Buckets = Buckets {
    table: "sync_run_hours",
    column: "hour",
    ms: HOUR_MS,
};
pub const QUARTERS: Buckets = Buckets {
    table: "sync_run_quarters",
    column: "quarter",
    ms: QUARTER_MS,
};
pub const DAYS: Buckets = Buckets {
    table: "sync_run_status_days",
    column: "day",
    ms: DAY_MS,
};

/// The configuration id of the rows that hold every configuration's runs together (no
/// configuration has it: ids start at 1). A chart of all configurations reads these, a
/// third or less of the rows.
pub const EVERY_CONFIGURATION: i64 = 0;

/// The columns whose change moves a run between rows (or changes its duration).
const WATCHED: &str =
    "organisation_id, configuration_id, status, sort_at_ms, started_at_ms, finished_at_ms";

impl Buckets {
    pub(crate) fn create_table(self, backend: DatabaseBackend) -> String {
        // On SQLite the rows live in the primary key's b-tree. The configuration comes
        // before the time, so a span of one configuration's rows (or of every
        // configuration's together) is one range of the key, read without the others.
        let rowid = if backend == DatabaseBackend::Sqlite {
            " WITHOUT ROWID"
        } else {
            ""
        };
        let Buckets { table, column, .. } = self;
        format!(
            "CREATE TABLE {table} (
    organisation_id BIGINT NOT NULL,
    {column} BIGINT NOT NULL,
    configuration_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    runs BIGINT NOT NULL DEFAULT 0,
    duration_sum_ms BIGINT NOT NULL DEFAULT 0,
    finished BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (organisation_id, configuration_id, {column}, status)
){rowid}"
        )
    }

    /// Fills the table from the runs there are: each configuration's rows, or (`every`)
    /// the rows of every configuration together.
    pub(crate) fn backfill(self, every: bool) -> String {
        let Buckets { table, column, ms } = self;
        // A constant in GROUP BY would name a column by its position: group by the others.
        let (configuration, grouped) = if every {
            (EVERY_CONFIGURATION.to_string(), "")
        } else {
            ("configuration_id".to_string(), " configuration_id,")
        };
        format!(
            "INSERT INTO {table}
        (organisation_id, {column}, configuration_id, status, runs, duration_sum_ms, finished)
    SELECT organisation_id, sort_at_ms / {ms}, {configuration}, status, COUNT(*),
        COALESCE(SUM(finished_at_ms - started_at_ms), 0), COUNT(finished_at_ms - started_at_ms)
    FROM sync_runs GROUP BY organisation_id, sort_at_ms / {ms},{grouped} status"
        )
    }

    /// The configurations a run counts in: its own, and (`every`) every configuration's
    /// row as well.
    fn rows_of(row: &str, every: bool) -> Vec<String> {
        let mut rows = vec![format!("{row}.configuration_id")];
        if every {
            rows.push(EVERY_CONFIGURATION.to_string());
        }
        rows
    }

    /// Puts the run NEW in.
    fn add_new(self, backend: DatabaseBackend, every: bool) -> String {
        let Buckets { table, column, ms } = self;
        let (sum, finished) = duration("NEW", backend);
        let qualified = if backend == DatabaseBackend::Sqlite {
            String::new()
        } else {
            format!("{table}.")
        };
        Self::rows_of("NEW", every)
            .into_iter()
            .map(|configuration| {
                format!(
                    "INSERT INTO {table}
            (organisation_id, {column}, configuration_id, status, runs, duration_sum_ms, finished)
        VALUES (NEW.organisation_id, NEW.sort_at_ms / {ms}, {configuration}, NEW.status,
            1, {sum}, {finished})
        ON CONFLICT (organisation_id, configuration_id, {column}, status) DO UPDATE SET
            runs = {qualified}runs + 1,
            duration_sum_ms = {qualified}duration_sum_ms + excluded.duration_sum_ms,
            finished = {qualified}finished + excluded.finished;"
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Takes the run OLD out.
    fn remove_old(self, backend: DatabaseBackend, every: bool) -> String {
        let Buckets { table, column, ms } = self;
        let (sum, finished) = duration("OLD", backend);
        let configurations = Self::rows_of("OLD", every).join(", ");
        // Rows are left at zero rather than deleted: a trigger stays one statement a row,
        // and a span's row is soon used again by the runs around it.
        format!(
            "UPDATE {table} SET runs = runs - 1, duration_sum_ms = duration_sum_ms - {sum},
            finished = finished - {finished}
        WHERE organisation_id = OLD.organisation_id AND {column} = OLD.sort_at_ms / {ms}
          AND configuration_id IN ({configurations}) AND status = OLD.status;"
        )
    }

    /// Keeps the table in step with `sync_runs`.
    pub(crate) async fn follow_runs(
        self,
        db: &impl ConnectionTrait,
        every: bool,
    ) -> Result<(), DbErr> {
        let backend = db.get_database_backend();
        for t in super::counters::triggers(
            backend,
            "sync_runs",
            self.table,
            WATCHED,
            &self.remove_old(backend, every),
            &self.add_new(backend, every),
        ) {
            db.execute_unprepared(&t).await?;
        }
        Ok(())
    }

    /// Creates the table with both kinds of rows, fills it from the runs there are, and
    /// keeps it in step.
    pub(crate) async fn create(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        db.execute_unprepared(&self.create_table(db.get_database_backend()))
            .await?;
        db.execute_unprepared(&self.backfill(false)).await?;
        db.execute_unprepared(&self.backfill(true)).await?;
        self.follow_runs(db, true).await
    }
}

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
