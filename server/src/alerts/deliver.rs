//! Sending what is due. A worker leases a few due deliveries in one statement (PostgreSQL
//! skips rows another worker is leasing), sends each, and records the attempt: sent, or
//! failed with a wait that doubles each time up to an hour, until a day has passed and
//! the delivery is given up. A lease that runs out (its worker died mid-send) lets another
//! worker try again; the email's Message-ID and the webhook's delivery header stay the same
//! on every try, so a receiver can recognise a repeat.

use super::channels::{post_webhook, Mailer};
use super::content::{self, Alert};
use super::load::load_alert;
use super::Timing;
use crate::sync::queue::stmt;
use crate::sync::secret::SecretRef;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::sync::Arc;

/// What sends: the SMTP relay if there is one, an HTTP client for webhooks, and where
/// links point.
#[derive(Clone)]
pub struct Senders {
    pub mailer: Option<Mailer>,
    pub http: reqwest::Client,
    pub public_url: String,
}

#[derive(Debug, Clone)]
struct Due {
    id: i64,
    message_id: i64,
    organisation_id: i64,
    channel: String,
    recipient: String,
    user_id: Option<i64>,
    time_zone: Option<String>,
    attempts: i32,
    created_at_ms: i64,
}

impl Due {
    /// The delivery's name outside: its id and the time it was written, so that it stays
    /// the same on every try and is never reused by a database started anew (whose ids
    /// start again at 1), where a receiver dropping repeats would drop a new alert.
    fn key(&self) -> String {
        format!("{}-{}", self.id, self.created_at_ms)
    }
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

/// A delivery leased to this worker, with its alert: ready to send.
pub struct Leased {
    due: Due,
    alert: Arc<Alert>,
}

impl Leased {
    pub fn channel(&self) -> &str {
        &self.due.channel
    }

