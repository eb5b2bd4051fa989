//! Settings from the environment, with defaults that work on a fresh machine.

use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://…` (default, under `./data/`) or `postgres://…`.
    pub database_url: String,
    /// Where the server listens; `UP_ADDR`, else cargo-leptos's `LEPTOS_SITE_ADDR`, else 127.0.0.1:3000.
    pub addr: Option<SocketAddr>,
    pub workers: Workers,
    pub pool: crate::db::Pool,
}

/// How this process runs syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workers {
    /// Workers inside `serve` (`UP_WORKERS`, default 1; 0 leaves syncs to `worker` processes).
    pub in_server: usize,
    /// How often an idle worker looks for queued runs (`UP_WORKER_POLL_MS`).
    pub poll_ms: u64,
    /// A running run without a heartbeat for this long is cancelled (`UP_WORKER_STALE_SECS`).
    pub stale_secs: u64,
    /// How often a running run's heartbeat is written (`UP_WORKER_HEARTBEAT_MS`).
    pub heartbeat_ms: u64,
    /// At shutdown, how long a running sync may take to finish before it is abandoned
    /// (`UP_SHUTDOWN_GRACE_SECS`, default 10; abandoned runs end Cancelled, nothing applied).
    pub shutdown_grace_secs: u64,
    /// Crash tests only: pause inside the apply transaction (`UP_FAULT_PAUSE_IN_APPLY_MS`).
    pub pause_in_apply_ms: Option<u64>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/user-provisioning.db?mode=rwc";

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        let database_url =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_string());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(
                "DATABASE_URL must start with sqlite:, postgres:// or postgresql://".into(),
            );
        }
        let addr =
            match std::env::var("UP_ADDR") {
                Ok(a) => Some(a.parse().map_err(|_| {
                    format!("UP_ADDR \"{a}\" is not an address like 127.0.0.1:3000")
                })?),
                Err(_) => None,
            };
        let stale_secs = number("UP_WORKER_STALE_SECS", 60, 2..=86_400)?;
        let heartbeat_ms = number("UP_WORKER_HEARTBEAT_MS", 2000, 100..=60_000)?;
        if stale_secs * 1000 < 3 * heartbeat_ms {
            return Err(format!(
                "UP_WORKER_STALE_SECS ({stale_secs}) must be at least three heartbeats (UP_WORKER_HEARTBEAT_MS = {heartbeat_ms}), or live runs would be cancelled"
            ));
        }
        let pool = crate::db::Pool {
            connections: std::env::var("UP_DB_CONNECTIONS")
                .ok()
                .map(|_| number("UP_DB_CONNECTIONS", 0, 1..=1_000))
                .transpose()?
                .map(|n| n as u32),
            wait: std::time::Duration::from_millis(number("UP_DB_WAIT_MS", 20_000, 1..=600_000)?),
        };
        Ok(Self {
            database_url,
            addr,
            pool,
            workers: Workers {
                in_server: number("UP_WORKERS", 1, 0..=64)? as usize,
                poll_ms: number("UP_WORKER_POLL_MS", 2000, 50..=600_000)?,
                stale_secs,
                heartbeat_ms,
                shutdown_grace_secs: number("UP_SHUTDOWN_GRACE_SECS", 10, 0..=3_600)?,
                pause_in_apply_ms: std::env::var("UP_FAULT_PAUSE_IN_APPLY_MS")
                    .ok()
                    .map(|_| number("UP_FAULT_PAUSE_IN_APPLY_MS", 0, 0..=3_600_000))
                    .transpose()?,
            },
        })
    }
}

fn number(name: &str, default: u64, range: std::ops::RangeInclusive<u64>) -> Result<u64, String> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => whole_number(name, &v, range),
    }
}

/// The setting `name`'s value `v` as a whole number within `range`, or what is wrong.
pub fn whole_number(
    name: &str,
    v: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, String> {
    v.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            format!(
                "{name} \"{v}\" must be a whole number from {} to {}",
                range.start(),
                range.end()
            )
        })
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
