//! Prometheus metrics at `/metrics`, in the text exposition format.
//!
//! Runs by status and source and the queue's depth are read from the database when scraped
//! (the same for every server sharing it; the per-day counts make this a small sum). Run
//! durations and HTTP requests are counted by this process, so a scrape of each server
//! gives its own share, as Prometheus expects.

use app::domain::{RunStatus, SourceKind};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};

/// Upper bounds (seconds) of the run-duration histogram's buckets.
const DURATION_BUCKETS: [f64; 10] = [
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// What this process counts.
#[derive(Default)]
pub struct Metrics {
    /// (route, status code) → requests.
    http: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// (source, status) → run-duration histogram.
    runs: Mutex<BTreeMap<(&'static str, &'static str), Histogram>>,
}

#[derive(Default, Clone)]
struct Histogram {
    buckets: [u64; DURATION_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, value: f64) {
        for (bucket, bound) in self.buckets.iter_mut().zip(DURATION_BUCKETS) {
            if value <= bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum += value;
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

/// The route a request is counted under: a server function's name, or the kind of thing
/// asked for. Only known names become labels, so a scan of random paths cannot blow up
/// the number of series.
pub fn route_of(path: &str) -> &'static str {
    // Every server function the app registers is a route of its own, read from the
    // framework's registry rather than a list kept by hand.
    static FUNCTIONS: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let functions = FUNCTIONS.get_or_init(|| {
        leptos::server_fn::axum::server_fn_paths()
            .filter_map(|(path, _)| path.strip_prefix("/api/"))
            .collect()
    });
    if let Some(name) = path.strip_prefix("/api/") {
        if name.starts_with("runs/") {
            return "log_file";
        }
        return functions.get(name).copied().unwrap_or("other_api");
    }
    match path {
        "/healthz" | "/readyz" => "health",
        "/metrics" => "metrics",
        p if p.starts_with("/pkg/")
            || p.starts_with("/log-writer/")
            || p.starts_with("/favicon.") =>
        {
            "asset"
        }
        _ => "page",
    }
}

impl Metrics {
    pub fn count_request(&self, route: &'static str, status: u16) {
        let mut http = self.http.lock().unwrap_or_else(|e| e.into_inner());
        *http.entry((route, status)).or_default() += 1;
    }

    pub fn observe_run(&self, source: SourceKind, status: RunStatus, seconds: f64) {
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.entry((source.slug(), status.slug()))
            .or_default()
            .observe(seconds);
    }

    /// This process's counters, in the exposition format.
    fn write_process(&self, out: &mut String) {
        let http = self.http.lock().unwrap_or_else(|e| e.into_inner()).clone();
        out.push_str("# HELP up_http_requests_total HTTP requests answered by this server, by route and status code.\n");
        out.push_str("# TYPE up_http_requests_total counter\n");
        for ((route, status), n) in &http {
            let _ = writeln!(
                out,
                "up_http_requests_total{{route=\"{route}\",code=\"{status}\"}} {n}"
            );
        }
        let runs = self.runs.lock().unwrap_or_else(|e| e.into_inner()).clone();
        out.push_str("# HELP up_sync_run_duration_seconds How long runs took, from start to end, for runs this process executed.\n");
        out.push_str("# TYPE up_sync_run_duration_seconds histogram\n");
        for ((source, status), h) in &runs {
            let labels = format!("source=\"{source}\",status=\"{status}\"");
            for (bound, n) in DURATION_BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(
                    out,
                    "up_sync_run_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "up_sync_run_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "up_sync_run_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "up_sync_run_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
    }
}

/// The `/metrics` answer: the figures, or 401 without the configured bearer token, or 503
/// (with the reason in the log) when the database does not answer.
pub async fn answer(
    figures: &dyn app::ports::HealthStore,
    token: Option<&str>,
    headers: &http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use http::{header, StatusCode};
    if let Some(token) = token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
            return (StatusCode::UNAUTHORIZED, "A bearer token is required.").into_response();
        }
    }
    match figures.metrics().await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "metrics not available");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "Metrics are not available.",
            )
                .into_response()
        }
    }
}

/// Compares without stopping at the first difference, so timing tells nothing of the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Everything, for one scrape: the database's figures, then this process's.
pub async fn render(db: &DatabaseConnection) -> Result<String, DbErr> {
    // The database's figures are shared by every scraper: read them at most every 5 s.
    static CACHE: Mutex<Option<(std::time::Instant, String)>> = Mutex::new(None);
    let cached = CACHE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .filter(|(at, _)| at.elapsed() < std::time::Duration::from_secs(5))
        .map(|(_, text)| text.clone());
    let mut out = match cached {
        Some(text) => text,
        None => {
            let text = database_figures(db).await?;
            *CACHE.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((std::time::Instant::now(), text.clone()));
            text
        }
    };
    global().write_process(&mut out);
    Ok(out)
}

