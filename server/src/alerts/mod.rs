//! Alerts: admins hear about a sync that needs them, by email and by webhook, once.
//!
//! A run's end writes an event in its own transaction (`db::migrations::m0013_alert_outbox`); the alert
//! worker ([`worker::run`]) gives each event a message ([`outbox`]: a message of its own,
//! or a share of the hour's digest for its configuration and status, so that a flapping
//! sync sends one message an hour), notices configurations that went stale or recovered
//! ([`staleness`]), and sends what is due ([`deliver`]), retrying with back-off for a day.
//! What a message says is read from the database by [`load`] and written by [`content`];
//! how it travels, by [`channels`].

pub mod channels;
pub mod content;
pub mod deliver;
pub mod lease;
pub mod load;
pub mod outbox;
pub mod staleness;
pub mod worker;

use crate::sync::secret::{SecretError, SecretRef};
use clap::value_parser;
use std::time::Duration;

const LIKE_SITE: &str = "like https://provisioning.example.com";

/// Alert settings that cannot be used, named by their variable; never with a secret.
#[derive(Debug, thiserror::Error)]
pub enum AlertSettingsError {
    #[error("UP_SMTP_URL must start with smtp:// or smtps://, like smtp://127.0.0.1:25")]
    SmtpScheme,
    #[error("UP_SMTP_URL must not hold a password: name it in UP_SMTP_PASSWORD as env:NAME or file:/path")]
    SmtpPasswordInUrl,
    #[error("UP_SMTP_URL names no host, like smtp://127.0.0.1:25")]
    SmtpNoHost,
    #[error("UP_SMTP_URL cannot be used: {0}")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    #[error(
        "UP_SMTP_PASSWORD must be a reference, env:NAME or file:/path, never the password itself"
    )]
    SmtpPasswordNotAReference,
    #[error("UP_SMTP_PASSWORD: {0}")]
    SmtpPassword(#[source] SecretError),
    #[error(
        "UP_MAIL_FROM must name the alerts' sender, like User Provisioning <alerts@example.com>"
    )]
    NoSender,
    #[error("UP_MAIL_FROM \"{0}\" is not an email address")]
    Sender(String),
    /// Shown redacted: it could hold a password.
    #[error("UP_PUBLIC_URL \"{0}\" is not an http:// or https:// address with a host and a valid port, {LIKE_SITE}")]
    PublicUrl(String),
    #[error("UP_PUBLIC_URL must not hold a user or password, {LIKE_SITE}")]
    PublicUrlCredentials,
    #[error("UP_PUBLIC_URL \"{0}\" must not have a query (?…) or fragment (#…): links add their own path to it, {LIKE_SITE}")]
    PublicUrlQuery(String),
    #[error("the webhook client could not start: {0}")]
    WebhookClient(#[source] reqwest::Error),
}

/// The alert settings as the environment gives them (part of `config::Settings`).
#[derive(Debug, Clone, clap::Args)]
pub struct AlertEnv {
    /// The SMTP relay for alert emails: smtp://host:port, smtp://user@host:587?tls=required
    /// or smtps://user@host:465 (unset: no email).
    #[arg(
        long,
        global = true,
        hide_env_values = true,
        env = "UP_SMTP_URL",
        value_name = "URL"
    )]
    pub smtp_url: Option<String>,
    /// The SMTP password, as a reference: env:NAME or file:/path.
    #[arg(
        long,
        global = true,
        hide_env_values = true,
        env = "UP_SMTP_PASSWORD",
        value_name = "REF"
    )]
    pub smtp_password: Option<String>,
    /// The alerts' sender, e.g. "User Provisioning <alerts@example.com>".
    #[arg(long, global = true, env = "UP_MAIL_FROM", value_name = "MAILBOX")]
    pub mail_from: Option<String>,
    /// The dashboard's address as admins reach it, for links (default: where it listens).
    #[arg(
        long,
        global = true,
        hide_env_values = true,
        env = "UP_PUBLIC_URL",
        value_name = "URL"
    )]
    pub public_url: Option<String>,
    /// How often the alert worker looks for events and due deliveries, in milliseconds.
    #[arg(long, global = true, env = "UP_ALERT_POLL_MS", value_name = "MS", default_value_t = 2_000,
          value_parser = value_parser!(u64).range(10..=600_000))]
    pub alert_poll_ms: u64,
    /// The first wait after a failed delivery, in milliseconds; each next one waits twice
    /// as long, up to an hour, for a day.
    #[arg(long, global = true, env = "UP_ALERT_RETRY_MS", value_name = "MS", default_value_t = 30_000,
          value_parser = value_parser!(u64).range(10..=3_600_000))]
    pub alert_retry_ms: u64,
}

