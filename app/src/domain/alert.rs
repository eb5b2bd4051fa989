//! Alerts as the pages show them: an admin's choice to receive them, and what a run's
//! alert came to.

use serde::{Deserialize, Serialize};

/// An admin's alert setting, and whether this server sends email at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSetting {
    /// "Email me when a sync needs action": on unless the admin turned it off.
    pub email_me: bool,
    /// Whether the server has an SMTP relay to send email through.
    pub email_configured: bool,
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertChannel {
    Email,
    Webhook,
}

/// How one message's deliveries on one channel stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeliveryTally {
    pub sent: u32,
    /// Not sent yet: due, being tried, or waiting to retry.
    pub pending: u32,
    /// Given up on.
    pub failed: u32,
}

impl DeliveryTally {
    pub fn total(&self) -> u32 {
        self.sent + self.pending + self.failed
    }
}

/// What a run's alert came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunAlert {
    /// The run's status sends no alert (it is not final, or needs no one).
    None,
    /// The run's alert is being prepared.
    Preparing,
    /// Its message, alone or as part of the hour's digest for its configuration and
    /// status.
    Message {
        digest: bool,
        /// When the message goes out, as the viewer reads it; a digest waits for its hour.
        send_at_display: String,
        email: DeliveryTally,
        webhook: DeliveryTally,
        /// Whether this server sends email: without it, admins get none.
        email_configured: bool,
    },
}

impl RunAlert {
    /// The sentence the run's page shows for one channel, if it had deliveries there.
    pub fn channel_line(channel: AlertChannel, tally: &DeliveryTally) -> Option<String> {
        let n = tally.total();
        if n == 0 {
            return None;
        }
        let whom = match channel {
            AlertChannel::Email if n == 1 => "Email to 1 admin".to_string(),
            AlertChannel::Email => format!("Email to {n} admins"),
            AlertChannel::Webhook => "Webhook".to_string(),
        };
        let mut parts = Vec::new();
        if tally.sent > 0 {
            parts.push(if n == 1 {
                "sent".to_string()
            } else {
                format!("{} sent", tally.sent)
            });
        }
        if tally.pending > 0 {
            parts.push(if n == 1 {
                "waiting to be sent".to_string()
            } else {
                format!("{} waiting to be sent", tally.pending)
            });
        }
        if tally.failed > 0 {
            parts.push(if n == 1 {
                "could not be delivered".to_string()
            } else {
                format!("{} could not be delivered", tally.failed)
            });
        }
        Some(format!("{whom}: {}.", parts.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_lines_read_naturally() {
        let t = |sent, pending, failed| DeliveryTally {
            sent,
            pending,
            failed,
        };
        assert_eq!(
            RunAlert::channel_line(AlertChannel::Email, &t(0, 0, 0)),
            None
        );
        assert_eq!(
            RunAlert::channel_line(AlertChannel::Email, &t(3, 0, 0)).unwrap(),
            "Email to 3 admins: 3 sent."
        );
        assert_eq!(
            RunAlert::channel_line(AlertChannel::Email, &t(1, 0, 0)).unwrap(),
            "Email to 1 admin: sent."
        );
        assert_eq!(
            RunAlert::channel_line(AlertChannel::Email, &t(1, 1, 1)).unwrap(),
            "Email to 3 admins: 1 sent, 1 waiting to be sent, 1 could not be delivered."
        );
        assert_eq!(
            RunAlert::channel_line(AlertChannel::Webhook, &t(0, 1, 0)).unwrap(),
            "Webhook: waiting to be sent."
        );
    }
}
