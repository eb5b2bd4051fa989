//! Worker processes: kill -9 in the middle of applying a run (after a restart the
//! directory is as it was, the run ends Cancelled, the database is intact and the next run
//! works), graceful shutdown, and two processes sharing one queue.

mod common;

use common::process::*;
use common::sync::{people_csv, run_row, setup, users};
use common::TestDb;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::process::{Command, Stdio};

async fn killed_mid_apply(db: &DatabaseConnection, url: &str) {
    let s = setup(db, "Acme", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=3000)).unwrap();
    let run = queue(url, "Acme/HR export");

    let (mut doomed, lines) = worker(url, &[("UP_FAULT_PAUSE_IN_APPLY_MS", "60000")]);
    wait_for_line(&lines, "pausing inside the apply transaction");
    doomed.kill().expect("SIGKILL");
    doomed.wait().unwrap();

    assert!(
        users(db, s.org).await.is_empty(),
        "nothing of the run is applied"
    );
    assert_eq!(run_row(db, run).await.status, "in_progress");
    let entries = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM sync_log_entries WHERE run_id = {run}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(entries, 0, "no log of a run that did not happen");

    // On SQLite every worker shares this machine: the next one sees the killed process is
    // gone and ends its run at once, without waiting for the heartbeat to go stale (the
    // default wait, 60 s, is kept here). PostgreSQL's workers may be anywhere: the stale
    // heartbeat tells, after a wait shortened here to 2 s.
    let sqlite = db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite;
    let mut env = vec![("UP_WORKER_HEARTBEAT_MS", "250")];
    if !sqlite {
        env.push(("UP_WORKER_STALE_SECS", "2"));
    }
    let (mut next, _lines) = worker(url, &env);
    wait_for_status(db, run, "cancelled").await;
    let row = run_row(db, run).await;
    let reason = row.status_reason.unwrap();
    if sqlite {
        assert!(
            reason.contains("The worker running this sync stopped, so"),
            "{reason}"
        );
    } else {
        assert!(reason.contains("stopped responding"), "{reason}");
    }
    assert!(users(db, s.org).await.is_empty());

    let again = queue(url, &s.config.to_string());
    wait_for_status(db, again, "success").await;
    assert_eq!(users(db, s.org).await.len(), 3000);
    let _ = Command::new("kill")
        .args(["-TERM", &next.id().to_string()])
        .status();
    let exit = next.wait().unwrap();
    assert!(
        exit.success(),
        "the worker stops cleanly on SIGTERM: {exit:?}"
    );
}

#[tokio::test]
async fn sqlite_survives_kill_9_mid_apply() {
    let db = TestDb::sqlite().await;
    killed_mid_apply(&db.conn, &db.url).await;
    integrity_ok(&db.conn).await;
    db.cleanup().await;
}

#[tokio::test]
async fn postgres_survives_kill_9_mid_apply() {
    if let Some(db) = TestDb::postgres("kill -9 mid apply").await {
        killed_mid_apply(&db.conn, &db.url).await;
        db.cleanup().await;
    }
}

/// SIGTERM while a run applies: given a grace period long enough the run finishes; with
/// none it is abandoned (Cancelled, nothing applied). The worker exits cleanly either way.
async fn shutdown_finishes_or_abandons_the_run(db: &DatabaseConnection, url: &str) {
    let s = setup(db, "Acme", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=50)).unwrap();

    let run = queue(url, "Acme/HR export");
    let (mut w, lines) = worker(
        url,
        &[
            ("UP_FAULT_PAUSE_IN_APPLY_MS", "60000"),
            ("UP_SHUTDOWN_GRACE_SECS", "0"),
        ],
    );
    wait_for_line(&lines, "pausing inside the apply transaction");
    terminate(&w);
    assert!(w.wait().unwrap().success(), "a clean exit");
    let row = run_row(db, run).await;
    assert_eq!(row.status, "cancelled");
    assert!(row
        .status_reason
        .unwrap_or_default()
        .contains("The service was stopped while the sync was running"),);
    assert!(users(db, s.org).await.is_empty(), "nothing applied");

    let run = queue(url, &s.config.to_string());
    let (mut w, lines) = worker(
        url,
        &[
            ("UP_FAULT_PAUSE_IN_APPLY_MS", "1500"),
            ("UP_SHUTDOWN_GRACE_SECS", "60"),
        ],
    );
    wait_for_line(&lines, "pausing inside the apply transaction");
    terminate(&w);
    assert!(w.wait().unwrap().success(), "a clean exit");
    assert_eq!(
        run_row(db, run).await.status,
        "success",
        "finished in its grace"
    );
    assert_eq!(users(db, s.org).await.len(), 50);
}

