//! Migration 11: the runs' change feed. Each new run, and each new version of one, gets
//! the next number of the feed (`sync_runs.change_seq`); numbers are never given twice,
//! even after the run that held the highest is deleted. An organisation's count of changes
//! is the highest number its runs hold (one probe of `ix_sync_runs_changes`). The live
//! view asks "what changed after n?": the answer is that probe when nothing did, and one
//! range of the same index otherwise, however many runs the page holds.
//!
//! The number is given in the writing transaction, by trigger, so no writer can forget it.
//! A reader that has seen n must already see every change of the organisation numbered
//! up to n. SQLite has one writer at a time, so that holds by itself; its numbers come
//! from a one-row counter (`run_change_numbers`). PostgreSQL draws them from a sequence (a
//! counter row would pile up a version per change inside a long transaction), and a writer
//! takes a lock of the organisation's feed before drawing one and keeps it until it
//! commits: an organisation's numbers become visible in the order they were drawn. (The
//! lock is an advisory one of its own key space, not the directory's lock that a sync's
//! final transaction holds.)

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct ChangeFeed;

impl MigrationName for ChangeFeed {
    fn name(&self) -> &str {
        "m0011_change_feed"
    }
}

/// Gives the run the counter's next number (SQLite: the body of both triggers, which run
/// after the row is written).
const SQLITE_NEXT: &str = "UPDATE run_change_numbers SET last = last + 1 WHERE id = 1; \
     UPDATE sync_runs SET change_seq = (SELECT last FROM run_change_numbers WHERE id = 1) \
     WHERE id = NEW.id;";

/// The change feed's class of advisory locks (`pg_advisory_xact_lock(int, int)`, keyed by
/// this migration's number; the directory's lock is `pg_advisory_xact_lock(bigint)`, a
/// key space of its own).
const FEED_LOCKS: i32 = 11;

#[async_trait::async_trait]
impl MigrationTrait for ChangeFeed {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let mut sql = vec![
            // Runs written before the feed existed count as seen by every page.
            "ALTER TABLE sync_runs ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0".to_string(),
            "CREATE INDEX ix_sync_runs_changes ON sync_runs (organisation_id, change_seq)"
                .to_string(),
        ];
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => sql.extend([
                "CREATE TABLE run_change_numbers (id INTEGER PRIMARY KEY CHECK (id = 1), \
                 last BIGINT NOT NULL)"
                    .to_string(),
                "INSERT INTO run_change_numbers (id, last) VALUES (1, 0)".to_string(),
                format!(
                    "CREATE TRIGGER run_changes_insert AFTER INSERT ON sync_runs \
                     BEGIN {SQLITE_NEXT} END"
                ),
                // Only a new version is a change: a write that leaves the version as it
                // was (a heartbeat) is not one the page shows.
                format!(
                    "CREATE TRIGGER run_changes_update AFTER UPDATE OF version ON sync_runs \
                     WHEN NEW.version <> OLD.version BEGIN {SQLITE_NEXT} END"
                ),
            ]),
            _ => sql.extend([
                "CREATE SEQUENCE run_changes".to_string(),
                // Organisation ids past 32 bits share a lock with another organisation:
                // that costs them some waiting, never a missed change.
                format!(
                    "CREATE FUNCTION run_changes_next() RETURNS trigger AS $$
                    BEGIN
                        IF TG_OP = 'UPDATE' AND NEW.version = OLD.version THEN
                            RETURN NEW;
                        END IF;
                        PERFORM pg_advisory_xact_lock({FEED_LOCKS},
                            (NEW.organisation_id % 2147483647)::int);
                        NEW.change_seq := nextval('run_changes');
                        RETURN NEW;
                    END $$ LANGUAGE plpgsql"
                ),
                "CREATE TRIGGER run_changes_next BEFORE INSERT OR UPDATE OF version \
                 ON sync_runs FOR EACH ROW EXECUTE FUNCTION run_changes_next()"
                    .to_string(),
            ]),
        }
        for statement in sql {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let triggers = match db.get_database_backend() {
            DatabaseBackend::Sqlite => vec![
                "DROP TRIGGER run_changes_insert",
                "DROP TRIGGER run_changes_update",
                "DROP TABLE run_change_numbers",
            ],
            _ => vec![
                "DROP TRIGGER run_changes_next ON sync_runs",
                "DROP FUNCTION run_changes_next()",
                "DROP SEQUENCE run_changes",
            ],
        };
        for statement in triggers.into_iter().chain([
            "DROP INDEX ix_sync_runs_changes",
            "ALTER TABLE sync_runs DROP COLUMN change_seq",
        ]) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
