//! The chart's one statement: the UTC days the reaches start from, then each reach's
//! spans of quarters, hours and runs, summed by status.

use super::Reach;
use crate::db::run_buckets::{Buckets, DAYS, EVERY_CONFIGURATION, HOURS, QUARTERS};
use crate::store::db_err;
use crate::store::run_page::{bigint_array, Sql};
use crate::store::run_scope::Scope;
use app::domain::RunStatus;
use app::ports::StoreError;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, FromQueryResult};

/// One row of the chart's statement: for `level` 0 the runs of UTC day `k`; for level 1
/// the signed sum of reach number `k`'s spans (quarters, hours and runs together).
#[derive(Debug, FromQueryResult)]
pub(super) struct SumRow {
    pub level: i64,
    pub k: i64,
    pub status: String,
    pub runs: i64,
    pub duration_sum_ms: i64,
    pub finished: i64,
}

/// One level of spans (quarters, hours or runs) as rows `[lo, hi, k, sign]`, and the name
/// of the table of them the statement reads.
struct Level {
    level: usize,
    name: &'static str,
    spans: Vec<[i64; 4]>,
}

/// The statement that reads every sum the reaches need: the UTC days from the earliest
/// reach's to the latest's, then each reach's spans of quarters, hours and runs.
pub(super) fn statement(
    scope: &Scope<'_>,
    reaches: &[Reach],
    backend: DatabaseBackend,
) -> sea_orm::Statement {
    let first_day = reaches.iter().map(|r| r.day).min().unwrap_or(0);
    let end_day = reaches.iter().map(|r| r.day).max().unwrap_or(0);
    let levels = levels(reaches);
    let mut sql = Sql::new(backend);
    if !levels.is_empty() {
        span_tables(&mut sql, &levels, backend);
    }
    // On SQLite every row in one JSON array, handed over as one value (see `sums_as_json`).
    let json = backend == DatabaseBackend::Sqlite;
    if json {
        sql.push(
            "SELECT json_group_array(json_array(level, k, status, runs, duration_sum_ms, \
             finished)) FROM (",
        );
    }
    utc_days(&mut sql, scope, first_day, end_day);
    if !levels.is_empty() {
        span_sums(&mut sql, scope, &levels, backend);
    }
    if json {
        sql.push(") AS sums");
    }
    sql.statement()
}

/// The levels that have spans to sum.
fn levels(reaches: &[Reach]) -> Vec<Level> {
    ["quarters", "hours", "moments"]
        .into_iter()
        .enumerate()
        .map(|(i, name)| Level {
            level: i + 1,
            name,
            spans: reaches
                .iter()
                .enumerate()
                .filter_map(|(k, r)| r.spans[i].map(|(lo, hi, sign)| [lo, hi, k as i64, sign]))
                .collect(),
        })
        .filter(|l| !l.spans.is_empty())
        .collect()
}

/// `WITH quarters(lo, hi, k, sign) AS (…), …`: each level's spans as a table the
/// statement reads them from.
fn span_tables(sql: &mut Sql, levels: &[Level], backend: DatabaseBackend) {
    sql.push("WITH ");
    for (n, Level { name, spans, .. }) in levels.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.push(name).push("(lo, hi, k, sign) AS (");
        if backend == DatabaseBackend::Postgres {
            // Four arrays, one parameter each: PostgreSQL plans a long VALUES list slowly.
            sql.push("SELECT * FROM unnest(");
            for column in 0..4 {
                if column > 0 {
                    sql.push(", ");
                }
                let values = spans.iter().map(|s| s[column]);
                sql.push("CAST(")
                    .bind(bigint_array(values))
                    .push(" AS BIGINT[])");
            }
            sql.push("))");
        } else {
            sql.push("VALUES ");
            for (m, &[lo, hi, k, sign]) in spans.iter().enumerate() {
                if m > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(lo)
                    .push(", ")
                    .bind(hi)
                    .push(", ")
                    .bind(k)
                    .push(&format!(", {sign})"));
            }
            sql.push(")");
        }
    }
    sql.push(" ");
}

/// The filter's statuses and configurations. `buckets`: the filter on a table of runs per
/// span, whose rows of every configuration together answer when none is chosen.
fn filters(sql: &mut Sql, scope: &Scope<'_>, buckets: bool) {
    let statuses = &scope.request.filter.statuses;
    if !statuses.is_empty() && statuses.len() < RunStatus::ALL.len() {
        sql.push(" AND status IN (");
        for (i, s) in statuses.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(s.slug());
        }
        sql.push(")");
    }
    match scope.configuration_ids {
        Some(ids) => {
            sql.push(" AND configuration_id IN (");
            for (i, &id) in ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(id);
            }
            sql.push(")");
        }
        None if buckets => {
            sql.push(" AND configuration_id = ")
                .bind(EVERY_CONFIGURATION);
        }
        None => {}
    }
}

/// Level 0: the runs of each whole UTC day in `[first_day, end_day)`, by status.
fn utc_days(sql: &mut Sql, scope: &Scope<'_>, first_day: i64, end_day: i64) {
    let Buckets { table, column, .. } = DAYS;
    sql.push(&format!(
        "SELECT CAST(0 AS BIGINT) AS level, {column} AS k, status, {sums} FROM {table} \
         WHERE organisation_id = ",
        sums = bucket_sums(""),
    ))
    .bind(scope.request.organisation_id)
    .push(&format!(" AND {column} >= "))
    .bind(first_day)
    .push(&format!(" AND {column} < "))
    .bind(end_day);
    filters(sql, scope, true);
    sql.push(&format!(" GROUP BY {column}, status HAVING SUM(runs) <> 0"));
}

