//! Prometheus metrics at `/metrics`, in the OpenMetrics text format, through the
//! `prometheus-client` crate (the Prometheus project's own Rust client: typed label sets,
//! no global recorder to install).
//!
//! Runs by status and source and the queue's depth are read from the database when scraped
//! (the same for every server sharing it; the per-day counts make this a small sum). Run
//! durations and HTTP requests are counted by this process, so a scrape of each server
//! gives its own share, as Prometheus expects.

use app::domain::{RunStatus, SourceKind};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::{
    counter::Counter, family::Family, gauge::Gauge, histogram::Histogram,
};
use prometheus_client::registry::Registry;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use std::sync::{Mutex, OnceLock};

/// The content type of the answer.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds (seconds) of the run-duration histogram's buckets.
const DURATION_BUCKETS: [f64; 10] = [
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    source: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    channel: &'static str,
    state: &'static str,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// What this process counts.
pub struct Metrics {
    http: Family<RequestLabels, Counter>,
    runs: Family<RunLabels, Histogram, fn() -> Histogram>,
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| Metrics {
        http: Family::default(),
        runs: Family::new_with_constructor(duration_histogram),
    })
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
    pub fn count_request(&self, route: &'static str, code: u16) {
        self.http
            .get_or_create(&RequestLabels { route, code })
            .inc();
    }

    pub fn observe_run(&self, source: SourceKind, status: RunStatus, seconds: f64) {
        let labels = RunLabels {
            source: source.slug(),
            status: status.slug(),
        };
        self.runs.get_or_create(&labels).observe(seconds);
    }

    /// Adds this process's counters to a scrape.
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "up_http_requests",
            "HTTP requests answered by this server, by route and status code",
            self.http.clone(),
        );
        registry.register(
            "up_sync_run_duration_seconds",
            "How long runs took, from start to end, for runs this process executed",
            self.runs.clone(),
        );
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
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "A bearer token is required.",
            )
                .into_response();
        }
    }
    match figures.metrics().await {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
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
    static CACHE: Mutex<Option<(std::time::Instant, DatabaseFigures)>> = Mutex::new(None);
    let cached = CACHE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .filter(|(at, _)| at.elapsed() < std::time::Duration::from_secs(5))
        .map(|(_, figures)| figures.clone());
    let figures = match cached {
        Some(figures) => figures,
        None => {
            let figures = DatabaseFigures::read(db).await?;
            *CACHE.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((std::time::Instant::now(), figures.clone()));
            figures
        }
    };
    let mut registry = Registry::default();
    figures.register(&mut registry);
    global().register(&mut registry);
    Ok(text(&registry))
}

/// A registry in the exposition format.
pub fn text(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, registry);
    out
}

/// What the database says, for every server alike.
#[derive(Clone)]
struct DatabaseFigures {
    runs: Family<RunLabels, Gauge>,
    queue: Gauge,
    alerts: AlertFigures,
}

impl DatabaseFigures {
    /// Runs by source and status, the queue, and alert deliveries, as the database has them.
    async fn read(db: &DatabaseConnection) -> Result<Self, DbErr> {
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
        let runs = Family::<RunLabels, Gauge>::default();
        // Every pair is shown, those without runs as 0.
        for source in SourceKind::ALL {
            for status in RunStatus::ALL {
                let labels = RunLabels {
                    source: source.slug(),
                    status: status.slug(),
                };
                runs.get_or_create(&labels).set(0);
            }
        }
        for row in &rows {
            let source: String = row.try_get("", "source")?;
            let Some(source) = SourceKind::ALL.into_iter().find(|k| k.slug() == source) else {
                continue;
            };
            for status in RunStatus::ALL {
                let n: i64 = row.try_get::<Option<i64>>("", status.slug())?.unwrap_or(0);
                let labels = RunLabels {
                    source: source.slug(),
                    status: status.slug(),
                };
                runs.get_or_create(&labels).inc_by(n);
            }
        }
        let queued = count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM sync_runs WHERE status = '{}'",
                RunStatus::Queued.slug()
            ),
        )
        .await?;
        let queue = Gauge::default();
        queue.set(queued);
        Ok(DatabaseFigures {
            runs,
            queue,
            alerts: AlertFigures::read(db).await?,
        })
    }

    fn register(&self, registry: &mut Registry) {
        registry.register(
            "up_sync_runs",
            "Sync runs recorded, by source and status (all organisations)",
            self.runs.clone(),
        );
        registry.register(
            "up_sync_queue_depth",
            "Runs waiting to start",
            self.queue.clone(),
        );
        self.alerts.register(registry);
    }
}

