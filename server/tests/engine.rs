//! The sync engine against real databases: every outcome of a run, the queue's rules,
//! cancel, recovery, the scheduler, and two workers sharing one queue.

mod common;

use common::sync::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use server::db::entities::sync_run;
use server::sync::engine::{self, now_ms, EngineOptions};
use server::sync::queue;
use std::collections::HashSet;
use std::time::{Duration, Instant};

async fn a_run_creates_updates_deactivates_and_logs_every_record(db: &DatabaseConnection) {
    let s = setup(db, "Acme", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=6)).unwrap();
    let first = sync_now(db, s.config).await;
    assert_eq!(first.status, "success");
    assert_eq!((first.created, first.unchanged, first.warnings), (6, 0, 0));
    assert_eq!((first.progress_done, first.progress_total), (6, 6));
    assert!(first.finished_at_ms.is_some() && first.worker_id.is_none());
    assert_eq!(logs(db, first.id).await.len(), 6);
    assert_eq!(users(db, s.org).await.len(), 6);

    // E1 promoted, E2 gone, E3 terminated, E7 hired, a row without email, E4 with a
    // manager who is not in the file.
    let mut csv = format!("{HEADER}\n");
    csv.push_str("E1,person1@example.com,First1,Last1,Director,R&D,,Active\n");
    csv.push_str("E3,person3@example.com,First3,Last3,Engineer,R&D,,Terminated\n");
    csv.push_str("E4,person4@example.com,First4,Last4,Engineer,R&D,E99,Active\n");
    csv.push_str("E5,person5@example.com,First5,Last5,Engineer,R&D,E1,Active\n");
    csv.push_str("E6,person6@example.com,First6,Last6,Engineer,R&D,,Active\n");
    csv.push_str("E7,person7@example.com,First7,Last7,Engineer,R&D,E1,Active\n");
    csv.push_str("E8,,No,Email,Engineer,R&D,,Active\n");
    std::fs::write(&s.file, csv).unwrap();
    let second = sync_now(db, s.config).await;
    assert_eq!(second.status, "needs_attention");
    assert_eq!(
        (
            second.created,
            second.updated,
            second.deactivated,
            second.unchanged,
            second.skipped,
            second.warnings
        ),
        (1, 2, 2, 2, 1, 2),
        "E7 created; E1 title and E5 manager updated; E3 terminated and E2 absent deactivated; E4 and E6 unchanged; E8 skipped; E4 and E8 warn"
    );
    assert!(second.status_reason.unwrap().contains("2 warnings"));
    let log = logs(db, second.id).await;
    assert_eq!(log.len(), 8, "one entry per record, plus E2's deactivation");
    let by_id = |id: &str| {
        log.iter()
            .find(|l| l.external_id.as_deref() == Some(id))
            .unwrap()
    };
    assert_eq!(by_id("E1").action, "update");
    assert_eq!(by_id("E1").changed_fields.as_deref(), Some("title"));
    assert_eq!(by_id("E3").action, "deactivate");
    assert_eq!(by_id("E2").action, "deactivate");
    assert!(by_id("E2").message.contains("no longer in the source"));
    assert_eq!(by_id("E4").outcome, "warning");
    assert!(by_id("E4").message.contains("E99 is not in the source"));
    assert_eq!(by_id("E8").action, "skip");
    assert_eq!(by_id("E8").record_ref.as_deref(), Some("line 8"));
    let dir = users(db, s.org).await;
    let user = |id: &str| {
        dir.iter()
            .find(|u| u.external_id.as_deref() == Some(id))
            .unwrap()
    };
    assert_eq!(user("E1").title.as_deref(), Some("Director"));
    assert!(!user("E2").active && !user("E3").active && user("E7").active);
    assert_eq!(user("E4").manager_external_id, None);

    // E2 comes back.
    std::fs::write(&s.file, people_csv([1, 2, 4, 5, 6, 7])).unwrap();
    let third = sync_now(db, s.config).await;
    assert_eq!(third.reactivated, 1);
    assert!(users(db, s.org)
        .await
        .iter()
        .any(|u| u.external_id.as_deref() == Some("E2") && u.active));
}

