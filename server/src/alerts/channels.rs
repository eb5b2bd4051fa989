//! How an alert travels: email through an SMTP relay (lettre, the kept crate for it), and
//! a webhook POST signed with HMAC-SHA256 (the `hmac` crate over the `sha2` the server
//! already uses). Errors say what failed, never a secret.

use super::content::Email;
use super::{AlertSettingsError, SmtpSettings};
use crate::sync::secret::Secret;
use hmac::{Hmac, Mac};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;
use std::time::Duration;

/// The longest one email may take, from connecting to the relay's last answer. lettre's
/// own timeout covers each read and write on the socket, but not a relay that accepts the
/// connection and then never greets: without a bound of our own, such a relay held the
/// worker, and every alert behind it, for minutes (until the relay closed the socket).
const SEND_WITHIN: Duration = Duration::from_secs(30);

/// Why an alert did not go this time.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("\"{0}\" is not an email address")]
    Recipient(String),
    #[error("the email could not be written: {0}")]
    Compose(#[source] lettre::error::Error),
    #[error("the SMTP relay refused or could not be reached: {0}")]
    Refused(#[source] lettre::transport::smtp::Error),
    #[error("the SMTP relay did not answer within {} s", .0.as_secs_f64())]
    Silent(Duration),
    #[error("the webhook was not delivered: {why}")]
    NotDelivered {
        why: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("the webhook answered {0}")]
    Answered(u16),
}

/// The SMTP relay, ready to send.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    send_within: Duration,
}

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> Result<Self, AlertSettingsError> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            .map_err(AlertSettingsError::SmtpUrl)?
            .timeout(Some(SEND_WITHIN));
        if let Some(reference) = &settings.password {
            let password = reference
                .resolve()
                .map_err(AlertSettingsError::SmtpPassword)?;
            builder = builder.credentials(Credentials::new(
                smtp_user(&settings.url),
                password.expose().to_string(),
            ));
        }
        let from = settings
            .from
            .parse()
            .map_err(|_| AlertSettingsError::Sender(settings.from.clone()))?;
        Ok(Mailer {
            transport: builder.build(),
            from,
            send_within: SEND_WITHIN,
        })
    }

    /// The same relay with another bound on one email's time (tests use a short one).
    pub fn send_within(self, send_within: Duration) -> Self {
        Mailer {
            send_within,
            ..self
        }
    }

    /// Sends one email. `message_id` is the same on every try of one delivery, so a
    /// reader's mail program shows a repeat (after a crash mid-send) as one message.
    pub async fn send(&self, to: &str, email: &Email, message_id: &str) -> Result<(), SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| SendError::Recipient(to.to_string()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(plain_subject(&email.subject))
            .message_id(Some(message_id.to_string()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(email.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(email.html.clone()),
                    ),
            )
            .map_err(SendError::Compose)?;
        match tokio::time::timeout(self.send_within, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(SendError::Refused(e)),
            Err(_) => Err(SendError::Silent(self.send_within)),
        }
    }
}

/// The subject as text a mail program shows as written. A configuration's name may hold
/// `=?…?=`, which mail programs read as an encoded word and decode (into line breaks or
/// another script, say); a word joiner after each `=` makes the subject non-ASCII, so
/// that it is sent encoded as a whole and read back as the very text.
fn plain_subject(subject: &str) -> String {
    subject.replace("=?", "=\u{2060}?")
}

/// The user named in an SMTP URL (`smtp://user@host`), percent-decoding left to lettre's
/// own parse of the same URL: user names here are plain.
fn smtp_user(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .map(|(user, _)| user.to_string())
        .unwrap_or_default()
}

/// The headers a webhook receiver checks: the time the body was signed and the signature.
pub const TIMESTAMP_HEADER: &str = "x-up-timestamp";
pub const SIGNATURE_HEADER: &str = "x-up-signature";
/// The delivery's name: the same on every try, for a receiver to drop a repeat.
pub const DELIVERY_HEADER: &str = "x-up-delivery";

