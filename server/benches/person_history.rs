//! One person's history on a long log: 20,000 runs of one organisation over three years,
//! each logging the 532 people of its configuration (about 10,000,000 log entries; a person
//! has thousands), on SQLite and on PostgreSQL when it answers.
//!
//! Cases, as the page makes them: a person's first timeline page found by their exact
//! email or Employee ID (in any case), a later page by its cursor, and prefix searches
//! from one letter to most of an email. Each is timed three ways: through the real router
//! over loopback HTTP (signed in, the search recorded, times written in the viewer's zone),
//! through the store, and as the store's own statements sent raw on the same connection
//! pool (recorded from the store's call): the store ÷ raw ratio is what the code adds to
//! the SQL. Then each target, met or not.
//!
//!     cargo bench -p server --bench person_history
//!     UP_BENCH_RUNS=2000 cargo bench -p server --bench person_history    # quicker
//!
//! Under `cargo test` it builds a small log (400 runs), checks each case's answer, and
//! asks each database for the plan of every statement: each growing table is read by an
//! index search, never scanned whole.

#[path = "support/history.rs"]
mod history;
#[path = "support/plans.rs"]
mod plans;
#[path = "support/stats.rs"]
mod stats;

use app::domain::Cursor;
use app::ports::PeopleStore;
use chrono::Utc;
use leptos::prelude::LeptosOptions;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement};
use server::{db, http::startup, store::SeaStore};
use stats::{env_number, percentile};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// People per configuration: each run logs its configuration's people.
const PEOPLE: i64 = 532;
/// Time zones the HTTP cases rotate through (half and three-quarter hours among them).
const ZONES: [&str; 4] = ["UTC", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns"];

async fn scalar(conn: &DatabaseConnection, sql: &str) -> i64 {
    conn.query_one(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
}

/// Fills the log: for each run of the history, one entry per person of its
/// configuration (person `k` of configuration slot `c` is number `c * 500 + k`), mostly
/// unchanged, every twentieth an update with its values, a blocked run's deactivations
/// planned. Written with the person indexes dropped and built again after, as a bulk load
/// would be.
async fn fill_log(conn: &DatabaseConnection, organisation_id: i64, runs: (i64, i64)) -> i64 {
    let backend = conn.get_database_backend();
    for s in [
        "DROP INDEX ix_log_entries_email",
        "DROP INDEX ix_log_entries_employee",
        "CREATE TABLE bench_seq (n BIGINT PRIMARY KEY)",
    ] {
        conn.execute_unprepared(s).await.unwrap();
    }
    let values: Vec<String> = (0..PEOPLE).map(|n| format!("({n})")).collect();
    conn.execute_unprepared(&format!(
        "INSERT INTO bench_seq (n) VALUES {}",
        values.join(",")
    ))
    .await
    .unwrap();
    // Which of the organisation's configurations a run belongs to decides its people.
    let person = format!("(k.slot * {PEOPLE} + s.n)");
    let text = |e: &str| match backend {
        DatabaseBackend::Postgres => format!("CAST({e} AS TEXT)"),
        _ => e.to_string(),
    };
    let sql = format!(
        "INSERT INTO sync_log_entries (run_id, sequence, kind, record_ref, external_id, email, \
         action, outcome, message, changed_fields, field_changes, organisation_id, run_sort_ms, \
         email_key, external_key) \
         SELECT r.id, s.n, CASE WHEN r.status = 'above_deactivation_threshold' THEN 'planned' ELSE 'result' END, \
           'line ' || {n2}, 'E' || {p}, 'person' || {p} || '@acme.example', \
           CASE WHEN r.status = 'above_deactivation_threshold' THEN 'deactivate' \
                WHEN (r.id + s.n) % 20 = 0 THEN 'update' ELSE 'unchanged' END, \
           'ok', 'No changes.', \
           CASE WHEN (r.id + s.n) % 20 = 0 THEN 'title' END, \
           CASE WHEN (r.id + s.n) % 20 = 0 THEN '[{{\"field\":\"title\",\"old\":\"Engineer\",\"new\":\"Lead\"}}]' END, \
           r.organisation_id, r.sort_at_ms, 'person' || {p} || '@acme.example', 'e' || {p} \
         FROM sync_runs r \
         JOIN (SELECT c.id, (SELECT COUNT(*) FROM sync_configurations o \
               WHERE o.organisation_id = c.organisation_id AND o.id < c.id) AS slot \
               FROM sync_configurations c) k ON k.id = r.configuration_id \
         CROSS JOIN bench_seq s \
         WHERE r.organisation_id = {organisation_id} AND r.id BETWEEN {first} AND {last} \
           AND r.status NOT IN ('queued', 'in_progress', 'cancelled', 'data_load_failed')",
        n2 = text("(s.n + 2)"),
        first = runs.0,
        last = runs.1,
        p = text(&person),
    );
    conn.execute_unprepared(&sql).await.unwrap();
    for s in [
        "DROP TABLE bench_seq",
        "CREATE INDEX ix_log_entries_email ON sync_log_entries (organisation_id, email_key, run_sort_ms, id)",
        "CREATE INDEX ix_log_entries_employee ON sync_log_entries (organisation_id, external_key, run_sort_ms, id)",
    ] {
        conn.execute_unprepared(s).await.unwrap();
    }
    // The people the directory holds: half of them (the others were never created).
    let configurations = scalar(
        conn,
        &format!(
            "SELECT COUNT(*) FROM sync_configurations WHERE organisation_id = {organisation_id}"
        ),
    )
    .await;
    let mut users = Vec::new();
    for p in (0..configurations * PEOPLE).step_by(2) {
        users.push(format!(
            "({organisation_id}, 'E{p}', 'person{p}@acme.example', 'First{p}', 'Last{p}', {}, 'basic_user', FALSE, 0, 0)",
            if p % 10 == 0 { "FALSE" } else { "TRUE" }
        ));
    }
    for chunk in users.chunks(1000) {
        conn.execute_unprepared(&format!(
            "INSERT INTO users (organisation_id, external_id, email, first_name, last_name, active, \
             role, sync_service_enrolled, created_at_ms, updated_at_ms) VALUES {}",
            chunk.join(",")
        ))
        .await
        .unwrap();
    }
    match backend {
        DatabaseBackend::Postgres => conn.execute_unprepared("VACUUM ANALYZE").await.unwrap(),
        _ => conn.execute_unprepared("ANALYZE").await.unwrap(),
    };
    scalar(conn, "SELECT COUNT(*) FROM sync_log_entries").await
}

#[derive(Clone)]
enum Case {
    /// A person's first page, found by this text (exact email or Employee ID).
    First(String),
    /// The page after this cursor of this person's timeline.
    Later(String, Cursor),
    /// A prefix that matches several people.
    Prefix(String),
}

impl Case {
    fn kind(&self) -> &'static str {
        match self {
            Case::First(_) => "first page",
            Case::Later(..) => "later page",
            Case::Prefix(_) => "prefix search",
        }
    }

    fn url(&self) -> String {
        let q = |t: &str| form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>();
        match self {
            Case::First(t) | Case::Prefix(t) => format!("/api/find_person?q={}", q(t)),
            Case::Later(t, c) => format!("/api/find_person?q={}&after={}", q(t), q(&c.to_string())),
        }
    }
}

/// What the store does for a case, as the server function does it.
async fn through_store(store: &SeaStore, org: i64, case: &Case) -> usize {
    let (q, after) = match case {
        Case::First(t) | Case::Prefix(t) => (t, None),
        Case::Later(t, c) => (t, Some(*c)),
    };
    let found = store.find_people(org, q, 20).await.unwrap();
    match found.people.as_slice() {
        [one] => {
            let events = store.timeline(org, one, after, 51).await.unwrap();
            if after.is_none() {
                store
                    .active_runs(org, &one.configuration_ids)
                    .await
                    .unwrap();
            }
            events.len()
        }
        many => many.len(),
    }
}

fn serve(conn: DatabaseConnection) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let options = LeptosOptions::builder()
                .output_name("user-provisioning")
                .build();
            let app = startup::router(SeaStore::new(conn).into_stores(), options);
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

async fn sign_in(http: &reqwest::Client, base: &str) -> String {
    let reply = http
        .post(format!("{base}/api/sign_in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email=org.admin%40acme.example&password={}",
            server::demo::DEMO_PASSWORD
        ))
        .send()
        .await
        .unwrap();
    reply
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("up_session="))
        .expect("signed in")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

type Sent = Arc<Mutex<Option<Vec<Statement>>>>;

struct Timings {
    kind: &'static str,
    http: Vec<f64>,
    store: Vec<f64>,
    raw: Vec<f64>,
}

async fn run(label: &str, url: &str, runs: u64, samples: usize, timed: bool) -> usize {
    let started = Instant::now();
    let mut conn = db::connect(url).await.unwrap();
    let history = history::generate(&conn, runs, Utc::now()).await;
    let org = history.organisation_id;
    let span = (history.ids[0], *history.ids.last().unwrap());
    let entries = fill_log(&conn, org, span).await;
    let people = scalar(
        &conn,
        &format!("SELECT COUNT(*) FROM sync_configurations WHERE organisation_id = {org}"),
    )
    .await
        * PEOPLE;
    println!(
        "{label}: {} runs, {entries} log entries of {people} people, made in {:.0} s",
        history.ids.len(),
        started.elapsed().as_secs_f64()
    );
    // Every statement the store sends while recording is on.
    let sent: Sent = Arc::new(Mutex::new(None));
    let all_sent: Arc<Mutex<Vec<Statement>>> = Arc::default();
    {
        let (sent, all_sent) = (sent.clone(), all_sent.clone());
        conn.set_metric_callback(move |info| {
            if let Some(list) = sent.lock().unwrap().as_mut() {
                list.push(info.statement.clone());
            }
            all_sent.lock().unwrap().push(info.statement.clone());
        });
    }
    let store = SeaStore::new(conn.clone());
    let base = serve(conn.clone());
    let http = reqwest::Client::new();
    let session = sign_in(&http, &base).await;

    // The cases: people spread over the population, in the case they are typed.
    let mut cases = Vec::new();
    // The rare configuration's people have (almost) no runs: the cases take the others'.
    let logged = people - PEOPLE;
    let step = (logged / 40).max(1);
    for (i, p) in (0..logged).step_by(step as usize).enumerate() {
        let text = match i % 3 {
            0 => format!("person{p}@acme.example"),
            1 => format!("E{p}"),
            _ => format!("Person{p}@ACME.example"),
        };
        cases.push(Case::First(text.clone()));
        let page = store
            .timeline(
                org,
                &store.find_people(org, &text, 20).await.unwrap().people[0],
                None,
                51,
            )
            .await
            .unwrap();
        assert_eq!(page.len(), 51, "{text}: a person has more than a page");
        cases.push(Case::Later(text, page[49].cursor));
    }
    for prefix in [
        "p", "person", "person1", "person12", "PERSON12", "e", "E4", "e1", "person9",
    ] {
        cases.push(Case::Prefix(prefix.to_string()));
    }
    // Answers checked once, untimed.
    for case in &cases {
        let n = through_store(&store, org, case).await;
        match case {
            Case::Prefix(t) => assert!(n > 1, "{t} matches several: {n}"),
            _ => assert!(n > 0),
        }
    }

    let mut timings: Vec<Timings> = ["first page", "later page", "prefix search"]
        .into_iter()
        .map(|kind| Timings {
            kind,
            http: Vec::new(),
            store: Vec::new(),
            raw: Vec::new(),
        })
        .collect();
    for round in 0..samples {
        for (i, case) in cases.iter().enumerate() {
            let t = timings.iter_mut().find(|t| t.kind == case.kind()).unwrap();
            let zone = ZONES[(round + i) % ZONES.len()];
            let at = Instant::now();
            let reply = http
                .get(format!("{base}{}", case.url()))
                .header("cookie", format!("{session}; tz={zone}"))
                .send()
                .await
                .unwrap();
            let status = reply.status();
            let body = reply.text().await.unwrap();
            t.http.push(at.elapsed().as_secs_f64() * 1e3);
            assert!(status.is_success(), "{}: {status} {body}", case.url());
            *sent.lock().unwrap() = Some(Vec::new());
            let at = Instant::now();
            through_store(&store, org, case).await;
            t.store.push(at.elapsed().as_secs_f64() * 1e3);
            let statements = sent.lock().unwrap().take().unwrap();
            let at = Instant::now();
            for s in statements {
                conn.query_all(s).await.unwrap();
            }
            t.raw.push(at.elapsed().as_secs_f64() * 1e3);
        }
    }
    if !timed {
        println!("{label}: {} cases answered", cases.len());
        let statements = std::mem::take(&mut *all_sent.lock().unwrap());
        let mut seen = std::collections::BTreeMap::new();
        for s in statements {
            if s.sql.contains("sync_log_entries") || s.sql.contains("users u") {
                seen.entry(s.sql.clone()).or_insert(s);
            }
        }
        plans::check_at_least(&conn, seen.into_values().collect(), 5).await;
        return 0;
    }
    let mut missed = 0;
    println!(
        "{label:<11} {:<14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "case", "HTTP p50", "HTTP p99", "store p50", "store p99", "raw p50", "raw p99", "store÷raw"
    );
    for mut t in timings {
        for v in [&mut t.http, &mut t.store, &mut t.raw] {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        }
        let (hp50, hp99) = (percentile(&t.http, 0.5), percentile(&t.http, 0.99));
        let (sp50, sp99) = (percentile(&t.store, 0.5), percentile(&t.store, 0.99));
        let (rp50, rp99) = (percentile(&t.raw, 0.5), percentile(&t.raw, 0.99));
        let ratio = sp50 / rp50;
        println!(
            "{:<11} {:<14} {hp50:>9.2} {hp99:>9.2} {sp50:>9.2} {sp99:>9.2} {rp50:>9.2} {rp99:>9.2} {ratio:>10.2}×",
            "", t.kind
        );
        let target = if t.kind == "prefix search" {
            30.0
        } else {
            20.0
        };
        let met = hp99 <= target && ratio <= 1.3;
        if !met {
            missed += 1;
        }
        println!(
            "{:<11}   target: HTTP p99 ≤ {target} ms and store ÷ raw ≤ 1.3× at p50: {}",
            "",
            if met { "met" } else { "MISSED" }
        );
    }
    missed
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo bench` passes --bench; `cargo test` does not: then a small, untimed run.
    let timed = std::env::args().any(|a| a == "--bench");
    let runs = env_number("UP_BENCH_RUNS", if timed { 20_000 } else { 400 });
    let samples = env_number("UP_BENCH_SAMPLES", if timed { 10 } else { 1 }) as usize;
    let dir = tempfile::tempdir().unwrap();
    let mut missed = run(
        "SQLite",
        &format!("sqlite://{}/people.db?mode=rwc", dir.path().display()),
        runs,
        samples,
        timed,
    )
    .await;
    let admin_url = std::env::var("UP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    match Database::connect(&admin_url).await {
        Ok(admin) => {
            let name = format!("up_people_{}", std::process::id());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
            missed += run("PostgreSQL", &url, runs, samples, timed).await;
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await;
        }
        Err(e) => println!("SKIPPED PostgreSQL: no server at {admin_url} ({e})"),
    }
    if timed {
        println!("{missed} targets missed");
    }
}