async fn above_the_threshold_nothing_changes(db: &DatabaseConnection) {
    let s = setup(db, "Acme", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=30)).unwrap();
    assert_eq!(sync_now(db, s.config).await.created, 30);
    std::fs::write(&s.file, people_csv(1..=15)).unwrap();
    let before = users(db, s.org).await;
    let run = sync_now(db, s.config).await;
    assert_eq!(run.status, "above_deactivation_threshold");
    assert_eq!(run.planned_deactivations, 15);
    assert_eq!((run.deactivated, run.created, run.updated), (0, 0, 0));
    assert!(run
        .status_reason
        .unwrap()
        .starts_with("15 deactivations planned; the threshold is 10 users"));
    assert_eq!(users(db, s.org).await, before, "the directory is untouched");
    let planned = logs(db, run.id).await;
    assert_eq!(planned.len(), 15);
    assert!(planned
        .iter()
        .all(|l| l.kind == "planned" && l.action == "deactivate"));
}

async fn load_failures_end_as_data_load_failed(db: &DatabaseConnection) {
    let s = setup(db, "Acme", "missing.csv").await;
    let run = sync_now(db, s.config).await;
    assert_eq!(run.status, "data_load_failed");
    assert_eq!(run.errors, 1);
    let log = logs(db, run.id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].kind.as_str(), log[0].action.as_str()),
        ("error", "load")
    );
    assert!(
        log[0].message.contains("was not found"),
        "{}",
        log[0].message
    );
    std::fs::write(&s.file, "Name,Mail\nAnn,ann@example.com\n").unwrap();
    let run = sync_now(db, s.config).await;
    assert_eq!(run.status, "data_load_failed");
    assert!(logs(db, run.id).await[0]
        .message
        .contains("Required columns are missing"));
    assert!(users(db, s.org).await.is_empty());
}

async fn one_run_at_a_time_per_configuration(db: &DatabaseConnection) {
    let s = setup(db, "Acme", "a.csv").await;
    let other = add_config(db, s.org, "Other", &s.file, None, None).await;
    let a1 = queue::queue_now(db, s.config, 1_000).await.unwrap();
    let a2 = queue::queue_now(db, s.config, 2_000).await.unwrap();
    let b1 = queue::queue_now(db, other, 3_000).await.unwrap();
    let c1 = queue::claim(db, "w1", 10_000).await.unwrap().unwrap();
    assert_eq!(c1.id, a1, "oldest first");
    let c2 = queue::claim(db, "w2", 10_000).await.unwrap().unwrap();
    assert_eq!(
        c2.id, b1,
        "a2 waits: its configuration has a run in progress"
    );
    assert!(queue::claim(db, "w3", 10_000).await.unwrap().is_none());
    let running = run_row(db, a1).await;
    assert_eq!(running.status, "in_progress");
    assert_eq!(running.started_at_ms, Some(10_000));
    assert_eq!(running.sort_at_ms, 10_000);
    std::fs::write(&s.file, people_csv(1..=3)).unwrap();
    engine::execute(db, &c1, &EngineOptions::new("w1"))
        .await
        .unwrap();
    let c3 = queue::claim(db, "w3", 11_000).await.unwrap().unwrap();
    assert_eq!(c3.id, a2);
    // A disabled configuration's queued runs wait, and it cannot be queued by hand.
    db.execute_unprepared(&format!(
        "UPDATE sync_configurations SET enabled = FALSE WHERE id = {other}"
    ))
    .await
    .unwrap();
    let err = queue::queue_now(db, other, 12_000).await.unwrap_err();
    assert!(err.to_string().contains("disabled"));
}

