//! The CSV log file: UTF-8 with a byte-order mark (so Excel reads accents right), comma
//! separated, every field quoted only when it needs to be.

use super::{
    action_label, changed_fields_label, neutralise, outcome_label, ExportError, LogSheet, COLUMNS,
};

fn text(v: &Option<String>) -> std::borrow::Cow<'_, str> {
    neutralise(v.as_deref().unwrap_or_default())
}

pub fn to_csv(sheet: LogSheet<'_>) -> Result<Vec<u8>, ExportError> {
    let started = sheet.run_started.format("%Y-%m-%d %H:%M:%S").to_string();
    let mut out = Vec::with_capacity(64 + sheet.entries.len() * 120);
    out.extend_from_slice("\u{feff}".as_bytes());
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    let fail = |e: csv::Error| ExportError(e.to_string());
    w.write_record(COLUMNS).map_err(fail)?;
    let configuration = neutralise(sheet.configuration);
    for e in sheet.entries {
        let number = (i64::from(e.sequence) + 1).to_string();
        w.write_record([
            number.as_str(),
            &started,
            &configuration,
            &text(&e.record),
            &text(&e.employee_id),
            &text(&e.email),
            &action_label(&e.action),
            &outcome_label(&e.outcome),
            &neutralise(&changed_fields_label(
                e.changed_fields.as_deref().unwrap_or_default(),
            )),
            &neutralise(&e.message),
        ])
        .map_err(fail)?;
    }
    w.into_inner().map_err(|e| ExportError(e.to_string()))
}
