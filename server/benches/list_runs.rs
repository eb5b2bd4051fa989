//! The Syncs page's list at scale: 1,000,000 runs (one organisation with 200,000, the rest
//! spread over 1,000 others) on SQLite and, when it answers, PostgreSQL. Measures the real
//! store (SeaORM, the query the server function runs) beside the same SQL sent raw through
//! sqlx, first page and a deep keyset page, and prints p50/p99 per case. Then the overview
//! chart's count (runs per local day and status) over 30- and 90-day windows: the store
//! (whole hours summed from `sync_run_hours`) beside every run counted in raw SQL.
//!
//!     cargo bench -p server --bench list_runs            # SQLite and PostgreSQL
//!     UP_BENCH_RUNS=100000 cargo bench -p server --bench list_runs   # smaller, quicker
//!
//! PostgreSQL: postgres://postgres@127.0.0.1:5432/test (or UP_TEST_POSTGRES_URL); a fresh
//! database is created and dropped.

use app::domain::{Cursor, RunFilter, SortOrder};
use app::ports::{ListRuns, RunStore};
use sea_orm::{
    ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait,
};
use server::{
    db,
    store::{list_statements, ListStatements, SeaStore},
};
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

const DAY: i64 = 86_400_000;
const PAGE: u32 = 50;
const DEEP_PAGE: u64 = 2000;
const SAMPLES: usize = 1000;
const BIG_ORG: i64 = 1;
/// 2025-01-01T00:00:00Z: the history covers the year from here.
const EPOCH: i64 = 1_735_689_600_000;
/// A year of finished runs: at most one run per configuration can be in progress (a unique
/// index says so), so history holds none.
const STATUSES: [(&str, u32); 7] = [
    ("success", 75),
    ("needs_attention", 13),
    ("data_load_failed", 6),
    ("above_deactivation_threshold", 3),
    ("cancelled", 3),
    ("queued", 0),
    ("in_progress", 0),
];

fn status_for(i: u64) -> &'static str {
    let roll = (i.wrapping_mul(2654435761) % 100) as u32;
    let mut acc = 0;
    for (s, w) in STATUSES {
        acc += w;
        if roll < acc {
            return s;
        }
    }
    "success"
}

async fn generate(conn: &DatabaseConnection, total_runs: u64) {
    let big = total_runs / 5;
    let others = 1000u64;
    let per_other = (total_runs - big) / others;
    let mut sql = String::from(
        "INSERT INTO organisations (id, name, provisioning_enabled, created_at_ms) VALUES ",
    );
    for org in 1..=others + 1 {
        sql.push_str(&format!(
            "{}({org}, 'Org {org}', true, 0)",
            if org > 1 { "," } else { "" }
        ));
    }
    conn.execute_unprepared(&sql).await.unwrap();
    // Configuration ids: the big organisation has 1, 2 (SFTP) and 3 (Workday); organisation
    // n > 1 has n + 2 (SFTP).
    let mut sql = String::from(
        "INSERT INTO sync_configurations (id, organisation_id, name, source_kind, settings, schedule, enabled, created_at_ms) VALUES ",
    );
    let mut first = true;
    for (id, org, name) in (1..=3)
        .map(|c| (c, BIG_ORG, format!("Config {c}")))
        .chain((2..=others as i64 + 1).map(|o| (o + 2, o, "Main".to_string())))
    {
        let source = if id == 3 { "workday" } else { "sftp" };
        sql.push_str(&format!(
            "{}({id}, {org}, '{name}', '{source}', '{{}}', 'every 6h', true, 0)",
            if first { "" } else { "," }
        ));
        first = false;
    }
    conn.execute_unprepared(&sql).await.unwrap();

    let mut rows: Vec<(i64, i64, i64, &str)> = Vec::with_capacity(total_runs as usize);
    for i in 0..big {
        let at = EPOCH + (i as i64) * (365 * DAY / big as i64) + (i as i64 * 7919) % 60_000;
        rows.push((BIG_ORG, 1 + (i % 3) as i64, at, status_for(i)));
    }
    for org in 2..=others as i64 + 1 {
        for j in 0..per_other {
            let at = EPOCH + (j as i64) * (365 * DAY / per_other as i64) + org * 1000;
            rows.push((org, org + 2, at, status_for(j + org as u64)));
        }
    }
    let txn = conn.begin().await.unwrap();
    for chunk in rows.chunks(2000) {
        let mut sql = String::from(
            "INSERT INTO sync_runs (organisation_id, configuration_id, status, queued_at_ms, started_at_ms, finished_at_ms, sort_at_ms, version) VALUES ",
        );
        for (n, (org, config, at, status)) in chunk.iter().enumerate() {
            sql.push_str(&format!(
                "{}({org}, {config}, '{status}', {}, {at}, {}, {at}, 1)",
                if n > 0 { "," } else { "" },
                at - 5000,
                at + 240_000
            ));
        }
        txn.execute_unprepared(&sql).await.unwrap();
    }
    txn.commit().await.unwrap();
    if conn.get_database_backend() == DatabaseBackend::Sqlite {
        // By default SQLite keeps no statistics, as the server's database has none.
        // UP_BENCH_SQLITE_STATS=stat4 runs ANALYZE (this SQLite is built with STAT4: a
        // statement whose bound values it plans with is prepared again at every call);
        // stat1 keeps ANALYZE's table statistics without STAT4's samples.
        match std::env::var("UP_BENCH_SQLITE_STATS").as_deref() {
            Ok("stat4") => {
                conn.execute_unprepared("ANALYZE").await.unwrap();
            }
            Ok("stat1") => {
                conn.execute_unprepared("ANALYZE").await.unwrap();
                conn.execute_unprepared("DROP TABLE IF EXISTS sqlite_stat4")
                    .await
                    .unwrap();
            }
            _ => {}
        }
    } else {
        conn.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    }
}

