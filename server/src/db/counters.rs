//! Tables of counts kept exact by triggers on the table they count (`sync_run_days` for
//! the list's totals and `run_buckets` for the overview chart, on `sync_runs`;
//! `alert_delivery_counts` for `/metrics`, on `alert_deliveries`): their triggers, made the
//! same way.

use sea_orm_migration::prelude::DbErr;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// The triggers that keep `table` in step with `source`: `remove_old` takes a row out
/// (it reads OLD), `add_new` puts one in (NEW); an update of a `watched` column does both.
pub fn triggers(
    backend: DatabaseBackend,
    source: &str,
    table: &str,
    watched: &str,
    remove_old: &str,
    add_new: &str,
) -> Vec<String> {
    match backend {
        DatabaseBackend::Sqlite => vec![
            format!("CREATE TRIGGER {table}_insert AFTER INSERT ON {source} BEGIN {add_new} END"),
            format!(
                "CREATE TRIGGER {table}_delete AFTER DELETE ON {source} BEGIN {remove_old} END"
            ),
            format!(
                "CREATE TRIGGER {table}_update AFTER UPDATE OF {watched} ON {source}
                BEGIN {remove_old} {add_new} END"
            ),
        ],
        _ => vec![
            format!(
                "CREATE FUNCTION {table}_apply() RETURNS trigger AS $$
                BEGIN
                    IF TG_OP IN ('UPDATE', 'DELETE') THEN {remove_old} END IF;
                    IF TG_OP IN ('UPDATE', 'INSERT') THEN {add_new} END IF;
                    RETURN NULL;
                END $$ LANGUAGE plpgsql"
            ),
            format!(
                "CREATE TRIGGER {table}_apply
                AFTER INSERT OR DELETE OR UPDATE OF {watched}
                ON {source} FOR EACH ROW EXECUTE FUNCTION {table}_apply()"
            ),
        ],
    }
}

/// Drops the triggers [`triggers`] made for `table`.
pub async fn drop_triggers(
    db: &impl ConnectionTrait,
    source: &str,
    table: &str,
) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            for t in ["insert", "delete", "update"] {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {table}_{t}"))
                    .await?;
            }
        }
        _ => {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {table}_apply ON {source}"))
                .await?;
            db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {table}_apply()"))
                .await?;
        }
    }
    Ok(())
}

/// Drops `table` and the triggers [`triggers`] made for it.
pub async fn drop_with_triggers(
    db: &impl ConnectionTrait,
    source: &str,
    table: &str,
) -> Result<(), DbErr> {
    drop_triggers(db, source, table).await?;
    db.execute_unprepared(&format!("DROP TABLE {table}"))
        .await?;
    Ok(())
}
