//! The columns of a log file and the text of its cells.

use std::borrow::Cow;

/// Header row of every log file, in order. Each row names its run, so that rows of
/// several runs (a person's history, or files put together) stay apart.
pub const COLUMNS: [&str; 11] = [
    "Run ID",
    "Entry",
    "Run started",
    "Configuration",
    "Source record",
    "Employee ID",
    "Email",
    "Action",
    "Outcome",
    "Changed fields",
    "Message",
];

/// The header row of a file whose times are written in `time_zone` (an IANA name): the
/// "Run started" column names the zone, so a file read elsewhere is not taken for local time.
pub fn header(time_zone: &str) -> [Cow<'static, str>; 11] {
    COLUMNS.map(|c| match c {
        "Run started" if !time_zone.is_empty() => Cow::Owned(format!(
            "Run started ({})",
            crate::domain::current_zone_name(time_zone)
        )),
        c => Cow::Borrowed(c),
    })
}

/// A cell that a spreadsheet would read as a formula (or as a line break that starts
/// one) gets a leading apostrophe, after OWASP's CSV-injection advice: the text stays
/// readable and is never evaluated.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// `employee_id, title` → `Employee ID, Job Title`: the directory fields a run changed,
/// in the words of the source file's headers. Names the file does not know stay as they are.
pub fn changed_fields_label(fields: &str) -> String {
    let mut label = String::new();
    write_changed_fields(fields, &mut label);
    label
}

/// `changed_fields_label` appended to `out`: the file writers reuse one buffer for
/// every row instead of allocating a label per entry.
pub fn write_changed_fields(fields: &str, out: &mut String) {
    let names = fields.split(',').map(str::trim).filter(|f| !f.is_empty());
    for (i, name) in names.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(crate::domain::field_label(name));
    }
}

/// The Changed fields cell of an entry, appended to `out`: old → new for each value the
/// run kept (`Job Title: Engineer → Lead; Department: (none) → Sales`), else the fields'
/// names alone.
pub fn write_entry_changes(entry: &crate::domain::LogEntry, out: &mut String) {
    if entry.changes.is_empty() {
        write_changed_fields(entry.changed_fields.as_deref().unwrap_or_default(), out);
        return;
    }
    for (i, c) in entry.changes.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(&crate::domain::change_line(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised() {
        for bad in ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "\nx"] {
            let out = neutralise(bad);
            assert_eq!(out, format!("'{bad}"), "{bad:?}");
        }
    }

    #[test]
    fn changed_fields_read_as_headers() {
        assert_eq!(
            changed_fields_label("employee_id, title,department"),
            "Employee ID, Job Title, Department"
        );
        assert_eq!(changed_fields_label(""), "");
        assert_eq!(changed_fields_label("nickname"), "nickname");
    }

    #[test]
    fn ordinary_text_is_kept() {
        for ok in ["ana@acme.example", "E-100", "", "a=b", " =x", "'quoted"] {
            assert!(matches!(neutralise(ok), Cow::Borrowed(_)), "{ok:?}");
        }
    }
}
