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
    format!("{}-{}-{index}", host_name(), std::process::id())
}

/// This machine's name, as worker ids carry it.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

/// The process of a worker id from this machine, if it is one: `host-pid-index`.
fn local_pid(worker_id: &str, host: &str) -> Option<u32> {
    let rest = worker_id.strip_prefix(host)?.strip_prefix('-')?;
    let (pid, index) = rest.split_once('-')?;
    index.parse::<usize>().ok()?;
    pid.parse().ok()
}

/// Whether a worker id names a process of this machine that no longer exists. Only asked
/// on SQLite, whose workers all share one machine (and its process table) with the file.
pub fn is_dead_local_worker(worker_id: &str, host: &str) -> bool {
    match local_pid(worker_id, host) {
        Some(pid) if pid != std::process::id() => {
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
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
    recover(db, options, now).await?;
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
    let started = std::time::Instant::now();
    let outcome = execute(db, &run, options, shutdown).await;
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

/// Ends the runs whose worker has stopped: those with a stale heartbeat, and on SQLite
/// (one machine) those whose worker process is gone.
async fn recover(
    db: &DatabaseConnection,
    options: &WorkerOptions,
    now: i64,
) -> Result<(), sea_orm::DbErr> {
    let mut recovered =
        queue::recover_stale(db, now, now - options.stale_after.as_millis() as i64).await?;
    use sea_orm::ConnectionTrait;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        // A run whose worker process is gone (killed, crashed) ends now rather than when
        // its heartbeat grows stale. Its heartbeat must be a few beats old as well, in case
        // the process is alive but out of sight (another PID namespace on this machine).
        let quiet_since = now - 3 * options.engine.heartbeat_every.as_millis() as i64;
        let host = host_name();
        recovered +=
            queue::recover_dead(db, now, quiet_since, |w| is_dead_local_worker(w, &host)).await?;
    }
    if recovered > 0 {
        tracing::warn!(recovered, "runs left by a stopped worker were cancelled");
    }
    Ok(())
}

/// How a claimed run's task ended: `None` when shutdown stopped it.
type TaskEnd =
    Option<Result<Result<Option<app::domain::RunStatus>, sea_orm::DbErr>, tokio::task::JoinError>>;

/// Executes the run in a task of its own: a panic inside it ends the run (Cancelled,
/// nothing applied) instead of taking this worker down, and shutdown aborts it, which
/// drops its open transaction.
async fn execute(
    db: &DatabaseConnection,
    run: &queue::ClaimedRun,
    options: &WorkerOptions,
    shutdown: &mut watch::Receiver<bool>,
) -> TaskEnd {
    let mut task = tokio::spawn({
        let (db, run, engine) = (db.clone(), run.clone(), options.engine.clone());
        async move { engine::execute(&db, &run, &engine).await }
    });
    let abort = task.abort_handle();
    tokio::select! {
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
    }
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
        crate::http::metrics::global().observe_run(source, status, took.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_ids_tell_their_process() {
        let host = host_name();
        let mine = worker_id(3);
        assert_eq!(local_pid(&mine, &host), Some(std::process::id()));
        assert!(!is_dead_local_worker(&mine, &host), "this process is alive");
        assert_eq!(local_pid("web-1-4242-0", "web-1"), Some(4242));
        assert_eq!(local_pid("web-1-4242-0", "web"), None, "another host");
        assert_eq!(local_pid("w", &host), None);
        // PID 0 is never a process's; u32::MAX is beyond any kernel's limit.
        assert!(is_dead_local_worker(
            &format!("{host}-{}-0", u32::MAX),
            &host
        ));
        assert!(
            !is_dead_local_worker("elsewhere-12-0", &host),
            "not ours to judge"
        );
    }
}
