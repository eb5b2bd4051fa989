//! What an alert says: the email (subject, plain text and HTML) and the webhook's JSON.
//! Pure functions of the alert, so every wording is tested without sending anything.

use app::domain::{display_start, RunCounts, RunStatus};
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::json;

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertKind {
    /// A run ended in a status that needs an admin.
    Run(RunStatus),
    /// An enabled, scheduled configuration has had no Success or Needs Attention run for
    /// twice its interval; `last_good_ms` is its last such run, if any.
    Stale {
        schedule: String,
        last_good_ms: Option<i64>,
    },
    /// A stale configuration synced again.
    Recovered,
}

/// A run an alert is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRun {
    pub id: i64,
    pub status: RunStatus,
    /// When it started (or was queued, for a run cancelled before it started).
    pub started_at_ms: i64,
    pub counts: RunCounts,
    pub reason: Option<String>,
    /// The run's first warnings or errors, as its log words them.
    pub problems: Vec<String>,
    /// False for a run cancelled before it started: its time is when it was queued.
    pub started: bool,
}

impl AlertRun {
    /// "Started 15 Jan 2024, 10:30pm (UTC)", or "Queued …" for a run that never started.
    fn when(&self, tz: Tz) -> String {
        let what = if self.started {
            "Started"
        } else {
            "Queued (it never started)"
        };
        format!("{what}: {}", local_time(self.started_at_ms, tz))
    }
}

/// One message: about one run, or the hour's digest of several, or a configuration's
/// staleness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub organisation: String,
    pub configuration: String,
    pub kind: AlertKind,
    /// The runs, oldest first; a digest has several.
    pub runs: Vec<AlertRun>,
    pub digest: bool,
    /// When it happened: the event's time.
    pub at_ms: i64,
}

/// What to do about a stale configuration.
const STALE_ACTION: &str = "Check the configuration's latest runs and its source; contact Support if runs are not starting.";

/// An email's three parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn run_link(base: &str, id: i64) -> String {
    format!("{base}/admin/user-provisioning/runs/{id}")
}

/// The Syncs page, filtered to the configuration's runs.
fn configuration_link(base: &str, configuration: &str) -> String {
    let filter = app::domain::RunFilter {
        configuration: Some(configuration.to_string()),
        ..Default::default()
    };
    format!("{base}/admin/user-provisioning?{}", filter.to_query())
}

fn syncs_link(base: &str) -> String {
    format!("{base}/admin/user-provisioning")
}

/// A time in the recipient's zone: "15 Jan 2024, 10:30pm (Europe/London)".
pub fn local_time(ms: i64, tz: Tz) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => format!(
            "{} ({})",
            display_start(t.with_timezone(&tz).naive_local()),
            tz.name()
        ),
        None => "an unknown time".into(),
    }
}

fn counts_line(c: &RunCounts) -> String {
    format!(
        "Created {}, updated {}, deactivated {}, reactivated {}, skipped {}, warnings {}, errors {}",
        c.created, c.updated, c.deactivated, c.reactivated, c.skipped, c.warnings, c.errors
    )
}

/// The subject and the lines of the message, before they become text or HTML: (text,
/// link) pairs, a link shown after its text.
struct Draft {
    subject: String,
    lines: Vec<(String, Option<String>)>,
}

/// One line of text, without a link.
fn line(text: impl Into<String>) -> (String, Option<String>) {
    (text.into(), None)
}

fn draft(alert: &Alert, tz: Tz, base: &str) -> Draft {
    match &alert.kind {
        AlertKind::Run(status) if alert.digest => digest_draft(alert, *status, tz, base),
        AlertKind::Run(status) => run_draft(alert, *status, tz, base),
        AlertKind::Stale {
            schedule,
            last_good_ms,
        } => stale_draft(alert, schedule, *last_good_ms, tz, base),
        AlertKind::Recovered => recovered_draft(alert, tz, base),
    }
}

