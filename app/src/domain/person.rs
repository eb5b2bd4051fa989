//! One person's history across every sync run: who matches a search, and the timeline of
//! the log entries that concern them.

use super::{
    log::FieldChange, run::Cursor, run::SyncRunRow, source::SourceKind, status::RunStatus,
};
use serde::{Deserialize, Serialize};

/// Longest search the page accepts: an email is at most 254 characters.
pub const MAX_PERSON_QUERY: usize = 254;
/// People listed at most when a search matches several.
pub const MAX_MATCHES: usize = 20;
/// Entries per page of a timeline.
pub const TIMELINE_PAGE: u32 = 50;
/// Entries per request at most (a download's pages): a long history is fetched in several
/// requests rather than one that holds the server's attention for long.
pub const MAX_TIMELINE_PAGE: u32 = 1_000;

/// What a blocked run's planned deactivation says in a person's timeline: not what
/// happened, but what would have happened.
pub fn not_applied_message(message: &str) -> String {
    let reason = message
        .strip_prefix("User deactivated: ")
        .unwrap_or(message);
    format!(
        "Not applied: the run was blocked above its deactivation threshold and changed nothing. It would have deactivated this user: {reason}"
    )
}

/// What a search is: the text as typed, trimmed; at least one character, at most
/// [`MAX_PERSON_QUERY`]. Parse, don't validate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonQuery(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonQueryError {
    #[error("Enter an email address or an Employee ID to find a person.")]
    Empty,
    #[error("Search for at most 254 characters: an email address or an Employee ID.")]
    TooLong,
    #[error("An email address or an Employee ID has no control characters (tabs, line breaks, NUL); search again without them.")]
    Unprintable,
}

impl PersonQuery {
    pub fn parse(text: &str) -> Result<PersonQuery, PersonQueryError> {
        // Text pasted from mail or chat often brings invisible marks at its ends (zero-width
        // spaces and joiners, a byte-order mark) along with the spaces.
        let invisible = |c: char| {
            c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
        };
        let text = text.trim_matches(invisible);
        if text.chars().any(char::is_control) {
            return Err(PersonQueryError::Unprintable);
        }
        match text.chars().count() {
            0 => Err(PersonQueryError::Empty),
            n if n > MAX_PERSON_QUERY => Err(PersonQueryError::TooLong),
            _ => Ok(PersonQuery(text.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a person stands in the directory now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DirectoryState {
    Active,
    Deactivated,
    /// Only the sync logs know them: never created, or not by this organisation's syncs.
    NotInDirectory,
}

impl DirectoryState {
    pub fn label(self) -> &'static str {
        match self {
            DirectoryState::Active => "Active",
            DirectoryState::Deactivated => "Deactivated",
            DirectoryState::NotInDirectory => "Not in the directory",
        }
    }
}

/// A person a search found: as the directory holds them, else as the newest log entry
/// that carries the key the search matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonMatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub employee_id: Option<String>,
    pub state: DirectoryState,
    /// The configuration that keeps them in sync, when the directory says.
    pub managed_by: Option<String>,
}

impl PersonMatch {
    /// What to search for to open this person's timeline: their Employee ID, else their email.
    pub fn key(&self) -> &str {
        self.employee_id
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or_default()
    }
}

/// One log entry of a person's timeline, with the run it belongs to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PersonEvent {
    /// The entry's id: its place in the timeline after its run's start.
    pub id: i64,
    pub run_id: i64,
    /// The run's start in the viewer's time zone: `15 Jan 2024, 10:30pm`.
    pub run_started: String,
    pub run_started_local: chrono::NaiveDateTime,
    pub run_status: RunStatus,
    pub source: SourceKind,
    pub configuration: String,
    pub sequence: i32,
    pub record: Option<String>,
    pub employee_id: Option<String>,
    pub email: Option<String>,
    pub action: super::LogAction,
    /// Sent as `not_applied` for an entry that was not applied, as a run's log sends it.
    #[serde(deserialize_with = "super::log::outcome_or_not_applied")]
    pub outcome: super::LogOutcome,
    pub message: String,
    pub changed_fields: Option<String>,
    pub changes: Vec<FieldChange>,
    /// False for a deactivation a blocked run planned (Above Deactivation Threshold):
    /// nothing was changed.
    pub applied: bool,
    /// Where the timeline goes on after this entry.
    pub cursor: Cursor,
}

/// An entry as it is sent: as a run's log sends its entries (see `LogEntry`), one that was
/// not applied has the outcome `not_applied`.
impl Serialize for PersonEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Sent<'a> {
            id: i64,
            run_id: i64,
            run_started: &'a str,
            run_started_local: chrono::NaiveDateTime,
            run_status: RunStatus,
            source: SourceKind,
            configuration: &'a str,
            sequence: i32,
            record: &'a Option<String>,
            employee_id: &'a Option<String>,
            email: &'a Option<String>,
            action: super::LogAction,
            outcome: &'static str,
            message: &'a str,
            changed_fields: &'a Option<String>,
            changes: &'a [FieldChange],
            applied: bool,
            cursor: Cursor,
        }
        Sent {
            id: self.id,
            run_id: self.run_id,
            run_started: &self.run_started,
            run_started_local: self.run_started_local,
            run_status: self.run_status,
            source: self.source,
            configuration: &self.configuration,
            sequence: self.sequence,
            record: &self.record,
            employee_id: &self.employee_id,
            email: &self.email,
            action: self.action,
            outcome: super::log::sent_outcome(self.outcome, self.applied),
            message: &self.message,
            changed_fields: &self.changed_fields,
            changes: &self.changes,
            applied: self.applied,
            cursor: self.cursor,
        }
        .serialize(serializer)
    }
}

