//! Validate & map: turns a source's records into people, skipping the records the
//! directory cannot take and saying why in words an admin can act on.

use super::mapping::{Cells, ColumnMapping, Columns};
use super::person::{
    is_blank, parse_active, spreadsheet_error, Field, FieldSet, Person, RecordRef, Text,
};
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

mod loaded;
mod managers;
mod problems;

pub use loaded::{LoadError, Loaded, Note, RawRecord, Skipped};
#[cfg(test)]
use managers::manager_loops;
use problems::has_control;

/// The longest value any directory field accepts.
pub const MAX_VALUE_CHARS: usize = 256;
/// More records than any organisation has: a sign of a wrong file, not of a big company.
pub const MAX_RECORDS: usize = 2_000_000;

/// An optional field of one record, as the source gives it.
enum Optional {
    Value(Text),
    Blank,
    Absent,
    Unreadable(&'static str),
}

impl Optional {
    fn into_value(self) -> Option<Text> {
        match self {
            Optional::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// Accepts records one at a time, so a source can stream them. Duplicate checks index
/// the people already accepted (by position), so a record costs no copies beyond the
/// person it becomes.
pub struct Validator {
    mapping: ColumnMapping,
    columns: Option<Columns>,
    hasher: DefaultHashBuilder,
    by_id: HashTable<u32>,
    by_email: HashTable<u32>,
    loaded: Loaded,
    progress: Option<Arc<AtomicUsize>>,
    /// The values of the current row when its width is wrong (see [`Skipped::shifted`]).
    shifted: Vec<String>,
}

impl Validator {
    pub fn new(mapping: ColumnMapping) -> Self {
        Self {
            mapping,
            columns: None,
            hasher: DefaultHashBuilder::default(),
            by_id: HashTable::new(),
            by_email: HashTable::new(),
            loaded: Loaded::default(),
            progress: None,
            shifted: Vec::new(),
        }
    }

    /// Makes room for about `records` records up front.
    pub fn reserve(&mut self, records: usize) {
        let records = records.min(MAX_RECORDS);
        self.loaded.people.reserve(records);
        let hasher = &self.hasher;
        let people = &self.loaded.people;
        self.by_id.reserve(records, |&i| {
            hasher.hash_one(people[i as usize].external_id.as_str())
        });
        self.by_email.reserve(records, |&i| {
            hasher.hash_one(people[i as usize].email.as_str())
        });
    }

    /// Counts records read into `counter`, for the run's progress.
    pub fn with_progress(mut self, counter: Arc<AtomicUsize>) -> Self {
        self.progress = Some(counter);
        self
    }

    /// A table's header row: decides which column fills which field.
    pub fn header(&mut self, cells: &[String]) -> Result<(), LoadError> {
        self.header_at(RecordRef::Line(1), cells).map(|_| ())
    }

    /// The first row of a table, at `record`: false when it is not the header after all (a
    /// line of nothing but control characters, passed over with a warning), so the next
    /// row is. Control characters in a header are left out of the column names, with a
    /// warning: damage there is told, as it is anywhere else, and the file still loads.
    pub fn header_at(&mut self, record: RecordRef, cells: &[String]) -> Result<bool, LoadError> {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return Err(LoadError::new(
                "The first row is empty: the file must start with a header row naming its columns.",
            ));
        }
        // Line breaks in a header cell are a wrapped title, not damage.
        let damage = |ch: char| ch.is_control() && !matches!(ch, '\n' | '\r' | '\t');
        if !cells.iter().any(|c| c.chars().any(damage)) {
            self.resolve_header(cells)?;
            return Ok(true);
        }
        let cleaned: Vec<String> = cells
            .iter()
            .map(|c| c.chars().filter(|&ch| !damage(ch)).collect())
            .collect();
        if cleaned.iter().all(|c| c.trim().is_empty()) {
            self.loaded.file_warnings.push((
                record,
                "This line holds nothing but control characters (a damaged export?) and was passed over: the header row is the one after it.".into(),
            ));
            return Ok(false);
        }
        self.loaded.file_warnings.push((
            record,
            "The header row holds control characters (a damaged export?); they were left out when reading the column names.".into(),
        ));
        self.resolve_header(&cleaned)?;
        Ok(true)
    }

    fn resolve_header(&mut self, cells: &[String]) -> Result<(), LoadError> {
        let columns = self
            .mapping
            .resolve(cells)
            .map_err(|p| LoadError(p.to_string()))?;
        self.columns = Some(columns);
        Ok(())
    }

    /// A table row after the header. Blank rows are ignored.
    pub fn row<C: Cells + ?Sized>(
        &mut self,
        record: RecordRef,
        cells: &C,
    ) -> Result<(), LoadError> {
        self.table_row(record, cells, None)
    }

    /// A row holding a cell the reader could not read (`error`, a spreadsheet error, in
    /// `column` when the reader could tell): its record is skipped, whatever its other
    /// values say.
    pub fn damaged_row<C: Cells + ?Sized>(
        &mut self,
        record: RecordRef,
        cells: &C,
        error: &str,
        column: Option<usize>,
    ) -> Result<(), LoadError> {
        let field = column.and_then(|c| self.columns.as_ref()?.field_at(c));
        let cell = match field {
            Some(f) => format!("The {} cell", f.label()),
            None => "A cell of this row".into(),
        };
        let problem = format!(
            "{cell} holds a spreadsheet error ({error}) that could not be read. Record skipped; the directory keeps this person as they are."
        );
        self.table_row(record, cells, Some(problem))
    }

    fn table_row<C: Cells + ?Sized>(
        &mut self,
        record: RecordRef,
        cells: &C,
        damage: Option<String>,
    ) -> Result<(), LoadError> {
        let Some(columns) = &self.columns else {
            return Err(LoadError::new("The file has no header row."));
        };
        let mut raw = RawRecord::default();
        for f in Field::ALL {
            raw.set(f, columns.get(cells, f));
        }
        raw.set(
            Field::Status,
            super::mapping::active_reading(raw.get(Field::Status), columns.status_terminated),
        );
        let identified =
            !raw.get(Field::ExternalId).is_empty() || !raw.get(Field::Email).is_empty();
        if !identified && cells.is_blank() {
            return Ok(());
        }
        let width = columns.width;
        if cells.count() != width {
            self.shifted.clear();
            for c in (0..cells.count()).filter_map(|i| cells.cell(i)) {
                let c = c.trim();
                if !c.is_empty() {
                    self.shifted.push(c.to_string());
                    let lower = c.to_lowercase();
                    if lower != c {
                        self.shifted.push(lower);
                    }
                }
            }
        }
        let problem = damage.or_else(|| {
            (cells.count() != width).then(|| {
                let damaged_cells = (0..cells.count())
                    .filter_map(|i| cells.cell(i))
                    .any(has_control);
                if damaged_cells {
                    "The row holds control characters (a damaged export?) and its values do not line up with the header. Record skipped; the directory keeps this person as they are.".to_string()
                } else {
                    format!(
                        "The row has {} values but the header has {width} columns, so its values may be in the wrong columns (an unquoted comma or semicolon?). Row skipped.",
                        cells.count()
                    )
                }
            })
        });
        self.record(record, raw, problem)
    }

    /// One record, from a table row or an API object. `problem` skips it with that reason.
    pub fn record(
        &mut self,
        record: RecordRef,
        raw: RawRecord<'_>,
        problem: Option<String>,
    ) -> Result<(), LoadError> {
        let seq = self.loaded.records;
        self.loaded.records += 1;
        if let Some(p) = &self.progress {
            p.store(self.loaded.records, Ordering::Relaxed);
        }
        if self.loaded.records > MAX_RECORDS {
            return Err(LoadError(format!(
                "The source holds more than {MAX_RECORDS} records; this is not a user directory export."
            )));
        }
        let external_id = raw.get(Field::ExternalId);
        let email = lowercase(raw.get(Field::Email));
        let active = parse_active(raw.get(Field::Status));
        let id_hash = self.hasher.hash_one(external_id);
        let email_hash = self.hasher.hash_one(email.as_str());
        let reason = problem
            .or_else(|| self.problem(&raw, external_id, &email, active, id_hash, email_hash));
        if let Some(reason) = reason {
            self.loaded.skipped.push(Skipped {
                record,
                seq,
                external_id: (!external_id.is_empty()).then(|| external_id.to_string()),
                email: (!email.is_empty()).then(|| email.to_string()),
                reason,
                shifted: std::mem::take(&mut self.shifted),
            });
            return Ok(());
        }
        let index = self.loaded.people.len() as u32;
        let people = &self.loaded.people;
        self.by_id.insert_unique(id_hash, index, |&i| {
            self.hasher
                .hash_one(people[i as usize].external_id.as_str())
        });
        self.by_email.insert_unique(email_hash, index, |&i| {
            self.hasher.hash_one(people[i as usize].email.as_str())
        });
        let [title, department, manager_id] = Field::OPTIONAL.map(|f| self.optional(&raw, f));
        let mut blank = FieldSet::default();
        let mut unreadable = Vec::new();
        for (f, value) in Field::OPTIONAL
            .into_iter()
            .zip([&title, &department, &manager_id])
        {
            match value {
                Optional::Blank => blank.insert(f),
                Optional::Unreadable(e) => unreadable.push(format!(
                    "The {} cell holds a spreadsheet error ({e}), so the {} was not changed.",
                    f.label(),
                    f.label()
                )),
                Optional::Value(_) | Optional::Absent => {}
            }
        }
        self.loaded.people.push(Person {
            record,
            seq,
            external_id: Text::from(external_id),
            email,
            first_name: Text::from(raw.get(Field::FirstName)),
            last_name: Text::from(raw.get(Field::LastName)),
            title: title.into_value(),
            department: department.into_value(),
            manager_id: manager_id.into_value(),
            active: active.unwrap_or(true),
            blank,
        });
        for text in unreadable {
            self.loaded.note(index as usize, text, true);
        }
        Ok(())
    }

    /// An optional value is taken, left blank (the configuration decides what a blank does)
    /// or unreadable: a spreadsheet error is never a value, so the directory keeps what it
    /// holds and the log says why. A table without the field's column gives nothing.
    fn optional(&self, raw: &RawRecord<'_>, field: Field) -> Optional {
        let v = raw.get(field);
        if let Some(e) = spreadsheet_error(v) {
            Optional::Unreadable(e)
        } else if !is_blank(v) {
            Optional::Value(Text::from(v))
        } else if self.columns.as_ref().is_none_or(|c| c.has(field)) {
            Optional::Blank
        } else {
            Optional::Absent
        }
    }

    /// After the last record: checks what needs the whole source (managers) and that
    /// there is anything to import at all.
    pub fn finish(mut self) -> Result<Loaded, LoadError> {
        if self.loaded.records == 0 {
            return Err(LoadError::new(
                "The source holds no users (only a header row, or nothing at all). Nothing was changed.",
            ));
        }
        if self.loaded.people.is_empty() {
            let first = &self.loaded.skipped[0];
            return Err(LoadError(format!(
                "None of the source's {} records could be imported, so nothing was changed. The first problem, in {}: {}",
                self.loaded.records, first.record, first.reason
            )));
        }
        self.check_managers();
        Ok(self.loaded)
    }
}

/// Lower-cases an email, copying once (and, for most emails, inline: no allocation).
fn lowercase(s: &str) -> Text {
    if s.is_ascii() {
        let mut t = Text::from(s);
        t.make_ascii_lowercase();
        t
    } else {
        Text::from(s.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    fn load(rows: &[&str]) -> Result<Loaded, LoadError> {
        let mut v = Validator::new(ColumnMapping::default());
        v.header(&cells(
            "Employee ID,Email,First Name,Last Name,Job Title,Manager ID,Status",
        ))?;
        for (i, r) in rows.iter().enumerate() {
            v.row(RecordRef::Row(i as u64 + 2), &cells(r))?;
        }
        v.finish()
    }

    #[test]
    fn a_skipped_managers_link_is_kept() {
        let l = load(&["E1,bad-email,Boss,X,,,", "E2,b@example.com,B,Y,,E1,"]).unwrap();
        assert_eq!(l.people[0].manager_id.as_deref(), Some("E1"));
        assert!(l.notes.is_empty());
    }

    #[test]
    fn good_rows_become_people() {
        let l = load(&[
            "E1,Ann@Example.com,Ann,Lee,CEO,,Active",
            "E2,bo@example.com,Bo,Ng,,E1,",
            ",,,,,,",
            "E3,cy@example.com,Cy,Oh,Dev,E1,Terminated",
        ])
        .unwrap();
        assert_eq!(l.records, 3, "the blank row is not a record");
        assert_eq!(l.people.len(), 3);
        assert_eq!(l.people[0].email, "ann@example.com");
        assert_eq!(l.people[0].title.as_deref(), Some("CEO"));
        assert_eq!(l.people[1].manager_id.as_deref(), Some("E1"));
        assert!(!l.people[2].active);
        assert!(l.skipped.is_empty() && l.notes.is_empty());
    }

    #[test]
    fn bad_rows_are_skipped_with_reasons() {
        let l = load(&[
            "E1,ann@example.com,Ann,Lee,,,",
            ",nobody@example.com,No,Id,,,",
            "E2,,No,Email,,,",
            "E3,not-an-email,Bad,Email,,,",
            "E1,again@example.com,Dup,Id,,,",
            "E4,ANN@example.com,Dup,Email,,,",
            "E5,e5@example.com,Odd,Status,,,Sabbatical-ish",
            "E6,e6@example.com,Too,Many,,,,extra",
            "E7,e7@example.com,Unknown,Boss,,E99,",
        ])
        .unwrap();
        assert_eq!(l.people.len(), 2);
        let reasons: Vec<&str> = l.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert!(reasons[0].starts_with("No Employee ID"));
        assert!(reasons[1].starts_with("No email"));
        assert!(reasons[2].contains("not a valid email"));
        assert!(reasons[3].contains("Employee ID E1 appears again (first in row 2)"));
        assert!(reasons[4].contains("Email ann@example.com appears again"));
        assert!(reasons[5].contains("neither active nor terminated"));
        assert!(reasons[6].contains("8 values but the header has 7"));
        assert_eq!(l.people[1].manager_id, None);
        assert_eq!(l.unresolved_managers, vec![(1, Text::from("E99"))]);
        let protected = l.protected_ids();
        assert!(protected.contains("E1") && protected.contains("E6"));
        // A row with an unquoted comma: every value protects, wherever it landed.
        let l = load(&[
            "E1,a@example.com,A,B,,,",
            "VP, Sales,E7,e7@example.com,C,D,,",
        ])
        .unwrap();
        assert!(l.protected_ids().contains("E7"));
        assert!(l.protected_emails().contains("e7@example.com"));
    }

    #[test]
    fn manager_loops_are_told_once_and_not_applied() {
        let l = load(&[
            "E1,a@example.com,A,A,,E2,",
            "E2,b@example.com,B,B,,E3,",
            "E3,c@example.com,C,C,,E1,",
            "E4,d@example.com,D,D,,E5,",
            "E5,e@example.com,E,E,,E4,",
            "E6,f@example.com,F,F,,E1,",
        ])
        .unwrap();
        let managers: Vec<Option<&str>> =
            l.people.iter().map(|p| p.manager_id.as_deref()).collect();
        assert_eq!(managers, [None, None, None, None, None, Some("E1")]);
        let warnings: Vec<&str> = l
            .notes
            .values()
            .filter(|n| n.warning)
            .map(|n| n.text.as_str())
            .collect();
        assert_eq!(warnings.len(), 2, "one warning per loop: {warnings:?}");
        assert!(l.notes[&0].text.contains("E1 → E2 → E3 → E1"));
        assert!(l.notes[&0].text.contains("row 2, row 3, row 4"));
        assert!(l.notes[&3].text.contains("E4 → E5 → E4"));
        assert!(!l.notes[&1].warning && l.notes[&1].text.contains("reported at row 2"));
        assert!(!l.notes.contains_key(&5));
        assert_eq!(
            manager_loops(&[Some(1), Some(2), Some(0), None]),
            vec![vec![0, 1, 2]]
        );
        assert_eq!(
            manager_loops(&[None, Some(0), Some(1)]),
            Vec::<Vec<u32>>::new()
        );
        // Entered from its middle, a loop still starts at its first member.
        assert_eq!(
            manager_loops(&[Some(2), Some(0), Some(1)]),
            vec![vec![0, 2, 1]]
        );
    }

    #[test]
    fn required_values_that_show_nothing_skip_the_record() {
        let l = load(&[
            "E1,a@example.com,\u{200b},A,,,",
            "E2,b@example.com,B,#N/A,,,",
            "E3,c@example.com,C,C,#REF!,,",
            "#VALUE!,d@example.com,D,D,,,",
        ])
        .unwrap();
        let reasons: Vec<&str> = l.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert!(
            reasons[0].starts_with("The First Name is blank"),
            "{reasons:?}"
        );
        assert!(reasons[1].starts_with("The Last Name cell holds a spreadsheet error (#N/A)"));
        assert!(reasons[2].starts_with("The Employee ID cell holds a spreadsheet error (#VALUE!)"));
        assert_eq!(l.people.len(), 1);
        assert_eq!(l.people[0].title, None, "an error is never a value");
        assert!(l.notes[&0].warning && l.notes[&0].text.contains("Job Title cell holds"));
        assert!(l.protected_emails().contains("d@example.com"));
    }

    #[test]
    fn empty_sources_fail_to_load() {
        assert!(load(&[]).unwrap_err().0.contains("no users"));
        assert!(load(&[",,,,,,"]).is_err());
        assert!(load(&["E1,bad,A,B,,,"]).unwrap_err().0.contains("None of"));
        let mut v = Validator::new(ColumnMapping::default());
        assert!(v.header(&cells(",,")).is_err());
    }

    #[test]
    fn overlong_values_are_skipped() {
        let long = "x".repeat(MAX_VALUE_CHARS + 1);
        let l = load(&[
            "E1,a@example.com,A,B,,,",
            &format!("E2,b@example.com,{long},B,,,"),
        ])
        .unwrap();
        assert!(l.skipped[0].reason.contains("First Name is longer"));
    }
}