struct Case {
    name: &'static str,
    query: &'static str,
    since: Option<i64>,
    until: Option<i64>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "no filter",
            query: "",
            since: None,
            until: None,
        },
        Case {
            name: "status",
            query: "status=needs_attention,data_load_failed",
            since: None,
            until: None,
        },
        Case {
            name: "status+source (two configurations)",
            query: "status=needs_attention,data_load_failed&source=sftp",
            since: None,
            until: None,
        },
        Case {
            name: "status+config+custom range",
            query: "status=success&config=Config+2&range=custom&from=2025-03-01&to=2025-08-31",
            // The custom range resolved in a viewer's zone (UTC+2): edges are partial days.
            since: Some(EPOCH + 59 * DAY - 2 * 3_600_000),
            until: Some(EPOCH + 243 * DAY - 2 * 3_600_000),
        },
    ]
}

fn request(case: &Case, after: Option<Cursor>) -> ListRuns {
    ListRuns {
        organisation_id: BIG_ORG,
        filter: RunFilter::from_query(case.query).unwrap(),
        since_ms: case.since,
        until_ms: case.until,
        after,
        limit: PAGE,
    }
}

/// The raw-SQL twin of the store's work for one request: the page, and for a first page
/// the total from day counts plus the partial edge days.
fn raw_statements(case: &Case, after: Option<Cursor>, backend: DatabaseBackend) -> Vec<String> {
    let filter = RunFilter::from_query(case.query).unwrap();
    let newest = filter.sort == SortOrder::NewestFirst;
    let mut conds = vec![format!("r.organisation_id = {BIG_ORG}")];
    let statuses: Vec<String> = filter
        .statuses
        .iter()
        .map(|s| format!("'{}'", s.slug()))
        .collect();
    let status_in = (!statuses.is_empty()).then(|| format!("IN ({})", statuses.join(", ")));
    // Like the store: the name or source is resolved first (one statement), then compared
    // by id.
    let config_in = match (&filter.configuration, filter.source) {
        (Some(_), _) => Some("= 2".to_string()),
        (None, Some(_)) => Some("IN (1, 2)".to_string()),
        (None, None) => None,
    };
    if let Some(s) = &status_in {
        conds.push(format!("r.status {s}"));
    }
    if let Some(c) = &config_in {
        conds.push(format!("r.configuration_id {c}"));
    }
    let (mut since, mut until) = (case.since, case.until);
    if let Some(c) = after {
        if newest {
            until = Some(until.map_or(c.sort_at_ms + 1, |u| u.min(c.sort_at_ms + 1)));
            conds.push(format!(
                "(r.sort_at_ms < {} OR r.id < {})",
                c.sort_at_ms, c.id
            ));
        } else {
            since = Some(since.map_or(c.sort_at_ms, |s| s.max(c.sort_at_ms)));
            conds.push(format!(
                "(r.sort_at_ms > {} OR r.id > {})",
                c.sort_at_ms, c.id
            ));
        }
    }
    let range = |since: Option<i64>, until: Option<i64>| {
        let mut v = Vec::new();
        if let Some(s) = since {
            v.push(format!("r.sort_at_ms >= {s}"));
        }
        if let Some(u) = until {
            v.push(format!("r.sort_at_ms < {u}"));
        }
        v
    };
    let mut list_conds = conds.clone();
    list_conds.extend(range(since, until));
    let dir = if newest { "DESC" } else { "ASC" };
    let mut out = Vec::new();
    if let Some(c) = &filter.configuration {
        out.push(format!(
            "SELECT id, source_kind FROM sync_configurations WHERE organisation_id = {BIG_ORG} AND name = '{c}'"
        ));
    } else if let Some(s) = filter.source {
        out.push(format!(
            "SELECT id, source_kind FROM sync_configurations WHERE organisation_id = {BIG_ORG} AND source_kind = '{}'",
            s.slug()
        ));
    }
    out.push(format!(
        "SELECT r.id, r.status, r.queued_at_ms, r.started_at_ms, r.finished_at_ms, r.progress_done, \
         r.progress_total, r.created, r.updated, r.deactivated, r.reactivated, r.unchanged, r.skipped, \
         r.warnings, r.errors, r.planned_deactivations, r.version, c.name, c.source_kind \
         FROM sync_runs r LEFT JOIN sync_configurations c ON r.configuration_id = c.id \
         WHERE {} ORDER BY r.sort_at_ms {dir}, r.id {dir} LIMIT {PAGE}",
        list_conds.join(" AND ")
    ));
    if after.is_none() {
        // Like the store: day sum and edge counts in one statement.
        let mut totals: Vec<String> = Vec::new();
        let base: Vec<String> = conds;
        let first_day = case
            .since
            .map(|s| s.div_euclid(DAY) + i64::from(s.rem_euclid(DAY) != 0));
        let end_day = case.until.map(|u| u.div_euclid(DAY));
        let mut day_conds = vec![format!("organisation_id = {BIG_ORG}")];
        if let Some(f) = first_day {
            day_conds.push(format!("day >= {f}"));
        }
        if let Some(e) = end_day {
            day_conds.push(format!("day < {e}"));
        }
        let day_columns: Vec<&str> = if filter.statuses.is_empty() {
            app::domain::RunStatus::ALL
                .iter()
                .map(|s| s.slug())
                .collect()
        } else {
            filter.statuses.iter().map(|s| s.slug()).collect()
        };
        if let Some(c) = &config_in {
            day_conds.push(format!("configuration_id {c}"));
        }
        totals.push(format!(
            "SELECT CAST(COALESCE(SUM({}), 0) AS BIGINT) FROM sync_run_days WHERE {}",
            day_columns.join(" + "),
            day_conds.join(" AND ")
        ));
        if let (Some(s), Some(f)) = (case.since, first_day) {
            let mut c = base.clone();
            c.extend(range(Some(s), Some(f * DAY)));
            totals.push(format!(
                "SELECT COUNT(*) FROM sync_runs r WHERE {}",
                c.join(" AND ")
            ));
        }
        if let (Some(u), Some(e)) = (case.until, end_day) {
            let mut c = base.clone();
            c.extend(range(Some(e * DAY), Some(u)));
            totals.push(format!(
                "SELECT COUNT(*) FROM sync_runs r WHERE {}",
                c.join(" AND ")
            ));
        }
        let sum: Vec<String> = totals.iter().map(|t| format!("({t})")).collect();
        out.push(format!("SELECT {} AS total", sum.join(" + ")));
    }
    let _ = backend;
    out
}