/// The hour's digest: the runs of a configuration that ended with `status` after the
/// hour's first message.
fn digest_draft(alert: &Alert, status: RunStatus, tz: Tz, base: &str) -> Draft {
    let configuration = &alert.configuration;
    let n = alert.runs.len();
    let runs = if n == 1 { "run" } else { "runs" };
    let mut lines = vec![
        line(format!(
            "{n} more {runs} of \"{configuration}\" ended {} in the last hour.",
            status.label()
        )),
        line(status.meaning()),
        line(format!(
            "Recommended action: {}",
            status.recommended_action()
        )),
    ];
    for run in &alert.runs {
        lines.push((
            format!("{}. {}", run.when(tz), counts_line(&run.counts)),
            Some(run_link(base, run.id)),
        ));
    }
    Draft {
        subject: format!(
            "{configuration}: {n} more {runs} {} ({})",
            status.label(),
            alert.organisation
        ),
        lines,
    }
}

/// A run that ended with `status`: when, its counts, why, and where to see it.
fn run_draft(alert: &Alert, status: RunStatus, tz: Tz, base: &str) -> Draft {
    let configuration = &alert.configuration;
    let run = alert.runs.last();
    let mut lines = vec![
        line(format!(
            "A sync of \"{configuration}\" ended {}.",
            status.label()
        )),
        line(status.meaning()),
    ];
    if let Some(run) = run {
        lines.push(line(run.when(tz)));
        lines.push(line(counts_line(&run.counts)));
        if let Some(reason) = &run.reason {
            lines.push(line(reason.clone()));
        }
        for p in &run.problems {
            lines.push(line(format!("• {p}")));
        }
    }
    lines.push(line(format!(
        "Recommended action: {}",
        status.recommended_action()
    )));
    if let Some(run) = run {
        lines.push(("See the run:".into(), Some(run_link(base, run.id))));
    }
    Draft {
        subject: format!(
            "{configuration}: {} ({})",
            status.label(),
            alert.organisation
        ),
        lines,
    }
}

/// A scheduled configuration without a good run for more than twice its schedule.
fn stale_draft(
    alert: &Alert,
    schedule: &str,
    last_good_ms: Option<i64>,
    tz: Tz,
    base: &str,
) -> Draft {
    let configuration = &alert.configuration;
    let last = match last_good_ms {
        Some(ms) => format!("Its last good run started {}.", local_time(ms, tz)),
        None => "It has never had a good run.".into(),
    };
    Draft {
        subject: format!(
            "{configuration}: no successful sync lately ({})",
            alert.organisation
        ),
        lines: vec![
            line(format!(
                "\"{configuration}\" is scheduled {schedule} but has had no Success or Needs Attention run for more than twice that long."
            )),
            line(last),
            line(format!("Recommended action: {STALE_ACTION}")),
            (
                "See its runs:".into(),
                Some(configuration_link(base, configuration)),
            ),
        ],
    }
}

/// A stale configuration that synced again.
fn recovered_draft(alert: &Alert, tz: Tz, base: &str) -> Draft {
    let configuration = &alert.configuration;
    Draft {
        subject: format!("{configuration}: syncing again ({})", alert.organisation),
        lines: vec![
            line(format!(
                "\"{configuration}\" synced again at {}: no action is needed.",
                local_time(alert.at_ms, tz)
            )),
            (
                "See its runs:".into(),
                Some(configuration_link(base, configuration)),
            ),
        ],
    }
}

/// The email to an admin in time zone `tz`, with links under `base`.
pub fn email(alert: &Alert, tz: Tz, base: &str) -> Email {
    let d = draft(alert, tz, base);
    let mut text = String::new();
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family: sans-serif; line-height: 1.5\">",
    );
    for (line, link) in &d.lines {
        text.push_str(line);
        if let Some(link) = link {
            text.push(' ');
            text.push_str(link);
        }
        text.push_str("\n\n");
        html.push_str("<p>");
        html.push_str(&escape(line));
        if let Some(link) = link {
            html.push_str(&format!(" <a href=\"{0}\">{0}</a>", escape(link)));
        }
        html.push_str("</p>");
    }
    text.push_str(
        "You receive this because you are an admin of User Provisioning. To stop these emails, turn off \"Email me when a sync needs action\" on the Syncs page.\n",
    );
    html.push_str(&format!(
        "<p style=\"color: #555; font-size: 0.9em\">You receive this because you are an admin of User Provisioning. To stop these emails, turn off “Email me when a sync needs action” on the <a href=\"{}\">Syncs page</a>.</p></body></html>",
        escape(&syncs_link(base))
    ));
    Email {
        subject: d.subject,
        text,
        html,
    }
}

