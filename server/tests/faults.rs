//! Faults: the database connection cut in the middle of a run, the server killed while it
//! migrates, and killed while it serves pages, downloads and a run. Afterwards it starts
//! again, the SQLite file is intact, no run is left stuck and nothing is half applied.

mod common;

use common::process::*;
use common::sync::{people_csv, run_row, setup, users};
use common::TestDb;
use sea_orm::{ConnectionTrait, Statement};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// PostgreSQL drops the worker's connections (as in a restart) while it applies a run: the
/// run ends Cancelled with nothing applied, and the same worker goes on to run the next one.
#[tokio::test]
async fn postgres_connections_cut_mid_run() {
    let Some(db) = TestDb::postgres("connections cut mid run").await else {
        return;
    };
    let conn = &db.conn;
    let s = setup(conn, "Acme", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=500)).unwrap();
    let run = queue(&db.url, "Acme/HR export");
    let (mut w, lines) = worker(
        &db.url,
        &[
            ("UP_FAULT_PAUSE_IN_APPLY_MS", "3000"),
            ("UP_WORKER_HEARTBEAT_MS", "250"),
        ],
    );
    wait_for_line(&lines, "pausing inside the apply transaction");
    let cut = conn
        .query_all(Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await
        .unwrap();
    assert!(!cut.is_empty(), "the worker's connections were cut");
    wait_for_terminal(conn, run).await;
    let row = run_row(conn, run).await;
    assert_eq!(row.status, "cancelled", "{row:?}");
    assert!(users(conn, s.org).await.is_empty(), "nothing half applied");

    // The worker reconnects by itself.
    let next = queue(&db.url, &s.config.to_string());
    wait_for_status(conn, next, "success").await;
    assert_eq!(users(conn, s.org).await.len(), 500);
    terminate(&w);
    assert!(w.wait().unwrap().success());
    db.cleanup().await;
}

/// `kill -9` at many moments of a first start, while the schema is being created: each
/// time the next start completes the migrations and the file is intact.
#[tokio::test]
async fn sqlite_killed_while_migrating_starts_again() {
    for delay_ms in [0u64, 5, 15, 30, 60, 100, 200] {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/m.db?mode=rwc", dir.path().display());
        let mut child = server(&url, &["migrate"], &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        let out = server(&url, &["migrate"], &[]).output().unwrap();
        assert!(
            out.status.success(),
            "killed after {delay_ms} ms, the next start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let conn = sea_orm::Database::connect(&url).await.unwrap();
        integrity_ok(&conn).await;
        use sea_orm_migration::MigratorTrait;
        let pending = server::db::migrations::Migrator::get_pending_migrations(&conn)
            .await
            .unwrap();
        assert!(pending.is_empty(), "after {delay_ms} ms: migrations left");
        conn.close().await.unwrap();
    }
}

/// `kill -9` of a server that is serving pages, log downloads and polls and applying a
/// run: it starts again on the same file, the run ends Cancelled with nothing applied, the
/// file is intact and everything answers.
#[tokio::test]
async fn sqlite_server_killed_under_load_starts_again() {
    let db = TestDb::sqlite().await;
    let conn = &db.conn;
    let s = setup(conn, "Acme", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=2000)).unwrap();
    // Earlier history with logs to download.
    let first = queue(&db.url, "Acme/HR export");
    let (mut w, _) = worker(&db.url, &[]);
    wait_for_status(conn, first, "success").await;
    terminate(&w);
    w.wait().unwrap();
    std::fs::write(&s.file, people_csv(1..=3000)).unwrap();
    let doomed_run = queue(&db.url, "Acme/HR export");

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let start = |env: &[(&str, &str)]| {
        let addr = format!("127.0.0.1:{port}");
        let mut all = vec![("UP_ADDR", addr.as_str())];
        all.extend_from_slice(env);
        server(&db.url, &["serve"], &all)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut doomed = start(&[
        ("UP_FAULT_PAUSE_IN_APPLY_MS", "60000"),
        ("UP_WORKER_HEARTBEAT_MS", "250"),
    ]);
    let lines = forward_lines(doomed.stdout.take().unwrap());
    wait_for_line(&lines, "pausing inside the apply transaction");

    // Readers in flight: health, the log endpoint (no session: refused, but served), pages.
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let answered = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..20)
        .map(|i| {
            let (client, base, answered) = (client.clone(), base.clone(), answered.clone());
            tokio::spawn(async move {
                let path = match i % 3 {
                    0 => format!("/api/runs/{first}/logs.xlsx"),
                    1 => "/login".to_string(),
                    _ => "/readyz".to_string(),
                };
                for _ in 0..50 {
                    if client.get(format!("{base}{path}")).send().await.is_ok() {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    // Killed once every reader is well under way, with requests still in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::Relaxed) < 100 {
        assert!(
            Instant::now() < deadline,
            "the server never answered the readers"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    for r in readers {
        let _ = r.await;
    }
    assert!(
        users(conn, s.org).await.len() == 2000,
        "the killed run applied nothing"
    );

    let mut again = start(&[
        ("UP_WORKER_STALE_SECS", "2"),
        ("UP_WORKER_HEARTBEAT_MS", "250"),
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = client.get(format!("{base}/readyz")).send().await;
        if matches!(&ready, Ok(r) if r.status().is_success()) {
            break;
        }
        assert!(Instant::now() < deadline, "the server never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for_terminal(conn, doomed_run).await;
    let row = run_row(conn, doomed_run).await;
    assert_eq!(row.status, "cancelled", "{row:?}");
    assert!(row
        .status_reason
        .unwrap_or_default()
        // Stale heartbeat or a gone process, whichever the new worker sees first.
        .contains("The worker running this sync stopped"));
    assert_eq!(users(conn, s.org).await.len(), 2000, "nothing half applied");
    integrity_ok(conn).await;
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    assert!(page.status().is_success());
    terminate(&again);
    assert!(again.wait().unwrap().success());
    db.cleanup().await;
}

/// A client that sends half a request and waits holds the server up only for the
/// requests' grace: SIGTERM still ends the process, cleanly.
#[tokio::test]
async fn a_half_sent_request_does_not_hold_up_shutdown() {
    use std::io::Write;
    let db = TestDb::sqlite().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut child = server(&db.url, &["serve"], &[("UP_ADDR", addr.as_str())])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = forward_lines(child.stdout.take().unwrap());
    wait_for_line(&lines, "listening on");
    let mut stalled = std::net::TcpStream::connect(&addr).unwrap();
    stalled
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // The server takes connections in the order they came: once a later one is answered,
    // the stalled one is the server's to finish.
    let mut later = std::net::TcpStream::connect(&addr).unwrap();
    later
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut later, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    terminate(&child);
    let pid = child.id().to_string();
    let (exited, exit) = std::sync::mpsc::channel();
    std::thread::spawn(move || exited.send(child.wait()));
    let Ok(exit) = exit.recv_timeout(Duration::from_secs(30)) else {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status();
        panic!("the server was still running 30 s after SIGTERM");
    };
    let exit = exit.unwrap();
    assert!(exit.success(), "{exit:?}");
    drop(stalled);
    db.cleanup().await;
}
