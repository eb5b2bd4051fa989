//! The CSV log file: UTF-8 with a byte-order mark (so Excel reads accents right), comma
//! separated, every field quoted only when it needs to be.

use super::{header, neutralise, write_entry_changes, ExportError, LogSheet, COLUMNS};

fn text(v: &Option<String>) -> std::borrow::Cow<'_, str> {
    neutralise(v.as_deref().unwrap_or_default())
}

/// Each row is gathered in one reused `ByteRecord` and written with `write_byte_record`,
/// the csv crate's fast path (a record that fits its buffer is copied in one go, without
/// the field-by-field state machine); the number and the changed fields reuse buffers
/// too, so a row costs no allocation. A log can hold hundreds of thousands of rows, and the
/// browser's allocator and calls are slower than the server's.
///
/// Which fields need quotes is decided here rather than by the writer (it is built with
/// `QuoteStyle::Never`): the csv crate looks every byte up in a table, which the browser
/// runs well below native speed, while [`needs_quotes`] checks eight bytes at a time with
/// integer arithmetic. The quoting itself is still csv-core's.
pub fn to_csv(sheet: LogSheet<'_>) -> Result<Vec<u8>, ExportError> {
    let started = sheet.run_started.format("%Y-%m-%d %H:%M:%S").to_string();
    let mut out = Vec::with_capacity(64 + sheet.entries.len() * 120);
    out.extend_from_slice("\u{feff}".as_bytes());
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(64 * 1024)
        .quote_style(csv::QuoteStyle::Never)
        .from_writer(out);
    let fail = |e: csv::Error| ExportError(e.to_string());
    w.write_record(header(sheet.time_zone).iter().map(|c| c.as_bytes()))
        .map_err(fail)?;
    let configuration = neutralise(sheet.configuration);
    let mut run_number = itoa::Buffer::new();
    let mut number = itoa::Buffer::new();
    let mut changed = String::new();
    let mut row = csv::ByteRecord::with_capacity(256, COLUMNS.len());
    let mut quoted = Vec::new();
    for e in sheet.entries {
        changed.clear();
        write_entry_changes(e, &mut changed);
        // An entry of a file of several runs names its own run.
        let own = e.run.as_ref().map(|r| {
            (
                r.id,
                r.started.format("%Y-%m-%d %H:%M:%S").to_string(),
                neutralise(&r.configuration).into_owned(),
            )
        });
        let (run_id, started, configuration) = match &own {
            Some((id, s, c)) => (*id, s.as_str(), c.as_str()),
            None => (sheet.run_id, started.as_str(), configuration.as_ref()),
        };
        row.clear();
        for field in [
            run_number.format(run_id),
            number.format(i64::from(e.sequence) + 1),
            started,
            configuration,
            &text(&e.record),
            &text(&e.employee_id),
            &text(&e.email),
            e.action.label(),
            e.outcome_label(),
            &neutralise(&changed),
            &neutralise(&e.message),
        ] {
            push_field(&mut row, field.as_bytes(), &mut quoted);
        }
        w.write_byte_record(&row).map_err(fail)?;
    }
    w.into_inner().map_err(|e| ExportError(e.to_string()))
}

/// Adds `field` to `row`, in quotes (with its own quotes doubled) when it needs them.
fn push_field(row: &mut csv::ByteRecord, field: &[u8], quoted: &mut Vec<u8>) {
    if !needs_quotes(field) {
        row.push_field(field);
        return;
    }
    // Every byte a quote doubled, plus the two around it.
    quoted.clear();
    quoted.resize(2 * field.len() + 2, 0);
    quoted[0] = b'"';
    let (_, read, written) = csv_core::quote(field, &mut quoted[1..], b'"', b'\\', true);
    debug_assert_eq!(read, field.len());
    quoted[1 + written] = b'"';
    row.push_field(&quoted[..written + 2]);
}

/// Whether a field holds a comma, a quote or a line break, so that it must be quoted.
/// Eight bytes are checked at once, as one 64-bit word (a word has one of the bytes if
/// XOR-ing it with that byte repeated leaves a zero byte): plain integer arithmetic, which
/// the browser runs nearly as fast as native code, where a table lookup per byte is not.
fn needs_quotes(field: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let special = |word: u64| {
        let has = |b: u8| {
            let x = word ^ (ONES * u64::from(b));
            x.wrapping_sub(ONES) & !x & HIGHS != 0
        };
        has(b',') | has(b'"') | has(b'\n') | has(b'\r')
    };
    let word_at = |i: usize| {
        let mut w = [0; 8];
        w.copy_from_slice(&field[i..i + 8]);
        u64::from_le_bytes(w)
    };
    match field.len() {
        // Shorter than a word: the missing bytes are zeros, which are never special.
        n @ 0..=7 => special(
            field
                .iter()
                .take(n)
                .enumerate()
                .fold(0, |w, (i, &b)| w | u64::from(b) << (8 * i)),
        ),
        // Whole words, then the last eight bytes (overlapping the last word does no harm).
        n => (0..n - 7).step_by(8).any(|i| special(word_at(i))) || special(word_at(n - 8)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the field, the row reads the same as the csv crate's own quoting writes it.
    #[test]
    fn fields_are_quoted_exactly_as_the_csv_crate_would() {
        let bytes = [
            b'a', b' ', b',', b'"', b'\n', b'\r', b'\'', b'=', 0xc3, 0xa9,
        ];
        let mut fields: Vec<Vec<u8>> = vec![Vec::new()];
        // Every field of up to three of these bytes, and longer ones (around one and two
        // words, and long) with a special byte at each place.
        for len in 1..=3 {
            for mut n in 0..bytes.len().pow(len) {
                let mut f = Vec::new();
                for _ in 0..len {
                    f.push(bytes[n % bytes.len()]);
                    n /= bytes.len();
                }
                fields.push(f);
            }
        }
        for len in [7, 8, 9, 15, 16, 17, 200] {
            for at in 0..len {
                for special in [b',', b'"', b'\n', b'\r', b'x'] {
                    let mut f = vec![b'y'; len];
                    f[at] = special;
                    fields.push(f);
                }
            }
        }
        let mut ours = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Never)
            .from_writer(Vec::new());
        let mut theirs = csv::Writer::from_writer(Vec::new());
        let (mut row, mut quoted) = (csv::ByteRecord::new(), Vec::new());
        for f in &fields {
            row.clear();
            push_field(&mut row, f, &mut quoted);
            push_field(&mut row, b"next", &mut quoted);
            ours.write_byte_record(&row).unwrap();
            theirs
                .write_byte_record(&csv::ByteRecord::from(vec![f.as_slice(), b"next"]))
                .unwrap();
        }
        assert_eq!(ours.into_inner().unwrap(), theirs.into_inner().unwrap());
    }
}
