//! Events become messages, and messages deliveries: one transaction takes a batch of
//! events, gives each its message and marks it taken, so an event is placed exactly once
//! however many workers look (PostgreSQL: rows another worker holds are skipped; SQLite:
//! one writer at a time, and an event taken meanwhile rolls the batch back).
//!
//! A configuration and status get one message an hour: the first event of the hour is
//! sent at once; later ones of the same hour are folded into that hour's digest, sent
//! when the hour is over.

use super::DIGEST_WINDOW_MS;
use crate::sync::queue::stmt;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, QueryResult, TransactionTrait,
};

/// Advisory locks of alert placement, one per configuration (a key space of its own, after
/// this feature's migration number): two workers never place one configuration's events
/// at once, so an hour never gets two first messages.
const PLACEMENT_LOCKS: i32 = 13;

#[derive(Debug, Clone)]
struct Event {
    id: i64,
    organisation_id: i64,
    configuration_id: i64,
    kind: String,
    status: String,
    created_at_ms: i64,
}

fn read_event(r: &QueryResult) -> Result<Event, DbErr> {
    Ok(Event {
        id: r.try_get_by_index(0)?,
        organisation_id: r.try_get_by_index(1)?,
        configuration_id: r.try_get_by_index(2)?,
        kind: r.try_get_by_index(3)?,
        status: r.try_get_by_index(4)?,
        created_at_ms: r.try_get_by_index(5)?,
    })
}

/// Places up to `limit` waiting events; returns how many. `email` says whether email is
/// configured: without it, only webhooks get deliveries.
pub async fn place_events(
    db: &DatabaseConnection,
    email: bool,
    now_ms: i64,
    limit: u64,
) -> Result<usize, DbErr> {
    // A look first: most of the time nothing waits, and a write transaction (on SQLite,
    // the database's one write lock) is not taken for nothing.
    let waiting = db
        .query_one(stmt(
            db,
            "SELECT id FROM alert_events WHERE message_id IS NULL LIMIT 1",
            vec![],
        ))
        .await?;
    if waiting.is_none() {
        return Ok(0);
    }
    let txn = db.begin().await?;
    let lock = match txn.get_database_backend() {
        DatabaseBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => {
            // SQLite: a write first takes the database's one write lock (waiting for it
            // as long as the busy timeout allows), so no other worker places events
            // between this batch's read and its writes. A write statement takes the
            // lock even when it changes no row.
            txn.execute(stmt(
                &txn,
                "UPDATE alert_events SET message_id = NULL WHERE id < $1",
                vec![0i64.into()],
            ))
            .await?;
            ""
        }
    };
    let rows = txn
        .query_all(stmt(
            &txn,
            &format!(
                "SELECT id, organisation_id, configuration_id, kind, status, created_at_ms \
                 FROM alert_events WHERE message_id IS NULL ORDER BY id LIMIT $1 {lock}"
            ),
            vec![(limit as i64).into()],
        ))
        .await?;
    let events = rows.iter().map(read_event).collect::<Result<Vec<_>, _>>()?;
    for event in &events {
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            txn.execute(stmt(
                &txn,
                "SELECT pg_advisory_xact_lock($1, ($2 % 2147483647)::int)",
                vec![PLACEMENT_LOCKS.into(), event.configuration_id.into()],
            ))
            .await?;
        }
        let message = place(&txn, event, email, now_ms).await?;
        let taken = txn
            .execute(stmt(
                &txn,
                "UPDATE alert_events SET message_id = $1 WHERE id = $2 AND message_id IS NULL",
                vec![message.into(), event.id.into()],
            ))
            .await?;
        if taken.rows_affected() != 1 {
            // Another worker placed it first: leave this batch to it.
            txn.rollback().await?;
            return Ok(0);
        }
    }
    txn.commit().await?;
    Ok(events.len())
}

/// The message the event belongs to, created (with its deliveries) when it is the first.
async fn place(
    txn: &impl ConnectionTrait,
    event: &Event,
    email: bool,
    now_ms: i64,
) -> Result<i64, DbErr> {
    if event.kind == "run" {
        // The hour's first message for this configuration and status, if there is one.
        let first = txn
            .query_one(stmt(
                txn,
                "SELECT window_start_ms FROM alert_messages \
                 WHERE configuration_id = $1 AND status = $2 AND digest = $3 \
                 AND window_start_ms > $4 ORDER BY window_start_ms DESC LIMIT 1",
                vec![
                    event.configuration_id.into(),
                    event.status.clone().into(),
                    false.into(),
                    (event.created_at_ms - DIGEST_WINDOW_MS).into(),
                ],
            ))
            .await?;
        if let Some(first) = first {
            let window: i64 = first.try_get_by_index(0)?;
            // An event placed late (the workers were down), after its hour's digest went
            // out, starts a new hour rather than join a message already sent.
            if !digest_gone(txn, event, window).await? {
                return message(
                    txn,
                    event,
                    true,
                    window,
                    window + DIGEST_WINDOW_MS,
                    email,
                    now_ms,
                )
                .await;
            }
        }
    }
    message(
        txn,
        event,
        false,
        event.created_at_ms,
        now_ms,
        email,
        now_ms,
    )
    .await
}

