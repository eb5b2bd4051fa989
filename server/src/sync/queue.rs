//! The run queue in the database: queue, claim, heartbeat, cancel, recover and finish.
//! Every step is one statement, safe with many workers on one PostgreSQL (claims skip rows
//! another worker holds; unique indexes keep one scheduled run per slot and one running
//! run per configuration) and with SQLite's single writer.

use super::schedule::Schedule;
use super::status_sql::{CANCELLED, IN_PROGRESS, QUEUED};
use app::domain::{RunStatus, Trigger};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement, Value};

/// Writes `$1, $2…` placeholders the way the connected database wants them.
pub fn stmt(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => sql.to_string(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// A run a worker now owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedRun {
    pub id: i64,
    pub organisation_id: i64,
    pub configuration_id: i64,
    /// When it started: its place in the runs list and in a person's history.
    pub sort_at_ms: i64,
}

/// Why a manual queue or a cancel was refused.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Claims the oldest queued run of an enabled configuration that has no run in progress.
/// `None` when there is nothing to do (or another worker took it first).
pub async fn claim(
    db: &impl ConnectionTrait,
    worker_id: &str,
    now_ms: i64,
) -> Result<Option<ClaimedRun>, DbErr> {
    let lock = match db.get_database_backend() {
        DatabaseBackend::Postgres => "FOR UPDATE OF r SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE sync_runs SET status = '{IN_PROGRESS}', started_at_ms = $1, sort_at_ms = $1, \
         heartbeat_at_ms = $1, worker_id = $2, version = version + 1 \
         WHERE id = (SELECT r.id FROM sync_runs r \
           JOIN sync_configurations c ON c.id = r.configuration_id \
           WHERE r.status = '{QUEUED}' AND c.enabled = TRUE AND r.cancel_requested = FALSE \
             AND NOT EXISTS (SELECT 1 FROM sync_runs a \
               WHERE a.configuration_id = r.configuration_id AND a.status = '{IN_PROGRESS}') \
           ORDER BY r.queued_at_ms, r.id LIMIT 1 {lock}) \
         AND status = '{QUEUED}' \
         RETURNING id, organisation_id, configuration_id"
    );
    let row = db
        .query_one(stmt(db, &sql, vec![now_ms.into(), worker_id.into()]))
        .await;
    match row {
        Ok(Some(r)) => Ok(Some(ClaimedRun {
            id: r.try_get("", "id")?,
            organisation_id: r.try_get("", "organisation_id")?,
            configuration_id: r.try_get("", "configuration_id")?,
            sort_at_ms: now_ms,
        })),
        Ok(None) => Ok(None),
        // Another worker started a run of the same configuration at the same moment.
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Keeps a claimed run alive and publishes its progress. False when the run is no
/// longer this worker's (recovered by another, or finished).
pub async fn heartbeat(
    db: &impl ConnectionTrait,
    run_id: i64,
    worker_id: &str,
    now_ms: i64,
    done: i64,
    total: i64,
) -> Result<bool, DbErr> {
    let r = db
        .execute(stmt(
            db,
            &format!("UPDATE sync_runs SET heartbeat_at_ms = $1, progress_done = $2, progress_total = $3, \
             version = version + CASE WHEN progress_done <> $2 OR progress_total <> $3 THEN 1 ELSE 0 END \
             WHERE id = $4 AND worker_id = $5 AND status = '{IN_PROGRESS}'"),
            vec![
                now_ms.into(),
                (done as i32).into(),
                (total as i32).into(),
                run_id.into(),
                worker_id.into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether an operator asked this run to stop.
pub async fn cancel_requested(db: &impl ConnectionTrait, run_id: i64) -> Result<bool, DbErr> {
    let row = db
        .query_one(stmt(
            db,
            "SELECT cancel_requested FROM sync_runs WHERE id = $1",
            vec![run_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<bool>("", "cancel_requested")?,
        None => true,
    })
}

/// Ends runs whose worker stopped sending heartbeats before `stale_before_ms`.
/// Nothing of them was applied: a run's changes commit together with its final status.
pub async fn recover_stale(
    db: &impl ConnectionTrait,
    now_ms: i64,
    stale_before_ms: i64,
) -> Result<u64, DbErr> {
    // On PostgreSQL a run whose row is locked is being finished by a live worker right
    // now: skip it rather than wait for it.
    let lock = match db.get_database_backend() {
        DatabaseBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let r = db
        .execute(stmt(
            db,
            &format!(
                "UPDATE sync_runs SET status = '{CANCELLED}', finished_at_ms = $1, version = version + 1, \
                 status_reason = 'The worker running this sync stopped responding, so the sync was cancelled. Nothing was changed.', \
                 worker_id = NULL \
                 WHERE id IN (SELECT id FROM sync_runs WHERE status = '{IN_PROGRESS}' \
                   AND (heartbeat_at_ms IS NULL OR heartbeat_at_ms < $2) {lock})"
            ),
            vec![now_ms.into(), stale_before_ms.into()],
        ))
        .await?;
    Ok(r.rows_affected())
}

/// Ends runs whose worker `is_dead` says is gone and whose heartbeat is older than
/// `quiet_since_ms`. Like [`recover_stale`], nothing of them was applied.
pub async fn recover_dead(
    db: &impl ConnectionTrait,
    now_ms: i64,
    quiet_since_ms: i64,
    is_dead: impl Fn(&str) -> bool,
) -> Result<u64, DbErr> {
    let running = db
        .query_all(stmt(
            db,
            &format!(
                "SELECT id, worker_id FROM sync_runs WHERE status = '{IN_PROGRESS}' \
             AND (heartbeat_at_ms IS NULL OR heartbeat_at_ms < $1)"
            ),
            vec![quiet_since_ms.into()],
        ))
        .await?;
    let mut ended = 0;
    for row in running {
        let id: i64 = row.try_get("", "id")?;
        let Some(worker) = row.try_get::<Option<String>>("", "worker_id")? else {
            continue;
        };
        if !is_dead(&worker) {
            continue;
        }
        let r = db
            .execute(stmt(
                db,
                &format!("UPDATE sync_runs SET status = '{CANCELLED}', finished_at_ms = $1, version = version + 1, \
                 status_reason = 'The worker running this sync stopped, so the sync was cancelled. Nothing was changed.', \
                 worker_id = NULL \
                 WHERE id = $2 AND worker_id = $3 AND status = '{IN_PROGRESS}'"),
                vec![now_ms.into(), id.into(), worker.into()],
            ))
            .await?;
        ended += r.rows_affected();
    }
    Ok(ended)
}

/// Ends a run this worker gave up on (shutdown), unless it already ended.
pub async fn abandon(
    db: &impl ConnectionTrait,
    run_id: i64,
    worker_id: &str,
    now_ms: i64,
    reason: &str,
) -> Result<(), DbErr> {
    db.execute(stmt(
        db,
        &format!("UPDATE sync_runs SET status = '{CANCELLED}', finished_at_ms = $1, status_reason = $2, \
         version = version + 1, worker_id = NULL \
         WHERE id = $3 AND worker_id = $4 AND status = '{IN_PROGRESS}'"),
        vec![
            now_ms.into(),
            reason.into(),
            run_id.into(),
            worker_id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Queues a scheduled run for each enabled configuration whose current slot has none, and
/// which has no run already waiting. Returns how many were queued.
pub async fn schedule_due(db: &impl ConnectionTrait, now_ms: i64) -> Result<u64, DbErr> {
    let rows = db
        .query_all(stmt(
            db,
            "SELECT id, organisation_id, schedule FROM sync_configurations WHERE enabled = TRUE",
            vec![],
        ))
        .await?;
    let mut queued = 0;
    for r in rows {
        let schedule: String = r.try_get("", "schedule")?;
        let Ok(Schedule::Every(interval)) = schedule.parse::<Schedule>() else {
            continue;
        };
        let slot = Schedule::slot(interval, now_ms);
        let config: i64 = r.try_get("", "id")?;
        let org: i64 = r.try_get("", "organisation_id")?;
        let res = db
            .execute(stmt(
                db,
                &format!("INSERT INTO sync_runs (organisation_id, configuration_id, status, queued_at_ms, sort_at_ms, trigger, schedule_slot_ms) \
                 SELECT $1, $2, '{QUEUED}', $3, $3, $5, $4 \
                 WHERE NOT EXISTS (SELECT 1 FROM sync_runs WHERE configuration_id = $2 \
                   AND (status = '{QUEUED}' OR schedule_slot_ms = $4)) \
                 ON CONFLICT DO NOTHING"),
                vec![
                    org.into(),
                    config.into(),
                    now_ms.into(),
                    slot.into(),
                    Trigger::Scheduled.slug().into(),
                ],
            ))
            .await;
        match res {
            Ok(r) => queued += r.rows_affected(),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(queued)
}

/// Queues a run now at an operator's request.
pub async fn queue_now(
    db: &impl ConnectionTrait,
    configuration_id: i64,
    now_ms: i64,
) -> Result<i64, QueueError> {
    let row = db
        .query_one(stmt(
            db,
            "SELECT organisation_id, enabled FROM sync_configurations WHERE id = $1",
            vec![configuration_id.into()],
        ))
        .await?
        .ok_or_else(|| {
            QueueError::Refused(format!("there is no configuration #{configuration_id}"))
        })?;
    if !row.try_get::<bool>("", "enabled")? {
        return Err(QueueError::Refused(format!(
            "configuration #{configuration_id} is disabled; enable it first"
        )));
    }
    let org: i64 = row.try_get("", "organisation_id")?;
    let r = db
        .query_one(stmt(
            db,
            &format!("INSERT INTO sync_runs (organisation_id, configuration_id, status, queued_at_ms, sort_at_ms, trigger) \
             VALUES ($1, $2, '{QUEUED}', $3, $3, $4) RETURNING id"),
            vec![
                org.into(),
                configuration_id.into(),
                now_ms.into(),
                Trigger::Manual.slug().into(),
            ],
        ))
        .await?
        .ok_or_else(|| QueueError::Db(DbErr::RecordNotInserted))?;
    Ok(r.try_get("", "id")?)
}

/// Cancels a queued run at once, or asks a running one to stop at its next checkpoint.
pub async fn cancel(
    db: &impl ConnectionTrait,
    run_id: i64,
    now_ms: i64,
) -> Result<RunStatus, QueueError> {
    let queued = db
        .execute(stmt(
            db,
            &format!("UPDATE sync_runs SET status = '{CANCELLED}', finished_at_ms = $1, version = version + 1, \
             cancel_requested = TRUE, \
             status_reason = 'Cancelled by an operator before it started. Nothing was changed.' \
             WHERE id = $2 AND status = '{QUEUED}'"),
            vec![now_ms.into(), run_id.into()],
        ))
        .await?;
    if queued.rows_affected() == 1 {
        return Ok(RunStatus::Cancelled);
    }
    let running = db
        .execute(stmt(
            db,
            &format!(
                "UPDATE sync_runs SET cancel_requested = TRUE, version = version + 1 \
             WHERE id = $1 AND status = '{IN_PROGRESS}'"
            ),
            vec![run_id.into()],
        ))
        .await?;
    if running.rows_affected() == 1 {
        return Ok(RunStatus::InProgress);
    }
    let status = db
        .query_one(stmt(
            db,
            "SELECT status FROM sync_runs WHERE id = $1",
            vec![run_id.into()],
        ))
        .await?;
    Err(QueueError::Refused(match status {
        None => format!("there is no run #{run_id}"),
        Some(r) => {
            let s: String = r.try_get("", "status")?;
            let label = s
                .parse::<RunStatus>()
                .map(|s| s.label())
                .unwrap_or("finished");
            format!("run #{run_id} has already ended ({label})")
        }
    }))
}