async fn cancel_before_and_during_a_run(db: &DatabaseConnection) {
    let s = setup(db, "Acme", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=5)).unwrap();
    let queued = queue::queue_now(db, s.config, now_ms()).await.unwrap();
    assert_eq!(
        queue::cancel(db, queued, now_ms()).await.unwrap(),
        app::domain::RunStatus::Cancelled
    );
    let row = run_row(db, queued).await;
    assert_eq!(row.status, "cancelled");
    assert!(row.status_reason.unwrap().contains("before it started"));
    assert!(queue::claim(db, "w", now_ms()).await.unwrap().is_none());

    let id = queue::queue_now(db, s.config, now_ms()).await.unwrap();
    let run = queue::claim(db, "w", now_ms()).await.unwrap().unwrap();
    assert_eq!(
        queue::cancel(db, id, now_ms()).await.unwrap(),
        app::domain::RunStatus::InProgress
    );
    engine::execute(db, &run, &EngineOptions::new("w"))
        .await
        .unwrap();
    let row = run_row(db, id).await;
    assert_eq!(row.status, "cancelled");
    assert!(row.status_reason.unwrap().contains("while it was running"));
    assert!(users(db, s.org).await.is_empty(), "nothing applied");
    let again = queue::cancel(db, id, now_ms()).await.unwrap_err();
    assert!(again.to_string().contains("already ended (Cancelled)"));
    assert!(queue::cancel(db, 999_999, now_ms())
        .await
        .unwrap_err()
        .to_string()
        .contains("no run #999999"));
}

/// While a run's changes are being written: on PostgreSQL its progress and heartbeat still
/// reach the page and an operator's cancel is honoured (the final write is the fence, and
/// nothing lands); SQLite has one writer, so a cancel waits for the commit and finds the run
/// ended.
async fn progress_and_cancel_reach_a_run_while_it_applies(db: &DatabaseConnection) {
    use app::domain::RunStatus;
    let s = setup(db, "Acme", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=5)).unwrap();
    let id = queue::queue_now(db, s.config, now_ms()).await.unwrap();
    let run = queue::claim(db, "w", now_ms()).await.unwrap().unwrap();
    let paused = std::sync::Arc::new(tokio::sync::Notify::new());
    let options = EngineOptions {
        heartbeat_every: Duration::from_millis(100),
        pause_in_apply: Some(Duration::from_secs(2)),
        paused: Some(paused.clone()),
        ..EngineOptions::new("w")
    };
    let task = tokio::spawn({
        let (db, run, options) = (db.clone(), run.clone(), options.clone());
        async move { engine::execute(&db, &run, &options).await }
    });
    // The changes are written and the transaction is open, paused before the final write.
    tokio::time::timeout(Duration::from_secs(10), paused.notified())
        .await
        .expect("the run reached its apply");
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // The heartbeat publishes the five creations while the transaction is open.
        let deadline = Instant::now() + Duration::from_secs(10);
        let first_beat = loop {
            let row = run_row(db, id).await;
            if row.status == "in_progress" && (row.progress_done, row.progress_total) == (5, 5) {
                break row.heartbeat_at_ms.unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "progress never published during the apply: {row:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while run_row(db, id).await.heartbeat_at_ms.unwrap() == first_beat {
            assert!(
                Instant::now() < deadline,
                "the heartbeat stopped during the apply"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            queue::cancel(db, id, now_ms()).await.unwrap(),
            RunStatus::InProgress
        );
        assert_eq!(task.await.unwrap().unwrap(), Some(RunStatus::Cancelled));
        let row = run_row(db, id).await;
        assert_eq!(row.status, "cancelled");
        assert!(row.status_reason.unwrap().contains("while it was running"));
        assert!(users(db, s.org).await.is_empty(), "nothing applied");
    } else {
        let refused = queue::cancel(db, id, now_ms()).await.unwrap_err();
        assert!(
            refused.to_string().contains("already ended (Success)"),
            "{refused}"
        );
        assert_eq!(task.await.unwrap().unwrap(), Some(RunStatus::Success));
        assert_eq!(users(db, s.org).await.len(), 5);
    }
}

async fn stale_runs_are_recovered_and_their_worker_cannot_finish(db: &DatabaseConnection) {
    let s = setup(db, "Acme", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=5)).unwrap();
    let id = queue::queue_now(db, s.config, 1_000).await.unwrap();
    let run = queue::claim(db, "dead", 2_000).await.unwrap().unwrap();
    assert_eq!(
        queue::recover_stale(db, 3_000, 1_000).await.unwrap(),
        0,
        "fresh heartbeat"
    );
    assert_eq!(queue::recover_stale(db, 90_000, 30_000).await.unwrap(), 1);
    let row = run_row(db, id).await;
    assert_eq!(row.status, "cancelled");
    assert!(row.status_reason.unwrap().contains("stopped responding"));
    // The old worker wakes up: its work is dropped, the directory untouched.
    let ended = engine::execute(db, &run, &EngineOptions::new("dead"))
        .await
        .unwrap();
    assert_eq!(ended, None);
    assert_eq!(run_row(db, id).await.status, "cancelled");
    assert!(users(db, s.org).await.is_empty());
}

