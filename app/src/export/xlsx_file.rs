//! The Excel log file: one header row, frozen below the header, an autofilter over the
//! data, sized columns, the run's start as a real date, entry numbers as numbers.

use super::{header, neutralise, write_entry_changes, ExportError, FileOf, LogSheet};
use chrono::{Datelike, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use std::borrow::Cow;

/// Rows Excel allows on one worksheet; a longer log continues on further worksheets.
pub const XLSX_MAX_ROWS: usize = 1_048_576;
/// Characters (UTF-16 units) Excel allows in one cell.
const MAX_CELL: usize = 32_767;
const TRUNCATED: &str = "… (truncated)";
/// Column widths in characters, in the order of `COLUMNS`; the start's names its zone.
const WIDTHS: [f64; 11] = [
    10.0, 8.0, 30.0, 28.0, 14.0, 14.0, 30.0, 12.0, 10.0, 24.0, 60.0,
];

pub fn to_xlsx(sheet: LogSheet<'_>) -> Result<Vec<u8>, ExportError> {
    write(sheet).map_err(|e| ExportError(e.to_string()))
}

fn excel_time(t: chrono::NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        t.year().clamp(1900, 9999) as u16,
        t.month() as u8,
        t.day() as u8,
    )?
    .and_hms(t.hour() as u16, t.minute() as u8, t.second())
}

fn write(sheet: LogSheet<'_>) -> Result<Vec<u8>, XlsxError> {
    let started = excel_time(sheet.run_started)?;
    let bold = Format::new().set_bold().set_background_color("#E8E6FF");
    let titles = header(sheet.time_zone);
    let date = Format::new().set_num_format("d mmm yyyy h:mm AM/PM");
    let configuration = fit(neutralise(sheet.configuration)).into_owned();

    let mut workbook = Workbook::new();
    let per_sheet = XLSX_MAX_ROWS - 1;
    let mut chunks = sheet.entries.chunks(per_sheet).peekable();
    let mut number = 0;
    let mut changed = String::new();
    // An empty log still gets its header row, so the file opens as a table.
    if chunks.peek().is_none() {
        start_sheet(workbook.add_worksheet(), sheet.of, 1, (&titles, &bold), 0)?;
    }
    for chunk in chunks {
        number += 1;
        let ws = workbook.add_worksheet();
        start_sheet(ws, sheet.of, number, (&titles, &bold), chunk.len())?;
        for (i, e) in chunk.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_number(row, 1, f64::from(e.sequence) + 1.0)?;
            match &e.run {
                // An entry of a file of several runs names its own run.
                Some(run) => {
                    ws.write_number(row, 0, run.id as f64)?;
                    ws.write_datetime_with_format(row, 2, &excel_time(run.started)?, &date)?;
                    ws.write_string(row, 3, fit(neutralise(&run.configuration)).into_owned())?;
                }
                None => {
                    ws.write_number(row, 0, sheet.run_id as f64)?;
                    ws.write_datetime_with_format(row, 2, &started, &date)?;
                    ws.write_string(row, 3, configuration.as_str())?;
                }
            }
            ws.write_string(row, 4, text(&e.record))?;
            ws.write_string(row, 5, text(&e.employee_id))?;
            ws.write_string(row, 6, text(&e.email))?;
            ws.write_string(row, 7, e.action.label())?;
            ws.write_string(row, 8, e.outcome_label())?;
            changed.clear();
            write_entry_changes(e, &mut changed);
            ws.write_string(row, 9, fit(neutralise(&changed)).into_owned())?;
            ws.write_string(row, 10, fit(neutralise(&e.message)).into_owned())?;
        }
    }
    workbook.save_to_buffer()
}

fn text(v: &Option<String>) -> String {
    fit(neutralise(v.as_deref().unwrap_or_default())).into_owned()
}

fn start_sheet(
    ws: &mut Worksheet,
    of: FileOf,
    number: usize,
    (titles, bold): (&[Cow<'static, str>; 11], &Format),
    rows: usize,
) -> Result<(), XlsxError> {
    let name = of.sheet_name();
    ws.set_name(if number == 1 {
        name.to_string()
    } else {
        format!("{name} ({number})")
    })?;
    for (col, (title, width)) in titles.iter().zip(WIDTHS).enumerate() {
        ws.write_string_with_format(0, col as u16, title.as_ref(), bold)?;
        ws.set_column_width(col as u16, width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, rows as u32, titles.len() as u16 - 1)?;
    Ok(())
}

/// Excel refuses a cell longer than 32,767 characters: keep the start and say it was cut,
/// rather than fail the whole file.
fn fit(cell: Cow<'_, str>) -> Cow<'_, str> {
    // UTF-16 length is at most the UTF-8 length, so most cells need no counting.
    if cell.len() <= MAX_CELL || cell.encode_utf16().count() <= MAX_CELL {
        return cell;
    }
    let budget = MAX_CELL - TRUNCATED.encode_utf16().count();
    let mut used = 0;
    let end = cell
        .char_indices()
        .find(|(_, c)| {
            used += c.len_utf16();
            used > budget
        })
        .map_or(cell.len(), |(i, _)| i);
    Cow::Owned(format!("{}{TRUNCATED}", &cell[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_cut_to_what_excel_allows() {
        let long = "é".repeat(40_000);
        let cut = fit(Cow::Borrowed(&long));
        assert!(cut.ends_with(TRUNCATED));
        assert!(cut.encode_utf16().count() <= MAX_CELL);
        let short = "x".repeat(MAX_CELL);
        assert!(matches!(fit(Cow::Borrowed(&short)), Cow::Borrowed(_)));
    }
}
