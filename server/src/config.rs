//! Settings, in one place: each is an environment variable (and a command-line option of
//! the same meaning), read and checked by clap, with defaults that work on a fresh machine.
//! `server --help` lists them all, with their defaults and ranges; they may be given before
//! or after the command (`server serve --workers 0`).

use clap::{value_parser, Args};
use std::net::SocketAddr;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/user-provisioning.db?mode=rwc";

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// The database: sqlite://… (the default, a file under ./data/) or postgres://….
    #[arg(long, global = true, env = "DATABASE_URL", value_name = "URL", default_value = DEFAULT_DATABASE_URL,
          hide_env_values = true)]
    pub database_url: String,
    /// Where the server listens; else cargo-leptos's LEPTOS_SITE_ADDR, else 127.0.0.1:3000.
    #[arg(long, global = true, env = "UP_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,
    /// Database connections at most (unset: 8 on SQLite, 20 on PostgreSQL); requests beyond
    /// them wait in line.
    #[arg(long, global = true, env = "UP_DB_CONNECTIONS", value_name = "N", value_parser = value_parser!(u32).range(1..=1_000))]
    pub db_connections: Option<u32>,
    /// How long a request waits for a database connection before it is told the server is
    /// busy, in milliseconds.
    #[arg(long, global = true, env = "UP_DB_WAIT_MS", value_name = "MS", default_value_t = 20_000,
          value_parser = value_parser!(u64).range(1..=600_000))]
    pub db_wait_ms: u64,
    #[command(flatten)]
    pub workers: Workers,
    #[command(flatten)]
    pub alerts: crate::alerts::AlertEnv,
    #[command(flatten)]
    pub web: WebSettings,
}

/// What the web layer and the logs need.
#[derive(Debug, Clone, Default, Args)]
pub struct WebSettings {
    /// When set, /metrics asks for `Authorization: Bearer <token>`.
    #[arg(
        long,
        global = true,
        env = "UP_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    /// Marks the session cookie Secure always (it is marked anyway when a proxy sends
    /// X-Forwarded-Proto: https).
    #[arg(long, global = true, env = "UP_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Log lines as text, or as JSON objects, one per line (the filter is RUST_LOG's).
    #[arg(
        long,
        global = true,
        env = "LOG_FORMAT",
        value_name = "FORMAT",
        value_enum,
        default_value_t
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// How this process runs syncs.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct Workers {
    /// Sync workers inside `serve` (0 leaves syncs to `worker` processes).
    #[arg(global = true, long = "workers", env = "UP_WORKERS", value_name = "N", default_value_t = 1,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=64))]
    pub in_server: usize,
    /// How often an idle worker looks for queued runs, in milliseconds.
    #[arg(global = true, long = "worker-poll-ms", env = "UP_WORKER_POLL_MS", value_name = "MS", default_value_t = 2_000,
          value_parser = value_parser!(u64).range(50..=600_000))]
    pub poll_ms: u64,
    /// A running run without a heartbeat for this many seconds is cancelled.
    #[arg(global = true, long = "worker-stale-secs", env = "UP_WORKER_STALE_SECS", value_name = "SECS", default_value_t = 60,
          value_parser = value_parser!(u64).range(2..=86_400))]
    pub stale_secs: u64,
    /// How often a running run's heartbeat is written, in milliseconds.
    #[arg(global = true, long = "worker-heartbeat-ms", env = "UP_WORKER_HEARTBEAT_MS", value_name = "MS", default_value_t = 2_000,
          value_parser = value_parser!(u64).range(100..=60_000))]
    pub heartbeat_ms: u64,
    /// At shutdown, how many seconds a running sync may take to finish before it is
    /// abandoned (abandoned runs end Cancelled, nothing applied).
    #[arg(global = true, long = "shutdown-grace-secs", env = "UP_SHUTDOWN_GRACE_SECS", value_name = "SECS", default_value_t = 10,
          value_parser = value_parser!(u64).range(0..=3_600))]
    pub shutdown_grace_secs: u64,
    /// Crash tests only: pause inside the apply transaction, in milliseconds.
    #[arg(global = true, long = "fault-pause-in-apply-ms", env = "UP_FAULT_PAUSE_IN_APPLY_MS", value_name = "MS", hide = true,
          value_parser = value_parser!(u64).range(0..=3_600_000))]
    pub pause_in_apply_ms: Option<u64>,
}

