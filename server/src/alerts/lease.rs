//! Leasing due deliveries: a worker takes a few in one statement (PostgreSQL skips rows
//! another worker is leasing), each with its alert, and gives back what it will not send.

use super::content::Alert;
use super::load::load_alert;
use super::Timing;
use crate::sync::queue::stmt;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::sync::Arc;

/// A delivery leased to this worker, as its row says it.
#[derive(Debug, Clone)]
pub(super) struct Due {
    pub(super) id: i64,
    pub(super) message_id: i64,
    pub(super) organisation_id: i64,
    pub(super) channel: String,
    pub(super) recipient: String,
    pub(super) user_id: Option<i64>,
    pub(super) time_zone: Option<String>,
    pub(super) attempts: i32,
    pub(super) created_at_ms: i64,
}

impl Due {
    /// The delivery's name outside: its id and the time it was written, so that it stays
    /// the same on every try and is never reused by a database started anew (whose ids
    /// start again at 1), where a receiver dropping repeats would drop a new alert.
    pub(super) fn key(&self) -> String {
        format!("{}-{}", self.id, self.created_at_ms)
    }
}

/// A delivery leased to this worker, with its alert: ready to send.
pub struct Leased {
    pub(super) due: Due,
    pub(super) alert: Arc<Alert>,
}

impl Leased {
    pub fn channel(&self) -> &str {
        &self.due.channel
    }

    pub fn organisation_id(&self) -> i64 {
        self.due.organisation_id
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
