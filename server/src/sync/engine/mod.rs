//! One run, start to end: load → validate & map → plan → guard → apply, with the
//! heartbeat and progress written as it goes. The run's changes, its log and its final
//! status commit in one transaction, so a crash, a kill or a cancel leaves nothing half done.
//!
//! That transaction's last statement is the fence: the final status is written only if the
//! run is still this worker's, still In Progress and (unless it is ending anyway) not
//! cancelled; otherwise everything rolls back. So on PostgreSQL the run's row is not locked
//! while the changes are written, and the heartbeat, the progress and an operator's cancel
//! reach it throughout.

use super::directory;
use super::plan::{plan, Plan, Threshold};
use super::policy::{self, RecordPolicy};
use super::queue::{self, stmt, ClaimedRun};
use super::settings::SourceSettings;
use super::source;
use super::validate::{LoadError, Loaded};
use crate::db::entities::sync_configuration;
use app::domain::{LogAction, RunStatus, SourceKind};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod fence;

use fence::{begin_final, finish_cancelled, finish_failed, set_final, stopped, why_stopped};

/// SQLite has one writer: this process's workers take turns at applying a run.
static SQLITE_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How a worker runs syncs.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub worker_id: String,
    pub heartbeat_every: Duration,
    /// Fault injection for crash tests only: sleep this long inside the apply transaction.
    pub pause_in_apply: Option<Duration>,
    /// With `pause_in_apply`, told when the pause begins (tests act at that moment).
    pub paused: Option<Arc<tokio::sync::Notify>>,
}

