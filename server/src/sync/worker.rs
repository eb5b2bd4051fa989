//! A worker: recovers runs whose worker died, queues scheduled runs that are due, claims
//! one queued run at a time and runs it. Several can run in one process or in many.

use super::engine::{self, now_ms, EngineOptions};
use super::queue;
use sea_orm::DatabaseConnection;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub engine: EngineOptions,
    /// How long to wait when the queue is empty.
    pub idle_poll: Duration,
    /// A running run whose heartbeat is older than this is considered abandoned.
    pub stale_after: Duration,
    /// Whether this worker also queues scheduled runs.
    pub schedule: bool,
    /// At shutdown, how long the run in hand may take to finish before it is abandoned.
    pub shutdown_grace: Duration,
}

impl WorkerOptions {
    pub fn new(worker_id: impl Into<String>) -> Self {
        Self {
            engine: EngineOptions::new(worker_id),
            idle_poll: Duration::from_secs(2),
            stale_after: Duration::from_secs(60),
            schedule: true,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// A process-unique worker id: host, process and a counter.
pub fn worker_id(index: usize) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!("{host}-{}-{index}", std::process::id())
}

/// Runs until `shutdown` turns true. A run in progress at shutdown gets a grace period to
/// finish; past it, it is abandoned safely: its transaction never commits, and it ends
/// Cancelled.
pub async fn run(
    db: DatabaseConnection,
    options: WorkerOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::info!(worker = %options.engine.worker_id, "worker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        match tick(&db, &options, &mut shutdown).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(worker = %options.engine.worker_id, error = %e, "worker step failed")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(options.idle_poll) => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!(worker = %options.engine.worker_id, "worker stopped");
}

/// One pass: recover, schedule, claim and run. True when a run was executed.
pub async fn tick(
    db: &DatabaseConnection,
    options: &WorkerOptions,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<bool, sea_orm::DbErr> {
    let now = now_ms();
    let recovered =
        queue::recover_stale(db, now, now - options.stale_after.as_millis() as i64).await?;
    if recovered > 0 {
        tracing::warn!(recovered, "runs left by a stopped worker were cancelled");
    }
    if options.schedule {
        let queued = queue::schedule_due(db, now).await?;
        if queued > 0 {
            tracing::info!(queued, "scheduled runs queued");
        }
    }
    let Some(run) = queue::claim(db, &options.engine.worker_id, now_ms()).await? else {
        return Ok(false);
    };
    tracing::info!(
        run = run.id,
        configuration = run.configuration_id,
        "run started"
    );
    // The run executes in a task of its own: a panic inside it ends the run (Cancelled,
    // nothing applied) instead of taking this worker down, and shutdown aborts it, which
    // drops its open transaction.
    let task = tokio::spawn({
        let (db, run, engine) = (db.clone(), run.clone(), options.engine.clone());
        async move { engine::execute(&db, &run, &engine).await }
    });
    let abort = task.abort_handle();
    let started = std::time::Instant::now();
    let mut task = task;
    let outcome = tokio::select! {
        r = &mut task => Some(r),
        _ = shutdown.changed() => {
            // A sync about to finish is let finish; one that would hold shutdown up is
            // stopped, which drops its transaction: nothing of it is applied.
            tracing::info!(run = run.id, grace_secs = options.shutdown_grace.as_secs(), "shutting down: waiting for the run in hand");
            match tokio::time::timeout(options.shutdown_grace, &mut task).await {
                Ok(r) => Some(r),
                Err(_) => {
                    abort.abort();
                    None
                }
            }
        }
    };
    let problem = "The sync stopped because of a problem inside the service. Nothing was changed.";
    match outcome {
        Some(Ok(Ok(Some(status)))) => {
            tracing::info!(run = run.id, status = status.label(), "run ended");
            observe(db, &run, status, started.elapsed()).await;
        }
        Some(Ok(Ok(None))) => {}
        Some(Ok(Err(e))) => {
            tracing::error!(run = run.id, error = %e, "run failed inside the service");
            queue::abandon(db, run.id, &options.engine.worker_id, now_ms(), problem).await?;
        }
        Some(Err(e)) => {
            tracing::error!(run = run.id, error = %e, "run panicked");
            queue::abandon(db, run.id, &options.engine.worker_id, now_ms(), problem).await?;
        }
        None => {
            queue::abandon(
                db,
                run.id,
                &options.engine.worker_id,
                now_ms(),
                "The service was stopped while the sync was running. Nothing was changed.",
            )
            .await?;
            tracing::warn!(run = run.id, "run abandoned at shutdown");
        }
    }
    Ok(true)
}

/// Adds the run's duration to `/metrics`, under its configuration's source.
async fn observe(
    db: &DatabaseConnection,
    run: &queue::ClaimedRun,
    status: app::domain::RunStatus,
    took: Duration,
) {
    use sea_orm::EntityTrait;
    let source = crate::db::entities::sync_configuration::Entity::find_by_id(run.configuration_id)
        .one(db)
        .await
        .ok()
        .flatten()
        .and_then(|c| c.source_kind.parse::<app::domain::SourceKind>().ok());
    if let Some(source) = source {
        crate::metrics::global().observe_run(source, status, took.as_secs_f64());
    }
}