/// What no single setting can check, found wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Shown redacted: the URL may hold a password.
    #[error("DATABASE_URL \"{0}\" must start with sqlite:, postgres:// or postgresql://")]
    DatabaseKind(String),
    #[error("UP_METRICS_TOKEN is empty: unset it to leave /metrics open, or give a token")]
    EmptyMetricsToken,
    #[error("UP_WORKER_STALE_SECS ({stale_secs}) must be at least three heartbeats (UP_WORKER_HEARTBEAT_MS = {heartbeat_ms}), or live runs would be cancelled")]
    StaleWithinHeartbeats { stale_secs: u64, heartbeat_ms: u64 },
}

impl Settings {
    /// What no single setting can check: the database's kind, and settings that
    /// contradict each other.
    pub fn check(&self) -> Result<(), ConfigError> {
        let url = &self.database_url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::DatabaseKind(redact_url(url)));
        }
        if self
            .web
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return Err(ConfigError::EmptyMetricsToken);
        }
        let Workers {
            stale_secs,
            heartbeat_ms,
            ..
        } = self.workers;
        if stale_secs * 1000 < 3 * heartbeat_ms {
            return Err(ConfigError::StaleWithinHeartbeats {
                stale_secs,
                heartbeat_ms,
            });
        }
        Ok(())
    }

    pub fn pool(&self) -> crate::db::Pool {
        crate::db::Pool {
            connections: self.db_connections,
            wait: std::time::Duration::from_millis(self.db_wait_ms),
        }
    }
}

/// The database URL without its password (in the authority or as a query parameter), for logs.
pub fn redact_url(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((base, q)) => (base, Some(q)),
        None => (url, None),
    };
    let query = query.map(|q| {
        q.split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=********"),
                _ => kv.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    let base = redact_authority(url);
    match query {
        Some(q) => format!("{base}?{q}"),
        None => base,
    }
}

fn redact_authority(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: super::Settings,
    }

    fn read(args: &[&str]) -> Result<super::Settings, String> {
        let cli = Cli::try_parse_from(std::iter::once("server").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.settings.check().map_err(|e| e.to_string())?;
        Ok(cli.settings)
    }

    #[test]
    fn settings_are_checked_one_by_one_and_together() {
        let defaults = read(&[]).unwrap();
        assert_eq!(defaults.workers.in_server, 1);
        assert_eq!(defaults.pool().connections, None);
        let wrong = |args: &[&str], said: &str| {
            let e = read(args).unwrap_err();
            assert!(e.contains(said), "{args:?}: {e}");
        };
        wrong(
            &["--database-url", "mysql://u:pwSECRET@h/db"],
            "\"mysql://u@h/db\" must start with sqlite:",
        );
        wrong(&["--metrics-token", " "], "UP_METRICS_TOKEN is empty");
        wrong(&["--worker-stale-secs", "1"], "1 is not in 2..=86400");
        wrong(&["--workers", "x"], "invalid digit");
        wrong(&["--addr", "localhost"], "invalid socket address");
        wrong(
            &["--worker-stale-secs", "2", "--worker-heartbeat-ms", "1000"],
            "at least three heartbeats",
        );
        let set = read(&["--db-connections", "4", "--workers", "0"]).unwrap();
        assert_eq!(
            (set.pool().connections, set.workers.in_server),
            (Some(4), 0)
        );
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u@h:5432/db"
        );
        assert_eq!(
            super::redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(
            super::redact_url("sqlite://data/x.db?mode=rwc"),
            "sqlite://data/x.db?mode=rwc"
        );
        assert_eq!(
            super::redact_url("postgres://h/db?user=u&password=secret&sslmode=require"),
            "postgres://h/db?user=u&password=********&sslmode=require"
        );
    }
}
