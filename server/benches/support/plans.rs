//! Query plans: every statement the Syncs page made reads each stored table by an index
//! search, never a whole scan of it.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait};

/// The tables that grow with use; the small ones (organisations, configurations) may be
/// read whole when the planner finds that cheaper.
const GROWING: [&str; 12] = [
    "sync_runs",
    "sync_run_days",
    "sync_run_hours",
    "sync_run_quarters",
    "sync_run_status_days",
    "sync_log_entries",
    "sessions",
    "users",
    "alert_events",
    "alert_messages",
    "alert_deliveries",
    "alert_attempts",
];

/// Partial indexes that hold only the rows waiting for work (events not yet placed): read
/// whole, they read no history.
const QUEUES: [&str; 1] = ["ix_alert_events_waiting"];

/// Panics, naming the statement and its plan, if any statement scans a growing table.
#[allow(dead_code)]
pub async fn check(conn: &DatabaseConnection, statements: Vec<Statement>) {
    check_at_least(conn, statements, 21).await
}

/// [`check`], with at least `min` statements that read a growing table.
pub async fn check_at_least(conn: &DatabaseConnection, statements: Vec<Statement>, min: usize) {
    let mut checked = 0;
    for statement in statements {
        let sql = statement.sql.trim_start().to_ascii_uppercase();
        let reads = ["SELECT", "WITH", "UPDATE", "DELETE"];
        if !reads.iter().any(|verb| sql.starts_with(verb))
            || !GROWING.iter().any(|t| statement.sql.contains(t))
        {
            continue;
        }
        let found = match conn.get_database_backend() {
            DatabaseBackend::Sqlite => sqlite_scans(conn, &statement).await,
            _ => postgres_scans(conn, &statement).await,
        };
        assert!(
            found.is_empty(),
            "scans {found:?}:\n{}\n{:?}",
            statement.sql,
            statement.values
        );
        checked += 1;
    }
    assert!(checked >= min, "only {checked} statements were checked");
    println!("  {checked} statements read every growing table by an index search");
}

/// The tables (or their aliases) that SQLite's plan scans whole. A scan of a subquery's
/// rows (a lane's page, a union) is of rows already found, and allowed.
async fn sqlite_scans(conn: &DatabaseConnection, statement: &Statement) -> Vec<String> {
    let explain = Statement {
        sql: format!("EXPLAIN QUERY PLAN {}", statement.sql),
        ..statement.clone()
    };
    let plan: Vec<String> = conn
        .query_all(explain)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get::<String>("", "detail").unwrap())
        .collect();
    let aliases = ["r", "c"];
    let growing = |table: &str| GROWING.contains(&table) || aliases.contains(&table);
    let mut scans: Vec<String> = plan
        .iter()
        .filter_map(|line| line.strip_prefix("SCAN "))
        .map(|rest| rest.split(' ').next().unwrap_or("").to_string())
        .filter(|table| growing(table))
        .collect();
    // A run that a statement names `r` is one it looks up by id, once it knows which, or
    // one of the changes since a count (a range of the change feed's index).
    scans.extend(
        plan.iter()
            .filter(|line| {
                line.starts_with("SEARCH r ")
                    && !line.contains("INTEGER PRIMARY KEY")
                    && !line.ends_with("(organisation_id=? AND change_seq>?)")
            })
            .map(|line| format!("runs not looked up by id: {line}")),
    );
    // A search of the runs on the organisation alone reads all of its runs unless the
    // statement stops after a page of them. (The day and hour counts are read by
    // organisation for an all-time total: a row per day, however many runs.)
    if !statement.sql.contains(" LIMIT ") {
        scans.extend(
            plan.iter()
                .filter(|line| line.starts_with("SEARCH ") && line.ends_with("(organisation_id=?)"))
                .filter(|line| matches!(line.split(' ').nth(1), Some("sync_runs" | "r")))
                .map(|line| format!("the whole organisation: {line}")),
        );
    }
    scans
}

/// The growing tables PostgreSQL's plan reads whole, with sequential scans discouraged:
/// a scan it still chooses is one no index can replace. An index read without an index
/// condition (a whole index in order) counts as a scan too.
async fn postgres_scans(conn: &DatabaseConnection, statement: &Statement) -> Vec<String> {
    let txn = conn.begin().await.unwrap();
    txn.execute_unprepared("SET LOCAL enable_seqscan = off")
        .await
        .unwrap();
    let explain = Statement {
        sql: format!("EXPLAIN {}", statement.sql),
        ..statement.clone()
    };
    let plan: Vec<String> = txn
        .query_all(explain)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get_by_index(0).unwrap())
        .collect();
    txn.rollback().await.unwrap();
    scans_in(&plan)
}

/// The plan's scans of growing tables: a node reading one of them (`… Scan … on table`)
/// whose own lines hold no index or recheck condition.
fn scans_in(plan: &[String]) -> Vec<String> {
    let mut scans = Vec::new();
    for (i, line) in plan.iter().enumerate() {
        let node = line.trim_start().trim_start_matches("->").trim_start();
        let Some((kind, rest)) = node.split_once(" on ") else {
            continue;
        };
        if !kind.contains("Scan") {
            continue;
        }
        let table = rest.split([' ', '(']).next().unwrap_or("");
        if !GROWING.contains(&table) {
            continue;
        }
        // The node's details follow it, until the next node.
        let searched = plan[i + 1..]
            .iter()
            .take_while(|l| !l.contains("->"))
            .any(|l| l.contains("Index Cond:") || l.contains("Recheck Cond:"));
        let queue = QUEUES.iter().any(|q| kind.contains(q));
        if kind.starts_with("Seq Scan") || !(searched || queue) {
            scans.push(format!("{kind} on {table}"));
        }
    }
    scans
}
