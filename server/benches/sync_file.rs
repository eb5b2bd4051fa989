//! The User Sync Service on a 100,000-user static file: each phase of a sync beside its bare
//! baseline, in the same run, on SQLite and PostgreSQL, for CSV and XLSX.
//!
//! `cargo bench -p server --bench sync_file`
//!
//! The directory holds 100,000 users this configuration manages; each file changes 5 % of
//! them (a new job title). Phases:
//! - load + validate: the service's reader and validator vs a bare read of the same file
//!   (the csv crate's `StringRecord`s; calamine's `worksheet_range`);
//! - plan: reading the directory and diffing it (no baseline: it is the service's own work);
//! - apply + logs: the service's transaction (the changed users, one log entry per record)
//!   vs bare SQL writing the same rows (one prepared UPDATE per user on SQLite, batched
//!   `UPDATE … FROM (VALUES …)` on PostgreSQL; multi-row INSERTs of the log rows);
//! - end to end: a queued run through the real engine (claim, load, plan, guard, apply).
//!
//! Peak memory is the most heap allocated at once during the phase, above what was
//! allocated when it started (a counting allocator). Environment: `UP_BENCH_USERS`
//! (default 100000), `UP_BENCH_SKIP_POSTGRES`, `UP_TEST_POSTGRES_URL`.

use app::domain::LogAction;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, Database, DatabaseBackend,
    DatabaseConnection, EntityTrait, Statement, TransactionTrait, Value,
};
use server::db;
use server::db::entities::{organisation, sync_configuration, user};
use server::sync::engine::{self, now_ms, EngineOptions};
use server::sync::plan::plan;
use server::sync::policy::RecordPolicy;
use server::sync::settings::{check_file, FileSettings, Transport};
use server::sync::{directory, queue, source};
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

#[path = "support/heap.rs"]
mod heap;
use heap::{measure, Measure};

#[global_allocator]
static ALLOC: heap::Counting = heap::Counting;

const HEADER: [&str; 8] = [
    "Employee ID",
    "Email",
    "First Name",
    "Last Name",
    "Job Title",
    "Department",
    "Manager ID",
    "Status",
];

/// Row `i` as of file version `v`: versions 1, 2, 3 each retitle the next 5 % of people.
fn row(i: usize, v: usize, users: usize) -> [String; 8] {
    let bucket = i / (users / 20);
    let title = if bucket < v {
        format!("Lead {}", bucket + 1)
    } else {
        "Engineer".into()
    };
    [
        format!("E{i}"),
        format!("person{i}@example.com"),
        format!("First{i}"),
        format!("Last{i}"),
        title,
        ["R&D", "Sales", "Finance", "Operations"][i % 4].into(),
        if i < 10 {
            String::new()
        } else {
            format!("E{}", i / 10)
        },
        "Active".into(),
    ]
}

fn write_csv(path: &Path, v: usize, users: usize) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(HEADER).unwrap();
    for i in 0..users {
        w.write_record(row(i, v, users)).unwrap();
    }
    w.flush().unwrap();
}

fn write_xlsx(path: &Path, v: usize, users: usize) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write(0, c as u16, *h).unwrap();
    }
    for i in 0..users {
        for (c, value) in row(i, v, users).iter().enumerate() {
            sheet
                .write((i + 1) as u32, c as u16, value.as_str())
                .unwrap();
        }
    }
    book.save(path).unwrap();
}

/// The csv crate reading every record (UTF-8 checked) and keeping it, as a loader must.
fn bare_csv(path: &Path) -> usize {
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    rows.iter().map(|r| r.len()).sum()
}

/// The csv crate streaming through the file into one reused record, keeping nothing.
fn bare_csv_stream(path: &Path) -> usize {
    let mut r = csv::Reader::from_path(path).unwrap();
    let mut n = 0;
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec).unwrap() {
        n += rec.len();
    }
    n
}

fn bare_xlsx(path: &Path) -> usize {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let first = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&first).unwrap();
    range.rows().map(|r| r.len()).sum()
}

