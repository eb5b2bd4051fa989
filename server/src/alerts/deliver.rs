//! Sending what is due. A worker leases a few due deliveries in one statement (PostgreSQL
//! skips rows another worker is leasing), sends each, and records the attempt: sent, or
//! failed with a wait that doubles each time up to an hour, until a day has passed and
//! the delivery is given up. A lease that runs out (its worker died mid-send) lets another
//! worker try again; the email's Message-ID and the webhook's delivery header stay the same
//! on every try, so a receiver can recognise a repeat.

use super::channels::{post_webhook, Mailer};
use super::content::{self, Alert};
use super::lease::{lease_due, Due, Lane, Leased};
use super::Timing;
use crate::sync::queue::stmt;
use crate::sync::secret::SecretRef;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

/// What sends: the SMTP relay if there is one, an HTTP client for webhooks, and where
/// links point.
#[derive(Clone)]
pub struct Senders {
    pub mailer: Option<Mailer>,
    pub http: reqwest::Client,
    pub public_url: String,
}

/// Why a try failed, and whether trying again could help.
#[derive(Debug, Clone)]
struct Failed {
    reason: String,
    permanent: bool,
    /// Not a failure: the admin no longer receives alert emails (they turned them off, or
    /// lost access, since the message was written). The delivery is dropped.
    dropped: bool,
}

impl Failed {
    fn retry(reason: impl Into<String>) -> Self {
        Failed {
            reason: reason.into(),
            permanent: false,
            dropped: false,
        }
    }
    fn permanent(reason: impl Into<String>) -> Self {
        Failed {
            reason: reason.into(),
            permanent: true,
            dropped: false,
        }
    }
    fn dropped() -> Self {
        Failed {
            reason: "the admin no longer receives alert emails".into(),
            permanent: true,
            dropped: true,
        }
    }
}

impl Leased {
    /// Sends it and records the try. The lease keeps other workers off it meanwhile.
    pub async fn deliver(
        self,
        db: &DatabaseConnection,
        senders: &Senders,
        timing: &Timing,
        owner: &str,
        now_ms: impl Fn() -> i64,
    ) -> Result<(), DbErr> {
        let outcome = send(db, senders, &self.due, &self.alert, now_ms()).await;
        record(db, &self.due, owner, timing, outcome, now_ms()).await
    }
}

/// Sends up to `limit` due deliveries as `owner`, all at once, and waits for every one;
/// returns how many were tried. (The worker does not wait for a batch: it sends each
/// delivery as its own task, see `worker::run`.)
pub async fn send_due(
    db: &DatabaseConnection,
    senders: &Senders,
    timing: &Timing,
    owner: &str,
    now_ms: impl Fn() -> i64,
    limit: u64,
) -> Result<usize, DbErr> {
    let leased = lease_due(db, owner, timing, now_ms(), limit, Lane::default()).await?;
    let n = leased.len();
    // All at once: a webhook that takes its time holds up no email, and no other webhook.
    let tries = leased
        .into_iter()
        .map(|l| l.deliver(db, senders, timing, owner, &now_ms));
    for recorded in futures::future::join_all(tries).await {
        recorded?;
    }
    Ok(n)
}

async fn send(
    db: &DatabaseConnection,
    senders: &Senders,
    d: &Due,
    alert: &Alert,
    now_ms: i64,
) -> Result<(), Failed> {
    match d.channel.as_str() {
        "email" => {
            let Some(mailer) = &senders.mailer else {
                return Err(Failed::permanent("email is not configured (UP_SMTP_URL)"));
            };
            // Still one of the admins who receive alerts, as when the message was written?
            if let Some(user) = d.user_id {
                let still = still_receives(db, user)
                    .await
                    .map_err(|e| Failed::retry(format!("the database could not be read: {e}")))?;
                if !still {
                    return Err(Failed::dropped());
                }
            }
            let tz = d
                .time_zone
                .as_deref()
                .and_then(|z| z.parse().ok())
                .unwrap_or(chrono_tz::UTC);
            let email = content::email(alert, tz, &senders.public_url);
            let host = senders
                .public_url
                .split("://")
                .nth(1)
                .and_then(|h| h.split([':', '/']).next())
                .unwrap_or("user-provisioning");
            let message_id = format!("<alert-{}@{host}>", d.key());
            mailer
                .send(&d.recipient, &email, &message_id)
                .await
                .map_err(|e| Failed::retry(e.to_string()))
        }
        "webhook" => {
            let (url, secret) = current_webhook(db, d.organisation_id)
                .await
                .map_err(|e| Failed::retry(format!("the database could not be read: {e}")))??;
            let body = content::webhook(alert, &senders.public_url, d.id, &d.key()).to_string();
            post_webhook(
                &senders.http,
                &url,
                &secret,
                &d.key(),
                body.into_bytes(),
                now_ms,
            )
            .await
            .map_err(|e| Failed::retry(e.to_string()))
        }
        other => Err(Failed::permanent(format!("no channel is called {other}"))),
    }
}

