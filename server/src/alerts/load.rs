//! A message's alert as the database tells it when it is sent: the configuration, the
//! organisation, the runs its events name, and for a message of its own the run's first
//! problems.

use super::content::{Alert, AlertKind, AlertRun};
use crate::sync::queue::stmt;
use crate::sync::status_sql::{NEEDS_ATTENTION, SUCCESS};
use app::domain::{RunCounts, RunStatus};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

/// A message's alert as its deliveries tell it: the configuration, the organisation, and
/// its events' runs.
pub async fn load_alert(db: &impl ConnectionTrait, message_id: i64) -> Result<Alert, DbErr> {
    let m = db
        .query_one(stmt(
            db,
            "SELECT m.status, m.digest, m.configuration_id, c.name, c.schedule, o.name \
             FROM alert_messages m JOIN sync_configurations c ON c.id = m.configuration_id \
             JOIN organisations o ON o.id = m.organisation_id WHERE m.id = $1",
            vec![message_id.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("alert message {message_id}")))?;
    let status: String = m.try_get_by_index(0)?;
    let digest: bool = m.try_get_by_index(1)?;
    let configuration_id: i64 = m.try_get_by_index(2)?;
    let configuration: String = m.try_get_by_index(3)?;
    let schedule: String = m.try_get_by_index(4)?;
    let organisation: String = m.try_get_by_index(5)?;
    let events = db
        .query_all(stmt(
            db,
            "SELECT e.created_at_ms, r.id, r.status, r.sort_at_ms, r.status_reason, r.created, \
             r.updated, r.deactivated, r.reactivated, r.unchanged, r.skipped, r.warnings, \
             r.errors, r.planned_deactivations, r.started_at_ms \
             FROM alert_events e LEFT JOIN sync_runs r ON r.id = e.run_id \
             WHERE e.message_id = $1 ORDER BY e.id",
            vec![message_id.into()],
        ))
        .await?;
    let mut runs = Vec::new();
    let mut at_ms = 0;
    for e in &events {
        at_ms = e.try_get_by_index(0)?;
        if let Some(run) = read_run(e)? {
            runs.push(run);
        }
    }
    // A message of its own names the run's first problems; a digest lists its runs.
    if !digest {
        if let Some(run) = runs.last_mut() {
            // A load failure's reason is its error entry too: said once.
            let reason = run.reason.clone();
            run.problems = problems(db, run.id)
                .await?
                .into_iter()
                .filter(|p| !reason.as_deref().is_some_and(|r| p.contains(r)))
                .collect();
        }
    }
    let kind = match status.as_str() {
        "stale" => AlertKind::Stale {
            schedule,
            last_good_ms: last_good(db, configuration_id, at_ms).await?,
        },
        "recovered" => AlertKind::Recovered,
        s => AlertKind::Run(s.parse().unwrap_or(RunStatus::NeedsAttention)),
    };
    Ok(Alert {
        organisation,
        configuration,
        kind,
        runs,
        digest,
        at_ms,
    })
}

fn read_run(e: &QueryResult) -> Result<Option<AlertRun>, DbErr> {
    let Some(id) = e.try_get_by_index::<Option<i64>>(1)? else {
        return Ok(None);
    };
    let status: String = e.try_get_by_index(2)?;
    let n = |i: usize| -> Result<u32, DbErr> { Ok(e.try_get_by_index::<i32>(i)?.max(0) as u32) };
    Ok(Some(AlertRun {
        id,
        status: status.parse().unwrap_or(RunStatus::NeedsAttention),
        started_at_ms: e.try_get_by_index(3)?,
        reason: e.try_get_by_index(4)?,
        counts: RunCounts {
            created: n(5)?,
            updated: n(6)?,
            deactivated: n(7)?,
            reactivated: n(8)?,
            unchanged: n(9)?,
            skipped: n(10)?,
            warnings: n(11)?,
            errors: n(12)?,
            planned_deactivations: n(13)?,
        },
        problems: Vec::new(),
        started: e.try_get_by_index::<Option<i64>>(14)?.is_some(),
    }))
}

/// The run's first three warnings or errors: who, and what the log says.
async fn problems(db: &impl ConnectionTrait, run_id: i64) -> Result<Vec<String>, DbErr> {
    let rows = db
        .query_all(stmt(
            db,
            "SELECT email, external_id, record_ref, message FROM sync_log_entries \
             WHERE run_id = $1 AND outcome <> 'ok' AND kind <> 'planned' \
             ORDER BY sequence LIMIT 3",
            vec![run_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let who: Option<String> = r
                .try_get_by_index::<Option<String>>(0)?
                .or(r.try_get_by_index(1)?)
                .or(r.try_get_by_index(2)?);
            let message: String = r.try_get_by_index(3)?;
            Ok(match who {
                Some(who) => format!("{who}: {message}"),
                None => message,
            })
        })
        .collect()
}

/// The start of the configuration's last good run up to `at_ms`.
async fn last_good(
    db: &impl ConnectionTrait,
    configuration_id: i64,
    at_ms: i64,
) -> Result<Option<i64>, DbErr> {
    let row = db
        .query_one(stmt(
            db,
            &format!(
                "SELECT MAX(sort_at_ms) FROM sync_runs WHERE configuration_id = $1 \
             AND status IN ('{SUCCESS}', '{NEEDS_ATTENTION}') AND sort_at_ms <= $2"
            ),
            vec![configuration_id.into(), at_ms.into()],
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get_by_index::<Option<i64>>(0).ok().flatten()))
}
