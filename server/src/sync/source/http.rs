//! The HTTP client the API sources share: rustls, timeouts, and bounded retries with
//! backoff on 429 and 5xx that honour `Retry-After`. Failures come back in plain words;
//! URLs in them never carry credentials (those travel in headers only).

use crate::sync::validate::LoadError;
use reqwest::{RequestBuilder, Response, StatusCode};
use std::time::Duration;

/// How hard to try before a run fails to load.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    /// The first wait; doubled each time.
    pub backoff: Duration,
    /// The longest `Retry-After` the service will honour.
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// `timeout` bounds connecting and each wait for data, not the whole exchange: a large
/// report that keeps arriving is read to its end however long it takes, while a server
/// that goes quiet is given up on.
pub fn client(timeout: Duration) -> Result<reqwest::Client, LoadError> {
    reqwest::Client::builder()
        .read_timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("user-provisioning/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|_| LoadError::new("The HTTP client could not be set up."))
}

/// Sends the request built by `request`, again after a 429 or 5xx, and returns the first
/// other response. `what` names the service in messages ("Workday", "Google's token service").
pub async fn send(
    what: &str,
    retry: Retry,
    request: impl Fn() -> RequestBuilder,
) -> Result<Response, LoadError> {
    let mut wait = retry.backoff;
    for attempt in 1..=retry.attempts {
        let response = request()
            .send()
            .await
            .map_err(|e| LoadError(transport_words(what, &e)))?;
        let status = response.status();
        let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
        if !retryable {
            return Ok(response);
        }
        if attempt == retry.attempts {
            return Err(LoadError(format!(
                "{what} kept answering {} after {} attempts. Try again later.",
                status_words(status),
                retry.attempts
            )));
        }
        let asked = retry_after(&response);
        if let Some(asked) = asked.filter(|a| *a > retry.max_wait) {
            return Err(LoadError(format!(
                "{what} asked to wait {} seconds before trying again (too busy); the sync will try at its next run.",
                asked.as_secs()
            )));
        }
        tokio::time::sleep(asked.unwrap_or(wait)).await;
        wait = wait.saturating_mul(2);
    }
    unreachable!("the loop returns on its last attempt")
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    parse_retry_after(value, std::time::SystemTime::now())
}

/// A delay in seconds, or a date in any of HTTP's three forms (IMF-fixdate, and the
/// obsolete RFC 850 and asctime ones that servers may still send); a date past is no wait.
fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

pub fn status_words(status: StatusCode) -> String {
    match status.as_u16() {
        401 => "401 Unauthorized (the credentials were refused)".into(),
        403 => "403 Forbidden (the account lacks permission)".into(),
        404 => "404 Not Found".into(),
        429 => "429 Too Many Requests".into(),
        s => format!("{s} {}", status.canonical_reason().unwrap_or(""))
            .trim()
            .to_string(),
    }
}

fn transport_words(what: &str, e: &reqwest::Error) -> String {
    let chain = {
        let mut text = String::new();
        let mut source: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = source {
            text.push_str(&s.to_string().to_ascii_lowercase());
            text.push(' ');
            source = s.source();
        }
        text
    };
    if e.is_timeout() {
        format!("{what} did not answer in time.")
    } else if chain.contains("dns") || chain.contains("lookup") || chain.contains("resolve") {
        format!("{what}'s host name could not be found (DNS). Check the configured host.")
    } else if chain.contains("refused") {
        format!("Could not connect to {what}: the connection was refused.")
    } else if chain.contains("certificate") || chain.contains("tls") {
        format!("The secure connection to {what} failed (TLS certificate).")
    } else if e.is_connect() {
        format!("Could not connect to {what}.")
    } else {
        format!("The connection to {what} failed while talking to it.")
    }
}

/// A URL's scheme, host and port, for messages.
pub fn origin(url: &reqwest::Url) -> String {
    match url.port() {
        Some(p) => format!("{}://{}:{p}", url.scheme(), url.host_str().unwrap_or("")),
        None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_retry_after;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    #[test]
    fn retry_after_reads_seconds_and_every_http_date_form() {
        // Sun, 06 Nov 1994 08:49:37 GMT, and ten seconds before it.
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let now = at - Duration::from_secs(10);
        for value in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(value, now),
                Some(Duration::from_secs(10)),
                "{value}"
            );
        }
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + Duration::from_secs(5)),
            Some(Duration::ZERO),
            "a date already past means no wait"
        );
        for bad in ["soon", "-5", "", "Sun, 32 Nov 1994 08:49:37 GMT"] {
            assert_eq!(parse_retry_after(bad, SystemTime::now()), None, "{bad}");
        }
    }
}
