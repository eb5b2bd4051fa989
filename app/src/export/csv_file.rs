//! The CSV log file: UTF-8 with a byte-order mark (so Excel reads accents right), comma
//! separated, every field quoted only when it needs to be.

use super::{
    action_label, neutralise, outcome_label, write_changed_fields, ExportError, LogSheet, COLUMNS,
};

fn text(v: &Option<String>) -> std::borrow::Cow<'_, str> {
    neutralise(v.as_deref().unwrap_or_default())
}

/// Each row is gathered in one reused `ByteRecord` and written with `write_byte_record`,
/// the csv crate's fast path (a record that fits its buffer is copied in one go, without
/// the field-by-field state machine); the number and the changed fields reuse buffers
/// too, so a row costs no allocation. A log can hold hundreds of thousands of rows, and the
/// browser's allocator and calls are slower than the server's.
pub fn to_csv(sheet: LogSheet<'_>) -> Result<Vec<u8>, ExportError> {
    let started = sheet.run_started.format("%Y-%m-%d %H:%M:%S").to_string();
    let mut out = Vec::with_capacity(64 + sheet.entries.len() * 120);
    out.extend_from_slice("\u{feff}".as_bytes());
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(64 * 1024)
        .from_writer(out);
    let fail = |e: csv::Error| ExportError(e.to_string());
    w.write_record(COLUMNS).map_err(fail)?;
    let configuration = neutralise(sheet.configuration);
    let mut number = itoa::Buffer::new();
    let mut changed = String::new();
    let mut row = csv::ByteRecord::with_capacity(256, COLUMNS.len());
    for e in sheet.entries {
        changed.clear();
        write_changed_fields(
            e.changed_fields.as_deref().unwrap_or_default(),
            &mut changed,
        );
        row.clear();
        for field in [
            number.format(i64::from(e.sequence) + 1),
            &started,
            &configuration,
            &text(&e.record),
            &text(&e.employee_id),
            &text(&e.email),
            &action_label(&e.action),
            &outcome_label(&e.outcome),
            &neutralise(&changed),
            &neutralise(&e.message),
        ] {
            row.push_field(field.as_bytes());
        }
        w.write_byte_record(&row).map_err(fail)?;
    }
    w.into_inner().map_err(|e| ExportError(e.to_string()))
}