/// One person's timeline, newest first, a page at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonHistory {
    pub person: PersonMatch,
    /// Runs of the person's configurations that are queued or in progress now.
    pub running: Vec<SyncRunRow>,
    /// Their newest entry: the last run that logged them, whichever page `events` is.
    pub latest: Option<PersonEvent>,
    pub events: Vec<PersonEvent>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// The zone the times are written in, as captions name it.
    pub time_zone: String,
    /// The zone's IANA name, as a log file's header names it.
    pub zone_name: String,
}

/// What a search for a person found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PersonAnswer {
    /// No one in the organisation's logs or directory.
    Nobody,
    /// Several people: the page lists them to choose from. `more` when there are more
    /// than [`MAX_MATCHES`].
    Several {
        people: Vec<PersonMatch>,
        more: bool,
    },
    /// One person, with (a page of) their timeline.
    One(Box<PersonHistory>),
}

/// `title` → `Job Title`: a field's name as the source files' headers call it.
pub fn field_label(field: &str) -> &str {
    if let Some(f) = super::Field::from_key(field) {
        return f.label();
    }
    // Words older entries and a person's details use besides the fields' keys.
    match field {
        "active" => "Status",
        "manager" => "Manager ID",
        "managed_by" => "Kept in sync by",
        other => other,
    }
}

/// `Job Title: Engineer → Lead`, one change a line; an unset value reads "(none)".
pub fn change_line(c: &FieldChange) -> String {
    let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    format!(
        "{}: {} → {}",
        field_label(&c.field),
        value(&c.old),
        value(&c.new)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planned_entry_is_sent_not_applied_and_read_back() {
        let mut event = PersonEvent {
            id: 7,
            run_id: 3,
            run_started: "15 Jan 2024, 10:30pm".into(),
            run_started_local: Default::default(),
            run_status: RunStatus::AboveDeactivationThreshold,
            source: SourceKind::Workday,
            configuration: "HR".into(),
            sequence: 0,
            record: None,
            employee_id: Some("E1".into()),
            email: None,
            action: super::super::LogAction::Deactivate,
            outcome: super::super::LogOutcome::Ok,
            message: not_applied_message("User deactivated: gone."),
            changed_fields: Some("active".into()),
            changes: Vec::new(),
            applied: false,
            cursor: Cursor {
                sort_at_ms: 1,
                id: 7,
            },
        };
        let sent = serde_json::to_value(&event).unwrap();
        assert_eq!(sent["outcome"], "not_applied");
        assert_eq!(serde_json::from_value::<PersonEvent>(sent).unwrap(), event);
        event.applied = true;
        let sent = serde_json::to_value(&event).unwrap();
        assert_eq!(sent["outcome"], "ok");
        assert_eq!(serde_json::from_value::<PersonEvent>(sent).unwrap(), event);
    }

    #[test]
    fn a_query_is_trimmed_and_bounded() {
        assert_eq!(
            PersonQuery::parse("  Jane@Acme.example ").unwrap().as_str(),
            "Jane@Acme.example"
        );
        assert_eq!(PersonQuery::parse("   "), Err(PersonQueryError::Empty));
        // Pasted with invisible marks around it: the same search.
        assert_eq!(
            PersonQuery::parse("\u{feff}\u{200b} jane@acme.example\u{200d}\u{2060}")
                .unwrap()
                .as_str(),
            "jane@acme.example"
        );
        assert_eq!(
            PersonQuery::parse("\u{200b}\u{feff}"),
            Err(PersonQueryError::Empty)
        );
        assert!(PersonQuery::parse(&"é".repeat(254)).is_ok());
        assert_eq!(
            PersonQuery::parse(&"a".repeat(255)),
            Err(PersonQueryError::TooLong)
        );
        for bad in ["a\0b", "a\tb", "jane@x\ny"] {
            assert_eq!(PersonQuery::parse(bad), Err(PersonQueryError::Unprintable));
        }
    }

    #[test]
    fn changes_read_old_to_new() {
        let c = FieldChange {
            field: "title".into(),
            old: None,
            new: Some("Lead".into()),
        };
        assert_eq!(change_line(&c), "Job Title: (none) → Lead");
    }
}
