//! The Syncs page's own request mix, through the real router over loopback HTTP, on a
//! history of 1,000,000 runs for one organisation (three years, every status, a rare
//! configuration, shared start instants), on SQLite and on PostgreSQL when it answers.
//!
//! Every case is a request the page makes: the list's first page and a deep page (walked
//! there by its cursors) for each status alone, pairs, each source and configuration,
//! each range and sort, in several time zones; polls after 0, 1, 50 and 500 changes; the
//! overview chart for each range in six time zones (three of them half or three-quarter
//! hours from UTC). Per case it prints the latency (p50, p99) and the server's CPU per
//! request (p50, p99): the process's CPU time less the client's thread, so on SQLite all of
//! the database's work is in it; on PostgreSQL the database's own work is not, and its
//! targets are read from the latency instead. Then each target, met or not.
//!
//!     cargo bench -p server --bench page_mix
//!     UP_BENCH_RUNS=100000 cargo bench -p server --bench page_mix     # quicker
//!     UP_BENCH_ONLY=chart cargo bench -p server --bench page_mix      # the charts alone
//!
//! Under `cargo test` (no `--bench` argument) it runs a small history (20,000 runs), checks
//! that every case answers correctly (timings of a debug build mean nothing), and asks each
//! database for the plan of every statement the cases made: each table is read by an index
//! search, never scanned whole. Unlike a time, a plan does not flake.

#[path = "support/history.rs"]
mod history;
#[path = "support/plans.rs"]
mod plans;
#[path = "support/stats.rs"]
mod stats;

use app::domain::{RunFilter, RunStatus};
use app::ports::{ListRuns, RunStore};
use chrono::{DateTime, TimeZone, Utc};
use history::{History, DAY_MS, RARE_CONFIGURATION};
use leptos::prelude::LeptosOptions;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use server::{db, http::startup, store::SeaStore};
use stats::{env_number, percentile};
use std::time::Instant;

/// CPU time of this process and of the calling thread, in nanoseconds.
fn cpu_ns(clock: libc::clockid_t) -> i64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec it is given.
    unsafe { libc::clock_gettime(clock, &mut t) };
    t.tv_sec * 1_000_000_000 + t.tv_nsec
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    List,
    Deep,
    Poll,
    Chart,
}

struct Case {
    name: String,
    kind: Kind,
    /// Path and query.
    url: String,
    zone: &'static str,
    /// For a list, the filter's query: the store is asked the same.
    query: String,
}

struct Measured {
    case: Case,
    wall_p50: f64,
    wall_p99: f64,
    cpu_p50: f64,
    cpu_p99: f64,
    /// The store's own time for the same list request (first pages only).
    store_p50: Option<f64>,
}