/// Level 1: each reach's spans of quarters and hours, then of runs, summed with their
/// signs in one row per status.
///
/// The spans drive the join, so each is one range of its table's key or index: SQLite
/// keeps a CROSS JOIN's order; PostgreSQL would rather read the organisation's whole index
/// once and filter it, so there each span is a LATERAL sum of its own range, which cannot
/// be turned into that. A reach's spans come back summed because each row costs more to
/// hand from the database to the server than to sum (sqlx moves SQLite's rows one by one
/// between threads), and a reach has up to three spans.
fn span_sums(sql: &mut Sql, scope: &Scope<'_>, levels: &[Level], backend: DatabaseBackend) {
    sql.push(
        " UNION ALL SELECT CAST(1 AS BIGINT), k, status, \
         CAST(SUM(sign * runs) AS BIGINT), CAST(SUM(sign * duration_sum_ms) AS BIGINT), \
         CAST(SUM(sign * finished) AS BIGINT) FROM (",
    );
    let lateral = backend == DatabaseBackend::Postgres;
    for (n, Level { level, name, .. }) in levels.iter().enumerate() {
        if n > 0 {
            sql.push(" UNION ALL ");
        }
        let (table, column, sums) = match level {
            1 => (QUARTERS.table, QUARTERS.column, bucket_sums(QUARTERS.table)),
            2 => (HOURS.table, HOURS.column, bucket_sums(HOURS.table)),
            _ => ("sync_runs", "sort_at_ms", RUN_SUMS.to_string()),
        };
        if lateral {
            sql.push(&format!(
                "SELECT {name}.k AS k, {name}.sign AS sign, s.status AS status, s.runs, \
                 s.duration_sum_ms, s.finished FROM {name} CROSS JOIN LATERAL \
                 (SELECT {table}.status, {sums} FROM {table} WHERE {table}.organisation_id = "
            ));
        } else {
            sql.push(&format!(
                "SELECT {name}.k AS k, {name}.sign AS sign, {table}.status AS status, {sums} \
                 FROM {name} CROSS JOIN {table} WHERE {table}.organisation_id = "
            ));
        }
        sql.bind(scope.request.organisation_id).push(&format!(
            " AND {table}.{column} >= {name}.lo AND {table}.{column} < {name}.hi"
        ));
        filters(sql, scope, *level < 3);
        if lateral {
            sql.push(&format!(" GROUP BY {table}.status) AS s"));
        } else {
            sql.push(&format!(" GROUP BY {name}.k, {name}.sign, {table}.status"));
        }
    }
    // Spans that cancel out (a quarter on, an hour back, with the same runs) need no row.
    sql.push(
        ") AS spans GROUP BY k, status HAVING SUM(sign * runs) <> 0 \
         OR SUM(sign * duration_sum_ms) <> 0 OR SUM(sign * finished) <> 0",
    );
}

/// The chart's rows from SQLite, read as the one JSON array the statement makes of them.
/// sqlx hands SQLite's rows one by one from its worker thread, and a 90-day chart has about
/// a thousand: as one value they cost a third of the time (a 90-day chart in Chatham 7.3 ms
/// of CPU as rows, 3.5 ms as one array). PostgreSQL sends rows over its socket in bulk, and
/// building the array there costs more than it saves, so there the rows come as they are.
pub(super) async fn sums_as_json(
    db: &DatabaseConnection,
    statement: sea_orm::Statement,
) -> Result<Vec<SumRow>, StoreError> {
    let array: Option<String> = match db.query_one(statement).await.map_err(db_err)? {
        Some(row) => row.try_get_by_index(0).map_err(db_err)?,
        None => None,
    };
    let rows: Vec<(i64, i64, String, i64, i64, i64)> =
        serde_json::from_str(array.as_deref().unwrap_or("[]"))
            .map_err(|e| StoreError::Failed(format!("chart: {e}")))?;
    Ok(rows
        .into_iter()
        .map(
            |(level, k, status, runs, duration_sum_ms, finished)| SumRow {
                level,
                k,
                status,
                runs,
                duration_sum_ms,
                finished,
            },
        )
        .collect())
}

/// The sums of a table of runs per span (see `db::run_buckets`), its columns qualified by
/// `table` where given.
fn bucket_sums(table: &str) -> String {
    let q = if table.is_empty() {
        String::new()
    } else {
        format!("{table}.")
    };
    format!(
        "CAST(SUM({q}runs) AS BIGINT) AS runs, \
         CAST(SUM({q}duration_sum_ms) AS BIGINT) AS duration_sum_ms, \
         CAST(SUM({q}finished) AS BIGINT) AS finished"
    )
}

/// The same sums counted from the runs: a run that never started (cancelled while queued)
/// has no duration, nor has one still running; SUM and COUNT of the difference skip both.
const RUN_SUMS: &str = "CAST(COUNT(*) AS BIGINT) AS runs, \
    CAST(COALESCE(SUM(sync_runs.finished_at_ms - sync_runs.started_at_ms), 0) AS BIGINT) \
    AS duration_sum_ms, \
    CAST(COUNT(sync_runs.finished_at_ms - sync_runs.started_at_ms) AS BIGINT) AS finished";
