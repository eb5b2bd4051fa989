//! Reading a CSV or XLSX file row by row into a [`Validator`], without holding the file
//! in memory. Runs on a blocking thread.

use crate::sync::validate::{LoadError, Validator};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

mod csv_rows;
mod xlsx_rows;

#[cfg(test)]
use csv_rows::ends_inside_quotes;
use csv_rows::read_csv;
use xlsx_rows::read_xlsx;

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
