//! What validating a source gives: its people, the records skipped and why, and notes;
//! or why it could not be loaded at all.

use crate::sync::person::{Field, Person, RecordRef, Text};
use hashbrown::{HashMap, HashSet};

/// Why a source could not be loaded at all. The text is shown to admins as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(pub String);

impl LoadError {
    pub fn new(message: impl Into<String>) -> Self {
        LoadError(message.into())
    }
}

/// One record's values, one slot per [`Field`], borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawRecord<'a>([&'a str; 8]);

impl<'a> RawRecord<'a> {
    /// Stores the value without surrounding whitespace.
    pub fn set(&mut self, field: Field, value: &'a str) {
        self.0[field as usize] = value.trim();
    }
    pub fn get(&self, field: Field) -> &'a str {
        self.0[field as usize]
    }
}

/// A record that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub record: RecordRef,
    pub seq: usize,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub reason: String,
    /// Every value of a row whose columns may be shifted: any of them could be the
    /// person's Employee ID or email, so all of them protect users from deactivation.
    pub shifted: Vec<String>,
}

/// What the log says of a person beyond what the run did: a problem that did not stop the
/// import (a warning), or a pointer to where such a problem is told (not one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub warning: bool,
}

/// What a source holds, validated.
#[derive(Debug, Default)]
pub struct Loaded {
    pub people: Vec<Person>,
    /// Notes per person (by index).
    pub notes: HashMap<usize, Note>,
    /// Manager IDs (by person) that name nobody in the source. The plan applies one when
    /// it names a directory user whom a skipped record keeps, and otherwise says why not.
    pub unresolved_managers: Vec<(usize, Text)>,
    /// Warnings on the file itself rather than on a person (a damaged header row).
    pub file_warnings: Vec<(RecordRef, String)>,
    pub skipped: Vec<Skipped>,
    /// Every record read, valid or not.
    pub records: usize,
}

impl Loaded {
    /// Adds a sentence to the person's note; one warning makes the whole note a warning.
    pub fn note(&mut self, person: usize, text: String, warning: bool) {
        let note = self.notes.entry(person).or_default();
        if !note.text.is_empty() {
            note.text.push(' ');
        }
        note.text.push_str(&text);
        note.warning |= warning;
    }

    /// Employee ids named by skipped records: their directory users are left as they are,
    /// never deactivated because a bad row hid them.
    pub fn protected_ids(&self) -> HashSet<&str> {
        self.skipped
            .iter()
            .flat_map(|s| {
                s.external_id
                    .as_deref()
                    .into_iter()
                    .chain(s.shifted.iter().map(String::as_str))
            })
            .collect()
    }
    pub fn protected_emails(&self) -> HashSet<&str> {
        self.skipped
            .iter()
            .flat_map(|s| {
                s.email
                    .as_deref()
                    .into_iter()
                    .chain(s.shifted.iter().map(String::as_str))
            })
            .collect()
    }
}