/// Runs by source and status, and the queue, as the database has them.
async fn database_figures(db: &DatabaseConnection) -> Result<String, DbErr> {
    let mut out = String::new();
    let sums: Vec<String> = RunStatus::ALL
        .iter()
        // SUM over BIGINT is NUMERIC on PostgreSQL: cast it back for one reading on both.
        .map(|s| format!("CAST(SUM(d.{0}) AS BIGINT) AS {0}", s.slug()))
        .collect();
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT c.source_kind AS source, {} FROM sync_run_days d \
                 JOIN sync_configurations c ON c.id = d.configuration_id GROUP BY c.source_kind",
                sums.join(", ")
            ),
        ))
        .await?;
    let mut by: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for row in &rows {
        let source: String = row.try_get("", "source")?;
        let Some(source) = SourceKind::ALL.into_iter().find(|k| k.slug() == source) else {
            continue;
        };
        for status in RunStatus::ALL {
            let n: i64 = row.try_get::<Option<i64>>("", status.slug())?.unwrap_or(0);
            *by.entry((source.slug(), status.slug())).or_default() += n;
        }
    }
    out.push_str(
        "# HELP up_sync_runs Sync runs recorded, by source and status (all organisations).\n",
    );
    out.push_str("# TYPE up_sync_runs gauge\n");
    for source in SourceKind::ALL {
        for status in RunStatus::ALL {
            let n = by
                .get(&(source.slug(), status.slug()))
                .copied()
                .unwrap_or(0);
            let _ = writeln!(
                out,
                "up_sync_runs{{source=\"{}\",status=\"{}\"}} {n}",
                source.slug(),
                status.slug()
            );
        }
    }
    let queue = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM sync_runs WHERE status = 'queued'",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    out.push_str("# HELP up_sync_queue_depth Runs waiting to start.\n");
    out.push_str("# TYPE up_sync_queue_depth gauge\n");
    let _ = writeln!(out, "up_sync_queue_depth {queue}");
    alert_figures(db, &mut out).await?;
    Ok(out)
}

/// Alert deliveries by channel and state (sent, pending, failed), and events not yet
/// given a message. The counts are kept by triggers (`db::migrations::m0014_alert_counts`): a scrape reads a
/// few rows however many alerts were ever sent.
pub async fn alert_figures(db: &DatabaseConnection, out: &mut String) -> Result<(), DbErr> {
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT channel, state, n FROM alert_delivery_counts",
        ))
        .await?;
    let mut by: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in &rows {
        by.insert(
            (row.try_get("", "channel")?, row.try_get("", "state")?),
            row.try_get("", "n")?,
        );
    }
    out.push_str("# HELP up_alert_deliveries Alert deliveries by channel and state: sent, pending (due or waiting to retry), failed (given up) and dropped (the admin stopped receiving alerts before it went out).\n");
    out.push_str("# TYPE up_alert_deliveries gauge\n");
    for channel in ["email", "webhook"] {
        for state in ["sent", "pending", "failed", "dropped"] {
            let n = by
                .get(&(channel.to_string(), state.to_string()))
                .copied()
                .unwrap_or(0);
            let _ = writeln!(
                out,
                "up_alert_deliveries{{channel=\"{channel}\",state=\"{state}\"}} {n}"
            );
        }
    }
    let waiting = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM alert_events WHERE message_id IS NULL",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    out.push_str("# HELP up_alert_events_waiting Alert events not yet turned into messages.\n");
    out.push_str("# TYPE up_alert_events_waiting gauge\n");
    let _ = writeln!(out, "up_alert_events_waiting {waiting}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_a_closed_set() {
        assert_eq!(route_of("/api/poll_sync_runs"), "poll_sync_runs");
        // Every server function, those added later too.
        for name in [
            "sync_runs_chart",
            "find_person",
            "person_pulse",
            "start_person_download",
        ] {
            assert_eq!(route_of(&format!("/api/{name}")), name);
        }
        assert_eq!(route_of("/log-writer/worker.js"), "asset");
        assert_eq!(route_of("/favicon.svg"), "asset");
        assert_eq!(route_of("/api/runs/7/logs.csv"), "log_file");
        assert_eq!(route_of("/api/whatever-12345"), "other_api");
        assert_eq!(route_of("/admin/user-provisioning/runs/9"), "page");
        assert_eq!(route_of("/pkg/user-provisioning.wasm"), "asset");
        assert_eq!(route_of("/readyz"), "health");
    }

    /// Figures without a database: only the bearer-token check is under test here.
    struct Figures;

    #[async_trait::async_trait]
    impl app::ports::HealthStore for Figures {
        async fn ready(&self) -> Result<(), app::ports::StoreError> {
            Ok(())
        }
        async fn metrics(&self) -> Result<String, app::ports::StoreError> {
            Ok("up_sync_queue_depth 0\n".into())
        }
    }

    #[tokio::test]
    async fn a_configured_token_is_required() {
        let mut headers = http::HeaderMap::new();
        let status = |h: http::HeaderMap, token: Option<&'static str>| async move {
            answer(&Figures, token, &h).await.status().as_u16()
        };
        assert_eq!(
            status(headers.clone(), None).await,
            200,
            "open without a token"
        );
        assert_eq!(status(headers.clone(), Some("s3cret")).await, 401);
        headers.insert("authorization", "Bearer wrong".parse().unwrap());
        assert_eq!(status(headers.clone(), Some("s3cret")).await, 401);
        headers.insert("authorization", "Bearer s3cret".parse().unwrap());
        assert_eq!(status(headers, Some("s3cret")).await, 200);
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = Histogram::default();
        for v in [0.5, 4.0, 4000.0] {
            h.observe(v);
        }
        assert_eq!(h.buckets[0], 1, "≤ 1 s");
        assert_eq!(h.buckets[1], 2, "≤ 5 s");
        assert_eq!(h.buckets[DURATION_BUCKETS.len() - 1], 2, "≤ 1 h");
        assert_eq!(h.count, 3);
        assert_eq!(h.sum, 4004.5);
    }
}
