//! A run's log entries as the details page previews them and the downloads write them.

use super::run::SyncRunRow;
use serde::{Deserialize, Serialize};

/// One line of a run's log: a source record and what the run did with it (result logs),
/// or a reason the data could not be loaded (error logs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogEntry {
    pub sequence: i32,
    /// Where the record sits in the source: `line 12`, `row 4`, `record 7`.
    pub record: Option<String>,
    pub employee_id: Option<String>,
    pub email: Option<String>,
    pub action: LogAction,
    /// Read as `not_applied` too, the word an entry that was not applied is sent with.
    #[serde(deserialize_with = "outcome_or_not_applied")]
    pub outcome: LogOutcome,
    /// False for an entry of a blocked run (Above Deactivation Threshold): what it would
    /// have done, and did not.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub applied: bool,
    pub message: String,
    /// The directory fields an update changed, comma-separated.
    pub changed_fields: Option<String>,
    /// What the update changed, old → new, where the run kept the values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// The run the entry belongs to, in a file that gathers several runs' entries (one
    /// person's history); `None` in a run's own log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<EntryRun>,
}

fn yes() -> bool {
    true
}

/// An entry as it is sent: one that was not applied (a blocked run's) has the outcome
/// `not_applied`, as its pages and files say "Not applied", rather than the outcome it
/// was planned with beside `"applied": false`.
impl Serialize for LogEntry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Sent<'a> {
            sequence: i32,
            record: &'a Option<String>,
            employee_id: &'a Option<String>,
            email: &'a Option<String>,
            action: LogAction,
            outcome: &'static str,
            #[serde(skip_serializing_if = "is_yes")]
            applied: bool,
            message: &'a str,
            changed_fields: &'a Option<String>,
            #[serde(skip_serializing_if = "<[FieldChange]>::is_empty")]
            changes: &'a [FieldChange],
            #[serde(skip_serializing_if = "Option::is_none")]
            run: Option<&'a EntryRun>,
        }
        Sent {
            sequence: self.sequence,
            record: &self.record,
            employee_id: &self.employee_id,
            email: &self.email,
            action: self.action,
            outcome: sent_outcome(self.outcome, self.applied),
            applied: self.applied,
            message: &self.message,
            changed_fields: &self.changed_fields,
            changes: &self.changes,
            run: self.run.as_ref(),
        }
        .serialize(serializer)
    }
}

/// The outcome an entry that was not applied is sent with.
const NOT_APPLIED: &str = "not_applied";

/// The word an entry's outcome is sent with: `not_applied` for one that was not applied.
pub(super) fn sent_outcome(outcome: LogOutcome, applied: bool) -> &'static str {
    match applied {
        true => outcome.slug(),
        false => NOT_APPLIED,
    }
}

pub(super) fn outcome_or_not_applied<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<LogOutcome, D::Error> {
    let word = String::deserialize(d)?;
    match word.as_str() {
        NOT_APPLIED => Ok(LogOutcome::Ok),
        other => LogOutcome::from_slug(other).ok_or_else(|| {
            serde::de::Error::unknown_variant(other, &["ok", "warning", "error", NOT_APPLIED])
        }),
    }
}

fn is_yes(b: &bool) -> bool {
    *b
}

impl LogEntry {
    /// The entry's Outcome as files and tables show it: "OK", "Warning", "Error", or
    /// "Not applied" for an entry of a blocked run.
    pub fn outcome_label(&self) -> &'static str {
        if self.applied {
            self.outcome.label()
        } else {
            "Not applied"
        }
    }
}

/// What a run did with one record, as its log says: stored by its slug in
/// `sync_log_entries.action`. API clients read the same words (`"create"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogAction {
    Create,
    Update,
    Deactivate,
    Reactivate,
    Unchanged,
    Skip,
    /// A person matched by email whose Employee ID changed: updated, with a warning.
    Rekey,
    /// A note on reading the source itself (a damaged header row, a failed load), not on
    /// a person.
    Load,
}

impl LogAction {
    pub const ALL: [LogAction; 8] = [
        LogAction::Create,
        LogAction::Update,
        LogAction::Deactivate,
        LogAction::Reactivate,
        LogAction::Unchanged,
        LogAction::Skip,
        LogAction::Rekey,
        LogAction::Load,
    ];

