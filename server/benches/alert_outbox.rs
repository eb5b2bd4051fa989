//! Alerts after years of use: what the alert worker, the run details page and `/metrics`
//! pay once the alert tables hold a long history, beside what they pay with none.
//!
//! One organisation with a large directory (100,000 people besides its admins) and
//! 500,000 runs over three years. Each case is timed twice on the same database: first
//! with no alert history (the baseline), then after every alerting run of the three years
//! has its event, its message, a delivery per admin and one for the webhook, and an
//! attempt per delivery (about 100,000 events and 500,000 deliveries), as a database
//! that keeps its alerts would hold. The ratio says what the history costs; it should be
//! none (≤ 1.5× at p50): every step reads by index, never the history.
//!
//! Cases, each as the worker or the page makes it:
//! - the worker's look when nothing waits (every 2 s, in every process);
//! - the staleness check of every configuration (every minute);
//! - placing one run's alert: its message and a delivery per admin and webhook;
//! - sending it: the emails to a local SMTP server, the signed POST to a local receiver;
//! - the run details page's question: what the run's alert came to;
//! - `/metrics`' alert figures.
//!
//! ```text
//! cargo bench -p server --bench alert_outbox
//! UP_BENCH_RUNS=100000 UP_BENCH_USERS=20000 cargo bench -p server --bench alert_outbox
//! ```
//!
//! Under `cargo test` it builds a small history, checks each case's answer, and asks each
//! database for the plan of every statement the cases made: each growing table is read by
//! an index search, never scanned whole.

#[path = "support/history.rs"]
mod history;
#[path = "support/plans.rs"]
mod plans;
#[path = "support/stats.rs"]
mod stats;

use app::domain::RunAlert;
use app::ports::AlertStore;
use axum::{routing::post, Router};
use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement};
use server::alerts::{channels::Mailer, deliver, outbox, staleness, worker};
use server::alerts::{AlertSettings, SmtpSettings, Timing};
use server::sync::engine::now_ms;
use server::{db, http::metrics, store::SeaStore};
use stats::{env_number, p50_p99};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const HOUR_MS: i64 = 3_600_000;

