//! A configuration goes stale when it is enabled and scheduled but has had no Success or
//! Needs Attention run for twice its interval (counted from its creation until its first
//! such run): admins hear once when it goes stale and once when it recovers. Whether it is
//! stale now is kept in `alert_staleness`; the row's insert or delete and the event commit
//! together, and only the worker whose statement changed the row writes the event.

use crate::sync::queue::stmt;
use crate::sync::schedule::Schedule;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

/// The statuses of a good run: the sync ran and applied its changes.
const GOOD: [&str; 2] = ["success", "needs_attention"];

/// Checks every enabled configuration; returns how many went stale or recovered.
pub async fn check(db: &DatabaseConnection, now_ms: i64) -> Result<usize, DbErr> {
    let rows = db
        .query_all(stmt(
            db,
            "SELECT c.id, c.organisation_id, c.schedule, c.enabled, c.created_at_ms, \
             (SELECT MAX(r.sort_at_ms) FROM sync_runs r WHERE r.configuration_id = c.id AND r.status = $1), \
             (SELECT MAX(r.sort_at_ms) FROM sync_runs r WHERE r.configuration_id = c.id AND r.status = $2), \
             s.stale_since_ms \
             FROM sync_configurations c LEFT JOIN alert_staleness s ON s.configuration_id = c.id",
            vec![GOOD[0].into(), GOOD[1].into()],
        ))
        .await?;
    let mut changed = 0;
    for r in rows {
        let id: i64 = r.try_get_by_index(0)?;
        let organisation_id: i64 = r.try_get_by_index(1)?;
        let schedule: String = r.try_get_by_index(2)?;
        let enabled: bool = r.try_get_by_index(3)?;
        let created: i64 = r.try_get_by_index(4)?;
        let success: Option<i64> = r.try_get_by_index(5)?;
        let attention: Option<i64> = r.try_get_by_index(6)?;
        let known_stale: Option<i64> = r.try_get_by_index(7)?;
        let interval = match schedule.parse() {
            Ok(Schedule::Every(ms)) if enabled => Some(ms),
            _ => None,
        };
        let since = success.max(attention).unwrap_or(created).max(created);
        let stale = interval.is_some_and(|ms| now_ms - since > 2 * ms);
        match (stale, known_stale.is_some()) {
            (true, false) => {
                changed += went_stale(db, id, organisation_id, since, now_ms).await?;
            }
            (false, true) => {
                // A configuration now disabled or manual is no longer watched: no message.
                let recovered = interval.is_some();
                changed += no_longer_stale(db, id, organisation_id, recovered, now_ms).await?;
            }
            _ => {}
        }
    }
    Ok(changed)
}

async fn went_stale(
    db: &DatabaseConnection,
    configuration_id: i64,
    organisation_id: i64,
    since: i64,
    now_ms: i64,
) -> Result<usize, DbErr> {
    let txn = db.begin().await?;
    let inserted = txn
        .execute(stmt(
            &txn,
            "INSERT INTO alert_staleness (configuration_id, stale_since_ms) VALUES ($1, $2) \
             ON CONFLICT (configuration_id) DO NOTHING",
            vec![configuration_id.into(), since.into()],
        ))
        .await?;
    if inserted.rows_affected() == 1 {
        event(&txn, organisation_id, configuration_id, "stale", now_ms).await?;
    }
    txn.commit().await?;
    Ok(inserted.rows_affected() as usize)
}

async fn no_longer_stale(
    db: &DatabaseConnection,
    configuration_id: i64,
    organisation_id: i64,
    recovered: bool,
    now_ms: i64,
) -> Result<usize, DbErr> {
    let txn = db.begin().await?;
    let deleted = txn
        .execute(stmt(
            &txn,
            "DELETE FROM alert_staleness WHERE configuration_id = $1",
            vec![configuration_id.into()],
        ))
        .await?;
    if deleted.rows_affected() == 1 && recovered {
        event(&txn, organisation_id, configuration_id, "recovered", now_ms).await?;
    }
    txn.commit().await?;
    Ok(deleted.rows_affected() as usize)
}

async fn event(
    txn: &impl ConnectionTrait,
    organisation_id: i64,
    configuration_id: i64,
    kind: &str,
    now_ms: i64,
) -> Result<(), DbErr> {
    txn.execute(stmt(
        txn,
        "INSERT INTO alert_events (organisation_id, configuration_id, run_id, kind, status, \
         created_at_ms) VALUES ($1, $2, NULL, $3, $3, $4)",
        vec![
            organisation_id.into(),
            configuration_id.into(),
            kind.into(),
            now_ms.into(),
        ],
    ))
    .await?;
    Ok(())
}