    /// The word stored with each entry.
    pub fn slug(self) -> &'static str {
        match self {
            LogAction::Create => "create",
            LogAction::Update => "update",
            LogAction::Deactivate => "deactivate",
            LogAction::Reactivate => "reactivate",
            LogAction::Unchanged => "unchanged",
            LogAction::Skip => "skip",
            LogAction::Rekey => "rekey",
            LogAction::Load => "load",
        }
    }

    pub fn from_slug(slug: &str) -> Option<LogAction> {
        LogAction::ALL.into_iter().find(|a| a.slug() == slug)
    }

    /// The word tables and files show.
    pub fn label(self) -> &'static str {
        match self {
            LogAction::Create => "Create",
            LogAction::Update => "Update",
            LogAction::Deactivate => "Deactivate",
            LogAction::Reactivate => "Reactivate",
            LogAction::Unchanged => "Unchanged",
            LogAction::Skip => "Skip",
            LogAction::Rekey => "Re-key",
            LogAction::Load => "Load",
        }
    }
}

/// The run of an entry in a file of several runs: its start in the viewer's time zone
/// and its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRun {
    pub id: i64,
    pub started: chrono::NaiveDateTime,
    pub configuration: String,
}

/// One value an update changed in the directory: `title`, "Engineer" → "Lead". `None`
/// is a value that was, or is now, not set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A page of a run's log, with the run it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogPage {
    pub run: SyncRunRow,
    pub entries: Vec<LogEntry>,
    /// How many entries match the search in all; counted for the first page only.
    pub total: Option<u64>,
    /// The sequence to ask for the next page after; `None` on the last page.
    pub next_after: Option<i32>,
}

/// How a log entry ended, stored by its slug in `sync_log_entries.outcome`; the details
/// page can show the entries of one alone (`?outcome=warning`). API clients read the
/// same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogOutcome {
    Ok,
    Warning,
    Error,
}

impl LogOutcome {
    pub const ALL: [LogOutcome; 3] = [LogOutcome::Ok, LogOutcome::Warning, LogOutcome::Error];

    /// The word stored with each entry and used in the URL.
    pub fn slug(self) -> &'static str {
        match self {
            LogOutcome::Ok => "ok",
            LogOutcome::Warning => "warning",
            LogOutcome::Error => "error",
        }
    }

    pub fn from_slug(slug: &str) -> Option<LogOutcome> {
        LogOutcome::ALL.into_iter().find(|o| o.slug() == slug)
    }

    /// The word tables and files show.
    pub fn label(self) -> &'static str {
        match self {
            LogOutcome::Ok => "OK",
            LogOutcome::Warning => "Warning",
            LogOutcome::Error => "Error",
        }
    }

    /// What the entries are called inside a sentence: "no warnings".
    pub fn in_sentence(self) -> &'static str {
        match self {
            LogOutcome::Ok => "OK entries",
            LogOutcome::Warning => "warnings",
            LogOutcome::Error => "errors",
        }
    }

    /// What the entries are called in the page's choice.
    pub fn plural(self) -> &'static str {
        match self {
            LogOutcome::Ok => "OK entries",
            LogOutcome::Warning => "Warnings",
            LogOutcome::Error => "Errors",
        }
    }
}

/// Which of a log's entries the details page shows (`?outcome=…`). A run with warnings or
/// errors opens on those; the others, or a search, on the whole log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogChoice {
    All,
    /// Warnings and errors together.
    Problems,
    Only(LogOutcome),
}

impl LogChoice {
    /// In the order the page offers them.
    pub const ALL: [LogChoice; 5] = [
        LogChoice::All,
        LogChoice::Problems,
        LogChoice::Only(LogOutcome::Ok),
        LogChoice::Only(LogOutcome::Warning),
        LogChoice::Only(LogOutcome::Error),
    ];

    /// The word in the URL.
    pub fn slug(self) -> &'static str {
        match self {
            LogChoice::All => "all",
            LogChoice::Problems => "problems",
            LogChoice::Only(o) => o.slug(),
        }
    }

    pub fn from_slug(slug: &str) -> Option<LogChoice> {
        LogChoice::ALL.into_iter().find(|c| c.slug() == slug)
    }

    /// The page's choice when the URL names none: a run's problems first, unless the
    /// viewer searches (a person's history links to their entry by a search).
    pub fn default_for(problems: u32, searching: bool) -> LogChoice {
        if problems > 0 && !searching {
            LogChoice::Problems
        } else {
            LogChoice::All
        }
    }

    /// The outcomes shown; every one when empty.
    pub fn outcomes(self) -> Vec<LogOutcome> {
        match self {
            LogChoice::All => Vec::new(),
            LogChoice::Problems => vec![LogOutcome::Warning, LogOutcome::Error],
            LogChoice::Only(o) => vec![o],
        }
    }

    /// What the page's choice says.
    pub fn label(self) -> &'static str {
        match self {
            LogChoice::All => "All entries",
            LogChoice::Problems => "Warnings and errors",
            LogChoice::Only(o) => o.plural(),
        }
    }

    /// What the entries are called inside a sentence: "no warnings or errors".
    pub fn in_sentence(self) -> &'static str {
        match self {
            LogChoice::All => "entries",
            LogChoice::Problems => "warnings or errors",
            LogChoice::Only(o) => o.in_sentence(),
        }
    }
}

