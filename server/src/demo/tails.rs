//! The seeded history ends with runs still going: Acme's Google Workspace run In Progress
//! and its Workday run Queued. Their sources are hosts this machine cannot reach, so no
//! worker may run them; in a live demo this task plays them out instead, as a worker would:
//! the running one's progress advances with a heartbeat, then it ends with its result log,
//! and the queued one starts. Nothing is fetched from anywhere.

use super::directory::Person;
use super::history::Plan;
use super::{Config, ACME_CONFIGS, GLOBEX_CONFIGS, INITECH_CONFIGS};
use crate::db::entities::{sync_configuration, sync_log_entry, user};
use crate::sync::queue::stmt;
use crate::sync::status_sql::{IN_PROGRESS, QUEUED};
use app::domain::RunStatus;
use rand::{rngs::StdRng, Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use std::time::Duration;

/// The worker id the seed gives its running run; no real worker has it.
pub const DEMO_WORKER: &str = "demo-worker";
const BEAT: Duration = Duration::from_secs(2);
/// About this many beats from start to end.
const STEPS: i64 = 45;

/// Plays the seeded tails until none is left (then the task ends).
pub async fn play(db: DatabaseConnection) {
    let mut rng = StdRng::from_entropy();
    loop {
        tokio::time::sleep(BEAT).await;
        match step(&db, &mut rng).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(error = %e, "demo: a seeded run did not advance"),
        }
    }
}

/// One beat: advances (or finishes) the running tail, or starts the queued one. False when
/// there is nothing left to play.
async fn step(db: &DatabaseConnection, rng: &mut StdRng) -> Result<bool, DbErr> {
    let now = chrono::Utc::now().timestamp_millis();
    let running = db
        .query_one(stmt(
            db,
            &format!(
                "SELECT id, configuration_id, progress_done, progress_total FROM sync_runs \
             WHERE worker_id = $1 AND status = '{IN_PROGRESS}' ORDER BY id LIMIT 1"
            ),
            vec![DEMO_WORKER.into()],
        ))
        .await?;
    if let Some(r) = running {
        let id: i64 = r.try_get("", "id")?;
        let config: i64 = r.try_get("", "configuration_id")?;
        let (done, total): (i32, i32) = (
            r.try_get("", "progress_done")?,
            r.try_get("", "progress_total")?,
        );
        let next = i64::from(done) + (i64::from(total) / STEPS).max(1);
        if next < i64::from(total) {
            db.execute(stmt(
                db,
                &format!("UPDATE sync_runs SET progress_done = $1, heartbeat_at_ms = $2, version = version + 1 \
                 WHERE id = $3 AND worker_id = $4 AND status = '{IN_PROGRESS}'"),
                vec![next.into(), now.into(), id.into(), DEMO_WORKER.into()],
            ))
            .await?;
        } else {
            finish(db, id, config, now, rng).await?;
        }
        return Ok(true);
    }
    // A queued run of a configuration that is switched off can only be the seed's.
    let queued = db
        .query_one(stmt(
            db,
            &format!(
                "SELECT r.id, r.configuration_id FROM sync_runs r \
             JOIN sync_configurations c ON c.id = r.configuration_id \
             WHERE r.status = '{QUEUED}' AND c.enabled = FALSE ORDER BY r.id LIMIT 1"
            ),
            vec![],
        ))
        .await?;
    let Some(q) = queued else { return Ok(false) };
    let id: i64 = q.try_get("", "id")?;
    let config: i64 = q.try_get("", "configuration_id")?;
    let people = people_of(db, config).await?.len() as i32;
    db.execute(stmt(
        db,
        &format!(
            "UPDATE sync_runs SET status = '{IN_PROGRESS}', started_at_ms = $1, sort_at_ms = $1, \
         heartbeat_at_ms = $1, worker_id = $2, progress_done = 0, progress_total = $3, \
         version = version + 1 WHERE id = $4 AND status = '{QUEUED}'"
        ),
        vec![now.into(), DEMO_WORKER.into(), people.into(), id.into()],
    ))
    .await?;
    Ok(true)
}