/// Reads every row into owned values, as a hand-written sqlx store would: the list's 19
/// columns by their types, or the single count of a total.
fn decode_all<R: sea_orm::sqlx::Row>(rows: &[R]) -> usize
where
    usize: sea_orm::sqlx::ColumnIndex<R>,
    for<'r> i64: sea_orm::sqlx::Decode<'r, R::Database> + sea_orm::sqlx::Type<R::Database>,
    for<'r> i32: sea_orm::sqlx::Decode<'r, R::Database> + sea_orm::sqlx::Type<R::Database>,
    for<'r> String: sea_orm::sqlx::Decode<'r, R::Database> + sea_orm::sqlx::Type<R::Database>,
{
    let mut sum = 0i64;
    for row in rows {
        if row.len() == 19 {
            let id: i64 = row.get(0);
            let status: String = row.get(1);
            let times: [Option<i64>; 3] = [row.get(2), row.get(3), row.get(4)];
            let counts: Vec<i32> = (5..16).map(|i| row.get::<i32, _>(i)).collect();
            let version: i64 = row.get(16);
            let (name, source): (String, String) = (row.get(17), row.get(18));
            sum += id
                + version
                + times.iter().flatten().count() as i64
                + counts.iter().map(|c| i64::from(*c)).sum::<i64>();
            sum += (status.len() + name.len() + source.len()) as i64;
        } else {
            sum += row.get::<i64, _>(0);
        }
    }
    sum as usize
}