    pub fn organisation_id(&self) -> i64 {
        self.due.organisation_id
    }

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

/// Which due deliveries a lease may take.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lane<'a> {
    /// Only this channel's (`email`, `webhook`); any when `None`.
    pub channel: Option<&'static str>,
    /// None of these organisations'.
    pub skip_organisations: &'a [i64],
}

/// Leases up to `limit` due deliveries of `lane` for `owner`, each with its alert (read
/// once per message).
pub async fn lease_due(
    db: &DatabaseConnection,
    owner: &str,
    timing: &Timing,
    now_ms: i64,
    limit: u64,
    lane: Lane<'_>,
) -> Result<Vec<Leased>, DbErr> {
    let due = lease(db, owner, timing, now_ms, limit, lane).await?;
    let mut alerts: HashMap<i64, Arc<Alert>> = HashMap::new();
    let mut leased = Vec::with_capacity(due.len());
    for d in due {
        let alert = match alerts.get(&d.message_id) {
            Some(a) => a.clone(),
            None => {
                let a = Arc::new(load_alert(db, d.message_id).await?);
                alerts.insert(d.message_id, a.clone());
                a
            }
        };
        leased.push(Leased { due: d, alert });
    }
    Ok(leased)
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

/// Gives back `owner`'s leases on deliveries still pending, whose sends were stopped at
/// shutdown, so that the next worker tries them at once rather than when the lease runs
/// out. Each stopped try is kept in `alert_attempts`, as every try is.
pub async fn release(db: &DatabaseConnection, owner: &str, now_ms: i64) -> Result<u64, DbErr> {
    db.execute(stmt(
        db,
        "INSERT INTO alert_attempts (delivery_id, at_ms, ok, error) \
         SELECT id, $1, $2, $3 FROM alert_deliveries WHERE lease_owner = $4 AND state = 'pending'",
        vec![
            now_ms.into(),
            false.into(),
            "the send was stopped: the worker was shutting down".into(),
            owner.into(),
        ],
    ))
    .await?;
    Ok(db
        .execute(stmt(
            db,
            "UPDATE alert_deliveries SET lease_owner = NULL, lease_until_ms = NULL \
             WHERE lease_owner = $1 AND state = 'pending'",
            vec![owner.into()],
        ))
        .await?
        .rows_affected())
}

/// Gives back leases taken but not to be sent now, as if never taken.
pub async fn unlease(db: &DatabaseConnection, owner: &str, leased: &[Leased]) -> Result<(), DbErr> {
    if leased.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = leased.iter().map(|l| l.due.id.to_string()).collect();
    db.execute(stmt(
        db,
        &format!(
            "UPDATE alert_deliveries SET lease_owner = NULL, lease_until_ms = NULL, \
             attempts = attempts - 1 WHERE lease_owner = $1 AND id IN ({})",
            ids.join(", ")
        ),
        vec![owner.into()],
    ))
    .await?;
    Ok(())
}

async fn lease(
    db: &DatabaseConnection,
    owner: &str,
    timing: &Timing,
    now_ms: i64,
    limit: u64,
    lane: Lane<'_>,
) -> Result<Vec<Due>, DbErr> {
    // The lane, as SQL: a channel name of our own and organisation ids (numbers).
    let mut in_lane = String::new();
    if let Some(channel) = lane.channel {
        in_lane.push_str(&format!(" AND channel = '{channel}'"));
    }
    if !lane.skip_organisations.is_empty() {
        let ids: Vec<String> = lane.skip_organisations.iter().map(i64::to_string).collect();
        in_lane.push_str(&format!(" AND organisation_id NOT IN ({})", ids.join(", ")));
    }
    // A look first, so that a lease (a write) is only asked for when something is due.
    let due = db
        .query_one(stmt(
            db,
            &format!(
                "SELECT id FROM alert_deliveries WHERE state = 'pending' AND next_attempt_at_ms <= $1 \
                 AND (lease_until_ms IS NULL OR lease_until_ms < $1){in_lane} LIMIT 1"
            ),
            vec![now_ms.into()],
        ))
        .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    // The rows are picked once, in a CTE PostgreSQL materialises: as a subquery of
    // `IN (…)`, its LIMIT with SKIP LOCKED may be run again by the plan, and more rows
    // than asked for were leased (twenty where sixteen were free).
    let (materialized, lock) = match db.get_database_backend() {
        DatabaseBackend::Postgres => ("MATERIALIZED", "FOR UPDATE SKIP LOCKED"),
        _ => ("", ""),
    };
    let rows = db
        .query_all(stmt(
            db,
            &format!(
                "WITH picked AS {materialized} (SELECT id FROM alert_deliveries \
                   WHERE state = 'pending' AND next_attempt_at_ms <= $3 \
                   AND (lease_until_ms IS NULL OR lease_until_ms < $3){in_lane} \
                   ORDER BY next_attempt_at_ms, id LIMIT $4 {lock}) \
                 UPDATE alert_deliveries SET lease_owner = $1, lease_until_ms = $2, \
                 attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM picked) \
                 AND state = 'pending' AND (lease_until_ms IS NULL OR lease_until_ms < $3) \
                 RETURNING id, message_id, organisation_id, channel, recipient, time_zone, \
                 attempts, created_at_ms, user_id"
            ),
            vec![
                owner.into(),
                (now_ms + timing.lease.as_millis() as i64).into(),
                now_ms.into(),
                (limit as i64).into(),
            ],
        ))
        .await?;
    let mut due = rows
        .iter()
        .map(|r| {
            Ok(Due {
                id: r.try_get_by_index(0)?,
                message_id: r.try_get_by_index(1)?,
                organisation_id: r.try_get_by_index(2)?,
                channel: r.try_get_by_index(3)?,
                recipient: r.try_get_by_index(4)?,
                time_zone: r.try_get_by_index(5)?,
                attempts: r.try_get_by_index(6)?,
                created_at_ms: r.try_get_by_index(7)?,
                user_id: r.try_get_by_index(8)?,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    due.sort_by_key(|d| d.id);
    Ok(due)
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
                .map_err(Failed::retry)
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
            .map_err(Failed::retry)
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