async fn seed(db: &DatabaseConnection, users: usize) -> (i64, i64, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let org = organisation::ActiveModel {
        name: Set("Bench".into()),
        provisioning_enabled: Set(true),
        created_at_ms: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id;
    let config = sync_configuration::ActiveModel {
        organisation_id: Set(org),
        name: Set("HR export".into()),
        source_kind: Set("sftp".into()),
        settings: Set("{}".into()),
        schedule: Set("manual".into()),
        threshold_count: Set(None),
        threshold_percent: Set(None),
        enabled: Set(true),
        created_at_ms: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id;
    let txn = db.begin().await.unwrap();
    let all: Vec<user::ActiveModel> = (0..users)
        .map(|i| {
            let r = row(i, 0, users);
            user::ActiveModel {
                organisation_id: Set(org),
                external_id: Set(Some(r[0].clone())),
                email: Set(r[1].clone()),
                first_name: Set(r[2].clone()),
                last_name: Set(r[3].clone()),
                title: Set(Some(r[4].clone())),
                department: Set(Some(r[5].clone())),
                manager_external_id: Set(Some(r[6].clone()).filter(|m| !m.is_empty())),
                active: Set(true),
                role: Set("basic_user".into()),
                sync_service_enrolled: Set(false),
                password_hash: Set(None),
                managed_by_configuration_id: Set(Some(config)),
                created_at_ms: Set(0),
                updated_at_ms: Set(0),
                ..Default::default()
            }
        })
        .collect();
    for chunk in all.chunks(500) {
        user::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
    (org, config, dir)
}

async fn point_at(db: &DatabaseConnection, config: i64, path: &Path) -> FileSettings {
    let settings = FileSettings {
        transport: Transport::Folder,
        path: path.to_string_lossy().into_owned(),
        ..Default::default()
    };
    db.execute(queue::stmt(
        db,
        "UPDATE sync_configurations SET settings = $1 WHERE id = $2",
        vec![
            serde_json::to_string(&settings).unwrap().into(),
            config.into(),
        ],
    ))
    .await
    .unwrap();
    settings
}

/// Each write pass starts from the same state: SQLite's write-ahead log folded back into
/// the database file (otherwise whichever pass meets a large log pays for it).
async fn settle(db: &DatabaseConnection) {
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .unwrap();
    }
}

/// The same user rows and log rows as the service writes, by bare SQL.
async fn bare_apply(
    db: &DatabaseConnection,
    run_id: i64,
    changed: &[(i64, [String; 8])],
    log_rows: usize,
) {
    let txn = db.begin().await.unwrap();
    let backend = db.get_database_backend();
    match backend {
        DatabaseBackend::Postgres => {
            for chunk in changed.chunks(500) {
                let mut values = Vec::new();
                let mut params: Vec<Value> = Vec::new();
                for (id, r) in chunk {
                    let b = params.len();
                    values.push(format!(
                        "(${}::bigint, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8
                    ));
                    params.push((*id).into());
                    for v in &r[..7] {
                        params.push(v.clone().into());
                    }
                }
                let sql = format!(
                    "UPDATE users AS u SET external_id = v.e, email = v.m, first_name = v.f, \
                     last_name = v.l, title = v.t, department = v.d, manager_external_id = v.g, \
                     active = TRUE, updated_at_ms = 1 \
                     FROM (VALUES {}) AS v(id, e, m, f, l, t, d, g) WHERE u.id = v.id",
                    values.join(",")
                );
                txn.execute(Statement::from_sql_and_values(backend, sql, params))
                    .await
                    .unwrap();
            }
        }
        _ => {
            for (id, r) in changed {
                txn.execute(Statement::from_sql_and_values(
                    backend,
                    "UPDATE users SET external_id = ?, email = ?, first_name = ?, last_name = ?, \
                     title = ?, department = ?, manager_external_id = ?, active = TRUE, \
                     updated_at_ms = 1 WHERE id = ?",
                    [
                        r[0].clone().into(),
                        r[1].clone().into(),
                        r[2].clone().into(),
                        r[3].clone().into(),
                        r[4].clone().into(),
                        r[5].clone().into(),
                        r[6].clone().into(),
                        (*id).into(),
                    ],
                ))
                .await
                .unwrap();
            }
        }
    }
    let p = |n: usize| match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".into(),
    };
    for start in (0..log_rows).step_by(500) {
        let end = (start + 500).min(log_rows);
        let mut values = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        for i in start..end {
            let b = params.len();
            values.push(format!(
                "({}, {}, 'result', {}, {}, {}, {}, 'ok', {}, {}, {}, {}, {}, {})",
                p(b + 1),
                p(b + 2),
                p(b + 3),
                p(b + 4),
                p(b + 5),
                p(b + 6),
                p(b + 7),
                p(b + 8),
                p(b + 9),
                p(b + 10),
                p(b + 11),
                p(b + 12)
            ));
            params.extend([
                run_id.into(),
                (i as i32).into(),
                format!("line {}", i + 2).into(),
                format!("E{i}").into(),
                format!("person{i}@example.com").into(),
                "unchanged".into(),
                "No changes.".into(),
                Value::String(None),
                // What a person's history finds the entry by, as the service writes it.
                1i64.into(),
                0i64.into(),
                format!("person{i}@example.com").into(),
                format!("e{i}").into(),
            ]);
        }
        let sql = format!(
            "INSERT INTO sync_log_entries (run_id, sequence, kind, record_ref, external_id, email, action, outcome, message, changed_fields, organisation_id, run_sort_ms, email_key, external_key) VALUES {}",
            values.join(",")
        );
        txn.execute(Statement::from_sql_and_values(backend, sql, params))
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
}

fn median(mut runs: Vec<Measure>) -> Measure {
    let peak = runs.iter().map(|m| m.peak).max().unwrap_or(0);
    runs.sort_by_key(|m| m.time);
    Measure {
        time: runs[runs.len() / 2].time,
        peak,
        kept: runs.iter().map(|m| m.kept).max().unwrap_or(0),
    }
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}
fn fmt_mb(b: usize) -> String {
    format!("{:.1} MB", b as f64 / 1_048_576.0)
}
fn line(phase: &str, ours: &Measure, base: Option<&Measure>) {
    match base {
        Some(b) => println!(
            "| {phase:<16} | {:>8} | {:>8} | {:>5.2} | {:>9} | {:>9} |",
            fmt_ms(ours.time),
            fmt_ms(b.time),
            ours.time.as_secs_f64() / b.time.as_secs_f64(),
            fmt_mb(ours.peak),
            fmt_mb(b.peak)
        ),
        None => println!(
            "| {phase:<16} | {:>8} | {:>8} | {:>5} | {:>9} | {:>9} |",
            fmt_ms(ours.time),
            "",
            "",
            fmt_mb(ours.peak),
            ""
        ),
    }
}

async fn bench_backend(label: &str, db: &DatabaseConnection, users: usize) {
    let (org, config, dir) = seed(db, users).await;
    for (version, format) in [(1, "CSV"), (2, "XLSX")] {
        let path = dir.path().join(if format == "CSV" {
            "people.csv"
        } else {
            "people.xlsx"
        });
        if format == "CSV" {
            write_csv(&path, version, users);
        } else {
            write_xlsx(&path, version, users);
        }
        let settings = check_file(point_at(db, config, &path).await).unwrap();
        println!(
            "\n{label}, {format} ({:.1} MB), {users} users, {} changed\n",
            std::fs::metadata(&path).unwrap().len() as f64 / 1_048_576.0,
            users / 20
        );
        println!("| phase            |     ours | baseline | ratio | peak ours | peak base |");
        println!("|------------------|---------:|---------:|------:|----------:|----------:|");

        // Profiling aid: UP_BENCH_LOAD_LOOP=n loads the file n times and stops.
        if let Some(n) = std::env::var("UP_BENCH_LOAD_LOOP")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
        {
            for _ in 0..n {
                source::load_file(&settings, Arc::new(AtomicUsize::new(0)))
                    .await
                    .unwrap();
            }
            std::process::exit(0);
        }
        // Loads alternate, five of each; the median time and the largest peak are shown.
        let mut base_runs = Vec::new();
        let mut stream_runs = Vec::new();
        let mut ours_runs = Vec::new();
        let mut loaded = None;
        for _ in 0..5 {
            let p = path.clone();
            base_runs.push(
                measure(async move {
                    tokio::task::spawn_blocking(move || {
                        if p.extension().unwrap() == "csv" {
                            bare_csv(&p)
                        } else {
                            bare_xlsx(&p)
                        }
                    })
                    .await
                    .unwrap()
                })
                .await
                .1,
            );
            if format == "CSV" {
                let p = path.clone();
                stream_runs.push(
                    measure(async move {
                        tokio::task::spawn_blocking(move || bare_csv_stream(&p)).await
                    })
                    .await
                    .1,
                );
            }
            let (l, m) = measure(source::load_file(&settings, Arc::new(AtomicUsize::new(0)))).await;
            ours_runs.push(m);
            loaded = Some(l.unwrap());
        }
        let mut loaded = loaded.unwrap();
        assert_eq!(loaded.people.len(), users);
        if !stream_runs.is_empty() {
            line("(bare stream)", &median(stream_runs), None);
        }
        let (base_load, ours_load) = (median(base_runs), median(ours_runs));
        line("load + validate", &ours_load, Some(&base_load));

        let (dir_users, ours_read) = measure(directory::load(db, org)).await;
        let dir_users = dir_users.unwrap();
        line("directory read", &ours_read, None);
        let (the_plan, ours_plan) =
            measure(async { plan(config, &mut loaded, &dir_users, &RecordPolicy::default()) })
                .await;
        drop(dir_users);
        assert_eq!(the_plan.counts.updated as usize, users / 20);
        line("plan", &ours_plan, None);

        let changed: Vec<(i64, [String; 8])> = the_plan
            .changes
            .iter()
            .filter(|c| c.action == LogAction::Update)
            .map(|c| {
                let i: usize = c.external_id.as_deref().unwrap()[1..].parse().unwrap();
                (c.user_id.unwrap(), row(i, version, users))
            })
            .collect();
        // Three of each, alternating, baseline first; each writes its log under a run of
        // its own. The users' values are the same each time, so every pass does the same work.
        let mut ours_runs = Vec::new();
        let mut base_runs = Vec::new();
        let mut run_ids = Vec::new();
        for _ in 0..3 {
            settle(db).await;
            let base_run = queue::queue_now(db, config, now_ms()).await.unwrap();
            base_runs.push(
                measure(bare_apply(db, base_run, &changed, the_plan.changes.len()))
                    .await
                    .1,
            );
            settle(db).await;
            let run_id = queue::queue_now(db, config, now_ms()).await.unwrap();
            ours_runs.push(
                measure(async {
                    let txn = db.begin().await.unwrap();
                    directory::apply(&txn, org, config, &loaded, &the_plan, now_ms(), |_| {})
                        .await
                        .unwrap();
                    let place = directory::LogPlace {
                        run_id,
                        organisation_id: org,
                        sort_at_ms: now_ms(),
                    };
                    directory::write_log(&txn, place, "result", &the_plan.changes)
                        .await
                        .unwrap();
                    txn.commit().await.unwrap();
                })
                .await
                .1,
            );
            run_ids.extend([base_run, run_id]);
        }
        for id in run_ids {
            queue::cancel(db, id, now_ms()).await.unwrap();
        }
        let (base_apply, ours_apply) = (median(base_runs), median(ours_runs));
        line("apply + logs", &ours_apply, Some(&base_apply));

        // The next version of the same file through the whole engine.
        if format == "CSV" {
            write_csv(&path, version + 2, users);
        } else {
            write_xlsx(&path, version + 2, users);
        }
        let (status, e2e) = measure(async {
            queue::queue_now(db, config, now_ms()).await.unwrap();
            let run = queue::claim(db, "bench", now_ms()).await.unwrap().unwrap();
            engine::execute(db, &run, &EngineOptions::new("bench"))
                .await
                .unwrap()
        })
        .await;
        assert_eq!(status, Some(app::domain::RunStatus::Success));
        line("end to end", &e2e, None);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users: usize = std::env::var("UP_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = db::connect(&format!(
        "sqlite://{}/bench.db?mode=rwc",
        dir.path().display()
    ))
    .await
    .unwrap();
    bench_backend("SQLite", &sqlite, users).await;

    if std::env::var_os("UP_BENCH_SKIP_POSTGRES").is_some() {
        return;
    }
    let admin_url = std::env::var("UP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    match Database::connect(&admin_url).await {
        Err(e) => println!("\nPostgreSQL skipped: {admin_url} is not reachable ({e})"),
        Ok(admin) => {
            let name = format!("up_bench_sync_{}", std::process::id());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin_url.clone());
            let pg = db::connect(&format!("{base}/{name}")).await.unwrap();
            bench_backend("PostgreSQL", &pg, users).await;
            pg.close().await.unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await
                .unwrap();
        }
    }
}
