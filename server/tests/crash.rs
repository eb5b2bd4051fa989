//! kill -9 in the middle of applying a run: after a restart the directory is as it was,
//! the run ends Cancelled, the database is intact and the next run works.

mod common;

use common::sync::{people_csv, run_row, setup, users};
use common::TestDb;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_server");

fn server(url: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "info")
        .env("UP_WORKER_POLL_MS", "100")
        .env_remove("UP_FAULT_PAUSE_IN_APPLY_MS");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

/// Starts a worker process and a thread forwarding its log lines.
fn worker(url: &str, env: &[(&str, &str)]) -> (Child, mpsc::Receiver<String>) {
    let mut child = server(url, &["worker"], env)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("worker starts");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn wait_for_line(rx: &mpsc::Receiver<String>, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return,
            Ok(_) => {}
            Err(_) => panic!("the worker never logged \"{needle}\""),
        }
    }
}

async fn wait_for_status(db: &DatabaseConnection, run: i64, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if run_row(db, run).await.status == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "run {run} never reached {status}: {:?}",
            run_row(db, run).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn queue(url: &str, configuration: &str) -> i64 {
    let out = server(url, &["run", "queue", configuration], &[])
        .output()
        .expect("cli runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.split('#')
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no run id in {text:?}"))
}

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

    let (mut next, _lines) = worker(
        url,
        &[
            ("UP_WORKER_STALE_SECS", "2"),
            ("UP_WORKER_HEARTBEAT_MS", "250"),
        ],
    );
    wait_for_status(db, run, "cancelled").await;
    let row = run_row(db, run).await;
    assert!(row.status_reason.unwrap().contains("stopped responding"));
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
    let check = db
        .conn
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    assert_eq!(check, "ok");
    db.cleanup().await;
}

#[tokio::test]
async fn postgres_survives_kill_9_mid_apply() {
    if let Some(db) = TestDb::postgres("kill -9 mid apply").await {
        killed_mid_apply(&db.conn, &db.url).await;
        db.cleanup().await;
    }
}