/// Ends a played run as Success or Needs Attention, with one result log entry per person.
async fn finish(
    db: &DatabaseConnection,
    id: i64,
    configuration_id: i64,
    now: i64,
    rng: &mut StdRng,
) -> Result<(), DbErr> {
    let Some(config) = sync_configuration::Entity::find_by_id(configuration_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let Some(spec) = spec_named(&config.name) else {
        return Ok(());
    };
    let people = people_of(db, configuration_id).await?;
    let status = if rng.gen_bool(0.75) {
        RunStatus::Success
    } else {
        RunStatus::NeedsAttention
    };
    let plan = Plan::for_status(status, people.len(), rng);
    let reason = (status == RunStatus::NeedsAttention)
        .then(|| format!("{} warnings: review them in the run's log.", plan.warnings));
    let txn = db.begin().await?;
    // Entries first, then the status: the page never shows a finished run without its log.
    let mut entries = plan.log_entries(id, spec, &people, rng);
    let started = txn
        .query_one(stmt(
            &txn,
            "SELECT sort_at_ms FROM sync_runs WHERE id = $1",
            vec![id.into()],
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "sort_at_ms"))
        .transpose()?
        .unwrap_or(now);
    crate::demo::indexed_for_people(&mut entries, config.organisation_id, started);
    for chunk in entries.chunks(1000) {
        sync_log_entry::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.execute(stmt(
        &txn,
        &format!(
            "UPDATE sync_runs SET status = $1, status_reason = $2, finished_at_ms = $3, \
         progress_done = $4, progress_total = $4, created = $5, updated = $6, deactivated = $7, \
         reactivated = $8, unchanged = $9, skipped = $10, warnings = $11, worker_id = NULL, \
         version = version + 1 WHERE id = $12 AND worker_id = $13 AND status = '{IN_PROGRESS}'"
        ),
        vec![
            status.slug().into(),
            reason.into(),
            now.into(),
            (people.len() as i32).into(),
            plan.created.into(),
            plan.updated.into(),
            plan.deactivated.into(),
            plan.reactivated.into(),
            plan.unchanged.into(),
            plan.skipped.into(),
            plan.warnings.into(),
            id.into(),
            DEMO_WORKER.into(),
        ],
    ))
    .await?;
    txn.commit().await
}

fn spec_named(name: &str) -> Option<&'static Config> {
    ACME_CONFIGS
        .iter()
        .chain(&GLOBEX_CONFIGS)
        .chain(&INITECH_CONFIGS)
        .find(|c| c.name == name)
}

/// The configuration's people as the seed made them: (external id, email), in seed order.
async fn people_of(db: &DatabaseConnection, configuration_id: i64) -> Result<Vec<Person>, DbErr> {
    let rows: Vec<(Option<String>, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::ExternalId)
        .column(user::Column::Email)
        .filter(user::Column::ManagedByConfigurationId.eq(configuration_id))
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, email)| (id.unwrap_or_default(), email))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn seeded_tails_play_out_with_their_logs() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.path().display()))
            .await
            .unwrap();
        assert!(
            super::super::seed(&db, &super::super::DemoSize::small(), chrono::Utc::now())
                .await
                .unwrap()
        );
        let statuses = |db: DatabaseConnection| async move {
            let rows = db
                .query_all(stmt(
                    &db,
                    "SELECT status, COUNT(*) AS n FROM sync_runs GROUP BY status ORDER BY status",
                    vec![],
                ))
                .await
                .unwrap();
            rows.iter()
                .map(|r| {
                    (
                        r.try_get::<String>("", "status").unwrap(),
                        r.try_get::<i64>("", "n").unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let before = statuses(db.clone()).await;
        let count =
            |v: &[(String, i64)], s: &str| v.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
        assert_eq!(count(&before, "in_progress"), 1);
        assert_eq!(count(&before, "queued"), 1);
        let tails: Vec<i64> = db
            .query_all(stmt(
                &db,
                &format!("SELECT id FROM sync_runs WHERE status IN ('{IN_PROGRESS}', '{QUEUED}') ORDER BY id"),
                vec![],
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<i64>("", "id").unwrap())
            .collect();
        let mut rng = StdRng::seed_from_u64(7);
        let mut beats = 0;
        while step(&db, &mut rng).await.unwrap() {
            beats += 1;
            assert!(beats < 500, "the tails never end");
        }
        assert!(beats >= 4, "progress advanced beat by beat");
        let after = statuses(db.clone()).await;
        assert_eq!(count(&after, "in_progress") + count(&after, "queued"), 0);
        for id in tails {
            let r = db
                .query_one(stmt(
                    &db,
                    "SELECT status, progress_total, worker_id, \
                     (SELECT COUNT(*) FROM sync_log_entries e WHERE e.run_id = $1) AS entries \
                     FROM sync_runs WHERE id = $1",
                    vec![id.into()],
                ))
                .await
                .unwrap()
                .unwrap();
            let status: String = r.try_get("", "status").unwrap();
            assert!(
                status == "success" || status == "needs_attention",
                "{status}"
            );
            let total: i32 = r.try_get("", "progress_total").unwrap();
            let entries: i64 = r.try_get("", "entries").unwrap();
            assert!(total > 0);
            assert_eq!(entries, i64::from(total), "one result entry per person");
            assert_eq!(r.try_get::<Option<String>>("", "worker_id").unwrap(), None);
        }
    }
}
