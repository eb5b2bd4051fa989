//! Migration 14: alerts stay cheap as their history grows.
//!
//! - `alert_delivery_counts`: deliveries by channel and state, kept exact by triggers on
//!   `alert_deliveries` (as `sync_run_days` counts runs), so `/metrics` reads a few rows
//!   instead of counting every delivery ever made.
//! - `ix_users_org_role`: an organisation's admins found among its users by role, so
//!   placing an alert reads its few admins, not a directory of a hundred thousand people.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct AlertCounts;

impl MigrationName for AlertCounts {
    fn name(&self) -> &str {
        "m0014_alert_counts"
    }
}

const TABLE: &str = "alert_delivery_counts";

/// SQLite: row triggers, made as the run counts' are (SQLite changes a row in place).
fn sqlite_triggers() -> Vec<String> {
    crate::db::counters::triggers(
        DatabaseBackend::Sqlite,
        "alert_deliveries",
        TABLE,
        "channel, state",
        "UPDATE alert_delivery_counts SET n = n - 1 \
         WHERE channel = OLD.channel AND state = OLD.state;",
        "INSERT INTO alert_delivery_counts (channel, state, n) VALUES (NEW.channel, NEW.state, 1) \
         ON CONFLICT (channel, state) DO UPDATE SET n = n + 1;",
    )
}

/// PostgreSQL: statement triggers over the rows a statement changed. A row trigger would
/// update the same few count rows once per delivery, and each update of a row inside one
/// transaction leaves a version the next one steps over: a statement writing many
/// deliveries would slow down with each. Once per statement, per channel and state, the
/// count stays cheap however many rows the statement writes. Counts are written in one
/// order (channel, then state; a plan of its own might order them otherwise): two workers
/// recording at once lock the counts they share in the same order, and never wait on each
/// other in a circle (the alert bench's concurrent sends deadlocked without it).
fn postgres_triggers() -> Vec<String> {
    let apply = |old: bool, new: bool| {
        let mut parts = Vec::new();
        if old {
            parts.push(
                "SELECT channel, state, -COUNT(*) AS d FROM old_rows GROUP BY channel, state",
            );
        }
        if new {
            parts
                .push("SELECT channel, state, COUNT(*) AS d FROM new_rows GROUP BY channel, state");
        }
        format!(
            "INSERT INTO alert_delivery_counts (channel, state, n) \
             SELECT channel, state, SUM(d) FROM ({}) AS changes GROUP BY channel, state \
             HAVING SUM(d) <> 0 ORDER BY channel, state \
             ON CONFLICT (channel, state) DO UPDATE SET n = alert_delivery_counts.n + excluded.n;",
            parts.join(" UNION ALL ")
        )
    };
    let mut sql = Vec::new();
    for (op, old, new, referencing) in [
        ("insert", false, true, "NEW TABLE AS new_rows"),
        (
            "update",
            true,
            true,
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
        ("delete", true, false, "OLD TABLE AS old_rows"),
    ] {
        sql.push(format!(
            "CREATE FUNCTION {TABLE}_{op}() RETURNS trigger AS $$ \
             BEGIN {} RETURN NULL; END $$ LANGUAGE plpgsql",
            apply(old, new)
        ));
        sql.push(format!(
            "CREATE TRIGGER {TABLE}_{op} AFTER {} ON alert_deliveries \
             REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_{op}()",
            op.to_uppercase()
        ));
    }
    sql
}

#[async_trait::async_trait]
impl MigrationTrait for AlertCounts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let mut sql = vec![
            format!(
                "CREATE TABLE {TABLE} (channel TEXT NOT NULL, state TEXT NOT NULL, \
                 n BIGINT NOT NULL, PRIMARY KEY (channel, state))"
            ),
            format!(
                "INSERT INTO {TABLE} (channel, state, n) \
                 SELECT channel, state, COUNT(*) FROM alert_deliveries GROUP BY channel, state"
            ),
            "CREATE INDEX ix_users_org_role ON users (organisation_id, role)".to_string(),
        ];
        sql.extend(match db.get_database_backend() {
            DatabaseBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        });
        for statement in sql {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX ix_users_org_role")
            .await?;
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return crate::db::counters::drop_with_triggers(db, "alert_deliveries", TABLE).await;
        }
        for op in ["insert", "update", "delete"] {
            db.execute_unprepared(&format!("DROP TRIGGER {TABLE}_{op} ON alert_deliveries"))
                .await?;
            db.execute_unprepared(&format!("DROP FUNCTION {TABLE}_{op}()"))
                .await?;
        }
        db.execute_unprepared(&format!("DROP TABLE {TABLE}"))
            .await?;
        Ok(())
    }
}