impl EngineOptions {
    pub fn new(worker_id: impl Into<String>) -> Self {
        Self {
            worker_id: worker_id.into(),
            heartbeat_every: Duration::from_secs(2),
            pause_in_apply: None,
            paused: None,
        }
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs a claimed run to its end and returns the status it ended in (`None` if the run
/// was taken from this worker meanwhile, e.g. recovered as stale).
pub async fn execute(
    db: &DatabaseConnection,
    run: &ClaimedRun,
    options: &EngineOptions,
) -> Result<Option<RunStatus>, DbErr> {
    let done = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(AtomicUsize::new(0));
    // Stopped however this function ends, by return, panic or cancellation: a heartbeat
    // must never outlive its run's work, or recovery would wait on it forever.
    let _beat = AbortOnDrop(tokio::spawn(heartbeat_loop(
        db.clone(),
        run.id,
        options.clone(),
        done.clone(),
        total.clone(),
    )));
    stages(db, run, options, done, total).await
}

async fn stages(
    db: &DatabaseConnection,
    run: &ClaimedRun,
    options: &EngineOptions,
    done: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
) -> Result<Option<RunStatus>, DbErr> {
    let Some(config) = sync_configuration::Entity::find_by_id(run.configuration_id)
        .one(db)
        .await?
    else {
        return finish_failed(db, run, options, "The sync configuration no longer exists.").await;
    };

    let policy = match record_policy(&config) {
        Ok(p) => p,
        Err(e) => return finish_failed(db, run, options, &e.0).await,
    };
    let mut loaded = match load(&config, &policy, done.clone()).await {
        Ok(l) => l,
        Err(e) => return finish_failed(db, run, options, &e.0).await,
    };
    if queue::cancel_requested(db, run.id).await? {
        return finish_cancelled(db, run, options).await;
    }

    // Plan and apply under the final transaction's lock, so the plan is made from the
    // directory as it is when the changes land (another configuration of the organisation
    // may have just written to it).
    // SQLite has one writer: workers of this process take turns here instead of timing
    // out on its lock while another run applies.
    let _turn = match db.get_database_backend() {
        DatabaseBackend::Sqlite => Some(SQLITE_WRITER.lock().await),
        _ => None,
    };
    let txn = match begin_final(db, run, options, true).await? {
        Ok(t) => t,
        Err(stop) => return stopped(db, run, options, stop).await,
    };
    if db.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute(stmt(
            &txn,
            "SELECT pg_advisory_xact_lock($1)",
            vec![run.organisation_id.into()],
        ))
        .await?;
    }
    let users = directory::load(&txn, run.organisation_id).await?;
    let plan = plan(config.id, &mut loaded, &users, &policy);
    drop(users);
    let changing = plan
        .changes
        .iter()
        .filter(|c| !matches!(c.action, LogAction::Unchanged | LogAction::Skip))
        .count();
    total.store(changing, Ordering::Relaxed);
    done.store(0, Ordering::Relaxed);
    let threshold = Threshold {
        count: config.threshold_count,
        percent: config.threshold_percent,
    };
    let status = match threshold.blocks(&plan) {
        Some(reason) => block(&txn, run, options, &plan, &reason).await?,
        None => apply(&txn, run, options, &config, &loaded, &plan, &done).await?,
    };
    let Some(status) = status else {
        // Cancelled or taken from this worker while it applied: nothing of it lands.
        txn.rollback().await?;
        let stop = why_stopped(db, run, true).await?;
        return stopped(db, run, options, stop).await;
    };
    txn.commit().await?;
    Ok(Some(status))
}

/// The configuration's rules for records, as stored.
fn record_policy(config: &sync_configuration::Model) -> Result<RecordPolicy, LoadError> {
    let unusable = |e: policy::PolicyError| {
        LoadError(format!(
            "The configuration's record rules are not usable: {e}."
        ))
    };
    Ok(RecordPolicy {
        blank_values: config.blank_values.parse().map_err(unusable)?,
        allow_rekey: config.allow_rekey,
        required: policy::parse_required(config.required_fields.split(',')).map_err(unusable)?,
    })
}

async fn load(
    config: &sync_configuration::Model,
    policy: &RecordPolicy,
    progress: Arc<AtomicUsize>,
) -> Result<Loaded, LoadError> {
    let kind: SourceKind = config.source_kind.parse().map_err(|_| {
        LoadError(format!(
            "The configuration's source type \"{}\" is not known.",
            config.source_kind
        ))
    })?;
    let mut settings = SourceSettings::parse(kind, &config.settings).map_err(|e| {
        LoadError(format!(
            "The configuration's source settings are not usable: {e}."
        ))
    })?;
    settings.require(policy.required);
    match settings {
        SourceSettings::File(file) => source::load_file(&file, progress).await,
        SourceSettings::Google(google) => source::google::load(&google, progress).await,
        SourceSettings::Workday(workday) => source::workday::load(&workday, progress).await,
    }
}

async fn apply(
    txn: &DatabaseTransaction,
    run: &ClaimedRun,
    options: &EngineOptions,
    config: &sync_configuration::Model,
    loaded: &Loaded,
    plan: &Plan,
    done: &AtomicUsize,
) -> Result<Option<RunStatus>, DbErr> {
    let now = now_ms();
    directory::apply(
        txn,
        run.organisation_id,
        config.id,
        loaded,
        plan,
        now,
        |n| done.store(n, Ordering::Relaxed),
    )
    .await?;
    directory::write_log(txn, run.into(), "result", &plan.changes).await?;
    if let Some(pause) = options.pause_in_apply {
        tracing::warn!(
            run = run.id,
            "fault injection: pausing inside the apply transaction"
        );
        if let Some(paused) = &options.paused {
            paused.notify_one();
        }
        tokio::time::sleep(pause).await;
    }
    let status = if plan.counts.warnings > 0 {
        RunStatus::NeedsAttention
    } else {
        RunStatus::Success
    };
    let reason = (status == RunStatus::NeedsAttention).then(|| {
        format!(
            "{} warning{}: review them in the run's log.",
            plan.counts.warnings,
            if plan.counts.warnings == 1 { "" } else { "s" }
        )
    });
    let records = loaded.records as i64;
    let written = set_final(
        txn,
        run,
        options,
        status,
        reason.as_deref(),
        Some(plan),
        0,
        (records, records),
    )
    .await?;
    Ok(written.then_some(status))
}

/// Above the threshold: nothing is applied; the deactivations that would have happened
/// are kept so admins can see who they were.
async fn block(
    txn: &DatabaseTransaction,
    run: &ClaimedRun,
    options: &EngineOptions,
    plan: &Plan,
    reason: &str,
) -> Result<Option<RunStatus>, DbErr> {
    let planned: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action == LogAction::Deactivate)
        .cloned()
        .collect();
    directory::write_log(txn, run.into(), "planned", &planned).await?;
    let written = set_final(
        txn,
        run,
        options,
        RunStatus::AboveDeactivationThreshold,
        Some(reason),
        Some(plan),
        0,
        (0, 0),
    )
    .await?;
    Ok(written.then_some(RunStatus::AboveDeactivationThreshold))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Every few seconds: the heartbeat, and how far the run has got.
async fn heartbeat_loop(
    db: DatabaseConnection,
    run_id: i64,
    options: EngineOptions,
    done: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
) {
    loop {
        tokio::time::sleep(options.heartbeat_every).await;
        let (d, t) = (
            done.load(Ordering::Relaxed) as i64,
            total.load(Ordering::Relaxed) as i64,
        );
        match queue::heartbeat(&db, run_id, &options.worker_id, now_ms(), d, t).await {
            Ok(true) => {}
            Ok(false) => return,
            // SQLite is busy while a run applies; the next beat will do.
            Err(e) => tracing::debug!(run = run_id, error = %e, "heartbeat not written"),
        }
    }
}
