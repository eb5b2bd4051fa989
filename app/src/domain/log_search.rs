//! What a search of a run's log finds: entries whose text, as the log shows it, holds the
//! words searched for. Actions, outcomes and changed fields are stored as slugs and keys
//! (`rekey`, `ok`, `title`) but shown by name ("Re-key", "OK", "Job Title"): a search
//! matches the names and never the stored words.

use super::{field_label, Field, LogAction, LogKind, LogOutcome};

/// Keys a log's changed fields hold: the directory's fields, and the words older entries
/// use beside them (shown by name too).
const CHANGE_KEYS: [&str; Field::ALL.len() + 3] = {
    let mut keys = [""; Field::ALL.len() + 3];
    let mut i = 0;
    while i < Field::ALL.len() {
        keys[i] = Field::ALL[i].key();
        i += 1;
    }
    keys[i] = "active";
    keys[i + 1] = "manager";
    keys[i + 2] = "managed_by";
    keys
};

/// The words of the JSON an entry keeps its old and new values in, besides the values.
const VALUE_FRAME: [&str; 4] = ["field", "old", "new", "null"];

/// A log search, as the store asks for it: the entries whose record, Employee ID, email
/// or message hold `text`, or that one of the other parts names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSearch {
    /// The text, lower case: every column is compared in lower case.
    pub text: String,
    /// Actions whose name holds the text.
    pub actions: Vec<LogAction>,
    /// Outcomes whose name holds the text.
    pub outcomes: Vec<LogOutcome>,
    /// Every entry matches: the text is in words every entry shows ("Not applied").
    pub every_entry: bool,
    /// Changed-field keys whose name holds the text.
    pub field_keys: Vec<&'static str>,
    /// Whether changed fields are also searched as stored: they may hold keys the log
    /// shows as they are, and the text is in no key that is shown by another name.
    pub other_fields: bool,
    /// Whether the old and new values are searched: the text cannot match the JSON they
    /// are kept in, rather than a value.
    pub values: bool,
    /// Every entry with changes matches: the text is in the words that lead them
    /// ("Changed:", "Would have changed:").
    pub any_change: bool,
    /// A change as the log writes it ("Department: Finance → Legal", "Finance → Legal",
    /// "Job Title: Lead"): entries that changed one of these fields (any, when the text
    /// names none) and whose values hold each of these words.
    pub change: Option<ChangeSearch>,
}

/// The parts of a change searched for as the log writes it: `Field: old → new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSearch {
    /// The keys of the fields the text names; empty when it names none.
    pub field_keys: Vec<&'static str>,
    /// Words the old or new values hold, lower case.
    pub values: Vec<String>,
}