/// An SMTP server that accepts every message and keeps none: the emails' far end.
async fn smtp_sink() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Each reply is one small write: sent at once, as a mail server would.
                let _ = socket.set_nodelay(true);
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line != "." {
                            continue;
                        }
                        in_data = false;
                        b"250 kept\r\n"
                    } else {
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        match verb.as_str() {
                            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go on\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 ok\r\n",
                        }
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// A webhook receiver that answers every POST 200: the webhook's far end.
async fn webhook_sink() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/hook", post(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

async fn scalar(conn: &DatabaseConnection, sql: &str) -> i64 {
    conn.query_one(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
}

/// `people` directory users for the organisation: not admins, so never recipients, but
/// rows the recipients' query must not wade through.
async fn add_directory(conn: &DatabaseConnection, organisation_id: i64, people: u64) {
    let numbers = match conn.get_database_backend() {
        DatabaseBackend::Postgres => format!("generate_series(1, {people}) AS n(i)"),
        _ => format!(
            "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {people}) \
             SELECT i FROM s) AS n"
        ),
    };
    let now = now_ms();
    conn.execute_unprepared(&format!(
        "INSERT INTO users (organisation_id, external_id, email, first_name, last_name, active, \
         role, sync_service_enrolled, created_at_ms, updated_at_ms) \
         SELECT {organisation_id}, 'D' || n.i, 'directory' || n.i || '@acme.example', 'Person', \
         'Number ' || n.i, TRUE, 'basic_user', FALSE, {now}, {now} FROM {numbers}"
    ))
    .await
    .unwrap();
    analyze(conn).await;
}

/// On PostgreSQL, the planner's figures brought up to date after a bulk load.
async fn analyze(conn: &DatabaseConnection) {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        conn.execute_unprepared("ANALYZE").await.unwrap();
    }
}

/// The alert history of every alerting run in the organisation's history: an event, its
/// message (sent when the run ended), a sent email per admin who receives alerts and a
/// webhook delivery (one in a hundred failed after ten tries), and the attempts. Written
/// in bulk as years of a worker's writes would have left them.
async fn add_alert_history(conn: &DatabaseConnection, organisation_id: i64) -> i64 {
    let alerting = "'needs_attention', 'data_load_failed', 'above_deactivation_threshold', \
                    'cancelled'";
    let statements = [
        format!(
            "INSERT INTO alert_events (organisation_id, configuration_id, run_id, kind, status, \
             created_at_ms) SELECT organisation_id, configuration_id, id, 'run', status, \
             COALESCE(finished_at_ms, queued_at_ms) FROM sync_runs \
             WHERE organisation_id = {organisation_id} AND status IN ({alerting}) \
             AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.run_id = sync_runs.id)"
        ),
        "INSERT INTO alert_messages (organisation_id, configuration_id, status, digest, \
         window_start_ms, send_at_ms, created_at_ms) SELECT organisation_id, configuration_id, \
         status, FALSE, created_at_ms, created_at_ms, created_at_ms FROM alert_events \
         WHERE message_id IS NULL"
            .to_string(),
        "UPDATE alert_events SET message_id = (SELECT m.id FROM alert_messages m \
         WHERE m.configuration_id = alert_events.configuration_id \
         AND m.status = alert_events.status AND m.digest = FALSE \
         AND m.window_start_ms = alert_events.created_at_ms) WHERE message_id IS NULL"
            .to_string(),
        format!(
            "INSERT INTO alert_deliveries (message_id, organisation_id, channel, recipient, \
             user_id, state, attempts, next_attempt_at_ms, sent_at_ms, created_at_ms) \
             SELECT m.id, m.organisation_id, 'email', u.email, u.id, 'sent', 1, m.send_at_ms, \
             m.send_at_ms, m.created_at_ms FROM alert_messages m JOIN users u \
             ON u.organisation_id = m.organisation_id \
             AND u.role IN ('organisation_admin', 'people_admin') \
             WHERE m.organisation_id = {organisation_id} AND m.send_at_ms < {now} \
             AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.message_id = m.id)",
            now = now_ms() - HOUR_MS,
        ),
        format!(
            "INSERT INTO alert_deliveries (message_id, organisation_id, channel, recipient, \
             state, attempts, next_attempt_at_ms, sent_at_ms, created_at_ms, last_error) \
             SELECT m.id, m.organisation_id, 'webhook', 'webhook', \
             CASE WHEN m.id % 100 = 0 THEN 'failed' ELSE 'sent' END, \
             CASE WHEN m.id % 100 = 0 THEN 10 ELSE 1 END, m.send_at_ms, \
             CASE WHEN m.id % 100 = 0 THEN NULL ELSE m.send_at_ms END, m.created_at_ms, \
             CASE WHEN m.id % 100 = 0 THEN 'the receiver answered 503' END \
             FROM alert_messages m WHERE m.organisation_id = {organisation_id} \
             AND m.send_at_ms < {now} AND NOT EXISTS (SELECT 1 FROM alert_deliveries d \
             WHERE d.message_id = m.id AND d.channel = 'webhook')",
            now = now_ms() - HOUR_MS,
        ),
        "INSERT INTO alert_attempts (delivery_id, at_ms, ok, error) \
         SELECT id, next_attempt_at_ms, state = 'sent', last_error FROM alert_deliveries \
         WHERE NOT EXISTS (SELECT 1 FROM alert_attempts a WHERE a.delivery_id = alert_deliveries.id)"
            .to_string(),
    ];
    for s in statements {
        conn.execute_unprepared(&s).await.unwrap();
        // PostgreSQL plans each bulk statement on what it knows of the tables the one
        // before filled.
        analyze(conn).await;
    }
    // Years of alerts have been vacuumed many times over; these were written a moment
    // ago, and the rows the bulk update replaced would otherwise still be in the way.
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        conn.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    }
    scalar(conn, "SELECT COUNT(*) FROM alert_events").await
}

/// Where the cases run: the database, the worker's senders, the organisation.
struct Bench {
    conn: DatabaseConnection,
    store: SeaStore,
    senders: deliver::Senders,
    settings: AlertSettings,
    organisation_id: i64,
    configuration_id: i64,
    /// Runs ended by the cases so far: each in an hour of its own, after the history.
    ended: i64,
}

/// Per case, its samples in milliseconds.
#[derive(Default)]
struct Figures {
    look: Vec<f64>,
    stale: Vec<f64>,
    place: Vec<f64>,
    send: Vec<f64>,
    details: Vec<f64>,
    metrics: Vec<f64>,
}

const CASES: [&str; 6] = [
    "worker look, nothing waiting",
    "staleness check, every configuration",
    "place one run's alert",
    "send it: emails and webhook",
    "run details: the run's alert",
    "/metrics: alert figures",
];

