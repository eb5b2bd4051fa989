//! Migration 13: alerts. A run that ends in a status that needs an admin (Needs Attention,
//! Data Load Failed, Above Deactivation Threshold, Cancelled) writes an `alert_events` row
//! in the transaction that ends it: a trigger on `sync_runs` does, so no writer of a final
//! status (the engine, a cancel, a recovery) can forget it, and an event exists exactly
//! when its run's end committed. Staleness events are written by the alert worker.
//!
//! The worker turns each event into one message (`alert_messages`: a message of its own,
//! or a share of the hour's digest for its configuration and status) and the message into
//! deliveries (`alert_deliveries`, one per admin and one per webhook), in one transaction
//! that also marks the event taken. Deliveries are sent, retried with back-off and their
//! attempts kept (`alert_attempts`). Admins' choices are in `alert_preferences`; an
//! organisation's webhook in `alert_webhooks`; a configuration known to be stale in
//! `alert_staleness`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct AlertOutbox;

impl MigrationName for AlertOutbox {
    fn name(&self) -> &str {
        "m0013_alert_outbox"
    }
}

/// The statuses an admin hears about, as stored.
pub const ALERTED_STATUSES: [&str; 4] = [
    "needs_attention",
    "data_load_failed",
    "above_deactivation_threshold",
    "cancelled",
];

fn alerted_list() -> String {
    ALERTED_STATUSES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait::async_trait]
impl MigrationTrait for AlertOutbox {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let id = match backend {
            DatabaseBackend::Postgres => "id BIGSERIAL PRIMARY KEY",
            _ => "id INTEGER PRIMARY KEY AUTOINCREMENT",
        };
        let statuses = alerted_list();
        let mut sql = vec![
            format!(
                "CREATE TABLE alert_events ({id}, organisation_id BIGINT NOT NULL, \
                 configuration_id BIGINT NOT NULL, run_id BIGINT NULL, \
                 kind TEXT NOT NULL, status TEXT NOT NULL, created_at_ms BIGINT NOT NULL, \
                 message_id BIGINT NULL)"
            ),
            // The worker's queue: events not yet given a message.
            "CREATE INDEX ix_alert_events_waiting ON alert_events (id) WHERE message_id IS NULL"
                .to_string(),
            "CREATE INDEX ix_alert_events_run ON alert_events (run_id)".to_string(),
            "CREATE INDEX ix_alert_events_message ON alert_events (message_id)".to_string(),
            format!(
                "CREATE TABLE alert_messages ({id}, organisation_id BIGINT NOT NULL, \
                 configuration_id BIGINT NOT NULL, status TEXT NOT NULL, \
                 digest BOOLEAN NOT NULL, window_start_ms BIGINT NOT NULL, \
                 send_at_ms BIGINT NOT NULL, created_at_ms BIGINT NOT NULL)"
            ),
            // One message and one digest per configuration, status and hour, however many
            // workers take events at once.
            "CREATE UNIQUE INDEX ux_alert_messages ON alert_messages \
             (configuration_id, status, digest, window_start_ms)"
                .to_string(),
            format!(
                "CREATE TABLE alert_deliveries ({id}, message_id BIGINT NOT NULL, \
                 organisation_id BIGINT NOT NULL, channel TEXT NOT NULL, \
                 recipient TEXT NOT NULL, user_id BIGINT NULL, time_zone TEXT NULL, \
                 state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, \
                 next_attempt_at_ms BIGINT NOT NULL, lease_owner TEXT NULL, \
                 lease_until_ms BIGINT NULL, last_error TEXT NULL, sent_at_ms BIGINT NULL, \
                 created_at_ms BIGINT NOT NULL)"
            ),
            "CREATE INDEX ix_alert_deliveries_due ON alert_deliveries \
             (state, next_attempt_at_ms)"
                .to_string(),
            "CREATE INDEX ix_alert_deliveries_message ON alert_deliveries (message_id)".to_string(),
            format!(
                "CREATE TABLE alert_attempts ({id}, delivery_id BIGINT NOT NULL, \
                 at_ms BIGINT NOT NULL, ok BOOLEAN NOT NULL, error TEXT NULL)"
            ),
            "CREATE INDEX ix_alert_attempts_delivery ON alert_attempts (delivery_id)".to_string(),
            "CREATE TABLE alert_preferences (user_id BIGINT PRIMARY KEY, \
             email_alerts BOOLEAN NOT NULL, time_zone TEXT NULL, updated_at_ms BIGINT NOT NULL)"
                .to_string(),
            "CREATE TABLE alert_webhooks (organisation_id BIGINT PRIMARY KEY, url TEXT NOT NULL, \
             secret_ref TEXT NOT NULL, updated_at_ms BIGINT NOT NULL)"
                .to_string(),
            "CREATE TABLE alert_staleness (configuration_id BIGINT PRIMARY KEY, \
             stale_since_ms BIGINT NOT NULL)"
                .to_string(),
        ];
        match backend {
            DatabaseBackend::Postgres => sql.extend([
                "CREATE FUNCTION run_alert_event() RETURNS trigger AS $$
                BEGIN
                    INSERT INTO alert_events (organisation_id, configuration_id, run_id, kind,
                        status, created_at_ms)
                    VALUES (NEW.organisation_id, NEW.configuration_id, NEW.id, 'run',
                        NEW.status, COALESCE(NEW.finished_at_ms,
                        (extract(epoch FROM clock_timestamp()) * 1000)::bigint));
                    RETURN NULL;
                END $$ LANGUAGE plpgsql"
                    .to_string(),
                format!(
                    "CREATE TRIGGER run_alert_event AFTER UPDATE OF status ON sync_runs \
                     FOR EACH ROW WHEN (NEW.status <> OLD.status AND NEW.status IN ({statuses})) \
                     EXECUTE FUNCTION run_alert_event()"
                ),
            ]),
            _ => sql.push(format!(
                "CREATE TRIGGER run_alert_event AFTER UPDATE OF status ON sync_runs \
                 WHEN NEW.status <> OLD.status AND NEW.status IN ({statuses}) BEGIN \
                 INSERT INTO alert_events (organisation_id, configuration_id, run_id, kind, \
                 status, created_at_ms) VALUES (NEW.organisation_id, NEW.configuration_id, \
                 NEW.id, 'run', NEW.status, COALESCE(NEW.finished_at_ms, \
                 CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))); END"
            )),
        }
        for statement in sql {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let mut sql = match db.get_database_backend() {
            DatabaseBackend::Postgres => vec![
                "DROP TRIGGER run_alert_event ON sync_runs",
                "DROP FUNCTION run_alert_event()",
            ],
            _ => vec!["DROP TRIGGER run_alert_event"],
        };
        sql.extend([
            "DROP TABLE alert_staleness",
            "DROP TABLE alert_webhooks",
            "DROP TABLE alert_preferences",
            "DROP TABLE alert_attempts",
            "DROP TABLE alert_deliveries",
            "DROP TABLE alert_messages",
            "DROP TABLE alert_events",
        ]);
        for statement in sql {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use app::domain::RunStatus;

    #[test]
    fn the_trigger_alerts_on_the_statuses_the_pages_say_alert() {
        let alerting: Vec<&str> = RunStatus::ALL
            .into_iter()
            .filter(|s| s.alerts())
            .map(RunStatus::slug)
            .collect();
        assert_eq!(alerting, super::ALERTED_STATUSES);
    }
}
