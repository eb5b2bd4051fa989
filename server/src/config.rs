//! Settings from the environment, with defaults that work on a fresh machine.

use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://…` (default, under `./data/`) or `postgres://…`.
    pub database_url: String,
    /// Where the server listens; `UP_ADDR`, else cargo-leptos's `LEPTOS_SITE_ADDR`, else 127.0.0.1:3000.
    pub addr: Option<SocketAddr>,
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
        Ok(Self { database_url, addr })
    }
}

/// The database URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
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
            super::redact_url("sqlite://data/x.db"),
            "sqlite://data/x.db"
        );
    }
}
