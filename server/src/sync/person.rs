//! The directory fields a source can fill, and one person as a source describes them.

use std::fmt;

pub use app::domain::Field;

/// A few fields, as one byte: which fields a record left blank, which a configuration
/// requires.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FieldSet(u8);

impl FieldSet {
    pub const fn of(fields: &[Field]) -> FieldSet {
        let mut bits = 0u8;
        let mut i = 0;
        while i < fields.len() {
            bits |= 1 << fields[i] as u8;
            i += 1;
        }
        FieldSet(bits)
    }
    pub fn insert(&mut self, field: Field) {
        self.0 |= 1 << field as u8;
    }
    pub fn contains(self, field: Field) -> bool {
        self.0 & (1 << field as u8) != 0
    }
    pub fn union(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 | other.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |&f| self.contains(f))
    }
}

/// Whether a value shows nothing: empty, spaces of any kind, or only invisible format
/// characters (zero-width spaces, joiners, a stray byte-order mark, soft hyphens).
pub fn is_blank(value: &str) -> bool {
    value.chars().all(|c| {
        c.is_whitespace()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
    })
}

/// The texts spreadsheets show for a formula that failed (Excel and Google Sheets), which
/// a CSV export writes as they are and a workbook keeps as an error cell. None of them is
/// ever a person's value.
pub fn spreadsheet_error(value: &str) -> Option<&'static str> {
    const ERRORS: [&str; 19] = [
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#DATA!",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#EXTERNAL!",
        "#PYTHON!",
        "#ERROR!",
    ];
    let v = value.trim();
    if !v.starts_with('#') {
        return None;
    }
    ERRORS.into_iter().find(|e| e.eq_ignore_ascii_case(v))
}

/// Where a record sits in its source, as logs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordRef {
    /// A CSV line (quoted line breaks make lines and records differ).
    Line(u64),
    /// A spreadsheet row.
    Row(u64),
    /// The n-th record of an API source.
    Item(u64),
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordRef::Line(n) => write!(f, "line {n}"),
            RecordRef::Row(n) => write!(f, "row {n}"),
            RecordRef::Item(n) => write!(f, "record {n}"),
        }
    }
}

/// Short text kept inline: most ids, names and emails fit in 24 bytes, so a person costs
/// no allocation per field (loading 100,000 people is mostly allocation otherwise).
pub type Text = compact_str::CompactString;

/// A person as the source says they should be in the directory, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Where the record came from, for logs ("line 12", "row 12").
    pub record: RecordRef,
    /// The record's place in the source, so logs follow the source's order.
    pub seq: usize,
    pub external_id: Text,
    /// Lower-cased: emails compare without case.
    pub email: Text,
    pub first_name: Text,
    pub last_name: Text,
    pub title: Option<Text>,
    pub department: Option<Text>,
    pub manager_id: Option<Text>,
    /// False when the source marks the person as terminated or inactive.
    pub active: bool,
    /// Optional fields the source gave blank (its column is there, the value is not). An
    /// optional field that is `None` without being blank here is one the source did not
    /// give at all, or gave unreadably: the directory keeps what it holds for it.
    pub blank: FieldSet,
}

impl Person {
    pub fn optional(&self, field: Field) -> Option<&str> {
        match field {
            Field::Title => self.title.as_deref(),
            Field::Department => self.department.as_deref(),
            Field::ManagerId => self.manager_id.as_deref(),
            _ => None,
        }
    }

    pub fn optional_mut(&mut self, field: Field) -> Option<&mut Option<Text>> {
        match field {
            Field::Title => Some(&mut self.title),
            Field::Department => Some(&mut self.department),
            Field::ManagerId => Some(&mut self.manager_id),
            _ => None,
        }
    }
}

/// Reads a source's status value: `Some(true)` active, `Some(false)` terminated,
/// `None` when the word means neither.
pub fn parse_active(value: &str) -> Option<bool> {
    const ACTIVE: [&str; 11] = [
        "", "active", "a", "yes", "y", "true", "1", "employed", "current", "on leave", "leave",
    ];
    const INACTIVE: [&str; 13] = [
        "inactive",
        "terminated",
        "t",
        "i",
        "no",
        "n",
        "false",
        "0",
        "deactivated",
        "suspended",
        "archived",
        "former",
        "left",
    ];
    let v = value.trim();
    if ACTIVE.iter().any(|w| w.eq_ignore_ascii_case(v)) {
        Some(true)
    } else if INACTIVE.iter().any(|w| w.eq_ignore_ascii_case(v)) {
        Some(false)
    } else {
        None
    }
}

/// A deliberately plain check: one `@`, something before it, a dotted domain after it,
/// no spaces or control characters. Mail servers decide the rest. One pass over the bytes
/// for ASCII addresses, which are nearly all of them.
pub fn is_valid_email(email: &str) -> bool {
    if email.len() > 254 {
        return false;
    }
    let Some(at) = email.find('@') else {
        return false;
    };
    let (local, domain) = (&email[..at], &email[at + 1..]);
    if local.is_empty() || local.len() > 64 || domain.is_empty() {
        return false;
    }
    let local_ok = |c: char| c.is_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_valid = if local.is_ascii() {
        local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b))
    } else {
        local.chars().all(local_ok)
    };
    if !local_valid {
        return false;
    }
    let bytes = domain.as_bytes();
    if bytes[0] == b'.' || bytes[bytes.len() - 1] == b'.' {
        return false;
    }
    let mut dots = 0;
    let mut previous_dot = false;
    for c in domain.chars() {
        match c {
            '.' if previous_dot => return false,
            '.' => {
                dots += 1;
                previous_dot = true;
            }
            c if c.is_alphanumeric() || c == '-' => previous_dot = false,
            _ => return false,
        }
    }
    dots > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_keys_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_key(f.key()), Some(f));
        }
        assert_eq!(Field::from_key("salary"), None);
    }

    #[test]
    fn spreadsheet_errors_are_told_from_values() {
        for e in [
            "#N/A",
            "#REF!",
            " #value! ",
            "#DIV/0!",
            "#NAME?",
            "#NULL!",
            "#NUM!",
        ] {
            assert!(spreadsheet_error(e).is_some(), "{e}");
        }
        for v in ["", "N/A", "#1", "#N/A x", "Sales #N/A"] {
            assert_eq!(spreadsheet_error(v), None, "{v}");
        }
    }

    #[test]
    fn blanks_include_invisible_characters() {
        for b in ["", "   ", "\t\u{a0}", "\u{200b}", "\u{feff}\u{200d}"] {
            assert!(is_blank(b), "{b:?}");
        }
        for v in ["a", " x ", "\u{200b}x"] {
            assert!(!is_blank(v), "{v:?}");
        }
    }

    #[test]
    fn field_sets() {
        let mut s = FieldSet::of(&[Field::Title]);
        s.insert(Field::ManagerId);
        assert!(s.contains(Field::Title) && s.contains(Field::ManagerId));
        assert!(!s.contains(Field::Department));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![Field::Title, Field::ManagerId]
        );
        assert!(FieldSet::default().is_empty());
    }

    #[test]
    fn status_words() {
        assert_eq!(parse_active("Active"), Some(true));
        assert_eq!(parse_active(""), Some(true));
        assert_eq!(parse_active(" Terminated "), Some(false));
        assert_eq!(parse_active("suspended"), Some(false));
        assert_eq!(parse_active("maybe"), None);
    }

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "o'neil@example.ie",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.co",
            "a@@b.co",
            "a b@c.co",
            "a@b..co",
            "a@.b.co",
            "a@b.co.",
            "=HYPERLINK(\"x\")@b.co",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }
}