/// Rows per request when a download gathers a whole log.
pub const DOWNLOAD_PAGE: u32 = 5_000;
/// Rows per page of the details page's preview.
pub const PREVIEW_PAGE: u32 = 50;

/// A run as its details page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    /// The table row, its start written in the viewer's time zone.
    pub run: SyncRunRow,
    /// Why the run ended as it did, when the service recorded a reason.
    pub status_reason: Option<String>,
    /// What queued the run; `None` for a word the service does not know.
    pub trigger: Option<super::Trigger>,
    pub threshold_count: Option<u32>,
    pub threshold_percent: Option<u32>,
    pub queued_display: String,
    pub finished_display: Option<String>,
    /// The run's start (or queue time) in the viewer's zone: names downloads and fills
    /// their date cells.
    pub started_local: chrono::NaiveDateTime,
    /// The zone as captions name it: "Kolkata time (UTC+05:30)".
    pub time_zone: String,
    /// The zone's IANA name ("Asia/Kolkata"), as a log file's header names it.
    pub zone_name: String,
}

impl RunDetail {
    /// The file a download of this run's logs is saved as.
    pub fn file_name(&self, format: super::LogFormat) -> String {
        super::log_file_name(self.started_local, format)
    }
}

#[cfg(test)]
mod tests {
    use super::{LogAction, LogChoice, LogEntry, LogOutcome};

    #[test]
    fn actions_and_outcomes_read_back_and_have_their_words() {
        for a in LogAction::ALL {
            assert_eq!(LogAction::from_slug(a.slug()), Some(a));
        }
        let labels: Vec<_> = LogAction::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(
            labels,
            [
                "Create",
                "Update",
                "Deactivate",
                "Reactivate",
                "Unchanged",
                "Skip",
                "Re-key",
                "Load"
            ]
        );
        assert_eq!(LogAction::from_slug("Create"), None);
        // The wire words are the stored ones, for API clients.
        for a in LogAction::ALL {
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{}\"", a.slug())
            );
        }
        for o in LogOutcome::ALL {
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.slug())
            );
        }
        for o in LogOutcome::ALL {
            assert_eq!(LogOutcome::from_slug(o.slug()), Some(o));
        }
        let mut entry = LogEntry {
            sequence: 0,
            record: None,
            employee_id: None,
            email: None,
            action: LogAction::Deactivate,
            outcome: LogOutcome::Ok,
            applied: true,
            message: String::new(),
            changed_fields: None,
            changes: Vec::new(),
            run: None,
        };
        assert_eq!(entry.outcome_label(), "OK");
        let sent = serde_json::to_value(&entry).unwrap();
        assert_eq!(sent["outcome"], "ok");
        assert!(sent.get("applied").is_none());
        entry.applied = false;
        assert_eq!(entry.outcome_label(), "Not applied");
        // Sent as what it is, and read back as it was.
        let sent = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            (&sent["outcome"], &sent["applied"]),
            (&"not_applied".into(), &false.into())
        );
        assert_eq!(serde_json::from_value::<LogEntry>(sent).unwrap(), entry);
        entry.applied = true;
        entry.outcome = LogOutcome::Warning;
        let sent = serde_json::to_string(&entry).unwrap();
        assert_eq!(serde_json::from_str::<LogEntry>(&sent).unwrap(), entry);
    }

    #[test]
    fn choices_read_back_and_problems_come_first() {
        for c in LogChoice::ALL {
            assert_eq!(LogChoice::from_slug(c.slug()), Some(c));
        }
        assert_eq!(LogChoice::from_slug(""), None);
        assert_eq!(LogChoice::default_for(3, false), LogChoice::Problems);
        assert_eq!(LogChoice::default_for(3, true), LogChoice::All);
        assert_eq!(LogChoice::default_for(0, false), LogChoice::All);
        assert_eq!(
            LogChoice::Problems.outcomes(),
            vec![LogOutcome::Warning, LogOutcome::Error]
        );
    }

    #[test]
    fn outcomes_read_back_from_their_slugs_only() {
        for o in LogOutcome::ALL {
            assert_eq!(LogOutcome::from_slug(o.slug()), Some(o));
        }
        for other in ["", "maybe", "Warning", "warnings", " ok"] {
            assert_eq!(LogOutcome::from_slug(other), None, "{other:?}");
        }
    }
}
