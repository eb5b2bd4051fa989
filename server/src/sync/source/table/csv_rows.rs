//! A CSV file's rows, streamed into the validator, with each record's line in the file.

use super::sniff_delimiter;
use crate::sync::person::RecordRef;
use crate::sync::validate::{LoadError, Validator};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// `count_lines_at`: the file again, when its line breaks are irregular (see
/// [`ControlBytes::irregular_breaks`]); otherwise the CSV reader's own count is right.
pub(super) fn read_csv(
    file: File,
    count_lines_at: Option<&Path>,
    head: &[u8],
    name: &str,
    validator: &mut Validator,
) -> Result<(), LoadError> {
    let cannot_read =
        |e: std::io::Error| LoadError(format!("The file {name} could not be read: {e}."));
    let mut lines = count_lines_at
        .map(LineCounter::open)
        .transpose()
        .map_err(cannot_read)?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(head))
        .has_headers(false)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 16, file));
    let mut record = csv::StringRecord::new();
    let mut first = true;
    let mut last_start = None;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = match (e.position(), lines.as_mut()) {
                    (Some(p), Some(lines)) => lines.line_at(p.byte()).map_err(cannot_read)?,
                    (Some(p), None) => p.line(),
                    (None, _) => 0,
                };
                return Err(LoadError(match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => format!(
                        "Line {line} of {name} is not UTF-8 text. Save the file as \"CSV UTF-8\" and try again."
                    ),
                    _ => format!(
                        "The file {name} could not be read as CSV near line {line}: {}.",
                        csv_error_words(&e)
                    ),
                }));
            }
        }
        let (start, csv_line) = record
            .position()
            .map(|p| (p.byte(), p.line()))
            .unwrap_or((0, 0));
        let line = match lines.as_mut() {
            Some(lines) => lines.line_at(start).map_err(cannot_read)?,
            None => csv_line,
        };
        last_start = Some((start, line));
        if first {
            let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
            if let Some(c) = cells.first_mut() {
                *c = c.trim_start_matches('\u{feff}').to_string();
            }
            first = !validator.header_at(RecordRef::Line(line), &cells)?;
        } else {
            validator.row(RecordRef::Line(line), &record)?;
        }
    }
    if first {
        return Err(LoadError(format!("The file {name} is empty.")));
    }
    // A quote that never closes makes the rest of the file one value: the people after it
    // would silently vanish from the source (and be deactivated). The CSV reader takes
    // that as a last record, so look at how the last record ends.
    if let Some((byte, line)) = last_start {
        let mut file = reader.into_inner().into_inner();
        file.seek(SeekFrom::Start(byte))
            .map_err(|e| LoadError(format!("The file {name} could not be read: {e}.")))?;
        let delimiter = sniff_delimiter(head);
        let bytes = BufReader::with_capacity(1 << 16, file)
            .bytes()
            .map_while(Result::ok);
        if ends_inside_quotes(bytes, delimiter) {
            return Err(LoadError(format!(
                "The file {name} has a quoted value that is never closed (it opens on line {line}): everything after it would be read as one value, so the file was not used. Close the quote or remove it, and try again."
            )));
        }
    }
    Ok(())
}

/// The line each record starts on. The CSV reader counts a record from just after the
/// previous record's terminator, so after a CRLF ending (whose LF it has not read yet) or
/// a blank line it would name the line before. A second handle on the file walks
/// alongside the reader and counts line breaks itself.
struct LineCounter {
    reader: BufReader<File>,
    at: u64,
    breaks: u64,
}

impl LineCounter {
    fn open(path: &Path) -> std::io::Result<LineCounter> {
        Ok(LineCounter {
            reader: BufReader::with_capacity(1 << 16, File::open(path)?),
            at: 0,
            breaks: 0,
        })
    }

    /// The line of the first byte at or after `byte` that is not a line break. Calls come
    /// in file order.
    fn line_at(&mut self, byte: u64) -> std::io::Result<u64> {
        while self.at < byte {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let n = buf.len().min((byte - self.at) as usize);
            self.breaks += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            self.reader.consume(n);
            self.at += n as u64;
        }
        loop {
            let buf = self.reader.fill_buf()?;
            let n = buf
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            let whole = n == buf.len();
            self.breaks += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            self.reader.consume(n);
            self.at += n as u64;
            if n == 0 || !whole {
                break;
            }
        }
        Ok(self.breaks + 1)
    }
}

/// Whether a CSV record (its bytes to the end of the file) ends inside a quoted field.
pub(super) fn ends_inside_quotes(bytes: impl Iterator<Item = u8>, delimiter: u8) -> bool {
    let (mut quoted, mut quote_seen, mut field_start) = (false, false, true);
    for b in bytes {
        if quoted {
            match (quote_seen, b) {
                (false, b'"') => quote_seen = true,
                (false, _) => {}
                // `""` inside quotes is a quote character.
                (true, b'"') => quote_seen = false,
                // The quote before this byte closed the field.
                (true, _) => {
                    quoted = false;
                    quote_seen = false;
                    field_start = b == delimiter || b == b'\n' || b == b'\r';
                }
            }
            continue;
        }
        if field_start && b == b'"' {
            quoted = true;
            field_start = false;
        } else {
            field_start = b == delimiter || b == b'\n' || b == b'\r';
        }
    }
    quoted && !quote_seen
}

fn csv_error_words(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => format!("the file could not be read ({io})"),
        csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text".into(),
        _ => "the file is not well-formed CSV".into(),
    }
}
