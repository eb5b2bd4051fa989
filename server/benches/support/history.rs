//! A long sync history for one organisation, as the Syncs page meets it after years of
//! use: the demo's organisations, accounts and configurations, plus `runs` more runs for
//! Acme over the three years up to now, spread over its configurations (one of them rare)
//! and every status (two of them rare), with some runs sharing their start instant.
//!
//! Shared by the page-mix and person-history benchmarks and the query-plan test.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, TransactionTrait};
use server::demo;

pub const DAY_MS: i64 = 86_400_000;
/// The history's length.
pub const YEARS: i64 = 3;
/// The configuration that has only a few runs.
pub const RARE_CONFIGURATION: &str = "Rare export (SFTP)";

/// Statuses per 10,000 runs. At most one run per configuration is in progress (a unique
/// index says so): those are the newest of each configuration, set apart from this mix.
const MIX: [(&str, u32); 6] = [
    ("success", 8_000),
    ("needs_attention", 1_200),
    ("data_load_failed", 400),
    ("above_deactivation_threshold", 199),
    ("cancelled", 200),
    ("queued", 1),
];

fn status_for(i: u64) -> &'static str {
    let roll = (i.wrapping_mul(2_654_435_761) % 10_000) as u32;
    let mut below = 0;
    for (status, weight) in MIX {
        below += weight;
        if roll < below {
            return status;
        }
    }
    "success"
}

/// What the history holds, for the benchmark's cases.
pub struct History {
    pub organisation_id: i64,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Every id of the history's runs, oldest first.
    pub ids: Vec<i64>,
}

/// Seeds the demo (small) and `runs` more runs for Acme ending at `now`.
pub async fn generate(conn: &DatabaseConnection, runs: u64, now: DateTime<Utc>) -> History {
    demo::seed(conn, &demo::DemoSize::small(), now)
        .await
        .unwrap();
    let acme: i64 = scalar(conn, "SELECT id FROM organisations WHERE name = 'Acme'").await;
    let created = now.timestamp_millis() - YEARS * 365 * DAY_MS;
    conn.execute_unprepared(&format!(
        "INSERT INTO sync_configurations (organisation_id, name, source_kind, settings, schedule, enabled, created_at_ms) \
         VALUES ({acme}, '{RARE_CONFIGURATION}', 'sftp', '{{}}', 'every 6h', false, {created})"
    ))
    .await
    .unwrap();
    let mut configurations: Vec<i64> = Vec::new();
    for row in conn
        .query_all(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!(
                "SELECT id FROM sync_configurations WHERE organisation_id = {acme} \
                 ORDER BY (name = '{RARE_CONFIGURATION}'), id"
            ),
        ))
        .await
        .unwrap()
    {
        configurations.push(row.try_get_by_index(0).unwrap());
    }
    let rare = *configurations.last().unwrap();
    let common = &configurations[..configurations.len() - 1];

    let end = now.timestamp_millis() - 60_000;
    let first_ms = end - YEARS * 365 * DAY_MS;
    let step = (end - first_ms) / runs.max(1) as i64;
    let before: i64 = scalar(conn, "SELECT COALESCE(MAX(id), 0) FROM sync_runs").await;
    let txn = conn.begin().await.unwrap();
    let mut sql = String::new();
    for i in 0..runs {
        // Every tenth run starts at the same instant as the one before it.
        let n = i - u64::from(i % 10 == 9);
        let at = first_ms + n as i64 * step + (n as i64 * 7_919) % step.max(1);
        let configuration = if i % 1_000 == 500 {
            rare
        } else {
            common[(i % common.len() as u64) as usize]
        };
        let status = status_for(i);
        let (started, finished) = match status {
            "queued" => ("NULL".to_string(), "NULL".to_string()),
            "cancelled" if i % 2 == 0 => ("NULL".to_string(), "NULL".to_string()),
            _ => (
                at.to_string(),
                (at + 30_000 + (i as i64 % 600) * 1_000).to_string(),
            ),
        };
        if sql.is_empty() {
            sql.push_str(
                "INSERT INTO sync_runs (organisation_id, configuration_id, status, queued_at_ms, \
                 started_at_ms, finished_at_ms, sort_at_ms, version, trigger) VALUES ",
            );
        } else {
            sql.push(',');
        }
        sql.push_str(&format!(
            "({acme}, {configuration}, '{status}', {}, {started}, {finished}, {at}, 1, 'scheduled')",
            at - 2_000
        ));
        if (i + 1) % 2_000 == 0 || i + 1 == runs {
            txn.execute_unprepared(&sql).await.unwrap();
            sql.clear();
        }
    }
    // The newest run of each common configuration is still going.
    for &configuration in common {
        txn.execute_unprepared(&format!(
            "UPDATE sync_runs SET status = 'in_progress', finished_at_ms = NULL, started_at_ms = sort_at_ms \
             WHERE id = (SELECT MAX(id) FROM sync_runs WHERE configuration_id = {configuration} AND id > {before}) \
             AND NOT EXISTS (SELECT 1 FROM sync_runs WHERE configuration_id = {configuration} AND status = 'in_progress')"
        ))
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        conn.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    }
    let last: i64 = scalar(conn, "SELECT MAX(id) FROM sync_runs").await;
    History {
        organisation_id: acme,
        first_ms,
        last_ms: end,
        ids: (before + 1..=last).collect(),
    }
}

async fn scalar(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}
