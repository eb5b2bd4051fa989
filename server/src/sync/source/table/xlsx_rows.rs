//! A workbook's sheet, row by row into the validator, with each record's row number.

use super::Sheet;
use crate::sync::person::RecordRef;
use crate::sync::validate::{LoadError, Validator};
use calamine::{DataRef, Reader, Xlsx};
use std::fs::File;
use std::io::BufReader;

pub(super) fn read_xlsx(
    file: File,
    name: &str,
    sheet: &Sheet,
    validator: &mut Validator,
) -> Result<(), LoadError> {
    let (mut book, sheet_name) = open_sheet(file, name, sheet)?;
    let mut cells_reader = book
        .worksheet_cells_reader(&sheet_name)
        .map_err(|e| unreadable(name, e))?;
    let mut rows = Rows {
        name,
        width: None,
        validator,
    };
    let mut row: Vec<String> = Vec::new();
    let mut current: Option<u32> = None;
    let mut unplaced = UnplacedErrors::default();
    let mut last: Option<(u32, u32)> = None;
    loop {
        let cell = match cells_reader.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(calamine::XlsxError::CellError(e)) => {
                unplaced
                    .found(e)
                    .map_err(|e| LoadError(format!("The sheet \"{sheet_name}\" of {name} {e}")))?;
                continue;
            }
            Err(e) => return Err(unreadable(name, e)),
        };
        let (r, c) = cell.get_position();
        unplaced.place(last, Some((r, c)));
        last = Some((r, c));
        if current != Some(r) {
            if let Some(prev) = current {
                rows.flush(prev, &mut row, unplaced.rows.remove(&prev))?;
            }
            current = Some(r);
        }
        let c = c as usize;
        if c > 4096 {
            return Err(LoadError(format!(
                "The sheet \"{sheet_name}\" of {name} has values beyond column 4096; this is not a user list."
            )));
        }
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = cell_text(cell.get_value());
    }
    unplaced.place(last, None);
    match current {
        Some(last) => rows.flush(last, &mut row, unplaced.rows.remove(&last)),
        None => Err(LoadError(format!(
            "The sheet \"{sheet_name}\" of {name} is empty."
        ))),
    }
}

/// A workbook that cannot be read, told in the admin's terms.
fn unreadable(name: &str, e: calamine::XlsxError) -> LoadError {
    LoadError(format!(
        "The workbook {name} could not be read ({}). It may be damaged, truncated or password-protected; save it again as .xlsx.",
        short(&e.to_string())
    ))
}

/// The workbook, and the name of the sheet to read: the first, or the one named (in any
/// case).
fn open_sheet(
    file: File,
    name: &str,
    sheet: &Sheet,
) -> Result<(Xlsx<BufReader<File>>, String), LoadError> {
    let book = Xlsx::new(BufReader::new(file)).map_err(|e| match e {
        calamine::XlsxError::FileNotFound(_) => LoadError(format!(
            "The file {name} is a zip archive but not an Excel workbook (.xlsx). Upload the export itself, as .xlsx or CSV."
        )),
        e => unreadable(name, e),
    })?;
    let names = book.sheet_names();
    let sheet_name = match sheet {
        Sheet::First => names
            .first()
            .cloned()
            .ok_or_else(|| LoadError(format!("The workbook {name} has no sheets.")))?,
        Sheet::Named(wanted) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(wanted))
            .cloned()
            .ok_or_else(|| {
                LoadError(format!(
                    "The workbook {name} has no sheet named \"{wanted}\". Its sheets: {}.",
                    names.join(", ")
                ))
            })?,
    };
    Ok((book, sheet_name))
}

/// Where the sheet's rows go: the header first, then each record, padded to the header's
/// width (workbooks do not store trailing empty cells).
struct Rows<'a> {
    name: &'a str,
    /// The header's width, once the header is read.
    width: Option<usize>,
    validator: &'a mut Validator,
}

impl Rows<'_> {
    /// Hands row `row_no` (0-based) to the validator, with the spreadsheet error that
    /// damages it, if one does, and empties it for the next.
    fn flush(
        &mut self,
        row_no: u32,
        row: &mut Vec<String>,
        damage: Option<(String, Option<usize>)>,
    ) -> Result<(), LoadError> {
        if let Some(w) = self.width {
            if row.len() < w {
                row.resize(w, String::new());
            } else if row[w..].iter().all(|c| c.trim().is_empty()) {
                row.truncate(w);
            }
        }
        let record = RecordRef::Row(row_no as u64 + 1);
        match (self.width, damage) {
            (None, Some((e, _))) => {
                return Err(LoadError(format!(
                    "The header row of {} holds a spreadsheet error ({e}) that could not be read. Fix the header row and try again.",
                    self.name
                )))
            }
            (None, None) => {
                while row.last().is_some_and(|c| c.trim().is_empty()) {
                    row.pop();
                }
                if self.validator.header_at(record, row)? {
                    self.width = Some(row.len());
                }
            }
            (Some(_), Some((e, column))) => {
                self.validator.damaged_row(record, row, &e, column)?
            }
            (Some(_), None) => self.validator.row(record, row)?,
        }
        row.clear();
        Ok(())
    }
}

/// Error cells the workbook reader cannot read (error values newer than it knows, such as
/// `#SPILL!` or `#CALC!`) come back as a failure without their place, and the reader goes
/// on with the next cell. Such a cell sits between the cell read before it and the one
/// read after it: every row it may be in is marked, and its record skipped with a warning,
/// never read with that cell left out.
#[derive(Default)]
struct UnplacedErrors {
    pending: Option<String>,
    count: usize,
    /// Each marked row's error, and its column when the cells around it tell it exactly.
    rows: std::collections::HashMap<u32, (String, Option<usize>)>,
}

impl UnplacedErrors {
    fn found(&mut self, error: String) -> Result<(), &'static str> {
        self.count += 1;
        if self.count > 100_000 {
            return Err("holds more than 100,000 unreadable error cells; this is not a user list.");
        }
        self.pending.get_or_insert(error);
        Ok(())
    }

    /// Marks the rows the pending error may be in, given the cells read before and after.
    fn place(&mut self, before: Option<(u32, u32)>, after: Option<(u32, u32)>) {
        let Some(error) = self.pending.take() else {
            return;
        };
        let mut mark = |row: u32, column: Option<usize>| {
            self.rows
                .entry(row)
                .or_insert_with(|| (error.clone(), column));
        };
        match (before, after) {
            // Between two cells of one row: the column is known when one cell is missing
            // between them (empty cells are not stored, so a wider gap is ambiguous).
            (Some((r1, c1)), Some((r2, c2))) if r1 == r2 => {
                mark(r1, (c2 == c1 + 2).then_some(c1 as usize + 1))
            }
            (Some((r1, _)), Some((r2, c2))) => {
                mark(r1, None);
                // Only a cell that is not its row's first can have an error before it.
                if c2 > 0 {
                    mark(r2, (c2 == 1).then_some(0));
                }
            }
            (Some((r1, _)), None) => mark(r1, None),
            (None, Some((r2, c2))) if c2 > 0 => mark(r2, (c2 == 1).then_some(0)),
            _ => {}
        }
    }
}

fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        // Employee ids typed as numbers arrive as floats: 1042.0 is "1042".
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        DataRef::DateTime(d) => d.to_string(),
        // An error cell keeps its text ("#N/A"): the validator never takes it as a value.
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

fn short(s: &str) -> String {
    s.chars().take(120).collect()
}
