//! Which source column fills which directory field: sensible defaults for the headers HR
//! exports commonly use, overridden by a configuration's own mapping.

use super::person::{Field, FieldSet};
use std::collections::BTreeMap;

/// Header names compare without case, spaces or punctuation: "Employee ID", "employee_id"
/// and "EmployeeID" are one header.
pub fn normalise_header(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The headers recognised without any configuration, already normalised.
const DEFAULTS: &[(&str, Field)] = &[
    ("employeeid", Field::ExternalId),
    ("workerid", Field::ExternalId),
    ("employeenumber", Field::ExternalId),
    ("employeeno", Field::ExternalId),
    ("externalid", Field::ExternalId),
    ("empid", Field::ExternalId),
    ("email", Field::Email),
    ("emailaddress", Field::Email),
    ("workemail", Field::Email),
    ("primaryemail", Field::Email),
    ("firstname", Field::FirstName),
    ("givenname", Field::FirstName),
    ("lastname", Field::LastName),
    ("surname", Field::LastName),
    ("familyname", Field::LastName),
    ("jobtitle", Field::Title),
    ("title", Field::Title),
    ("businesstitle", Field::Title),
    ("position", Field::Title),
    ("department", Field::Department),
    ("dept", Field::Department),
    ("managerid", Field::ManagerId),
    ("manageremployeeid", Field::ManagerId),
    ("managerworkerid", Field::ManagerId),
    ("supervisorid", Field::ManagerId),
    ("status", Field::Status),
    ("employmentstatus", Field::Status),
    ("workerstatus", Field::Status),
    ("active", Field::Status),
    ("terminated", Field::Status),
    ("isterminated", Field::Status),
];

/// A configuration's column mapping: source header → field, on top of the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMapping {
    custom: BTreeMap<String, Field>,
    /// Optional fields the configuration requires as well.
    extra_required: FieldSet,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("the mapping names an unknown field \"{0}\" (known: employee_id, email, first_name, last_name, title, department, manager_id, status)")]
    UnknownField(String),
}

impl ColumnMapping {
    /// From `header = field key` pairs, as written in a configuration file.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, MappingError> {
        let mut custom = BTreeMap::new();
        for (header, key) in pairs {
            let field = Field::from_key(key.trim())
                .ok_or_else(|| MappingError::UnknownField(key.chars().take(40).collect()))?;
            custom.insert(normalise_header(header), field);
        }
        Ok(Self {
            custom,
            extra_required: FieldSet::default(),
        })
    }

    /// Makes `fields` required too: their columns must be there and their values given.
    pub fn require(&mut self, fields: FieldSet) {
        self.extra_required = self.extra_required.union(fields);
    }

    /// Every field a record must give: the four every source gives, and the configuration's.
    pub fn required(&self) -> FieldSet {
        FieldSet::of(&Field::REQUIRED).union(self.extra_required)
    }

    pub fn field_for(&self, header: &str) -> Option<Field> {
        let n = normalise_header(header);
        self.custom.get(&n).copied().or_else(|| {
            // A custom mapping for a field replaces that field's default headers.
            DEFAULTS
                .iter()
                .find(|(h, _)| *h == n)
                .map(|(_, f)| *f)
                .filter(|f| !self.custom.values().any(|c| c == f))
        })
    }

    /// Resolves a header row to the column each field reads from.
    pub fn resolve(&self, headers: &[String]) -> Result<Columns, HeaderProblem> {
        let mut index: BTreeMap<Field, usize> = BTreeMap::new();
        for (i, h) in headers.iter().enumerate() {
            if let Some(f) = self.field_for(h) {
                if let Some(&first) = index.get(&f) {
                    // A "Terminated" column beside a status column: the status says it.
                    if f == Field::Status && names_termination(h) {
                        continue;
                    }
                    if f == Field::Status && names_termination(&headers[first]) {
                        index.insert(f, i);
                        continue;
                    }
                    return Err(HeaderProblem::Duplicate {
                        field: f,
                        first: headers[first].trim().to_string(),
                        second: h.trim().to_string(),
                    });
                }
                index.insert(f, i);
            }
        }
        let missing: Vec<Field> = self
            .required()
            .iter()
            .filter(|f| !index.contains_key(f))
            .collect();
        if !missing.is_empty() {
            return Err(HeaderProblem::Missing {
                missing,
                found: headers.iter().map(|h| h.trim().to_string()).collect(),
            });
        }
        let mut slots = [None; 8];
        for (f, i) in index {
            slots[f as usize] = Some(i);
        }
        let status_terminated =
            slots[Field::Status as usize].is_some_and(|i| names_termination(&headers[i]));
        Ok(Columns {
            index: slots,
            width: headers.len(),
            status_terminated,
        })
    }
}