/// `v1=` and the hex HMAC-SHA256, under `secret`, of `"{timestamp}.{body}"`: the
/// timestamp is signed with the body so that an old request cannot be replayed as new.
pub fn signature(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("v1={hex}")
}

/// Posts a webhook's body, signed. Anything but a 2xx answer is a failure to retry.
pub async fn post_webhook(
    client: &reqwest::Client,
    url: &str,
    secret: &Secret,
    delivery: &str,
    body: Vec<u8>,
    now_ms: i64,
) -> Result<(), SendError> {
    let timestamp = now_ms / 1000;
    let answer = client
        .post(url)
        .header("content-type", "application/json")
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature(secret, timestamp, &body))
        .header(DELIVERY_HEADER, delivery)
        .timeout(Duration::from_secs(10))
        .body(body)
        .send()
        .await
        .map_err(|source| {
            let why = if source.is_timeout() {
                "it did not answer in time"
            } else if source.is_connect() {
                "it could not be reached"
            } else {
                "the request failed"
            };
            SendError::NotDelivered { why, source }
        })?;
    match answer.status() {
        s if s.is_success() => Ok(()),
        s => Err(SendError::Answered(s.as_u16())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_time_and_body() {
        let secret = Secret::new("s3cret");
        let a = signature(&secret, 1_700_000_000, b"{\"a\":1}");
        // As any HMAC library computes it (Python's `hmac` gave this one).
        assert_eq!(
            a,
            "v1=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940"
        );
        assert_eq!(a, signature(&secret, 1_700_000_000, b"{\"a\":1}"));
        assert_ne!(a, signature(&secret, 1_700_000_001, b"{\"a\":1}"));
        assert_ne!(a, signature(&secret, 1_700_000_000, b"{\"a\":2}"));
        assert_ne!(
            a,
            signature(&Secret::new("other"), 1_700_000_000, b"{\"a\":1}")
        );
    }

    #[test]
    fn a_subject_is_never_read_as_encoded_words() {
        let name = "Inj =?utf-8?q?=0D=0ABcc:_x@evil?= (Acme)";
        let plain = plain_subject(name);
        assert!(!plain.contains("=?"));
        assert_eq!(plain.replace('\u{2060}', ""), name);
        assert_eq!(
            plain_subject("HR export: Cancelled (Acme)"),
            "HR export: Cancelled (Acme)"
        );
    }

    #[test]
    fn the_user_comes_from_the_url() {
        assert_eq!(smtp_user("smtps://alerts@mail.example:465"), "alerts");
        assert_eq!(smtp_user("smtp://mail.example:25"), "");
    }
}

#[cfg(test)]
mod silent_relay {
    use super::*;
    use crate::alerts::content::Email;

    /// A relay that accepts the connection and never says a word: the send fails once its
    /// time is up, and the worker goes on to the next alert (the test's own bound makes a
    /// hang a failure, not a stuck test).
    #[tokio::test]
    async fn a_relay_that_never_greets_fails_the_send_in_time() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let settings = SmtpSettings {
            url: format!("smtp://127.0.0.1:{port}"),
            password: None,
            from: "Alerts <alerts@example.com>".into(),
        };
        let mailer = Mailer::new(&settings)
            .unwrap()
            .send_within(Duration::from_millis(300));
        let email = Email {
            subject: "s".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
        };
        let started = std::time::Instant::now();
        let sent = tokio::time::timeout(
            Duration::from_secs(10),
            mailer.send("admin@example.com", &email, "<alert-1@example.com>"),
        )
        .await
        .expect("the send gives up on its own");
        let why = sent.unwrap_err().to_string();
        assert!(why.contains("did not answer within"), "{why}");
        assert!(started.elapsed() < Duration::from_secs(5));
        held.abort();
    }
}