/// The page's filters, as (name, query). `configurations` are Acme's names.
fn filters(configurations: &[String], history: &History) -> Vec<(String, String)> {
    let day = |ms: i64| {
        Utc.timestamp_millis_opt(ms)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut f: Vec<(String, String)> = vec![
        ("no filter".into(), String::new()),
        ("oldest first".into(), "sort=oldest".into()),
    ];
    for s in RunStatus::ALL {
        f.push((
            format!("status {}", s.slug()),
            format!("status={}", s.slug()),
        ));
    }
    for pair in [
        "success,needs_attention",
        "queued,in_progress",
        "data_load_failed,cancelled",
        "needs_attention,above_deactivation_threshold",
    ] {
        f.push((format!("statuses {pair}"), format!("status={pair}")));
    }
    for source in ["google_workspace", "workday", "sftp"] {
        f.push((format!("source {source}"), format!("source={source}")));
    }
    for c in configurations {
        f.push((
            format!("configuration {c}"),
            format!("config={}", urlencode(c)),
        ));
    }
    let far = history.first_ms + 100 * DAY_MS;
    f.extend([
        ("last 7 days".into(), "range=7d".into()),
        ("last 30 days".into(), "range=30d".into()),
        (
            "custom 2 years".into(),
            format!(
                "range=custom&from={}&to={}",
                day(history.last_ms - 730 * DAY_MS),
                day(history.last_ms)
            ),
        ),
        (
            "custom 1 week, far past".into(),
            format!(
                "range=custom&from={}&to={}",
                day(far),
                day(far + 6 * DAY_MS)
            ),
        ),
        (
            "needs_attention, sftp, oldest".into(),
            "status=needs_attention&source=sftp&sort=oldest".into(),
        ),
        (
            "rare configuration, cancelled".into(),
            format!("config={}&status=cancelled", urlencode(RARE_CONFIGURATION)),
        ),
        (
            "success, workday, last 30 days".into(),
            "status=success&source=workday&range=30d".into(),
        ),
    ]);
    f
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

const WHOLE_HOUR_ZONES: [&str; 3] = ["UTC", "America/New_York", "Europe/Berlin"];
const PART_HOUR_ZONES: [&str; 3] = ["Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham"];

fn chart_ranges(history: &History) -> Vec<(&'static str, String)> {
    let day = |ms: i64| {
        Utc.timestamp_millis_opt(ms)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string()
    };
    vec![
        ("all time", String::new()),
        ("last 7 days", "range=7d".into()),
        ("last 30 days", "range=30d".into()),
        (
            "custom 2 years",
            format!(
                "range=custom&from={}&to={}",
                day(history.last_ms - 730 * DAY_MS),
                day(history.last_ms)
            ),
        ),
    ]
}

struct Client {
    base: String,
    http: reqwest::Client,
    session: String,
}

impl Client {
    async fn get(&self, url: &str, zone: &str) -> (reqwest::StatusCode, String) {
        let r = self
            .http
            .get(format!("{}{url}", self.base))
            .header("cookie", format!("{}; tz={zone}", self.session))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn json(&self, url: &str, zone: &str) -> serde_json::Value {
        let (status, body) = self.get(url, zone).await;
        assert!(status.is_success(), "{url}: {status} {body}");
        serde_json::from_str(&body).unwrap()
    }
}

fn list_url(query: &str, cursor: Option<&str>) -> String {
    let mut url = format!("/api/list_sync_runs?query={}", urlencode(query));
    if let Some(c) = cursor {
        url.push_str(&format!("&cursor={}", urlencode(c)));
    }
    url
}

/// The cases, with deep pages reached by walking each filter's cursors; checks on the way
/// that a walk neither repeats nor skips a run.
async fn cases(
    client: &Client,
    history: &History,
    configurations: &[String],
    feed: &[i64],
) -> Vec<Case> {
    let mut cases = Vec::new();
    let deep_pages = env_number("UP_BENCH_DEEP_PAGES", 40);
    // How far down each filter's list a page holds runs after its first page and after
    // its deep one (the last row's sort instant, which is the cursor's), for its polls.
    let mut reaches: std::collections::HashMap<String, Vec<i64>> = Default::default();
    for (name, query) in filters(configurations, history) {
        for zone in ["UTC", "Asia/Kolkata"] {
            // Odd zones matter where a day's edge does: the dated ranges.
            if zone != "UTC" && !query.contains("range=") {
                continue;
            }
            let label = if zone == "UTC" {
                name.clone()
            } else {
                format!("{name} ({zone})")
            };
            cases.push(Case {
                name: label.clone(),
                kind: Kind::List,
                url: list_url(&query, None),
                zone,
                query: query.clone(),
            });
            // Walk to a deep page, or the last one.
            let mut cursor: Option<String> = None;
            let mut seen = std::collections::HashSet::new();
            let mut total = None;
            for page in 0..deep_pages {
                let json = client
                    .json(&list_url(&query, cursor.as_deref()), zone)
                    .await;
                if page == 0 {
                    total = json["total"].as_u64();
                }
                for run in json["runs"].as_array().unwrap() {
                    assert!(
                        seen.insert(run["id"].as_i64().unwrap()),
                        "{label}: a run twice"
                    );
                }
                let next = &json["next_cursor"];
                if zone == "UTC" {
                    if let Some(at) = next["sort_at_ms"].as_i64() {
                        reaches.entry(query.clone()).or_default().push(at);
                    }
                }
                match next["sort_at_ms"].as_i64().zip(next["id"].as_i64()) {
                    Some((at, id)) => cursor = Some(format!("{at}.{id}")),
                    None => {
                        assert_eq!(Some(seen.len() as u64), total, "{label}: walked all");
                        break;
                    }
                }
            }
            if let Some(c) = cursor {
                cases.push(Case {
                    name: format!("{label}, page {deep_pages}"),
                    kind: Kind::Deep,
                    url: list_url(&query, Some(&c)),
                    zone,
                    query: query.clone(),
                });
            }
        }
    }
    // Polls: since the last change (nothing changed), and since the 1, 50 and 500 (as many
    // as one answer carries) most recent changes: the newest run, then runs scattered over
    // the history (see `feed`). Each from a page that holds its first page, or its first
    // 40 (saying how far down, as the page does), or every run: a page that has loaded
    // them all, or one from before pages said it.
    let changes = |n: usize| feed[feed.len() - 1 - n];
    let held = |query: &str, pages: usize| match pages {
        0 => String::new(),
        _ => {
            let reaches = &reaches[query];
            format!("&held={}", reaches[(pages - 1).min(reaches.len() - 1)])
        }
    };
    for (name, query, since, pages) in [
        ("poll, nothing changed", "", changes(0), 1),
        ("poll, 1 change (page 1)", "", changes(1), 1),
        ("poll, 50 changes", "", changes(50), 1),
        ("poll, 500 changes", "", changes(500), 1),
        (
            "poll, 500 changes, 40 pages held",
            "",
            changes(500),
            deep_pages as usize,
        ),
        ("poll, 500 changes, every run held", "", changes(500), 0),
        (
            "poll needs_attention, 50 changes",
            "status=needs_attention",
            changes(50),
            1,
        ),
    ] {
        cases.push(Case {
            name: name.into(),
            kind: Kind::Poll,
            url: format!(
                "/api/poll_sync_runs?query={}&since={since}{}",
                urlencode(query),
                held(query, pages)
            ),
            zone: "UTC",
            query: query.into(),
        });
    }
    // For scale: a signed-in request that reads its session and nothing else.
    cases.push(Case {
        name: "signed in, nothing else (get_viewer)".into(),
        kind: Kind::Poll,
        url: "/api/get_viewer".into(),
        zone: "UTC",
        query: String::new(),
    });
    for (range, query) in chart_ranges(history) {
        for zone in WHOLE_HOUR_ZONES.into_iter().chain(PART_HOUR_ZONES) {
            cases.push(Case {
                name: format!("chart {range} ({zone})"),
                kind: Kind::Chart,
                url: format!("/api/sync_runs_chart?query={}", urlencode(&query)),
                zone,
                query: query.clone(),
            });
        }
    }
    for (name, query) in [
        ("chart status queued", "status=queued"),
        ("chart rare configuration", "config=Rare+export+%28SFTP%29"),
    ] {
        cases.push(Case {
            name: name.into(),
            kind: Kind::Chart,
            url: format!("/api/sync_runs_chart?query={}", urlencode(query)),
            zone: "UTC",
            query: query.into(),
        });
    }
    cases
}

/// The list request the server makes for `query` in `zone` (see `app::api::runs`).
fn store_request(organisation_id: i64, query: &str, zone: &str) -> ListRuns {
    let tz: chrono_tz::Tz = zone.parse().unwrap();
    let filter = RunFilter::from_query(query).unwrap();
    let midnight = |d: chrono::NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    };
    let (since, until) = filter.range.window(Utc::now(), midnight);
    ListRuns {
        organisation_id,
        filter,
        since_ms: since.map(|t: DateTime<Utc>| t.timestamp_millis()),
        until_ms: until.map(|t: DateTime<Utc>| t.timestamp_millis()),
        after: None,
        limit: app::api::runs::PAGE_SIZE,
    }
}

async fn measure(
    client: &Client,
    store: &SeaStore,
    history: &History,
    cases: Vec<Case>,
    samples: usize,
) -> Vec<Measured> {
    let mut measured = Vec::new();
    for case in cases {
        let (mut wall, mut cpu) = (Vec::new(), Vec::new());
        for i in 0..samples + 3 {
            let (p0, t0) = (
                cpu_ns(libc::CLOCK_PROCESS_CPUTIME_ID),
                cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID),
            );
            let started = Instant::now();
            let (status, body) = client.get(&case.url, case.zone).await;
            let elapsed = started.elapsed();
            let (p1, t1) = (
                cpu_ns(libc::CLOCK_PROCESS_CPUTIME_ID),
                cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID),
            );
            assert!(status.is_success(), "{}: {status} {body}", case.name);
            if i >= 3 {
                wall.push(elapsed.as_secs_f64() * 1e3);
                cpu.push(((p1 - p0) - (t1 - t0)) as f64 / 1e6);
            }
        }
        let store_p50 = if case.kind == Kind::List {
            let request = store_request(history.organisation_id, &case.query, case.zone);
            let mut times = Vec::new();
            for _ in 0..samples {
                let started = Instant::now();
                store.list_runs(&request).await.unwrap();
                times.push(started.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            Some(percentile(&times, 0.5))
        } else {
            None
        };
        wall.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        measured.push(Measured {
            wall_p50: percentile(&wall, 0.5),
            wall_p99: percentile(&wall, 0.99),
            cpu_p50: percentile(&cpu, 0.5),
            cpu_p99: percentile(&cpu, 0.99),
            store_p50,
            case,
        });
    }
    measured
}

/// Prints the table, worst first, and each target; returns how many targets were missed.
fn report(label: &str, on_postgres: bool, mut measured: Vec<Measured>) -> usize {
    // On PostgreSQL the database works in its own processes: latency bounds its CPU.
    let cost = |m: &Measured| if on_postgres { m.wall_p50 } else { m.cpu_p50 };
    let cost99 = |m: &Measured| if on_postgres { m.wall_p99 } else { m.cpu_p99 };
    measured.sort_by(|a, b| cost(b).total_cmp(&cost(a)));
    println!("\n### {label}\n");
    println!("| case | latency p50 | p99 | server CPU p50 | p99 | store alone p50 |");
    println!("|---|---|---|---|---|---|");
    for m in &measured {
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {} |",
            m.case.name,
            m.wall_p50,
            m.wall_p99,
            m.cpu_p50,
            m.cpu_p99,
            m.store_p50.map_or(String::new(), |s| format!("{s:.2} ms"))
        );
    }
    let find = |name: &str| measured.iter().find(|m| m.case.name == name);
    let mut missed = 0;
    let mut check = |what: String, ok: bool| {
        println!("- {} {what}", if ok { "met:" } else { "MISSED:" });
        missed += usize::from(!ok);
    };
    println!();
    let basis = if on_postgres { "latency" } else { "server CPU" };
    let worst = &measured[0];
    check(
        format!(
            "every case ≤ 5 ms {basis} at p50 (worst: {}, {:.2} ms)",
            worst.case.name,
            cost(worst)
        ),
        cost(worst) <= 5.0,
    );
    let worst99 = measured
        .iter()
        .max_by(|a, b| cost99(a).total_cmp(&cost99(b)))
        .unwrap();
    check(
        format!(
            "every case ≤ 10 ms {basis} at p99 (worst: {}, {:.2} ms)",
            worst99.case.name,
            cost99(worst99)
        ),
        cost99(worst99) <= 10.0,
    );
    let ratio = |sparse: &str, dense: &str, bound: f64, check: &mut dyn FnMut(String, bool)| {
        if let (Some(s), Some(d)) = (find(sparse), find(dense)) {
            let r = cost(s) / cost(d);
            check(format!("{sparse} ≤ {bound}× {dense}: {r:.2}×"), r <= bound);
        }
    };
    for (sparse, dense) in [
        ("status queued", "status success"),
        ("status in_progress", "status success"),
        ("status queued, page 40", "status success, page 40"),
        (
            "statuses queued,in_progress",
            "statuses success,needs_attention",
        ),
        (
            &*format!("configuration {RARE_CONFIGURATION}"),
            "configuration Workday – Global HR",
        ),
        ("custom 1 week, far past", "last 7 days"),
        ("rare configuration, cancelled", "status success"),
    ] {
        ratio(sparse, dense, 2.0, &mut check);
    }
    for (range, _) in [
        ("all time", ()),
        ("last 7 days", ()),
        ("last 30 days", ()),
        ("custom 2 years", ()),
    ] {
        let whole = WHOLE_HOUR_ZONES
            .iter()
            .filter_map(|z| find(&format!("chart {range} ({z})")))
            .map(cost)
            .fold(0.0, f64::max);
        for zone in PART_HOUR_ZONES {
            if let Some(m) = find(&format!("chart {range} ({zone})")) {
                let r = cost(m) / whole;
                check(
                    format!("chart {range} in {zone} ≤ 1.5× whole-hour zones: {r:.2}×"),
                    r <= 1.5,
                );
            }
        }
    }
    // A poll costs what changed, not what the page holds: 50 changes all over the history
    // cost little more than one; nothing changed costs next to nothing.
    ratio(
        "poll, 50 changes",
        "poll, 1 change (page 1)",
        2.0,
        &mut check,
    );
    ratio(
        "poll, nothing changed",
        "poll, 1 change (page 1)",
        0.2,
        &mut check,
    );
    // The same, against what any signed-in request costs: the idle check adds one probe.
    ratio(
        "poll, nothing changed",
        "signed in, nothing else (get_viewer)",
        1.5,
        &mut check,
    );
    if !on_postgres {
        let worst = measured
            .iter()
            .filter_map(|m| Some((m, m.cpu_p50 / m.store_p50?)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((m, r)) = worst {
            check(
                format!(
                    "a list over HTTP ≤ 2× the store's own time (worst: {}, {r:.2}×)",
                    m.case.name
                ),
                r <= 2.0,
            );
        }
    }
    missed
}

/// Changes 500 runs, one at a time, as a sync would (a new version each): 499 scattered
/// over the history, then the newest. Returns the organisation's count of changes before
/// the first and after each.
async fn change_runs(conn: &DatabaseConnection, history: &History) -> Vec<i64> {
    let stride = (history.ids.len() / 500).max(1);
    let newest = *history.ids.last().unwrap();
    let runs = history
        .ids
        .iter()
        .step_by(stride)
        .filter(|&&id| id != newest)
        .take(499)
        .chain([&newest]);
    let count = |sql: String| async move {
        let row = conn
            .query_one(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    let mut feed = vec![
        count(format!(
            "SELECT change_seq FROM sync_runs WHERE organisation_id = {} \
             ORDER BY change_seq DESC LIMIT 1",
            history.organisation_id
        ))
        .await,
    ];
    for id in runs {
        conn.execute_unprepared(&format!(
            "UPDATE sync_runs SET version = version + 1 WHERE id = {id}"
        ))
        .await
        .unwrap();
        feed.push(count(format!("SELECT change_seq FROM sync_runs WHERE id = {id}")).await);
    }
    assert_eq!(feed.len(), 501);
    feed
}

/// Serves `conn` on a loopback port from a runtime of its own (two threads, like the
/// machine), so the client's thread is not the server's.
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

/// Every statement the server sent, one of each text (with the values it first had).
type Sent = std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, Statement>>>;

async fn run(label: &str, url: &str, runs: u64, samples: usize, timed: bool) -> usize {
    let started = Instant::now();
    let mut conn = db::connect(url).await.unwrap();
    let history = history::generate(&conn, runs, Utc::now()).await;
    let sent = Sent::default();
    if !timed {
        let sent = sent.clone();
        conn.set_metric_callback(move |info| {
            let mut sent = sent.lock().unwrap();
            if !sent.contains_key(&info.statement.sql) {
                sent.insert(info.statement.sql.clone(), info.statement.clone());
            }
        });
    }
    println!(
        "{label}: {} runs for one organisation, made in {:.0} s",
        history.ids.len(),
        started.elapsed().as_secs_f64()
    );
    let configurations: Vec<String> = conn
        .query_all(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!(
                "SELECT name FROM sync_configurations WHERE organisation_id = {} ORDER BY name",
                history.organisation_id
            ),
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect();
    let base = serve(conn.clone());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
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
    let session = reply
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("up_session="))
        .expect("signed in")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let client = Client {
        base,
        http,
        session,
    };
    let feed = change_runs(&conn, &history).await;
    let mut cases = cases(&client, &history, &configurations, &feed).await;
    // To time a few cases again: the cases whose names contain the text, and the targets
    // that compare them.
    if let Ok(only) = std::env::var("UP_BENCH_ONLY") {
        cases.retain(|c| c.name.contains(&only));
    }
    let n = cases.len();
    let measured = measure(
        &client,
        &SeaStore::new(conn.clone()),
        &history,
        cases,
        samples,
    )
    .await;
    if !timed {
        let sent = std::mem::take(&mut *sent.lock().unwrap());
        println!("{label}: {n} cases answered");
        plans::check(&conn, sent.into_values().collect()).await;
        return 0;
    }
    report(label, url.starts_with("postgres"), measured)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo bench` passes --bench; `cargo test` does not: then a small, untimed run.
    let timed = std::env::args().any(|a| a == "--bench");
    let runs = env_number("UP_BENCH_RUNS", if timed { 1_000_000 } else { 20_000 });
    let samples = env_number("UP_BENCH_SAMPLES", if timed { 60 } else { 2 }) as usize;
    let dir = tempfile::tempdir().unwrap();
    let mut missed = run(
        "SQLite",
        &format!("sqlite://{}/mix.db?mode=rwc", dir.path().display()),
        runs,
        samples,
        timed,
    )
    .await;
    let admin_url = std::env::var("UP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    match Database::connect(&admin_url).await {
        Ok(admin) => {
            let name = format!("up_mix_{}", std::process::id());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
            missed += run("PostgreSQL", &url, runs, samples, timed).await;
            // The server's pool still holds connections: drop the database with FORCE.
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await;
        }
        Err(e) => println!("SKIPPED PostgreSQL: no server at {admin_url} ({e})"),
    }
    if timed {
        println!("\n{missed} targets missed");
    }
}
