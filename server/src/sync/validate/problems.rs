//! Why a record is skipped: the first problem it has, in words an admin can act on.

use super::{RawRecord, Validator, MAX_VALUE_CHARS};
use crate::sync::person::{
    is_blank, is_valid_email, spreadsheet_error, Field, FieldSet, Person, RecordRef,
};
use hashbrown::HashTable;

impl Validator {
    fn first_with(
        &self,
        table: &HashTable<u32>,
        hash: u64,
        same: impl Fn(&Person) -> bool,
    ) -> Option<RecordRef> {
        table
            .find(hash, |&i| same(&self.loaded.people[i as usize]))
            .map(|&i| self.loaded.people[i as usize].record)
    }

    pub(super) fn problem(
        &self,
        raw: &RawRecord<'_>,
        external_id: &str,
        email: &str,
        active: Option<bool>,
        id_hash: u64,
        email_hash: u64,
    ) -> Option<String> {
        if let Some(f) = Field::ALL.into_iter().find(|&f| too_long(raw.get(f))) {
            return Some(format!(
                "The {} is longer than {MAX_VALUE_CHARS} characters. Record skipped.",
                f.label()
            ));
        }
        if let Some(f) = Field::ALL.into_iter().find(|&f| has_control(raw.get(f))) {
            return Some(format!(
                "The {} holds control characters (a damaged export?). Record skipped; the directory keeps this person as they are.",
                f.label()
            ));
        }
        // A required value that is missing or unreadable skips the record, so the person
        // the directory holds is left exactly as they are (and is never deactivated for it).
        let required = self.mapping.required();
        let checked = required.union(FieldSet::of(&[Field::Status]));
        if let Some((f, e)) = checked
            .iter()
            .find_map(|f| spreadsheet_error(raw.get(f)).map(|e| (f, e)))
        {
            return Some(format!(
                "The {} cell holds a spreadsheet error ({e}). Record skipped; the directory keeps this person as they are.",
                f.label()
            ));
        }
        if is_blank(external_id) {
            return Some("No Employee ID. Record skipped.".into());
        }
        if is_blank(email) {
            return Some("No email address. Record skipped.".into());
        }
        if let Some(f) = required.iter().find(|&f| is_blank(raw.get(f))) {
            return Some(format!(
                "The {} is blank. Record skipped; the directory keeps this person as they are.",
                f.label()
            ));
        }
        if !is_valid_email(email) {
            return Some(format!(
                "\"{}\" is not a valid email address. Record skipped.",
                email.chars().take(80).collect::<String>()
            ));
        }
        if active.is_none() {
            return Some(format!(
                "Status \"{}\" is neither active nor terminated. Record skipped.",
                raw.get(Field::Status).chars().take(40).collect::<String>()
            ));
        }
        if let Some(first) = self.first_with(&self.by_id, id_hash, |p| p.external_id == external_id)
        {
            return Some(format!(
                "Employee ID {external_id} appears again (first in {first}). Record skipped."
            ));
        }
        if let Some(first) = self.first_with(&self.by_email, email_hash, |p| p.email == email) {
            return Some(format!(
                "Email {email} appears again (first in {first}). Record skipped."
            ));
        }
        None
    }
}

fn too_long(s: &str) -> bool {
    s.len() > MAX_VALUE_CHARS && s.chars().count() > MAX_VALUE_CHARS
}

/// Control characters, and the invisible characters that reorder text (bidirectional
/// overrides and isolates, which can make one name display as another).
pub(super) fn has_control(s: &str) -> bool {
    for b in s.bytes() {
        if b < 0x20 || b == 0x7f {
            return true;
        }
        if b >= 0x80 {
            return s.chars().any(|c| {
                c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            });
        }
    }
    false
}
