//! Reading a CSV or XLSX file row by row into a [`Validator`], without holding the file
//! in memory. Runs on a blocking thread.

use crate::sync::person::RecordRef;
use crate::sync::validate::{LoadError, Validator};
use calamine::{DataRef, Reader, Xlsx};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Larger files are refused before reading: no directory export is this big.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// Which sheet of a workbook to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Sheet {
    #[default]
    First,
    Named(String),
}

/// Reads the whole file into `validator`. The format comes from the file's first bytes,
/// not its name: a workbook renamed `.csv` is still read as a workbook.
pub fn read_file(
    path: &Path,
    name: &str,
    sheet: &Sheet,
    validator: &mut Validator,
) -> Result<Format, LoadError> {
    let mut file = File::open(path)
        .map_err(|e| LoadError(format!("The file {name} could not be opened: {e}.")))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return Err(LoadError(format!("The file {name} is empty.")));
    }
    if size > MAX_FILE_BYTES {
        return Err(LoadError(format!(
            "The file {name} is {} MB; files over {} MB are not read.",
            size >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    let mut head = [0u8; 4096];
    let n = read_up_to(&mut file, &mut head)
        .map_err(|e| LoadError(format!("The file {name} could not be read: {e}.")))?;
    let head = &head[..n];
    file.seek(SeekFrom::Start(0))
        .map_err(|e| LoadError(format!("The file {name} could not be read: {e}.")))?;
    if head.starts_with(b"PK\x03\x04") {
        // The workbook parser has been seen to panic on damaged files (an arithmetic
        // overflow on an absurd cell reference, found by fuzzing): that is a damaged
        // workbook to report, not a failure of the service.
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_xlsx(file, name, sheet, validator)
        }));
        return match read {
            Ok(result) => result.map(|()| Format::Xlsx),
            Err(_) => Err(LoadError(format!(
                "The workbook {name} could not be read: it is damaged. Save it again as .xlsx."
            ))),
        };
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(LoadError(format!(
            "The file {name} is an old Excel 97–2003 workbook (.xls). Save it as .xlsx or as CSV UTF-8."
        )));
    }
    if let Some(what) = binary_kind(head) {
        return Err(LoadError(format!(
            "The file {name} is {what}, not a CSV text file or an XLSX workbook."
        )));
    }
    let damage = scan_control_bytes(&mut file)
        .map_err(|e| LoadError(format!("The file {name} could not be read: {e}.")))?;
    if damage.is_binary() {
        return Err(LoadError(format!(
            "The file {name} is not a CSV text file or an XLSX workbook (it holds binary data)."
        )));
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| LoadError(format!("The file {name} could not be read: {e}.")))?;
    // Exports run at about 64–100 bytes a row: sizing the tables once avoids regrowing them.
    validator.reserve((size / 64) as usize);
    let lines = damage.irregular_breaks.then_some(path);
    read_csv(file, lines, head, name, validator)?;
    Ok(Format::Csv)
}

/// A known binary format, told by its first bytes (workbooks are read before this).
fn binary_kind(head: &[u8]) -> Option<&'static str> {
    const SIGNATURES: [(&[u8], &str); 9] = [
        (
            b"\xFF\xFE",
            "UTF-16 or UTF-32 text (save it as \"CSV UTF-8\")",
        ),
        (b"\xFE\xFF", "UTF-16 text (save it as \"CSV UTF-8\")"),
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"7z\xBC\xAF", "a 7-Zip archive"),
        (b"Rar!", "a RAR archive"),
    ];
    SIGNATURES
        .into_iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, what)| what)
}

/// How much of a file is control bytes (other than tab, CR and LF), and on how many of
/// its lines they sit.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ControlBytes {
    pub bytes: u64,
    pub control: u64,
    pub lines: u64,
    pub lines_with_control: u64,
    /// Carriage returns or blank lines: the CSV reader's own line count is then off (it
    /// starts a record where the previous one's terminator ended), so lines are counted
    /// again while reading.
    pub irregular_breaks: bool,
}

impl ControlBytes {
    /// The file is judged whole, so the outcome does not depend on where damage sits: it
    /// is binary when control bytes make up at least 5% of it and sit on more than a
    /// quarter of its lines (UTF-16 text without a byte-order mark, images, archives,
    /// executables). A text file with a few damaged values is read, and each record
    /// holding a control character is skipped with a warning.
    pub fn is_binary(&self) -> bool {
        self.control * 20 >= self.bytes.max(1) && self.lines_with_control * 4 > self.lines
    }
}

fn is_control(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f
}