/// A row's cells, however the reader holds them.
pub trait Cells {
    fn count(&self) -> usize;
    fn cell(&self, i: usize) -> Option<&str>;
    fn is_blank(&self) -> bool {
        (0..self.count()).all(|i| self.cell(i).is_none_or(|c| c.trim().is_empty()))
    }
}

impl Cells for [String] {
    fn count(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i).map(String::as_str)
    }
}

impl Cells for Vec<String> {
    fn count(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i).map(String::as_str)
    }
}

impl Cells for csv::StringRecord {
    fn count(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i)
    }
}

/// Whether a status header asks "has this person left?" ("Terminated", "Is Terminated"),
/// so that a yes there means the opposite of a yes under "Active".
pub fn names_termination(header: &str) -> bool {
    normalise_header(header).contains("terminated")
}

/// A status value as an answer to "active?", from a column that may ask "terminated?".
/// Only yes/no answers are turned round; words such as "Active" mean what they say.
pub fn active_reading(value: &str, terminated_column: bool) -> &str {
    if !terminated_column {
        return value;
    }
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" => "inactive",
        "0" | "no" | "n" | "false" | "" => "active",
        _ => value,
    }
}

/// Where each field sits in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// The column of each field (by `Field as usize`).
    index: [Option<usize>; 8],
    pub width: usize,
    /// The status column asks "terminated?" rather than "active?".
    pub status_terminated: bool,
}

impl Columns {
    pub fn get<'r, C: Cells + ?Sized>(&self, row: &'r C, field: Field) -> &'r str {
        self.index[field as usize]
            .and_then(|i| row.cell(i))
            .unwrap_or("")
    }

    pub fn has(&self, field: Field) -> bool {
        self.index[field as usize].is_some()
    }

    /// The field a column fills, if any.
    pub fn field_at(&self, column: usize) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|&f| self.index[f as usize] == Some(column))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    Missing {
        missing: Vec<Field>,
        found: Vec<String>,
    },
    Duplicate {
        field: Field,
        first: String,
        second: String,
    },
}