impl Figures {
    fn all(&mut self) -> [&mut Vec<f64>; 6] {
        [
            &mut self.look,
            &mut self.stale,
            &mut self.place,
            &mut self.send,
            &mut self.details,
            &mut self.metrics,
        ]
    }
}

fn ms(at: Instant) -> f64 {
    at.elapsed().as_secs_f64() * 1e3
}

impl Bench {
    /// Ends a new run of the configuration in Needs Attention, an hour after the last one
    /// (so its alert is the first of its hour, sent at once); returns its id.
    async fn end_a_run(&mut self) -> i64 {
        self.ended += 1;
        let at = now_ms() + self.ended * 2 * HOUR_MS;
        let (org, config) = (self.organisation_id, self.configuration_id);
        let id = scalar(
            &self.conn,
            &format!(
                "INSERT INTO sync_runs (organisation_id, configuration_id, status, queued_at_ms, \
                 started_at_ms, sort_at_ms, version, trigger) \
                 VALUES ({org}, {config}, 'queued', {at}, {at}, {at}, 1, 'scheduled') RETURNING id"
            ),
        )
        .await;
        self.conn
            .execute_unprepared(&format!(
                "UPDATE sync_runs SET status = 'needs_attention', finished_at_ms = {}, \
                 warnings = 2, version = version + 1 WHERE id = {id}",
                at + 60_000
            ))
            .await
            .unwrap();
        id
    }

    /// One sample of every case.
    async fn sample(&mut self, f: &mut Figures) {
        let t = Instant::now();
        let tried = worker::step(&self.conn, &self.senders, &self.settings, "bench", false)
            .await
            .unwrap();
        f.look.push(ms(t));
        assert_eq!(tried, 0, "nothing was waiting");

        let t = Instant::now();
        let changed = staleness::check(&self.conn, now_ms()).await.unwrap();
        f.stale.push(ms(t));
        assert_eq!(changed, 0, "no configuration went stale or recovered");

        let run = self.end_a_run().await;
        let t = Instant::now();
        let placed = outbox::place_events(&self.conn, true, now_ms(), 50)
            .await
            .unwrap();
        f.place.push(ms(t));
        assert_eq!(placed, 1);

        let t = Instant::now();
        let sent = deliver::send_due(
            &self.conn,
            &self.senders,
            &self.settings.timing,
            "bench",
            now_ms,
            50,
        )
        .await
        .unwrap();
        f.send.push(ms(t));

        let t = Instant::now();
        let (alert, _) = self.store.run_alert(run).await.unwrap();
        f.details.push(ms(t));
        match alert {
            RunAlert::Message { email, webhook, .. } => {
                assert_eq!(email.sent as usize + webhook.sent as usize, sent);
                assert_eq!((email.failed, email.pending, webhook.sent), (0, 0, 1));
            }
            other => panic!("the run's alert was not sent: {other:?}"),
        }

        let t = Instant::now();
        let mut registry = prometheus_client::registry::Registry::default();
        metrics::AlertFigures::read(&self.conn)
            .await
            .unwrap()
            .register(&mut registry);
        let text = metrics::text(&registry);
        f.metrics.push(ms(t));
        assert!(text.contains("up_alert_events_waiting 0"), "{text}");
    }
}