#[tokio::test]
async fn sqlite_shutdown_finishes_or_abandons_the_run() {
    let db = TestDb::sqlite().await;
    shutdown_finishes_or_abandons_the_run(&db.conn, &db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn postgres_shutdown_finishes_or_abandons_the_run() {
    if let Some(db) = TestDb::postgres("graceful shutdown").await {
        shutdown_finishes_or_abandons_the_run(&db.conn, &db.url).await;
        db.cleanup().await;
    }
}

/// Two worker processes on one database and 50 queued runs: every run runs exactly once.
async fn two_worker_processes_share_the_queue(db: &DatabaseConnection, url: &str) {
    use server::sync::{engine::now_ms, queue::queue_now};
    let s = setup(db, "Acme", "unused.csv").await;
    let mut runs = Vec::new();
    for i in 0..50u32 {
        // Each configuration reads its own file, so each run creates its own 2 users.
        let file = s.file.with_file_name(format!("people{i}.csv"));
        std::fs::write(&file, people_csv(i * 10 + 1..=i * 10 + 2)).unwrap();
        let c = common::sync::add_config(db, s.org, &format!("C{i}"), &file, None, None).await;
        runs.push(queue_now(db, c, now_ms()).await.unwrap());
    }
    let (mut a, a_lines) = worker(url, &[("LOG_FORMAT", "json")]);
    let (mut b, b_lines) = worker(url, &[("LOG_FORMAT", "json")]);
    for run in &runs {
        wait_for_status(db, *run, "success").await;
    }
    for w in [&a, &b] {
        terminate(w);
    }
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    let mut started: std::collections::HashMap<i64, usize> = Default::default();
    let mut by_worker = [0usize; 2];
    for (i, lines) in [a_lines, b_lines].iter().enumerate() {
        for line in lines.try_iter().filter(|l| l.contains("run started")) {
            let json: serde_json::Value = serde_json::from_str(&line).unwrap();
            let id = json["fields"]["run"]
                .as_i64()
                .unwrap_or_else(|| panic!("no run id in {line}"));
            *started.entry(id).or_default() += 1;
            by_worker[i] += 1;
        }
    }
    for run in &runs {
        assert_eq!(started.get(run), Some(&1), "run {run} started exactly once");
        assert_eq!(run_row(db, *run).await.created, 2);
    }
    assert_eq!(by_worker[0] + by_worker[1], 50, "{by_worker:?}");
    assert_eq!(users(db, s.org).await.len(), 100);
}

#[tokio::test]
async fn sqlite_two_worker_processes_run_each_run_once() {
    let db = TestDb::sqlite().await;
    two_worker_processes_share_the_queue(&db.conn, &db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn postgres_two_worker_processes_run_each_run_once() {
    if let Some(db) = TestDb::postgres("two worker processes").await {
        two_worker_processes_share_the_queue(&db.conn, &db.url).await;
        db.cleanup().await;
    }
}

/// Secrets are read from the environment or files when a run needs them; whatever the run
/// comes to, they appear nowhere: not in the worker's log (at its most talkative), not in
/// the run's reason, not in its log entries.
#[tokio::test]
async fn secrets_never_reach_logs_or_the_history() {
    use sea_orm::{ActiveModelTrait, Set};
    use server::db::entities::sync_configuration;
    use server::sync::{engine::now_ms, queue::queue_now};
    const WORKDAY_PASSWORD: &str = "Wd-S3cret-Value-91";
    const SFTP_PASSWORD: &str = "Sftp-S3cret-Value-42";
    const KEY_MATERIAL: &str = "G00gleKeyMaterialQwertyUiop";
    let db = TestDb::sqlite().await;
    let conn = &db.conn;
    let s = setup(conn, "Acme", "unused.csv").await;

    // Workday answers 401 to everything, having been sent the password.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let workday = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new()
            .fallback(|| async { (http::StatusCode::UNAUTHORIZED, "Unauthorized") });
        axum::serve(listener, app).await.unwrap()
    });
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let key_file = s.file.with_file_name("google-sa.json");
    std::fs::write(
        &key_file,
        serde_json::json!({
            "type": "service_account",
            "client_email": "sync@acme.iam.gserviceaccount.com",
            "private_key": format!("-----BEGIN PRIVATE KEY-----\n{KEY_MATERIAL}\n-----END PRIVATE KEY-----\n"),
            "token_uri": format!("http://{closed}/token"),
        })
        .to_string(),
    )
    .unwrap();
    let configs = [
        (
            "workday",
            serde_json::json!({"host": "wd.example", "tenant": "acme", "owner": "ISU_Blink",
                "report": "Workers", "password": "env:UP_TEST_SECRET_WD", "base_url": workday,
                "timeout_secs": 5}),
        ),
        (
            "sftp",
            serde_json::json!({"host": "127.0.0.1", "port": closed.port(), "username": "blink",
                "password": "env:UP_TEST_SECRET_SFTP", "path": "/people.csv", "timeout_secs": 5}),
        ),
        (
            "google_workspace",
            serde_json::json!({"admin_email": "it@acme.example",
                "service_account_key": format!("file:{}", key_file.display()),
                "customer": "my_customer", "token_url": format!("http://{closed}/token"),
                "base_url": format!("http://{closed}"), "timeout_secs": 5}),
        ),
    ];
    let mut runs = Vec::new();
    for (kind, settings) in configs {
        let c = sync_configuration::ActiveModel {
            organisation_id: Set(s.org),
            name: Set(format!("Secret {kind}")),
            source_kind: Set(kind.into()),
            settings: Set(settings.to_string()),
            schedule: Set("manual".into()),
            enabled: Set(true),
            created_at_ms: Set(0),
            ..Default::default()
        }
        .insert(conn)
        .await
        .unwrap();
        runs.push(queue_now(conn, c.id, now_ms()).await.unwrap());
    }
    let mut child = server(
        &db.url,
        &["worker"],
        &[
            ("RUST_LOG", "trace"),
            ("UP_TEST_SECRET_WD", WORKDAY_PASSWORD),
            ("UP_TEST_SECRET_SFTP", SFTP_PASSWORD),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Drained as it comes, so a talkative worker never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = std::io::Read::read_to_string(&mut p, &mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<_>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<_>));
    for run in &runs {
        wait_for_status(conn, *run, "data_load_failed").await;
    }
    terminate(&child);
    child.wait().unwrap();
    let out = stdout.join().unwrap() + &stderr.join().unwrap();
    assert!(
        out.contains("run ended"),
        "the log was captured: {out:.2000}"
    );
    let mut history = String::new();
    for run in &runs {
        history.push_str(&format!("{:?}", run_row(conn, *run).await));
        history.push_str(&format!("{:?}", common::sync::logs(conn, *run).await));
    }
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("ISU_Blink:{WORKDAY_PASSWORD}"))
    };
    for secret in [
        WORKDAY_PASSWORD,
        SFTP_PASSWORD,
        KEY_MATERIAL,
        basic.as_str(),
    ] {
        assert!(!out.contains(secret), "{secret} in the worker's log");
        assert!(!history.contains(secret), "{secret} in the run history");
    }
    db.cleanup().await;
}

/// Two worker processes on one database, each with its alert worker, and 20 runs that
/// fail: each failure reaches the organisation's webhook exactly once, and the webhook's
/// secret never reaches either worker's log.
async fn two_worker_processes_alert_once(db: &DatabaseConnection, url: &str) {
    use common::hooks::{set_webhook, Hook, SECRET};
    use server::sync::{engine::now_ms, queue::queue_now};
    let (hook, hook_url) = Hook::start(0).await;
    let s = setup(db, "Acme", "unused.csv").await;
    let _secret = set_webhook(db, "Acme", &hook_url).await;
    let mut runs = Vec::new();
    for i in 0..20u32 {
        // Each configuration's file is missing: its run ends Data Load Failed.
        let file = s.file.with_file_name(format!("missing{i}.csv"));
        let c = common::sync::add_config(db, s.org, &format!("C{i}"), &file, None, None).await;
        runs.push(queue_now(db, c, now_ms()).await.unwrap());
    }
    let env = [("UP_ALERT_POLL_MS", "50"), ("RUST_LOG", "debug")];
    let (mut a, a_lines) = worker(url, &env);
    let (mut b, b_lines) = worker(url, &env);
    for run in &runs {
        wait_for_status(db, *run, "data_load_failed").await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while hook.accepted().len() < runs.len() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Time for a second delivery of anything, were there one.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for w in [&a, &b] {
        terminate(w);
    }
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    let requests = hook.requests();
    assert!(requests.iter().all(|r| r.signed && r.answered == 200));
    let mut alerted: Vec<i64> = requests
        .iter()
        .map(|r| r.body["runs"][0]["id"].as_i64().unwrap())
        .collect();
    alerted.sort();
    runs.sort();
    assert_eq!(alerted, runs, "each run's alert exactly once");
    for lines in [a_lines, b_lines] {
        for line in lines.try_iter() {
            assert!(
                !line.contains(SECRET),
                "the webhook's secret in a log: {line}"
            );
        }
    }
}

#[tokio::test]
async fn sqlite_two_worker_processes_alert_once() {
    let db = TestDb::sqlite().await;
    two_worker_processes_alert_once(&db.conn, &db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn postgres_two_worker_processes_alert_once() {
    if let Some(db) = TestDb::postgres("two worker processes alert once").await {
        two_worker_processes_alert_once(&db.conn, &db.url).await;
        db.cleanup().await;
    }
}
