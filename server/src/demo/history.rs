//! The demo's sync history: runs in every status on each configuration's schedule, with
//! counts that agree with their status and the log entries behind those counts.

use super::directory::Person;
use super::{indexed_for_people, tails, Config};
use crate::db::entities::{sync_log_entry, sync_run};
use app::domain::{RunStatus, SourceKind};
use chrono::{DateTime, Duration, Utc};
use rand::{rngs::StdRng, Rng};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};

fn pick_status(rng: &mut StdRng) -> RunStatus {
    match rng.gen_range(0..100) {
        0..=73 => RunStatus::Success,
        74..=86 => RunStatus::NeedsAttention,
        87..=92 => RunStatus::DataLoadFailed,
        93..=96 => RunStatus::AboveDeactivationThreshold,
        _ => RunStatus::Cancelled,
    }
}

/// Typical run length by source, in seconds, for a directory of `n` people.
fn run_seconds(kind: SourceKind, n: usize, rng: &mut StdRng) -> i64 {
    let per_user = match kind {
        SourceKind::GoogleWorkspace => 0.35,
        SourceKind::Workday => 0.28,
        SourceKind::Sftp => 0.12,
    };
    (8.0 + n as f64 * per_user * rng.gen_range(0.7..1.5)) as i64
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn insert_history(
    db: &impl ConnectionTrait,
    org: i64,
    config_id: i64,
    c: &Config,
    people: &[Person],
    days: i64,
    tail: Option<RunStatus>,
    rng: &mut StdRng,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let start_day = (now - Duration::days(days))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let mut slot = start_day + Duration::hours(c.offset_hours);
    let mut slots = Vec::new();
    while slot < now - Duration::minutes(30) {
        slots.push(slot);
        slot += Duration::hours(c.every_hours);
    }
    let last = slots.len().saturating_sub(1);
    for (i, queued) in slots.into_iter().enumerate() {
        let status = match tail {
            Some(s) if i == last => s,
            _ => pick_status(rng),
        };
        let (queued, started, finished) = match status {
            RunStatus::Queued => (now - Duration::seconds(50), None, None),
            RunStatus::InProgress => {
                let started = now - Duration::seconds(rng.gen_range(90..200));
                (started - Duration::seconds(4), Some(started), None)
            }
            _ => {
                let started = queued + Duration::seconds(rng.gen_range(2..40));
                let mut secs = run_seconds(c.kind, people.len(), rng);
                if matches!(status, RunStatus::DataLoadFailed | RunStatus::Cancelled) {
                    secs = secs / 5 + 3;
                }
                (
                    queued,
                    Some(started),
                    Some(started + Duration::seconds(secs)),
                )
            }
        };
        let plan = Plan::for_status(status, people.len(), rng);
        let run = sync_run::ActiveModel {
            organisation_id: Set(org),
            configuration_id: Set(config_id),
            status: Set(status.slug().into()),
            status_reason: Set(plan.reason.clone()),
            queued_at_ms: Set(queued.timestamp_millis()),
            started_at_ms: Set(started.map(|t| t.timestamp_millis())),
            finished_at_ms: Set(finished.map(|t| t.timestamp_millis())),
            sort_at_ms: Set(started.unwrap_or(queued).timestamp_millis()),
            progress_done: Set(plan.progress_done),
            progress_total: Set(plan.progress_total),
            created: Set(plan.created),
            updated: Set(plan.updated),
            deactivated: Set(plan.deactivated),
            reactivated: Set(plan.reactivated),
            unchanged: Set(plan.unchanged),
            skipped: Set(plan.skipped),
            warnings: Set(plan.warnings),
            errors: Set(plan.errors),
            planned_deactivations: Set(plan.planned_deactivations),
            version: Set(1),
            heartbeat_at_ms: Set(started
                .filter(|_| status == RunStatus::InProgress)
                .map(|_| now.timestamp_millis())),
            worker_id: Set(
                (status == RunStatus::InProgress).then(|| tails::DEMO_WORKER.to_string())
            ),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let mut entries = plan.log_entries(run.id, c, people, rng);
        // A failed load says why, as the engine's do: in its first error's words.
        if status == RunStatus::DataLoadFailed {
            if let Some(first) = entries.first() {
                let mut failed: sync_run::ActiveModel = run.clone().into();
                failed.status_reason = Set(Some(first.message.clone().unwrap()));
                failed.update(db).await?;
            }
        }
        indexed_for_people(&mut entries, org, run.sort_at_ms);
        for chunk in entries.chunks(1000) {
            sync_log_entry::Entity::insert_many(chunk.to_vec())
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// The counts of one demo run, consistent with its status.
#[derive(Default)]
pub(super) struct Plan {
    pub(super) status: Option<RunStatus>,
    pub(super) reason: Option<String>,
    pub(super) progress_done: i32,
    pub(super) progress_total: i32,
    pub(super) created: i32,
    pub(super) updated: i32,
    pub(super) deactivated: i32,
    pub(super) reactivated: i32,
    pub(super) unchanged: i32,
    pub(super) skipped: i32,
    pub(super) warnings: i32,
    pub(super) errors: i32,
    pub(super) planned_deactivations: i32,
}

impl Plan {
    pub(super) fn for_status(status: RunStatus, n: usize, rng: &mut StdRng) -> Plan {
        let n = n as i32;
        let mut p = Plan {
            status: Some(status),
            ..Default::default()
        };
        match status {
            RunStatus::Queued => {}
            RunStatus::InProgress => {
                p.progress_total = n;
                p.progress_done = n * rng.gen_range(20..80) / 100;
            }
            RunStatus::Success | RunStatus::NeedsAttention => {
                p.progress_total = n;
                p.progress_done = n;
                p.created = rng.gen_range(0..=(n / 40).max(1));
                p.updated = rng.gen_range(0..=(n / 15).max(1));
                p.deactivated = rng.gen_range(0..=(n / 100).max(1));
                p.reactivated = rng.gen_range(0..=1);
                if status == RunStatus::NeedsAttention {
                    p.skipped = rng.gen_range(1..=(n / 50).clamp(1, 15));
                    p.warnings = p.skipped + rng.gen_range(0..3);
                    // Warnings beyond the skips are updates with a note, as the engine's
                    // (a manager it could not apply): they count as updates too.
                    p.updated += p.warnings - p.skipped;
                }
                p.unchanged =
                    (n - p.created - p.updated - p.deactivated - p.reactivated - p.skipped).max(0);
            }
            RunStatus::DataLoadFailed => {
                // A load stops at its first failure: one error.
                p.errors = 1;
                p.reason = Some("User data could not be loaded from the source.".into());
            }
            RunStatus::AboveDeactivationThreshold => {
                p.progress_total = n;
                p.progress_done = n;
                p.planned_deactivations = (n / 5).max(51);
                // In the engine's words (`Threshold::blocks`).
                p.reason = Some(format!(
                    "{} deactivations planned; the threshold is 50 users or 10% of the {n} active users this sync manages. Nothing was changed.",
                    p.planned_deactivations
                ));
            }
            RunStatus::Cancelled => {
                p.progress_total = n;
                p.progress_done = n * rng.gen_range(5..60) / 100;
                p.reason = Some("Cancelled by an operator. Nothing was changed.".into());
            }
        }
        p
    }
}