impl ChangeSearch {
    /// The change `text` (lower case) writes, if it writes one: a field's name and a value
    /// after it, values on either side of an arrow, or (`after_lead`: after "Changed:")
    /// a field's name alone.
    fn read(text: &str, after_lead: bool) -> Option<ChangeSearch> {
        let text = text.trim();
        let (label, values) = match text.split_once(": ") {
            Some((label, values)) => (Some(label.trim()), values),
            None if after_lead && !text.contains('→') => (Some(text), ""),
            None => (None, text),
        };
        let field_keys: Vec<&'static str> = match label {
            // Typed from anywhere in the name: its end is next to the colon, unless the
            // name is all there is.
            Some(label) => CHANGE_KEYS
                .into_iter()
                .filter(|k| {
                    let name = field_label(k).to_lowercase();
                    if values.is_empty() {
                        name.contains(label)
                    } else {
                        name.ends_with(label)
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        if label.is_some() && field_keys.is_empty() {
            return None;
        }
        let values: Vec<String> = values
            .split('→')
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "(none)")
            .map(str::to_owned)
            .collect();
        let arrow = text.contains('→');
        (label.is_some() || arrow).then_some(ChangeSearch { field_keys, values })
    }
}

/// Whether `text` is in `name` from the start of one of its words: a name is searched as
/// it reads, so "changed" finds no "Unchanged" entry and "key" finds "Re-key".
fn starts_a_word(name: &str, text: &str) -> bool {
    name.match_indices(text).any(|(i, _)| {
        name[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

impl LogSearch {
    pub fn new(text: &str, kind: LogKind) -> LogSearch {
        let text = text.to_lowercase();
        let names = |name: &str| starts_a_word(&name.to_lowercase(), &text);
        let planned = kind == LogKind::Planned;
        // The words that lead an entry's changes.
        let lead = if planned {
            "would have changed:"
        } else {
            "changed:"
        };
        // A blocked run's entries all show "Not applied" and why, in place of an outcome.
        let every_entry = planned && names(&super::not_applied_message(""));
        let outcomes = match planned {
            true => Vec::new(),
            false => LogOutcome::ALL
                .into_iter()
                .filter(|o| names(o.label()))
                .collect(),
        };
        let in_a_key = CHANGE_KEYS.iter().any(|k| k.contains(&text));
        let framing = text.contains(['"', '\\', '{', '}', '[', ']', ':'])
            || VALUE_FRAME.iter().any(|w| w.contains(&text));
        LogSearch {
            actions: LogAction::ALL
                .into_iter()
                .filter(|a| names(a.label()))
                .collect(),
            outcomes,
            every_entry,
            field_keys: CHANGE_KEYS
                .into_iter()
                .filter(|k| names(field_label(k)))
                .collect(),
            other_fields: !in_a_key,
            values: !in_a_key && !framing,
            any_change: lead.contains(&text),
            change: match text.trim().strip_prefix(lead) {
                Some(rest) if !rest.trim().is_empty() => {
                    ChangeSearch::read(&rest.replace("->", "→"), true)
                }
                Some(_) => None,
                None => ChangeSearch::read(&text.replace("->", "→"), false),
            },
            text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_and_stored_words_are_not() {
        let s = LogSearch::new("Job Title", LogKind::Results);
        assert_eq!(s.field_keys, vec!["title"]);
        assert_eq!(s.text, "job title");
        let s = LogSearch::new("first_name", LogKind::Results);
        assert!(s.field_keys.is_empty() && !s.other_fields && !s.values);
        let s = LogSearch::new("re-key", LogKind::Results);
        assert_eq!(s.actions, vec![LogAction::Rekey]);
        assert!(LogSearch::new("rekey", LogKind::Results).actions.is_empty());
        assert_eq!(
            LogSearch::new("ok", LogKind::Results).outcomes,
            vec![LogOutcome::Ok]
        );
        // "Status" is how the log shows a change of `active`.
        let s = LogSearch::new("status", LogKind::Results);
        assert_eq!(s.field_keys, vec!["status", "active"]);
        // "Manager ID" is both the field's name and an older entry's `manager`.
        assert_eq!(
            LogSearch::new("manager", LogKind::Results).field_keys,
            vec!["manager_id", "manager"]
        );
    }

    #[test]
    fn names_are_searched_from_the_start_of_a_word() {
        // "Changed" leads every change; "Unchanged" entries changed nothing.
        let s = LogSearch::new("Changed", LogKind::Results);
        assert!(s.actions.is_empty() && s.any_change);
        assert_eq!(
            LogSearch::new("unch", LogKind::Results).actions,
            vec![LogAction::Unchanged]
        );
        assert_eq!(
            LogSearch::new("key", LogKind::Results).actions,
            vec![LogAction::Rekey]
        );
        assert!(LogSearch::new("itle", LogKind::Results)
            .field_keys
            .is_empty());
        assert_eq!(
            LogSearch::new("title", LogKind::Results).field_keys,
            vec!["title"]
        );
    }

    #[test]
    fn a_change_is_found_as_the_log_writes_it() {
        let s = LogSearch::new("Changed", LogKind::Results);
        assert!(s.any_change && s.change.is_none());
        // Typed with the keyboard's arrow.
        assert_eq!(
            LogSearch::new("Finance -> Legal", LogKind::Results).change,
            LogSearch::new("Finance → Legal", LogKind::Results).change
        );
        assert!(LogSearch::new("Finance -> Legal", LogKind::Results)
            .change
            .is_some());
        assert!(LogSearch::new("would have", LogKind::Planned).any_change);
        let s = LogSearch::new("Department: Finance", LogKind::Results);
        assert_eq!(
            s.change,
            Some(ChangeSearch {
                field_keys: vec!["department"],
                values: vec!["finance".into()]
            })
        );
        let s = LogSearch::new("Changed: Job Title: Engineer → Lead", LogKind::Results);
        assert_eq!(
            s.change,
            Some(ChangeSearch {
                field_keys: vec!["title"],
                values: vec!["engineer".into(), "lead".into()]
            })
        );
        let s = LogSearch::new("Finance → Legal", LogKind::Results);
        assert_eq!(
            s.change,
            Some(ChangeSearch {
                field_keys: vec![],
                values: vec!["finance".into(), "legal".into()]
            })
        );
        // Typed from inside the field's name; "(none)" stands for no value.
        let s = LogSearch::new("ment: (none) → Sales", LogKind::Results);
        assert_eq!(s.change.unwrap().values, vec!["sales".to_string()]);
        let s = LogSearch::new("Changed: Job", LogKind::Results);
        assert_eq!(s.change.unwrap().field_keys, vec!["title"]);
        // Not a change: a plain word, or a colon after no field's name.
        assert!(LogSearch::new("Finance", LogKind::Results).change.is_none());
        assert!(LogSearch::new("Note: Finance", LogKind::Results)
            .change
            .is_none());
    }

    #[test]
    fn a_blocked_runs_entries_show_not_applied_and_no_outcome() {
        let s = LogSearch::new("Not applied", LogKind::Planned);
        assert!(s.every_entry && s.outcomes.is_empty());
        assert!(LogSearch::new("threshold", LogKind::Planned).every_entry);
        assert!(!LogSearch::new("Not applied", LogKind::Results).every_entry);
        assert!(LogSearch::new("ok", LogKind::Planned).outcomes.is_empty());
    }

    #[test]
    fn values_are_searched_unless_the_text_could_be_their_frame() {
        assert!(LogSearch::new("Engineer", LogKind::Results).values);
        assert!(LogSearch::new("Sales, EMEA", LogKind::Results).values);
        for frame in ["old", "ne", "\"", "ll", "{", "title", "a:b"] {
            assert!(!LogSearch::new(frame, LogKind::Results).values, "{frame}");
        }
    }
}