/// Whether the digest of this window has started going out.
async fn digest_gone(
    txn: &impl ConnectionTrait,
    event: &Event,
    window_start_ms: i64,
) -> Result<bool, DbErr> {
    let row = txn
        .query_one(stmt(
            txn,
            "SELECT 1 FROM alert_messages m JOIN alert_deliveries d ON d.message_id = m.id \
             WHERE m.configuration_id = $1 AND m.status = $2 AND m.digest = $3 \
             AND m.window_start_ms = $4 AND d.state <> 'pending' LIMIT 1",
            vec![
                event.configuration_id.into(),
                event.status.clone().into(),
                true.into(),
                window_start_ms.into(),
            ],
        ))
        .await?;
    Ok(row.is_some())
}

/// The message of this configuration, status, kind and window: found, or created with a
/// delivery for each recipient.
async fn message(
    txn: &impl ConnectionTrait,
    event: &Event,
    digest: bool,
    window_start_ms: i64,
    send_at_ms: i64,
    email: bool,
    now_ms: i64,
) -> Result<i64, DbErr> {
    let found = txn
        .query_one(stmt(
            txn,
            "SELECT id FROM alert_messages WHERE configuration_id = $1 AND status = $2 \
             AND digest = $3 AND window_start_ms = $4",
            vec![
                event.configuration_id.into(),
                event.status.clone().into(),
                digest.into(),
                window_start_ms.into(),
            ],
        ))
        .await?;
    if let Some(found) = found {
        return found.try_get_by_index(0);
    }
    let created = txn
        .query_one(stmt(
            txn,
            "INSERT INTO alert_messages (organisation_id, configuration_id, status, digest, \
             window_start_ms, send_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING id",
            vec![
                event.organisation_id.into(),
                event.configuration_id.into(),
                event.status.clone().into(),
                digest.into(),
                window_start_ms.into(),
                send_at_ms.into(),
                now_ms.into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the alert message was not created".into()))?;
    let id: i64 = created.try_get_by_index(0)?;
    add_deliveries(txn, id, event.organisation_id, email, send_at_ms, now_ms).await?;
    Ok(id)
}

/// The admins who receive alert emails, as a query's `FROM … WHERE` over `users u`:
/// Organisation Admins and People Admins of an organisation with User Provisioning, set up
/// on the User Sync Service, active, who have not turned alert emails off.
pub const RECIPIENTS: &str = "users u JOIN organisations o ON o.id = u.organisation_id \
     LEFT JOIN alert_preferences p ON p.user_id = u.id \
     WHERE o.provisioning_enabled = TRUE AND u.role IN ('organisation_admin', 'people_admin') \
     AND u.sync_service_enrolled = TRUE AND u.active = TRUE \
     AND (p.email_alerts IS NULL OR p.email_alerts = TRUE)";

/// One delivery per admin who receives alerts (when email is configured, see
/// [`RECIPIENTS`]) and one for the organisation's webhook, if it has one.
async fn add_deliveries(
    txn: &impl ConnectionTrait,
    message_id: i64,
    organisation_id: i64,
    email: bool,
    send_at_ms: i64,
    now_ms: i64,
) -> Result<(), DbErr> {
    if email {
        txn.execute(stmt(
            txn,
            &format!("INSERT INTO alert_deliveries (message_id, organisation_id, channel, recipient, \
             user_id, time_zone, state, attempts, next_attempt_at_ms, created_at_ms) \
             SELECT $1, u.organisation_id, 'email', u.email, u.id, p.time_zone, 'pending', 0, $2, $3 \
             FROM {RECIPIENTS} AND u.organisation_id = $4 ORDER BY u.id"),
            vec![
                message_id.into(),
                send_at_ms.into(),
                now_ms.into(),
                organisation_id.into(),
            ],
        ))
        .await?;
    }
    txn.execute(stmt(
        txn,
        "INSERT INTO alert_deliveries (message_id, organisation_id, channel, recipient, \
         state, attempts, next_attempt_at_ms, created_at_ms) \
         SELECT $1, organisation_id, 'webhook', 'webhook', 'pending', 0, $2, $3 \
         FROM alert_webhooks WHERE organisation_id = $4",
        vec![
            message_id.into(),
            send_at_ms.into(),
            now_ms.into(),
            organisation_id.into(),
        ],
    ))
    .await?;
    Ok(())
}