async fn run(label: &str, url: &str, runs: u64, people: u64, samples: usize, timed: bool) -> usize {
    let started = Instant::now();
    let mut conn = db::connect(url).await.unwrap();
    let history = history::generate(&conn, runs, Utc::now()).await;
    let org = history.organisation_id;
    add_directory(&conn, org, people).await;
    let configuration_id = scalar(
        &conn,
        &format!(
            "SELECT MIN(configuration_id) FROM sync_runs WHERE organisation_id = {org} \
             AND status = 'in_progress'"
        ),
    )
    .await;
    // Every statement the cases send, for the plans.
    let sent: Arc<Mutex<Vec<Statement>>> = Arc::default();
    {
        let sent = sent.clone();
        conn.set_metric_callback(move |info| sent.lock().unwrap().push(info.statement.clone()));
    }
    let hook = webhook_sink().await;
    std::env::set_var("UP_BENCH_HOOK_SECRET", "bench-secret");
    conn.execute_unprepared(&format!(
        "INSERT INTO alert_webhooks (organisation_id, url, secret_ref, updated_at_ms) \
         VALUES ({org}, '{hook}', 'env:UP_BENCH_HOOK_SECRET', 0)"
    ))
    .await
    .unwrap();
    let smtp = SmtpSettings::parse(
        &format!("smtp://127.0.0.1:{}", smtp_sink().await),
        None,
        Some("Alerts <alerts@bench.example>"),
    )
    .unwrap();
    let settings = AlertSettings {
        smtp: Some(smtp),
        public_url: "https://provisioning.example".into(),
        timing: Timing::default(),
    };
    let senders = worker::senders(&settings).unwrap();
    assert!(senders.mailer.as_ref().map(|_: &Mailer| ()).is_some());
    let mut bench = Bench {
        store: SeaStore::new(conn.clone()).with_email_alerts(true),
        conn: conn.clone(),
        senders,
        settings,
        organisation_id: org,
        configuration_id,
        ended: 0,
    };
    // Whatever the seeded data starts with (a stale configuration, say) is sent first.
    staleness::check(&conn, now_ms()).await.unwrap();
    worker::step(&conn, &bench.senders, &bench.settings, "bench", false)
        .await
        .unwrap();
    let admins = scalar(
        &conn,
        &format!(
            "SELECT COUNT(*) FROM {} AND u.organisation_id = {org}",
            outbox::RECIPIENTS
        ),
    )
    .await;
    println!(
        "{label}: {} runs, {} directory users, {admins} admins receive alerts; made in {:.0} s",
        history.ids.len(),
        people,
        started.elapsed().as_secs_f64()
    );

    let mut before = Figures::default();
    for _ in 0..samples {
        bench.sample(&mut before).await;
    }
    let t = Instant::now();
    let events = add_alert_history(&conn, org).await;
    let deliveries = scalar(&conn, "SELECT COUNT(*) FROM alert_deliveries").await;
    println!(
        "{label}: alert history of {events} events, {deliveries} deliveries added in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    sent.lock().unwrap().clear();
    let mut after = Figures::default();
    for _ in 0..samples {
        bench.sample(&mut after).await;
    }

    if !timed {
        let statements = std::mem::take(&mut *sent.lock().unwrap());
        let mut seen = std::collections::BTreeMap::new();
        for s in statements {
            // The staleness check reads every configuration by design (a row each, once a
            // minute); its runs are the newest of a configuration and status, found at the
            // end of an index. Its time is in the table.
            if s.sql.contains("LEFT JOIN alert_staleness") {
                continue;
            }
            if s.sql.contains("alert_") || s.sql.contains("users u") {
                seen.entry(s.sql.clone()).or_insert(s);
            }
        }
        plans::check_at_least(&conn, seen.into_values().collect(), 10).await;
        return 0;
    }
    println!(
        "{:<38} {:>22} {:>22} {:>9}",
        "case (ms)", "no alert history", "with the history", "ratio"
    );
    println!(
        "{:<38} {:>22} {:>22} {:>9}",
        "", "p50 / p99", "p50 / p99", "p50"
    );
    let mut missed = 0;
    for ((case, b), a) in CASES.iter().zip(before.all()).zip(after.all()) {
        let (b50, b99) = p50_p99(b);
        let (a50, a99) = p50_p99(a);
        let ratio = a50 / b50;
        let met = ratio <= 1.5;
        missed += usize::from(!met);
        println!(
            "{case:<38} {:>22} {:>22} {:>8.2}{}",
            format!("{b50:.2} / {b99:.2}"),
            format!("{a50:.2} / {a99:.2}"),
            ratio,
            if met { "" } else { " MISSED" }
        );
    }
    println!("{:<38} target: each ratio ≤ 1.5 at p50", "");
    missed
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo bench` passes --bench; `cargo test` does not: then a small, untimed run.
    let timed = std::env::args().any(|a| a == "--bench");
    let runs = env_number("UP_BENCH_RUNS", if timed { 500_000 } else { 2_000 });
    let people = env_number("UP_BENCH_USERS", if timed { 100_000 } else { 2_000 });
    let samples = env_number("UP_BENCH_SAMPLES", if timed { 200 } else { 3 }) as usize;
    let dir = tempfile::tempdir().unwrap();
    let mut missed = run(
        "SQLite",
        &format!("sqlite://{}/alerts.db?mode=rwc", dir.path().display()),
        runs,
        people,
        samples,
        timed,
    )
    .await;
    let admin_url = std::env::var("UP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    match Database::connect(&admin_url).await {
        Ok(admin) => {
            let name = format!("up_alerts_{}", std::process::id());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
            missed += run("PostgreSQL", &url, runs, people, samples, timed).await;
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