async fn the_scheduler_queues_one_run_per_slot(db: &DatabaseConnection) {
    let s = setup(db, "Acme", "people.csv").await;
    db.execute_unprepared(&format!(
        "UPDATE sync_configurations SET schedule = 'every 1h' WHERE id = {}",
        s.config
    ))
    .await
    .unwrap();
    let hour = 3_600_000;
    let t = 1_000 * hour + 5;
    assert_eq!(queue::schedule_due(db, t).await.unwrap(), 1);
    assert_eq!(
        queue::schedule_due(db, t + 10).await.unwrap(),
        0,
        "same slot"
    );
    let run = queue::claim(db, "w", t + 20).await.unwrap().unwrap();
    let row = run_row(db, run.id).await;
    assert_eq!(
        (row.trigger.as_str(), row.schedule_slot_ms),
        ("scheduled", Some(1_000 * hour))
    );
    // The run's details read what the queue wrote: the schedule started it.
    {
        use app::domain::Trigger;
        use app::ports::RunStore;
        let store = server::store::SeaStore::new(db.clone());
        let found = store.run(s.org, run.id).await.unwrap().unwrap();
        assert_eq!(found.trigger, Some(Trigger::Scheduled));
    }
    assert_eq!(
        queue::schedule_due(db, t + 30).await.unwrap(),
        0,
        "same slot, even once running"
    );
    assert_eq!(
        queue::schedule_due(db, t + hour).await.unwrap(),
        1,
        "next slot"
    );
    assert_eq!(
        queue::schedule_due(db, t + 2 * hour).await.unwrap(),
        0,
        "one already waiting"
    );
    db.execute_unprepared("UPDATE sync_configurations SET enabled = FALSE")
        .await
        .unwrap();
    assert_eq!(
        queue::schedule_due(db, t + 5 * hour).await.unwrap(),
        0,
        "disabled"
    );
}

/// Two workers take 50 queued runs (one per configuration) at once: each run is claimed
/// exactly once.
async fn two_workers_never_claim_the_same_run(db: &DatabaseConnection) {
    let s = setup(db, "Acme", "people.csv").await;
    let mut all = HashSet::new();
    for i in 0..50 {
        let c = add_config(db, s.org, &format!("C{i}"), &s.file, None, None).await;
        all.insert(queue::queue_now(db, c, 1_000 + i).await.unwrap());
    }
    // Queued by hand: an operator started them, as their details say.
    {
        use app::ports::RunStore;
        let store = server::store::SeaStore::new(db.clone());
        let id = *all.iter().next().unwrap();
        let found = store.run(s.org, id).await.unwrap().unwrap();
        assert_eq!(found.trigger, Some(app::domain::Trigger::Manual));
    }
    let worker = |name: &'static str| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                match queue::claim(&db, name, now_ms()).await {
                    Ok(Some(r)) => mine.push(r.id),
                    Ok(None) => break,
                    // SQLite's single writer may be busy for a moment; try again.
                    Err(_) => tokio::task::yield_now().await,
                }
            }
            mine
        })
    };
    let (a, b) = (worker("w1"), worker("w2"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let mut seen = HashSet::new();
    for id in a.iter().chain(&b) {
        assert!(seen.insert(*id), "run {id} claimed twice");
    }
    assert_eq!(seen, all, "every run claimed");
    let rows = sync_run::Entity::find().all(db).await.unwrap();
    for r in rows {
        let expected = if a.contains(&r.id) { "w1" } else { "w2" };
        assert_eq!(r.worker_id.as_deref(), Some(expected));
    }
}

/// Two worker loops (as two processes would run them) work through 20 queued runs of 20
/// configurations: every run ends Success once, with exactly one log entry per record.
async fn two_worker_loops_run_each_run_once(db: &DatabaseConnection) {
    use server::sync::worker::{tick, WorkerOptions};
    let s = setup(db, "Acme", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=3)).unwrap();
    let mut runs = Vec::new();
    for i in 0..20 {
        // Each configuration reads its own copy, so each run creates its own 3 users.
        let file = s.file.with_file_name(format!("people{i}.csv"));
        std::fs::write(&file, people_csv(i * 10 + 1..=i * 10 + 3)).unwrap();
        let c = add_config(db, s.org, &format!("C{i}"), &file, None, None).await;
        runs.push(queue::queue_now(db, c, now_ms()).await.unwrap());
    }
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let worker = |name: &str| {
        let db = db.clone();
        let mut options = WorkerOptions::new(name);
        options.schedule = false;
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let mut executed = 0;
            let mut idle = 0;
            while idle < 3 {
                match tick(&db, &options, &mut stopped).await {
                    Ok(true) => {
                        executed += 1;
                        idle = 0;
                    }
                    // Nothing claimable, or SQLite busy for a moment: look again.
                    Ok(false) | Err(_) => {
                        idle += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                }
            }
            executed
        })
    };
    let (a, b) = (worker("w1"), worker("w2"));
    let executed = a.await.unwrap() + b.await.unwrap();
    assert_eq!(
        executed, 20,
        "each run executed once between the two workers"
    );
    for id in runs {
        let row = run_row(db, id).await;
        assert_eq!(row.status, "success", "run {id}");
        assert_eq!(row.created, 3);
        assert_eq!(logs(db, id).await.len(), 3);
    }
    assert_eq!(users(db, s.org).await.len(), 60);
}