/// How alerts are sent.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    /// Email through SMTP (`UP_SMTP_URL`); `None` sends no email.
    pub smtp: Option<SmtpSettings>,
    /// The dashboard's address as admins reach it, for links (`UP_PUBLIC_URL`).
    pub public_url: String,
    pub timing: Timing,
}

/// An SMTP relay: `smtp://host:port` (plain, for a relay on the same machine or network),
/// `smtp://user@host:587?tls=required` (STARTTLS) or `smtps://user@host:465` (TLS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// The URL without a password.
    pub url: String,
    /// The password, as a reference (`UP_SMTP_PASSWORD=env:NAME` or `file:/path`).
    pub password: Option<SecretRef>,
    /// The sender (`UP_MAIL_FROM`), e.g. `User Provisioning <alerts@example.com>`.
    pub from: String,
}

/// How often the worker looks, and how it retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How often the worker looks for events and due deliveries (`UP_ALERT_POLL_MS`).
    pub poll: Duration,
    /// The first retry's wait; each next one waits twice as long (`UP_ALERT_RETRY_MS`).
    pub retry_first: Duration,
    /// The longest wait between two tries.
    pub retry_max: Duration,
    /// After this long, a delivery that never went through is given up (failed).
    pub give_up_after: Duration,
    /// How long a worker holds a delivery it is sending before another may try it.
    pub lease: Duration,
    /// How often configurations are checked for staleness.
    pub stale_check: Duration,
    /// On shutdown, how long sends in flight have to finish; the rest are stopped and
    /// their leases given back, for the next worker to try at once.
    pub shutdown_grace: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            poll: Duration::from_secs(2),
            retry_first: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(120),
            stale_check: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// One hour: a configuration and status get at most one message in it; later events of
/// the hour go into its digest.
pub const DIGEST_WINDOW_MS: i64 = 3_600_000;

impl AlertSettings {
    /// From the environment's settings; `site` is where this server listens, the links'
    /// default address. A setting given empty counts as not given.
    pub fn new(env: &AlertEnv, site: &str) -> Result<Self, AlertSettingsError> {
        let given = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        let smtp = match given(&env.smtp_url) {
            None => None,
            Some(url) => Some(SmtpSettings::parse(
                url.trim(),
                given(&env.smtp_password).as_deref(),
                given(&env.mail_from).as_deref(),
            )?),
        };
        let public_url = public_url(given(&env.public_url).as_deref(), site)?;
        let timing = Timing {
            poll: Duration::from_millis(env.alert_poll_ms),
            retry_first: Duration::from_millis(env.alert_retry_ms),
            ..Timing::default()
        };
        Ok(AlertSettings {
            smtp,
            public_url,
            timing,
        })
    }
}

/// Whether `url` is an `http://` or `https://` address with something after the scheme
/// and no white space: what links and webhooks may point at.
pub fn is_web_address(url: &str) -> bool {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
}