async fn still_receives(db: &DatabaseConnection, user_id: i64) -> Result<bool, DbErr> {
    let row = db
        .query_one(stmt(
            db,
            &format!(
                "SELECT u.id FROM {} AND u.id = $1",
                super::outbox::RECIPIENTS
            ),
            vec![user_id.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// The organisation's webhook now: its address and its secret.
async fn current_webhook(
    db: &DatabaseConnection,
    organisation_id: i64,
) -> Result<Result<(String, crate::sync::secret::Secret), Failed>, DbErr> {
    let row = db
        .query_one(stmt(
            db,
            "SELECT url, secret_ref FROM alert_webhooks WHERE organisation_id = $1",
            vec![organisation_id.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(Err(Failed {
            reason: "the organisation's webhook was removed".into(),
            permanent: true,
            dropped: true,
        }));
    };
    // The webhook as it is now: an address or secret put right meanwhile is used.
    let now_url: String = row.try_get_by_index(0)?;
    let reference: String = row.try_get_by_index(1)?;
    Ok(match reference.parse::<SecretRef>() {
        Err(_) => Err(Failed::permanent("the webhook's secret is not a reference")),
        Ok(r) => r
            .resolve()
            .map(|secret| (now_url, secret))
            .map_err(|e| Failed::retry(format!("the webhook's secret: {e}"))),
    })
}

async fn record(
    db: &DatabaseConnection,
    d: &Due,
    owner: &str,
    timing: &Timing,
    outcome: Result<(), Failed>,
    now_ms: i64,
) -> Result<(), DbErr> {
    let (state, next, error) = match &outcome {
        Ok(()) => ("sent", now_ms, None),
        Err(f) => {
            let next = now_ms + retry_wait(timing, d.attempts);
            let give_up =
                f.permanent || next - d.created_at_ms > timing.give_up_after.as_millis() as i64;
            let state = match (f.dropped, give_up) {
                (true, _) => "dropped",
                (false, true) => "failed",
                (false, false) => "pending",
            };
            (state, next, Some(f.reason.clone()))
        }
    };
    match (&error, state) {
        (Some(e), "dropped") => tracing::info!(delivery = d.id, "alert not sent: {e}"),
        (Some(e), _) => {
            tracing::warn!(delivery = d.id, channel = %d.channel, attempt = d.attempts, state, "alert not delivered: {e}")
        }
        _ => {}
    }
    db.execute(stmt(
        db,
        "UPDATE alert_deliveries SET state = $1, next_attempt_at_ms = $2, last_error = $3, \
         sent_at_ms = $4, lease_owner = NULL, lease_until_ms = NULL \
         WHERE id = $5 AND lease_owner = $6",
        vec![
            state.into(),
            next.into(),
            error.clone().into(),
            outcome.is_ok().then_some(now_ms).into(),
            d.id.into(),
            owner.into(),
        ],
    ))
    .await?;
    db.execute(stmt(
        db,
        "INSERT INTO alert_attempts (delivery_id, at_ms, ok, error) VALUES ($1, $2, $3, $4)",
        vec![
            d.id.into(),
            now_ms.into(),
            outcome.is_ok().into(),
            error.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The wait after the `attempt`-th failed try: the first wait, doubled each time, at most
/// the longest wait.
pub fn retry_wait(timing: &Timing, attempt: i32) -> i64 {
    let first = timing.retry_first.as_millis() as i64;
    let max = timing.retry_max.as_millis() as i64;
    let doublings = (attempt.max(1) - 1).min(30) as u32;
    first.saturating_mul(1i64 << doublings).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_an_hour() {
        let t = Timing::default();
        let waits: Vec<i64> = (1..=9).map(|a| retry_wait(&t, a) / 1000).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        let quick = Timing {
            retry_first: Duration::from_millis(100),
            ..t
        };
        assert_eq!(retry_wait(&quick, 1), 100);
        assert_eq!(retry_wait(&quick, i32::MAX), 3_600_000);
    }
}
