//! Admins' alert choices, and what a run's alert came to.

use super::{db_err, now_ms, SeaStore};
use crate::sync::queue::stmt;
use app::domain::{DeliveryTally, RunAlert};
use app::ports::{AlertStore, StoreError};
use async_trait::async_trait;
use sea_orm::ConnectionTrait;

#[async_trait]
impl AlertStore for SeaStore {
    async fn email_alerts(&self, user_id: i64) -> Result<bool, StoreError> {
        let row = self
            .db
            .query_one(stmt(
                &self.db,
                "SELECT email_alerts FROM alert_preferences WHERE user_id = $1",
                vec![user_id.into()],
            ))
            .await
            .map_err(db_err)?;
        match row {
            Some(r) => r.try_get_by_index(0).map_err(db_err),
            None => Ok(true),
        }
    }

    async fn set_email_alerts(
        &self,
        user_id: i64,
        on: bool,
        time_zone: Option<&str>,
    ) -> Result<(), StoreError> {
        self.db
            .execute(stmt(
                &self.db,
                "INSERT INTO alert_preferences (user_id, email_alerts, time_zone, updated_at_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
                 email_alerts = excluded.email_alerts, \
                 time_zone = COALESCE(excluded.time_zone, alert_preferences.time_zone), \
                 updated_at_ms = excluded.updated_at_ms",
                vec![user_id.into(), on.into(), time_zone.into(), now_ms().into()],
            ))
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn remember_time_zone(&self, user_id: i64, time_zone: &str) -> Result<(), StoreError> {
        // Asked on every visit of the Syncs page: a write only when the zone changed.
        let known = self
            .db
            .query_one(stmt(
                &self.db,
                "SELECT time_zone FROM alert_preferences WHERE user_id = $1",
                vec![user_id.into()],
            ))
            .await
            .map_err(db_err)?
            .map(|r| r.try_get_by_index::<Option<String>>(0))
            .transpose()
            .map_err(db_err)?
            .flatten();
        if known.as_deref() == Some(time_zone) {
            return Ok(());
        }
        self.db
            .execute(stmt(
                &self.db,
                "INSERT INTO alert_preferences (user_id, email_alerts, time_zone, updated_at_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
                 time_zone = excluded.time_zone",
                vec![
                    user_id.into(),
                    true.into(),
                    time_zone.into(),
                    now_ms().into(),
                ],
            ))
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn run_alert(&self, run_id: i64) -> Result<(RunAlert, Option<i64>), StoreError> {
        let event = self
            .db
            .query_one(stmt(
                &self.db,
                "SELECT e.message_id, m.digest, m.send_at_ms FROM alert_events e \
                 LEFT JOIN alert_messages m ON m.id = e.message_id \
                 WHERE e.run_id = $1 ORDER BY e.id DESC LIMIT 1",
                vec![run_id.into()],
            ))
            .await
            .map_err(db_err)?;
        let Some(event) = event else {
            return Ok((RunAlert::None, None));
        };
        let message: Option<i64> = event.try_get_by_index(0).map_err(db_err)?;
        let Some(message) = message else {
            return Ok((RunAlert::Preparing, None));
        };
        let digest: bool = event.try_get_by_index(1).map_err(db_err)?;
        let send_at: i64 = event.try_get_by_index(2).map_err(db_err)?;
        let rows = self
            .db
            .query_all(stmt(
                &self.db,
                "SELECT channel, state, COUNT(*) FROM alert_deliveries WHERE message_id = $1 \
                 GROUP BY channel, state",
                vec![message.into()],
            ))
            .await
            .map_err(db_err)?;
        let mut email = DeliveryTally::default();
        let mut webhook = DeliveryTally::default();
        for r in rows {
            let channel: String = r.try_get_by_index(0).map_err(db_err)?;
            let state: String = r.try_get_by_index(1).map_err(db_err)?;
            let n: i64 = r.try_get_by_index(2).map_err(db_err)?;
            let tally = if channel == "email" {
                &mut email
            } else {
                &mut webhook
            };
            let n = n as u32;
            match state.as_str() {
                "sent" => tally.sent += n,
                "failed" => tally.failed += n,
                // An admin who stopped receiving alerts before it went out.
                "dropped" => {}
                _ => tally.pending += n,
            }
        }
        Ok((
            RunAlert::Message {
                digest,
                send_at_display: String::new(),
                email,
                webhook,
                email_configured: self.email,
            },
            Some(send_at),
        ))
    }

    fn email_configured(&self) -> bool {
        self.email
    }
}