/// One pass over the whole file. Chunks without a control byte (nearly all of a text
/// file) only count line breaks.
pub fn scan_control_bytes(file: &mut impl Read) -> std::io::Result<ControlBytes> {
    let mut counts = ControlBytes::default();
    let mut buf = vec![0u8; 1 << 16];
    let mut line_has_control = false;
    let mut last = b'\n';
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        counts.bytes += n as u64;
        counts.irregular_breaks |= memchr::memchr(b'\r', chunk).is_some()
            || memchr::memmem::find(chunk, b"\n\n").is_some()
            || (last == b'\n' && chunk[0] == b'\n');
        last = chunk[n - 1];
        // Counted, not searched: the count runs many bytes at a time.
        if !line_has_control && chunk.iter().filter(|&&b| is_control(b)).count() == 0 {
            counts.lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
            continue;
        }
        for &b in chunk {
            if b == b'\n' {
                counts.lines += 1;
                counts.lines_with_control += line_has_control as u64;
                line_has_control = false;
            } else if is_control(b) {
                counts.control += 1;
                line_has_control = true;
            }
        }
    }
    if last != b'\n' {
        counts.lines += 1;
        counts.lines_with_control += line_has_control as u64;
    }
    Ok(counts)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Comma, semicolon or tab: whichever the header line uses most (outside quotes).
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// `count_lines_at`: the file again, when its line breaks are irregular (see
/// [`ControlBytes::irregular_breaks`]); otherwise the CSV reader's own count is right.
fn read_csv(
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
fn ends_inside_quotes(bytes: impl Iterator<Item = u8>, delimiter: u8) -> bool {
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

fn read_xlsx(
    file: File,
    name: &str,
    sheet: &Sheet,
    validator: &mut Validator,
) -> Result<(), LoadError> {
    let unreadable = |e: calamine::XlsxError| {
        LoadError(format!(
            "The workbook {name} could not be read ({}). It may be damaged, truncated or password-protected; save it again as .xlsx.",
            short(&e.to_string())
        ))
    };
    let mut book = Xlsx::new(BufReader::new(file)).map_err(|e| match e {
        calamine::XlsxError::FileNotFound(_) => LoadError(format!(
            "The file {name} is a zip archive but not an Excel workbook (.xlsx). Upload the export itself, as .xlsx or CSV."
        )),
        e => unreadable(e),
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
    let mut cells_reader = book
        .worksheet_cells_reader(&sheet_name)
        .map_err(unreadable)?;
    let mut row: Vec<String> = Vec::new();
    let mut current: Option<u32> = None;
    let mut width: Option<usize> = None;
    // Workbooks do not store trailing empty cells: rows are padded to the header's width.
    let mut flush = |row_no: u32,
                     row: &mut Vec<String>,
                     damage: Option<(String, Option<usize>)>|
     -> Result<(), LoadError> {
        if let Some(w) = width {
            if row.len() < w {
                row.resize(w, String::new());
            } else if row[w..].iter().all(|c| c.trim().is_empty()) {
                row.truncate(w);
            }
        }
        let record = RecordRef::Row(row_no as u64 + 1);
        match (width, damage) {
            (None, Some((e, _))) => {
                return Err(LoadError(format!(
                    "The header row of {name} holds a spreadsheet error ({e}) that could not be read. Fix the header row and try again."
                )))
            }
            (None, None) => {
                while row.last().is_some_and(|c| c.trim().is_empty()) {
                    row.pop();
                }
                if validator.header_at(record, row)? {
                    width = Some(row.len());
                }
            }
            (Some(_), Some((e, column))) => validator.damaged_row(record, row, &e, column)?,
            (Some(_), None) => validator.row(record, row)?,
        }
        row.clear();
        Ok(())
    };
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
            Err(e) => return Err(unreadable(e)),
        };
        let (r, c) = cell.get_position();
        unplaced.place(last, Some((r, c)));
        last = Some((r, c));
        if current != Some(r) {
            if let Some(prev) = current {
                flush(prev, &mut row, unplaced.rows.remove(&prev))?;
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
        Some(last) => flush(last, &mut row, unplaced.rows.remove(&last)),
        None => Err(LoadError(format!(
            "The sheet \"{sheet_name}\" of {name} is empty."
        ))),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_left_open_are_told_from_closed_ones() {
        let open = |s: &str| ends_inside_quotes(s.bytes(), b',');
        assert!(open("E2,\"b@example.com,Bo\nE3,c,Cy\n"));
        assert!(open("\"abc"));
        assert!(open("a,\"x\"\"y\n"), "an escaped quote does not close");
        assert!(!open("a,\"multi\nline\"\n"));
        assert!(!open("a,\"x\"\"y\"\r\n"));
        assert!(
            !open("a,5\" screen,b\n"),
            "a quote inside a plain value is a character"
        );
        assert!(!open("a,\"x\""));
        assert!(!open(""));
    }

    #[test]
    fn binary_is_judged_on_the_whole_file() {
        let scan = |bytes: &[u8]| scan_control_bytes(&mut &bytes[..]).unwrap();
        let mut text = b"Employee ID,Email,First Name,Last Name\n".to_vec();
        for i in 0..300 {
            text.extend(format!("E{i},p{i}@example.com,First,Last\n").bytes());
        }
        assert!(!scan(&text).is_binary());
        // One damaged value, wherever it sits, leaves a text file text.
        for at in [45, text.len() / 2, text.len() - 3] {
            let mut damaged = text.clone();
            damaged[at] = 0;
            let c = scan(&damaged);
            assert_eq!((c.control, c.lines_with_control), (1, 1), "{at}");
            assert!(!c.is_binary(), "{at}");
        }
        // So does a block of zeros inside one value.
        let mut zeroed = text.clone();
        zeroed.splice(100..100, std::iter::repeat_n(0u8, 4096));
        assert!(!scan(&zeroed).is_binary());
        // UTF-16 without a byte-order mark, and noise, are binary.
        let utf16: Vec<u8> = text.iter().flat_map(|&b| [b, 0]).collect();
        assert!(scan(&utf16).is_binary());
        let noise: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert!(scan(&noise).is_binary());
        assert_eq!(scan(b"a\nb").lines, 2);
        // Line breaks the CSV reader miscounts are noticed, so lines are counted again.
        assert!(!scan(&text).irregular_breaks);
        for irregular in [&b"a\r\nb\r\n"[..], b"a\n\nb\n", b"\na\nb"] {
            assert!(scan(irregular).irregular_breaks, "{irregular:?}");
        }
        assert_eq!(binary_kind(b"%PDF-1.7"), Some("a PDF document"));
        assert_eq!(binary_kind(b"Employee ID"), None);
    }

    #[test]
    fn delimiter_sniffing() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n"), b';');
        assert_eq!(sniff_delimiter(b"\"x,y\";b;c"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b"single"), b',');
    }
}