/// Runs the statements as the store does: the configuration lookup first, then the page
/// and (on a first page) the total side by side.
async fn raw_run(conn: &DatabaseConnection, statements: &[String]) -> usize {
    let (lookup, rest) = match statements.first() {
        Some(s) if s.starts_with("SELECT id, source_kind FROM sync_configurations") => {
            statements.split_at(1)
        }
        _ => statements.split_at(0),
    };
    let mut n = 0;
    for s in lookup {
        n += raw_one(conn, s).await;
    }
    match rest {
        [page, total] => {
            let (a, b) = tokio::join!(raw_one(conn, page), raw_one(conn, total));
            n + a + b
        }
        _ => {
            for s in rest {
                n += raw_one(conn, s).await;
            }
            n
        }
    }
}

async fn raw_one(conn: &DatabaseConnection, statement: &str) -> usize {
    use sea_orm::sqlx;
    match conn.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let rows = sqlx::query(statement)
                .fetch_all(conn.get_sqlite_connection_pool())
                .await
                .unwrap();
            decode_all(&rows)
        }
        _ => {
            let rows = sqlx::query(statement)
                .fetch_all(conn.get_postgres_connection_pool())
                .await
                .unwrap();
            decode_all(&rows)
        }
    }
}

/// The store's own statements, built once by `list_statements`, sent through sqlx with
/// their parameters bound and their rows read by position: against this, the store's extra
/// cost is building the statements and running them through SeaORM (which reads its rows
/// by position too).
async fn same_sql_run(
    conn: &DatabaseConnection,
    lookup: Option<&str>,
    statements: &ListStatements,
) -> usize {
    let mut n = 0;
    if let Some(lookup) = lookup {
        n += raw_one(conn, lookup).await;
    }
    match &statements.total {
        Some(total) => {
            let (a, b) = tokio::join!(bound_one(conn, &statements.page), bound_one(conn, total));
            n + a + b
        }
        None => n + bound_one(conn, &statements.page).await,
    }
}

