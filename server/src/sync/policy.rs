//! What a configuration decides about source values that cannot be taken as they come:
//! blanks in optional fields, fields it requires beyond the four every source must give,
//! and a person whose Employee ID changes.

use super::person::{Field, FieldSet};
use std::fmt;
use std::str::FromStr;

/// What a blank optional value (Job Title, Department, Manager ID) does to a stored one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BlankValues {
    /// A blank never erases what the directory holds: exports often leave cells empty
    /// that nobody meant to clear.
    #[default]
    Keep,
    /// A blank clears the stored value, logged with what it was.
    Clear,
}

impl BlankValues {
    pub fn slug(self) -> &'static str {
        match self {
            BlankValues::Keep => "keep",
            BlankValues::Clear => "clear",
        }
    }
}

impl fmt::Display for BlankValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// A record rule that cannot be read: the word as given (its first 40 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("blank_values must be \"keep\" or \"clear\", not \"{0}\"")]
    BlankValues(String),
    #[error("required names an unknown field \"{0}\" (it can name title, department, manager_id)")]
    UnknownField(String),
}

fn shown(word: &str) -> String {
    word.chars().take(40).collect()
}

impl FromStr for BlankValues {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, PolicyError> {
        match s {
            "keep" => Ok(BlankValues::Keep),
            "clear" => Ok(BlankValues::Clear),
            other => Err(PolicyError::BlankValues(shown(other))),
        }
    }
}

/// A configuration's rules for records, as stored with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPolicy {
    pub blank_values: BlankValues,
    /// A person matched by email whose Employee ID changed is re-keyed (logged as a
    /// warning); when false the record is skipped instead.
    pub allow_rekey: bool,
    /// Optional fields this configuration requires: a record without one is skipped.
    pub required: FieldSet,
}

impl Default for RecordPolicy {
    fn default() -> Self {
        Self {
            blank_values: BlankValues::Keep,
            allow_rekey: true,
            required: FieldSet::default(),
        }
    }
}

/// `title, department` → the fields; only optional fields can be named (the others are
/// always required).
pub fn parse_required<'a>(
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<FieldSet, PolicyError> {
    let mut set = FieldSet::default();
    for key in keys.into_iter().map(str::trim).filter(|k| !k.is_empty()) {
        match Field::from_key(key) {
            Some(f) if Field::OPTIONAL.contains(&f) => set.insert(f),
            Some(_) => {} // Always required anyway.
            None => return Err(PolicyError::UnknownField(shown(key))),
        }
    }
    Ok(set)
}

/// The stored form of a required set: field keys, comma-separated.
pub fn required_keys(set: FieldSet) -> String {
    set.iter().map(Field::key).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for b in [BlankValues::Keep, BlankValues::Clear] {
            assert_eq!(b.slug().parse::<BlankValues>(), Ok(b));
        }
        assert!("Clear".parse::<BlankValues>().is_err());
        let set = parse_required(["title", " manager_id", "email", ""]).unwrap();
        assert_eq!(required_keys(set), "title,manager_id");
        assert_eq!(parse_required(required_keys(set).split(',')), Ok(set));
        assert!(parse_required(["salary"])
            .unwrap_err()
            .to_string()
            .contains("salary"));
    }
}