impl std::fmt::Display for HeaderProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderProblem::Missing { missing, found } => {
                let missing: Vec<&str> = missing.iter().map(|f| f.label()).collect();
                let mut found: Vec<String> = found
                    .iter()
                    .filter(|h| !h.is_empty())
                    .take(12)
                    .map(|h| format!("\"{}\"", h.chars().take(40).collect::<String>()))
                    .collect();
                if found.is_empty() {
                    found.push("none".into());
                }
                write!(
                    f,
                    "Required columns are missing: {}. Columns found in the header row: {}. Check the file's header row and delimiter, or the configuration's column mapping.",
                    missing.join(", "),
                    found.join(", ")
                )
            }
            HeaderProblem::Duplicate {
                field,
                first,
                second,
            } => write!(
                f,
                "Two columns both give the {field}: \"{first}\" and \"{second}\". Remove one, or map them in the configuration."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_cover_common_exports() {
        let m = ColumnMapping::default();
        let cols = m
            .resolve(&headers(&[
                "\u{feff}Employee ID",
                "Work Email",
                "First Name",
                "Last_Name",
                "Job Title",
                "Dept",
                "Manager ID",
                "Employment Status",
                "Shoe size",
            ]))
            .unwrap();
        let row = headers(&[
            "E1", " a@b.co ", "Ann", "Lee", "CTO", "IT", "E0", "Active", "42",
        ]);
        assert_eq!(cols.get(&row, Field::ExternalId), "E1");
        assert_eq!(
            cols.get(&row, Field::Email),
            " a@b.co ",
            "trimmed by the validator"
        );
        assert_eq!(cols.get(&row, Field::Department), "IT");
        assert_eq!(cols.get(&row, Field::Status), "Active");
        assert!(cols.has(Field::ManagerId));
        let workday = m
            .resolve(&headers(&["WorkerID", "Email", "Given Name", "Surname"]))
            .unwrap();
        assert!(!workday.has(Field::Title));
    }

    #[test]
    fn a_terminated_column_reads_the_other_way_round() {
        let m = ColumnMapping::default();
        let cols = m
            .resolve(&headers(&[
                "Employee ID",
                "Email",
                "First Name",
                "Last Name",
                "Terminated",
            ]))
            .unwrap();
        assert!(cols.status_terminated);
        assert_eq!(
            cols.get(&headers(&["E1", "a@b.co", "A", "B", "1"]), Field::Status),
            "1"
        );
        for (value, reading) in [
            ("1", "inactive"),
            ("Yes", "inactive"),
            ("true", "inactive"),
            ("0", "active"),
            ("No", "active"),
            ("", "active"),
            // Words say what they mean whatever the column is called.
            ("Active", "Active"),
        ] {
            assert_eq!(active_reading(value, true), reading, "{value}");
            assert_eq!(active_reading(value, false), value, "{value}");
        }
        let plain = m
            .resolve(&headers(&[
                "Employee ID",
                "Email",
                "First Name",
                "Last Name",
                "Status",
            ]))
            .unwrap();
        assert!(!plain.status_terminated);
        assert!(names_termination("Is_Terminated"));
        // Beside a status column, in either order, the status column is read.
        for h in [
            [
                "Employee ID",
                "Email",
                "First Name",
                "Last Name",
                "Terminated",
                "Status",
            ],
            [
                "Employee ID",
                "Email",
                "First Name",
                "Last Name",
                "Status",
                "Terminated",
            ],
        ] {
            let both = m.resolve(&headers(&h)).unwrap();
            assert!(!both.status_terminated, "{h:?}");
            let row = if h[4] == "Status" {
                ["E1", "a@b.co", "A", "B", "Active", "1"]
            } else {
                ["E1", "a@b.co", "A", "B", "1", "Active"]
            };
            assert_eq!(both.get(&headers(&row), Field::Status), "Active", "{h:?}");
        }
        // Two plain status columns are still a mistake to report.
        assert!(m
            .resolve(&headers(&[
                "Employee ID",
                "Email",
                "First Name",
                "Last Name",
                "Status",
                "Active"
            ]))
            .is_err());
    }

    #[test]
    fn custom_mapping_replaces_that_fields_defaults() {
        let m = ColumnMapping::from_pairs([("Personnel Nr", "employee_id")]).unwrap();
        let cols = m
            .resolve(&headers(&[
                "Employee ID",
                "Personnel Nr",
                "Email",
                "First Name",
                "Last Name",
            ]))
            .unwrap();
        let row = headers(&["old", "P-7", "a@b.co", "A", "B"]);
        assert_eq!(cols.get(&row, Field::ExternalId), "P-7");
        assert!(ColumnMapping::from_pairs([("X", "salary")]).is_err());
    }

    #[test]
    fn missing_and_duplicate_columns_are_explained() {
        let m = ColumnMapping::default();
        let err = m
            .resolve(&headers(&["Employee ID;Email;First Name;Last Name"]))
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("Employee ID, Email, First Name, Last Name"),
            "{text}"
        );
        assert!(text.contains("delimiter"), "{text}");
        let err = m
            .resolve(&headers(&[
                "Employee ID",
                "Worker ID",
                "Email",
                "First Name",
                "Last Name",
            ]))
            .unwrap_err();
        assert!(matches!(
            err,
            HeaderProblem::Duplicate {
                field: Field::ExternalId,
                ..
            }
        ));
    }
}