async fn bound_one(conn: &DatabaseConnection, statement: &Statement) -> usize {
    use sea_orm::{sqlx, Value};
    let values = statement.values.as_ref().map_or(&[][..], |v| &v.0[..]);
    macro_rules! fetch_bound {
        ($pool:expr) => {{
            let mut q = sqlx::query(&statement.sql);
            for value in values {
                q = match value {
                    Value::BigInt(Some(n)) => q.bind(*n),
                    Value::Int(Some(n)) => q.bind(*n),
                    Value::BigUnsigned(Some(n)) => q.bind(*n as i64),
                    Value::String(Some(s)) => q.bind(s.as_str()),
                    other => panic!("a value the list never binds: {other:?}"),
                };
            }
            decode_all(&q.fetch_all($pool).await.unwrap())
        }};
    }
    match conn.get_database_backend() {
        DatabaseBackend::Sqlite => fetch_bound!(conn.get_sqlite_connection_pool()),
        _ => fetch_bound!(conn.get_postgres_connection_pool()),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

type Percentiles = (Duration, Duration);

/// One timed call: a closure that starts the call and returns it to await.
type Call<'a> = Box<dyn FnMut() -> Pin<Box<dyn Future<Output = ()> + 'a>> + 'a>;

/// p50 and p99 of each call, the calls interleaved (each goes first in turn) so that the
/// machine's noise falls on all alike.
async fn time_each(mut calls: Vec<Call<'_>>) -> Vec<Percentiles> {
    for _ in 0..20 {
        for call in calls.iter_mut() {
            call().await;
        }
    }
    let n = calls.len();
    let mut samples = vec![Vec::with_capacity(SAMPLES); n];
    for i in 0..SAMPLES {
        for k in 0..n {
            let which = (i + k) % n;
            let t = Instant::now();
            calls[which]().await;
            samples[which].push(t.elapsed());
        }
    }
    samples
        .iter_mut()
        .map(|s| {
            s.sort();
            (percentile(s, 0.5), percentile(s, 0.99))
        })
        .collect()
}

/// `time_each` for two calls: ours and a baseline.
async fn time_pair<'a, F, Fut, G, Gut>(mut ours: F, mut base: G) -> (Percentiles, Percentiles)
where
    F: FnMut() -> Fut + 'a,
    Fut: Future<Output = ()> + 'a,
    G: FnMut() -> Gut + 'a,
    Gut: Future<Output = ()> + 'a,
{
    let timed = time_each(vec![
        Box::new(move || Box::pin(ours()) as Pin<Box<dyn Future<Output = ()> + 'a>>),
        Box::new(move || Box::pin(base()) as Pin<Box<dyn Future<Output = ()> + 'a>>),
    ])
    .await;
    (timed[0], timed[1])
}

/// The cursor that starts page `page` (1-based) of a case, found by walking pages.
async fn cursor_for_page(store: &SeaStore, case: &Case, page: u64) -> (u64, Option<Cursor>) {
    let mut after = None;
    let mut reached = 1;
    while reached < page {
        let found = store.list_runs(&request(case, after)).await.unwrap();
        if found.runs.len() < PAGE as usize {
            break;
        }
        let last = found.runs.last().unwrap();
        let next = Some(last.cursor());
        // Stop on the last full page so that the deep page is never empty.
        let probe = store.list_runs(&request(case, next)).await.unwrap();
        if probe.runs.is_empty() {
            break;
        }
        after = next;
        reached += 1;
    }
    (reached, after)
}

struct ChartCase {
    name: &'static str,
    query: &'static str,
    /// The configuration id of `config=Config 2`, for the raw statement.
    configuration: Option<i64>,
}

fn chart_cases() -> Vec<ChartCase> {
    vec![
        ChartCase {
            name: "All Time (last 30 days)",
            query: "",
            configuration: None,
        },
        ChartCase {
            name: "90 days",
            query: "range=custom&from=2025-03-01&to=2025-05-29",
            configuration: None,
        },
        ChartCase {
            name: "90 days, status",
            query:
                "range=custom&from=2025-03-01&to=2025-05-29&status=needs_attention,data_load_failed",
            configuration: None,
        },
        ChartCase {
            name: "90 days, status+config",
            query: "range=custom&from=2025-03-01&to=2025-05-29&status=success&config=Config+2",
            configuration: Some(2),
        },
    ]
}

/// The baseline for the chart: every matching run counted by its local day in one grouped
/// statement, sent raw (what the store does only for viewers whose offset is not whole hours).
fn raw_chart_statement(request: &ListRuns, offsets: &[(i64, i64)], case: &ChartCase) -> String {
    let offset = match offsets {
        [(_, only)] => only.to_string(),
        [(_, first), (at, then)] => {
            format!("CASE WHEN sort_at_ms < {at} THEN {first} ELSE {then} END")
        }
        _ => panic!("at most one change in the bench's windows"),
    };
    let mut conditions = vec![
        format!("organisation_id = {BIG_ORG}"),
        format!("sort_at_ms >= {}", request.since_ms.unwrap()),
        format!("sort_at_ms < {}", request.until_ms.unwrap()),
    ];
    if !request.filter.statuses.is_empty() {
        let list: Vec<String> = request
            .filter
            .statuses
            .iter()
            .map(|s| format!("'{}'", s.slug()))
            .collect();
        conditions.push(format!("status IN ({})", list.join(", ")));
    }
    if let Some(c) = case.configuration {
        conditions.push(format!("configuration_id = {c}"));
    }
    let day = format!("(sort_at_ms + {offset}) / {DAY}");
    format!(
        "SELECT {day} AS day, status, COUNT(*) AS runs, \
         CAST(COALESCE(SUM(finished_at_ms - started_at_ms), 0) AS BIGINT) AS duration_sum_ms, \
         COUNT(finished_at_ms - started_at_ms) AS finished \
         FROM sync_runs WHERE {} GROUP BY {day}, status",
        conditions.join(" AND ")
    )
}

async fn raw_chart(conn: &DatabaseConnection, lookup: Option<&str>, statement: &str) -> i64 {
    use sea_orm::sqlx::{self, Row};
    let mut sum = 0;
    if let Some(lookup) = lookup {
        sum += raw_one(conn, lookup).await as i64;
    }
    macro_rules! decode {
        ($rows:expr) => {
            for r in $rows {
                let status: String = r.get(1);
                sum += r.get::<i64, _>(0)
                    + r.get::<i64, _>(2)
                    + r.get::<i64, _>(3)
                    + r.get::<i64, _>(4)
                    + status.len() as i64;
            }
        };
    }
    match conn.get_database_backend() {
        DatabaseBackend::Sqlite => decode!(sqlx::query(statement)
            .fetch_all(conn.get_sqlite_connection_pool())
            .await
            .unwrap()),
        _ => decode!(sqlx::query(statement)
            .fetch_all(conn.get_postgres_connection_pool())
            .await
            .unwrap()),
    }
    sum
}

/// The overview chart's count for the largest organisation, in a viewer's zone with a
/// daylight-saving change inside the 90-day window (Berlin, 30 Mar 2025).
async fn bench_chart(conn: &DatabaseConnection, store: &SeaStore) {
    use chrono::TimeZone;
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let now = chrono::Utc
        .with_ymd_and_hms(2025, 12, 31, 12, 0, 0)
        .unwrap();
    println!("\nOverview chart (runs per local day and status, Europe/Berlin):");
    println!("| case | days | runs counted | ours p50 ms | ours p99 ms | every run p50 ms | every run p99 ms | p99 ours/every run |");
    println!("|---|---|---|---|---|---|---|---|");
    for case in chart_cases() {
        let filter = RunFilter::from_query(case.query).unwrap();
        let (span, req, offsets) =
            app::api::chart_request(tz, now, BIG_ORG, filter).expect("days to chart");
        let counted: u64 = store
            .count_run_days(&req, &offsets)
            .await
            .unwrap()
            .unwrap()
            .iter()
            .map(|c| c.runs)
            .sum();
        let raw = raw_chart_statement(&req, &offsets, &case);
        let lookup = case.configuration.map(|_| {
            format!(
                "SELECT id, source_kind FROM sync_configurations WHERE organisation_id = {BIG_ORG} AND name = 'Config 2'"
            )
        });
        if std::env::var_os("UP_BENCH_PRINT").is_some() {
            eprintln!("{}: {raw}", case.name);
        }
        let ((p50, p99), (r50, r99)) = time_pair(
            || {
                let (store, req, offsets) = (store, &req, &offsets);
                async move {
                    store.count_run_days(req, offsets).await.unwrap();
                }
            },
            || {
                let (raw, lookup) = (&raw, lookup.as_deref());
                async move {
                    raw_chart(conn, lookup, raw).await;
                }
            },
        )
        .await;
        println!(
            "| {} | {} | {counted} | {} | {} | {} | {} | {:.2} |",
            case.name,
            span.len(),
            ms(p50),
            ms(p99),
            ms(r50),
            ms(r99),
            p99.as_secs_f64() / r99.as_secs_f64()
        );
    }
}

async fn bench_backend(label: &str, conn: &DatabaseConnection, total_runs: u64) {
    let t = Instant::now();
    generate(conn, total_runs).await;
    eprintln!(
        "{label}: generated {total_runs} runs in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let store = SeaStore::new(conn.clone());
    println!(
        "\n{label} — {total_runs} runs, organisation with {} of them, page size {PAGE}",
        total_runs / 5
    );
    println!(
        "| case | page | SeaORM p50 ms | SeaORM p99 ms | same SQL raw p50 | same SQL raw p99 | \
         p99 SeaORM/same | literal SQL raw p50 | literal SQL raw p99 | p99 SeaORM/literal |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    // UP_BENCH_CHART_ONLY measures the overview chart alone.
    let list_cases = if std::env::var_os("UP_BENCH_CHART_ONLY").is_some() {
        Vec::new()
    } else {
        cases()
    };
    for case in list_cases {
        let (deep_page, deep_cursor) = cursor_for_page(&store, &case, DEEP_PAGE).await;
        let mut first_p99 = Duration::ZERO;
        for (page, after) in [(1, None), (deep_page, deep_cursor)] {
            let raw = raw_statements(&case, after, conn.get_database_backend());
            if std::env::var_os("UP_BENCH_PRINT").is_some() {
                eprintln!("{}: {raw:#?}", case.name);
                if conn.get_database_backend() == DatabaseBackend::Sqlite {
                    use sea_orm::sqlx::{self, Row};
                    for statement in &raw {
                        let plan = sqlx::query(&format!("EXPLAIN QUERY PLAN {statement}"))
                            .fetch_all(conn.get_sqlite_connection_pool())
                            .await
                            .unwrap();
                        let steps: Vec<String> =
                            plan.iter().map(|r| r.get::<String, _>(3)).collect();
                        eprintln!("  plan: {steps:?}");
                    }
                }
            }
            let req = request(&case, after);
            // The configuration (by name or source) is resolved in every call, as the store
            // does.
            let lookup = raw
                .first()
                .filter(|s| s.starts_with("SELECT id, source_kind FROM sync_configurations"))
                .cloned();
            let configuration_ids: Option<&[i64]> = lookup.as_ref().map(|_| {
                if req.filter.configuration.is_some() {
                    &[2][..]
                } else {
                    &[1, 2][..]
                }
            });
            let built = list_statements(&req, configuration_ids, conn.get_database_backend());
            if std::env::var_os("UP_BENCH_PRINT").is_some() {
                let t = Instant::now();
                for _ in 0..1000 {
                    std::hint::black_box(list_statements(
                        &req,
                        configuration_ids,
                        conn.get_database_backend(),
                    ));
                }
                eprintln!(
                    "{} page {page}: statements built in {:.1} µs",
                    case.name,
                    t.elapsed().as_secs_f64() * 1000.0
                );
            }
            let timed = time_each(vec![
                Box::new(|| {
                    let (store, req) = (&store, &req);
                    Box::pin(async move {
                        store.list_runs(req).await.unwrap();
                    })
                }),
                Box::new(|| {
                    let (lookup, built) = (lookup.as_deref(), &built);
                    Box::pin(async move {
                        same_sql_run(conn, lookup, built).await;
                    })
                }),
                Box::new(|| {
                    let raw = &raw;
                    Box::pin(async move {
                        raw_run(conn, raw).await;
                    })
                }),
            ])
            .await;
            let [(p50, p99), (s50, s99), (r50, r99)] = [timed[0], timed[1], timed[2]];
            println!(
                "| {} | {page} | {} | {} | {} | {} | {:.2} | {} | {} | {:.2} |",
                case.name,
                ms(p50),
                ms(p99),
                ms(s50),
                ms(s99),
                p99.as_secs_f64() / s99.as_secs_f64(),
                ms(r50),
                ms(r99),
                p99.as_secs_f64() / r99.as_secs_f64()
            );
            if page == 1 {
                first_p99 = p99;
            }
            if page != 1 {
                println!(
                    "| {} | deep ÷ first p99 | {:.2} | | | | | | | |",
                    case.name,
                    p99.as_secs_f64() / first_p99.as_secs_f64()
                );
            }
        }
    }
    bench_chart(conn, &store).await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let total_runs: u64 = std::env::var("UP_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // UP_BENCH_DB_DIR keeps the SQLite file for a look at query plans afterwards.
    let dir = tempfile::tempdir().unwrap();
    let keep = std::env::var("UP_BENCH_DB_DIR").ok();
    let url = format!(
        "sqlite://{}/bench.db?mode=rwc",
        keep.as_deref().unwrap_or(&dir.path().display().to_string())
    );
    let sqlite = db::connect(&url).await.unwrap();
    bench_backend("SQLite", &sqlite, total_runs).await;

    let admin_url = std::env::var("UP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if std::env::var_os("UP_BENCH_SKIP_POSTGRES").is_some() {
        return;
    }
    match Database::connect(&admin_url).await {
        Err(e) => println!("\nPostgreSQL skipped: {admin_url} is not reachable ({e})"),
        Ok(admin) => {
            let name = format!("up_bench_{}", std::process::id());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin_url.clone());
            let pg = db::connect(&format!("{base}/{name}")).await.unwrap();
            bench_backend("PostgreSQL", &pg, total_runs).await;
            pg.close().await.unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await
                .unwrap();
        }
    }
}