async fn workbooks_are_read_from_a_named_sheet(db: &DatabaseConnection) {
    let s = setup(db, "Acme", "people.xlsx").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write(0, 0, "read me")
        .unwrap();
    let sheet = book.add_worksheet().set_name("People").unwrap();
    for (c, h) in ["Employee ID", "Email", "First Name", "Last Name", "Status"]
        .iter()
        .enumerate()
    {
        sheet.write(0, c as u16, *h).unwrap();
    }
    for r in 1..=4u32 {
        sheet.write(r, 0, 1000 + r).unwrap();
        sheet.write(r, 1, format!("p{r}@example.com")).unwrap();
        sheet.write(r, 2, format!("First{r}")).unwrap();
        sheet.write(r, 3, format!("Last{r}")).unwrap();
    }
    book.save(&s.file).unwrap();
    db.execute_unprepared(&format!(
        "UPDATE sync_configurations SET settings = '{}' WHERE id = {}",
        serde_json::json!({"transport": "folder", "path": s.file.to_string_lossy(), "sheet": "People"}),
        s.config
    ))
    .await
    .unwrap();
    let run = sync_now(db, s.config).await;
    assert_eq!(run.status, "success", "{:?}", logs(db, run.id).await);
    assert_eq!(run.created, 4);
    let ids: Vec<_> = users(db, s.org)
        .await
        .into_iter()
        .filter_map(|u| u.external_id)
        .collect();
    assert_eq!(
        ids,
        ["1001", "1002", "1003", "1004"],
        "numbers read as ids, not 1001.0"
    );
}

on_both_backends!(
    run_outcomes,
    a_run_creates_updates_deactivates_and_logs_every_record
);
on_both_backends!(threshold, above_the_threshold_nothing_changes);
on_both_backends!(load_failures, load_failures_end_as_data_load_failed);
on_both_backends!(one_active, one_run_at_a_time_per_configuration);
on_both_backends!(cancel, cancel_before_and_during_a_run);
on_both_backends!(
    during_apply,
    progress_and_cancel_reach_a_run_while_it_applies
);
on_both_backends!(
    recovery,
    stale_runs_are_recovered_and_their_worker_cannot_finish
);
on_both_backends!(scheduler, the_scheduler_queues_one_run_per_slot);
on_both_backends!(two_workers, two_workers_never_claim_the_same_run);
on_both_backends!(xlsx, workbooks_are_read_from_a_named_sheet);
on_both_backends!(two_worker_loops, two_worker_loops_run_each_run_once);