/// The webhook's body: a Slack-compatible `text` and the same facts as fields.
/// `delivery_id` is the delivery's row; `delivery`, its name in the `X-UP-Delivery` header.
pub fn webhook(alert: &Alert, base: &str, delivery_id: i64, delivery: &str) -> serde_json::Value {
    let d = draft(alert, chrono_tz::UTC, base);
    // Slack reads `<…>` as mentions and links and `&` as the start of an entity: text
    // from a source file or a configuration's name must stay text.
    let text = std::iter::once(d.subject.clone())
        .chain(d.lines.iter().map(|(line, link)| match link {
            Some(link) => format!("{line} {link}"),
            None => line.clone(),
        }))
        .collect::<Vec<_>>()
        .join("\n")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let (event, status, label) = match &alert.kind {
        AlertKind::Run(s) if alert.digest => ("digest", Some(s.slug()), Some(s.label())),
        AlertKind::Run(s) => ("run", Some(s.slug()), Some(s.label())),
        AlertKind::Stale { .. } => ("stale", None, None),
        AlertKind::Recovered => ("recovered", None, None),
    };
    let runs: Vec<serde_json::Value> = alert
        .runs
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "status": r.status.slug(),
                "status_label": r.status.label(),
                "started_at": Utc.timestamp_millis_opt(r.started_at_ms).single().map(|t| t.to_rfc3339()),
                "counts": {
                    "created": r.counts.created,
                    "updated": r.counts.updated,
                    "deactivated": r.counts.deactivated,
                    "reactivated": r.counts.reactivated,
                    "unchanged": r.counts.unchanged,
                    "skipped": r.counts.skipped,
                    "warnings": r.counts.warnings,
                    "errors": r.counts.errors,
                    "planned_deactivations": r.counts.planned_deactivations,
                },
                "link": run_link(base, r.id),
            })
        })
        .collect();
    json!({
        "text": text,
        "delivery_id": delivery_id,
        "delivery": delivery,
        "event": event,
        "organisation": alert.organisation,
        "configuration": alert.configuration,
        "status": status,
        "status_label": label,
        "recommended_action": match &alert.kind {
            AlertKind::Run(s) => Some(s.recommended_action()),
            AlertKind::Stale { .. } => Some(STALE_ACTION),
            AlertKind::Recovered => Some("No action required."),
        },
        "occurred_at": Utc.timestamp_millis_opt(alert.at_ms).single().map(|t| t.to_rfc3339()),
        "runs": runs,
        "link": alert.runs.last().map(|r| run_link(base, r.id)).unwrap_or_else(|| configuration_link(base, &alert.configuration)),
    })
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: i64, status: RunStatus) -> AlertRun {
        AlertRun {
            id,
            status,
            // 15 Jan 2024 22:30 UTC.
            started_at_ms: 1_705_357_800_000,
            counts: RunCounts {
                created: 2,
                warnings: 1,
                ..Default::default()
            },
            reason: None,
            problems: vec!["Row 7: <b>manager</b> E9 is not in the file".into()],
            started: true,
        }
    }

    fn alert(kind: AlertKind, runs: Vec<AlertRun>, digest: bool) -> Alert {
        Alert {
            organisation: "Acme".into(),
            configuration: "HR export".into(),
            kind,
            runs,
            digest,
            at_ms: 1_705_357_900_000,
        }
    }

    #[test]
    fn a_run_email_says_what_why_and_what_to_do_in_the_readers_time() {
        let a = alert(
            AlertKind::Run(RunStatus::NeedsAttention),
            vec![run(42, RunStatus::NeedsAttention)],
            false,
        );
        let e = email(&a, chrono_tz::Europe::Berlin, "https://up.example");
        assert_eq!(e.subject, "HR export: Needs Attention (Acme)");
        assert!(e.text.contains("The sync completed with warnings."));
        assert!(e
            .text
            .contains("Started: 15 Jan 2024, 11:30pm (Europe/Berlin)"));
        assert!(e.text.contains("Created 2, updated 0"));
        assert!(e.text.contains("• Row 7: <b>manager</b> E9"));
        assert!(e
            .text
            .contains("Recommended action: Download logs and review warnings."));
        assert!(e
            .text
            .contains("https://up.example/admin/user-provisioning/runs/42"));
        // Text from the source never becomes markup.
        assert!(e.html.contains("&lt;b&gt;manager&lt;/b&gt;"));
        assert!(!e.html.contains("<b>manager"));
        assert!(e
            .html
            .contains("<a href=\"https://up.example/admin/user-provisioning/runs/42\">"));
    }

    #[test]
    fn a_digest_lists_the_hours_runs() {
        let a = alert(
            AlertKind::Run(RunStatus::DataLoadFailed),
            vec![
                run(7, RunStatus::DataLoadFailed),
                run(8, RunStatus::DataLoadFailed),
            ],
            true,
        );
        let e = email(&a, chrono_tz::UTC, "http://h");
        assert_eq!(e.subject, "HR export: 2 more runs Data Load Failed (Acme)");
        assert!(e.text.contains("/runs/7") && e.text.contains("/runs/8"));
        let w = webhook(&a, "http://h", 5, "5-0");
        assert_eq!(w["event"], "digest");
        assert_eq!(w["runs"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_webhook_carries_text_and_fields() {
        let a = alert(
            AlertKind::Run(RunStatus::AboveDeactivationThreshold),
            vec![run(9, RunStatus::AboveDeactivationThreshold)],
            false,
        );
        let w = webhook(&a, "http://h", 3, "3-0");
        assert!(w["text"]
            .as_str()
            .unwrap()
            .starts_with("HR export: Above Deactivation Threshold (Acme)"));
        assert_eq!(w["status"], "above_deactivation_threshold");
        assert_eq!(w["runs"][0]["id"], 9);
        assert_eq!(w["runs"][0]["counts"]["created"], 2);
        assert_eq!(w["link"], "http://h/admin/user-provisioning/runs/9");
        assert_eq!(w["recommended_action"], "Contact Support.");
        assert_eq!(w["delivery_id"], 3);
        assert_eq!(w["delivery"], "3-0");
    }

    #[test]
    fn source_text_never_becomes_slack_markup() {
        let mut r = run(4, RunStatus::NeedsAttention);
        r.problems = vec!["<!channel> <https://evil.example|Log in again> & more".into()];
        let mut a = alert(AlertKind::Run(RunStatus::NeedsAttention), vec![r], false);
        a.configuration = "HR <@U123>".into();
        let text = webhook(&a, "http://h", 1, "1-0")["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        assert!(
            text.contains("&lt;!channel&gt; &lt;https://evil.example|Log in again&gt; &amp; more")
        );
        assert!(text.contains("HR &lt;@U123&gt;"));
        // Our own link stays a plain address, which Slack links by itself.
        assert!(text.contains("http://h/admin/user-provisioning/runs/4"));
    }

    #[test]
    fn staleness_and_recovery_read_plainly() {
        let stale = alert(
            AlertKind::Stale {
                schedule: "every 6h".into(),
                last_good_ms: None,
            },
            vec![],
            false,
        );
        let e = email(&stale, chrono_tz::UTC, "http://h");
        assert_eq!(e.subject, "HR export: no successful sync lately (Acme)");
        assert!(e.text.contains("scheduled every 6h"));
        assert!(e.text.contains("never had a good run"));
        let back = email(
            &alert(AlertKind::Recovered, vec![], false),
            chrono_tz::UTC,
            "http://h",
        );
        assert_eq!(back.subject, "HR export: syncing again (Acme)");
        assert_eq!(webhook(&stale, "http://h", 1, "1-0")["event"], "stale");
        // Their links open the Syncs page on that configuration's runs, as its pill does.
        let only_hr = "http://h/admin/user-provisioning?config=HR+export";
        assert!(e.text.contains(only_hr), "{}", e.text);
        assert!(back.text.contains(only_hr));
        assert_eq!(webhook(&stale, "http://h", 1, "1-0")["link"], only_hr);
    }
}
