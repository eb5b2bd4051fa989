//! How a run ends: its final transaction starts only while the run is still this
//! worker's, and its final status is written by a statement that checks so again (the
//! fence); a run cancelled or taken meanwhile leaves nothing of its work.

use super::{now_ms, EngineOptions};
use crate::sync::directory;
use crate::sync::plan::Plan;
use crate::sync::queue::{self, stmt, ClaimedRun};
use crate::sync::status_sql::IN_PROGRESS;
use app::domain::RunStatus;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, TransactionTrait};

/// The condition under which a run may still be ended by this worker.
fn still_ours(honour_cancel: bool) -> String {
    let ours = format!("worker_id = $2 AND status = '{IN_PROGRESS}'");
    if honour_cancel {
        format!("{ours} AND cancel_requested = FALSE")
    } else {
        ours
    }
}

/// Starts the run's final transaction if the run is still this worker's (and, with
/// `honour_cancel`, not cancelled). `Err(stop)` tells why not.
pub(super) async fn begin_final(
    db: &DatabaseConnection,
    run: &ClaimedRun,
    options: &EngineOptions,
    honour_cancel: bool,
) -> Result<Result<sea_orm::DatabaseTransaction, Stop>, DbErr> {
    let txn = db.begin().await?;
    let ours = still_ours(honour_cancel);
    let owned = match db.get_database_backend() {
        // SQLite: a first write takes the database's one write lock, so the directory is
        // read and changed with no other writer in between.
        DatabaseBackend::Sqlite => {
            txn.execute(stmt(
                &txn,
                &format!(
                    "UPDATE sync_runs SET version = version + 1, heartbeat_at_ms = $3 \
                     WHERE id = $1 AND {ours}"
                ),
                vec![
                    run.id.into(),
                    options.worker_id.clone().into(),
                    now_ms().into(),
                ],
            ))
            .await?
            .rows_affected()
                == 1
        }
        // PostgreSQL: only a look. Locking the run's row for the whole apply would hold up
        // its heartbeat, its progress and an operator's cancel; the final write fences.
        _ => txn
            .query_one(stmt(
                &txn,
                &format!("SELECT id FROM sync_runs WHERE id = $1 AND {ours}"),
                vec![run.id.into(), options.worker_id.clone().into()],
            ))
            .await?
            .is_some(),
    };
    if owned {
        return Ok(Ok(txn));
    }
    txn.rollback().await?;
    Ok(Err(why_stopped(db, run, honour_cancel).await?))
}

/// Why a run is no longer this worker's to end.
pub(super) async fn why_stopped(
    db: &DatabaseConnection,
    run: &ClaimedRun,
    honour_cancel: bool,
) -> Result<Stop, DbErr> {
    if honour_cancel && queue::cancel_requested(db, run.id).await? {
        return Ok(Stop::Cancelled);
    }
    Ok(Stop::Lost)
}

pub(super) enum Stop {
    Cancelled,
    Lost,
}

pub(super) async fn stopped(
    db: &DatabaseConnection,
    run: &ClaimedRun,
    options: &EngineOptions,
    stop: Stop,
) -> Result<Option<RunStatus>, DbErr> {
    match stop {
        Stop::Cancelled => finish_cancelled(db, run, options).await,
        Stop::Lost => {
            tracing::warn!(
                run = run.id,
                "run was taken from this worker; its work is dropped"
            );
            Ok(None)
        }
    }
}

/// The run's final status and counts, written only if the run is still this worker's (and,
/// when the status is the run's own outcome, not cancelled meanwhile). False when it was
/// not written: the caller rolls its transaction back.
#[allow(clippy::too_many_arguments)]
pub(super) async fn set_final(
    txn: &impl ConnectionTrait,
    run: &ClaimedRun,
    options: &EngineOptions,
    status: RunStatus,
    reason: Option<&str>,
    plan: Option<&Plan>,
    errors: i32,
    progress: (i64, i64),
) -> Result<bool, DbErr> {
    let c = plan.map(|p| p.counts).unwrap_or_default();
    let planned = plan.map(|p| p.counts.deactivated).unwrap_or(0);
    let applied = status != RunStatus::AboveDeactivationThreshold;
    let n = |v: i32| if applied { v } else { 0 };
    // A load failure or a cancel ends the run whatever was asked meanwhile.
    let honour_cancel = !matches!(status, RunStatus::DataLoadFailed | RunStatus::Cancelled);
    let ours = still_ours(honour_cancel).replace("$2", "$16");
    let written = txn
        .execute(stmt(
            txn,
            &format!(
                "UPDATE sync_runs SET status = $1, status_reason = $2, finished_at_ms = $3, \
                 created = $4, updated = $5, deactivated = $6, reactivated = $7, unchanged = $8, \
                 skipped = $9, warnings = $10, errors = $11, planned_deactivations = $12, \
                 progress_done = $13, progress_total = $14, worker_id = NULL, version = version + 1 \
                 WHERE id = $15 AND {ours}"
            ),
            vec![
            status.slug().into(),
            reason.map(str::to_string).into(),
            now_ms().into(),
            n(c.created).into(),
            n(c.updated).into(),
            n(c.deactivated).into(),
            n(c.reactivated).into(),
            n(c.unchanged).into(),
            c.skipped.into(),
            c.warnings.into(),
            errors.into(),
            planned.into(),
            (progress.0 as i32).into(),
            (progress.1 as i32).into(),
            run.id.into(),
            options.worker_id.clone().into(),
        ],
    ))
    .await?;
    Ok(written.rows_affected() == 1)
}

pub(super) async fn finish_failed(
    db: &DatabaseConnection,
    run: &ClaimedRun,
    options: &EngineOptions,
    message: &str,
) -> Result<Option<RunStatus>, DbErr> {
    let message = directory::printable(message);
    let message = message.as_ref();
    let txn = match begin_final(db, run, options, false).await? {
        Ok(t) => t,
        Err(stop) => return stopped(db, run, options, stop).await,
    };
    directory::write_error(&txn, run.into(), message).await?;
    let written = set_final(
        &txn,
        run,
        options,
        RunStatus::DataLoadFailed,
        Some(message),
        None,
        1,
        (0, 0),
    )
    .await?;
    if !written {
        txn.rollback().await?;
        return stopped(db, run, options, Stop::Lost).await;
    }
    txn.commit().await?;
    Ok(Some(RunStatus::DataLoadFailed))
}

pub(super) async fn finish_cancelled(
    db: &DatabaseConnection,
    run: &ClaimedRun,
    options: &EngineOptions,
) -> Result<Option<RunStatus>, DbErr> {
    let txn = match begin_final(db, run, options, false).await? {
        Ok(t) => t,
        Err(_) => return Ok(None),
    };
    let written = set_final(
        &txn,
        run,
        options,
        RunStatus::Cancelled,
        Some("Cancelled by an operator while it was running. Nothing was changed."),
        None,
        0,
        (0, 0),
    )
    .await?;
    if !written {
        txn.rollback().await?;
        return Ok(None);
    }
    txn.commit().await?;
    Ok(Some(RunStatus::Cancelled))
}