/// Alert deliveries by channel and state (sent, pending, failed, dropped), and events not
/// yet given a message. The counts are kept by triggers
/// (`db::migrations::m0014_alert_counts`): a scrape reads a few rows however many alerts
/// were ever sent.
#[derive(Clone)]
pub struct AlertFigures {
    deliveries: Family<DeliveryLabels, Gauge>,
    waiting: Gauge,
}

impl AlertFigures {
    pub async fn read(db: &DatabaseConnection) -> Result<Self, DbErr> {
        const CHANNELS: [&str; 2] = ["email", "webhook"];
        const STATES: [&str; 4] = ["sent", "pending", "failed", "dropped"];
        let rows = db
            .query_all(Statement::from_string(
                db.get_database_backend(),
                "SELECT channel, state, n FROM alert_delivery_counts",
            ))
            .await?;
        let deliveries = Family::<DeliveryLabels, Gauge>::default();
        for channel in CHANNELS {
            for state in STATES {
                deliveries
                    .get_or_create(&DeliveryLabels { channel, state })
                    .set(0);
            }
        }
        for row in &rows {
            let channel: String = row.try_get("", "channel")?;
            let state: String = row.try_get("", "state")?;
            let (Some(channel), Some(state)) = (
                CHANNELS.into_iter().find(|c| *c == channel),
                STATES.into_iter().find(|s| *s == state),
            ) else {
                continue;
            };
            let n: i64 = row.try_get("", "n")?;
            deliveries
                .get_or_create(&DeliveryLabels { channel, state })
                .inc_by(n);
        }
        let waiting = Gauge::default();
        waiting.set(
            count(
                db,
                "SELECT COUNT(*) AS n FROM alert_events WHERE message_id IS NULL",
            )
            .await?,
        );
        Ok(AlertFigures {
            deliveries,
            waiting,
        })
    }

    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "up_alert_deliveries",
            "Alert deliveries by channel and state: sent, pending (due or waiting to retry), failed (given up) and dropped (the admin stopped receiving alerts before it went out)",
            self.deliveries.clone(),
        );
        registry.register(
            "up_alert_events_waiting",
            "Alert events not yet turned into messages",
            self.waiting.clone(),
        );
    }
}

/// The `n` of a statement that counts.
async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64, DbErr> {
    Ok(db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
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
    fn runs_are_counted_in_their_buckets() {
        let metrics = Metrics {
            http: Family::default(),
            runs: Family::new_with_constructor(duration_histogram),
        };
        for seconds in [0.5, 4.0, 4000.0] {
            metrics.observe_run(SourceKind::Sftp, RunStatus::Success, seconds);
        }
        metrics.count_request("poll_sync_runs", 200);
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        let text = text(&registry);
        for line in [
            "up_sync_run_duration_seconds_bucket{le=\"1.0\",source=\"sftp\",status=\"success\"} 1",
            "up_sync_run_duration_seconds_bucket{le=\"5.0\",source=\"sftp\",status=\"success\"} 2",
            "up_sync_run_duration_seconds_bucket{le=\"3600.0\",source=\"sftp\",status=\"success\"} 2",
            "up_sync_run_duration_seconds_count{source=\"sftp\",status=\"success\"} 3",
            "up_sync_run_duration_seconds_sum{source=\"sftp\",status=\"success\"} 4004.5",
            "up_http_requests_total{route=\"poll_sync_runs\",code=\"200\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