/// The links' base: `UP_PUBLIC_URL` without a trailing slash, else this server's address.
fn public_url(given: Option<&str>, site: &str) -> Result<String, AlertSettingsError> {
    match given {
        None => Ok(format!("http://{site}")),
        Some(given) => {
            let given = given.trim().trim_end_matches('/');
            let parsed = reqwest::Url::parse(given)
                .ok()
                .filter(|u| is_web_address(given) && u.host_str().is_some_and(|h| !h.is_empty()));
            let Some(url) = parsed else {
                return Err(AlertSettingsError::PublicUrl(crate::config::redact_url(
                    given,
                )));
            };
            // Links are this address and a path.
            if !url.username().is_empty() || url.password().is_some() {
                return Err(AlertSettingsError::PublicUrlCredentials);
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(AlertSettingsError::PublicUrlQuery(given.to_string()));
            }
            Ok(given.to_string())
        }
    }
}

impl SmtpSettings {
    pub fn parse(
        url: &str,
        password: Option<&str>,
        from: Option<&str>,
    ) -> Result<Self, AlertSettingsError> {
        let rest = url
            .strip_prefix("smtps://")
            .or_else(|| url.strip_prefix("smtp://"))
            .ok_or(AlertSettingsError::SmtpScheme)?;
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if let Some((user, _)) = authority.rsplit_once('@') {
            if user.contains(':') {
                return Err(AlertSettingsError::SmtpPasswordInUrl);
            }
        }
        if authority.rsplit('@').next().unwrap_or_default().is_empty() {
            return Err(AlertSettingsError::SmtpNoHost);
        }
        let password = password
            .map(|p| {
                p.parse::<SecretRef>()
                    .map_err(|_| AlertSettingsError::SmtpPasswordNotAReference)
            })
            .transpose()?;
        let from = from
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .ok_or(AlertSettingsError::NoSender)?;
        from.parse::<lettre::message::Mailbox>()
            .map_err(|_| AlertSettingsError::Sender(from.to_string()))?;
        Ok(SmtpSettings {
            url: url.to_string(),
            password,
            from: from.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_settings_keep_passwords_out_of_the_url() {
        let s = SmtpSettings::parse(
            "smtp://alerts@mail.example:587?tls=required",
            Some("env:SMTP_PW"),
            Some("User Provisioning <alerts@example.com>"),
        )
        .unwrap();
        assert_eq!(s.password, Some(SecretRef::Env("SMTP_PW".into())));
        let from = Some("alerts@example.com");
        for (url, password, wanted) in [
            (
                "smtp://u:hunter2@mail.example",
                None,
                "must not hold a password",
            ),
            ("http://mail.example", None, "must start with smtp://"),
            ("smtp://", None, "names no host"),
            (
                "smtp://mail.example",
                Some("hunter2"),
                "must be a reference",
            ),
        ] {
            let e = SmtpSettings::parse(url, password, from)
                .unwrap_err()
                .to_string();
            assert!(e.contains(wanted), "{url}: {e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
        let e = SmtpSettings::parse("smtp://127.0.0.1:25", None, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("UP_MAIL_FROM"), "{e}");
        let e = SmtpSettings::parse("smtp://127.0.0.1:25", None, Some("not an address"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an email address"), "{e}");
    }

    #[test]
    fn links_start_at_the_public_address() {
        assert_eq!(
            public_url(None, "127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            public_url(Some("https://up.example.com/"), "x").unwrap(),
            "https://up.example.com"
        );
        assert!(public_url(Some("up.example.com"), "x").is_err());
        assert!(public_url(Some("https://u:p@up.example.com"), "x").is_err());
        assert!(public_url(Some("https://up.example.com/?a=1"), "x").is_err());
        assert!(public_url(Some("https://"), "x").is_err());
        assert!(public_url(Some("https://up.example.com:99999"), "x").is_err());
        let query = public_url(Some("http://x/path?q=1"), "x")
            .unwrap_err()
            .to_string();
        assert!(query.contains("must not have a query"), "{query}");
        for secret in ["https://u:pSECRET@up.example.com", "https://u:pSECRET@:99"] {
            let e = public_url(Some(secret), "x").unwrap_err().to_string();
            assert!(!e.contains("pSECRET"), "{e}");
        }
    }
}
