//! The server binary as a child process: workers, the CLI, and waiting on what they do.

use super::sync::run_row;
use sea_orm::DatabaseConnection;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_server");

pub fn server(url: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "info")
        .env("UP_WORKER_POLL_MS", "100")
        // `serve` finds the site's settings here, as a cargo-leptos build would tell it.
        .env("LEPTOS_OUTPUT_NAME", "user-provisioning")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env_remove("UP_FAULT_PAUSE_IN_APPLY_MS");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

/// Starts a worker process and a thread forwarding its log lines.
pub fn worker(url: &str, env: &[(&str, &str)]) -> (Child, mpsc::Receiver<String>) {
    let mut child = server(url, &["worker"], env)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("worker starts");
    let rx = forward_lines(child.stdout.take().unwrap());
    (child, rx)
}

/// A thread forwarding a child's output line by line (and draining it, so it never blocks).
pub fn forward_lines(out: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

pub fn wait_for_line(rx: &mpsc::Receiver<String>, needle: &str) {
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

pub async fn wait_for_status(db: &DatabaseConnection, run: i64, status: &str) {
    wait_for_run(db, run, status, |s| s == status).await
}

/// Waits until the run has ended, however.
pub async fn wait_for_terminal(db: &DatabaseConnection, run: i64) {
    wait_for_run(db, run, "an end", |s| s != "queued" && s != "in_progress").await
}

async fn wait_for_run(
    db: &DatabaseConnection,
    run: i64,
    what: &str,
    reached: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if reached(&run_row(db, run).await.status) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "run {run} never reached {what}: {:?}",
            run_row(db, run).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// SQLite's own check of the file after a crash.
pub async fn integrity_ok(db: &DatabaseConnection) {
    use sea_orm::{ConnectionTrait, Statement};
    let check = db
        .query_one(Statement::from_string(
            sea_orm::DatabaseBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    assert_eq!(check, "ok");
}

pub fn queue(url: &str, configuration: &str) -> i64 {
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

pub fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}
