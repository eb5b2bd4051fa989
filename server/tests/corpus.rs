//! A corpus of malformed source files, each run through the real engine on SQLite: every
//! one ends in a clear status with a log entry that says what is wrong, never a panic.

mod common;

use common::sync::*;
use common::TestDb;
use std::io::Write;

enum Expect {
    /// Data Load Failed, with this in the error log.
    Fails(&'static str),
    /// Needs Attention, with this in a warning.
    Warns(&'static str),
    /// Success with this many users created.
    Imports(i32),
}

fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write(r as u32, c as u16, *v).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

fn good_rows() -> Vec<Vec<&'static str>> {
    vec![
        vec!["Employee ID", "Email", "First Name", "Last Name"],
        vec!["E1", "a@example.com", "Ann", "Lee"],
        vec!["E2", "b@example.com", "Bo", "Ng"],
    ]
}

fn corpus() -> Vec<(&'static str, &'static str, Vec<u8>, Expect)> {
    let csv = |s: &str| s.as_bytes().to_vec();
    let huge_cell = format!(
        "{HEADER}\nE1,a@example.com,Ann,Lee,{},R&D,,Active\nE2,b@example.com,Bo,Ng,Dev,R&D,,Active\n",
        "x".repeat(1 << 20)
    );
    let many_columns = {
        let mut h: Vec<String> = (0..3000).map(|i| format!("Extra {i}")).collect();
        h.extend(["Employee ID", "Email", "First Name", "Last Name"].map(String::from));
        let mut r: Vec<String> = (0..3000).map(|_| String::new()).collect();
        r.extend(["E1", "a@example.com", "Ann", "Lee"].map(String::from));
        format!("{}\n{}\n", h.join(","), r.join(","))
    };
    let mut formula = rust_xlsxwriter::Workbook::new();
    {
        let s = formula.add_worksheet();
        for (c, h) in ["Employee ID", "Email", "First Name", "Last Name"]
            .iter()
            .enumerate()
        {
            s.write(0, c as u16, *h).unwrap();
        }
        s.write(1, 0, "E1").unwrap();
        s.write_formula(
            1,
            1,
            rust_xlsxwriter::Formula::new("=LOWER(\"A@EXAMPLE.COM\")").set_result("a@example.com"),
        )
        .unwrap();
        s.write(1, 2, "Ann").unwrap();
        s.write(1, 3, "Lee").unwrap();
        s.write(2, 0, "E2").unwrap();
        s.write_formula(2, 1, "=CONCAT(\"b\",\"@example.com\")")
            .unwrap();
        s.write(2, 2, "Bo").unwrap();
        s.write(2, 3, "Ng").unwrap();
    }
    let formula = formula.save_to_buffer().unwrap();
    let good_xlsx = xlsx(&good_rows());
    let truncated = good_xlsx[..good_xlsx.len() / 2].to_vec();
    let mut not_a_workbook = Vec::new();
    {
        let mut zip = std::io::Cursor::new(&mut not_a_workbook);
        // A zip-like header followed by junk.
        zip.write_all(b"PK\x03\x04").unwrap();
        zip.write_all(&[7u8; 600]).unwrap();
    }
    let binary: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let utf16: Vec<u8> = people_csv(1..=20)
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();

    vec![
        ("empty.csv", "an empty file", Vec::new(), Expect::Fails("is empty")),
        ("header-only.csv", "a header row and nothing else", csv(&format!("{HEADER}\n")), Expect::Fails("holds no users")),
        ("blank-lines.csv", "only blank lines", csv("\n\n\n"), Expect::Fails("is empty")),
        ("pipes.csv", "a delimiter the reader does not use", csv("Employee ID|Email|First Name|Last Name\nE1|a@example.com|Ann|Lee\n"), Expect::Fails("Required columns are missing")),
        ("binary.csv", "binary data", binary, Expect::Fails("binary data")),
        ("utf16-no-bom.csv", "UTF-16 text without a byte-order mark", utf16.clone(), Expect::Fails("binary data")),
        ("utf16-bom.csv", "UTF-16 text with a byte-order mark", [&[0xFFu8, 0xFE][..], &utf16[..]].concat(), Expect::Fails("UTF-16")),
        ("photo.csv", "a PNG image named .csv", [&b"\x89PNG\r\n\x1a\n"[..], &[0u8; 600][..]].concat(), Expect::Fails("a PNG image")),
        // One damaged value near the top no longer refuses the whole file.
        ("nul-in-a-value.csv", "a NUL byte inside one value on the first data line", csv(&format!("{HEADER}\nE1,a@example.com,A\u{0}nn,Lee,,,,\nE2,b@example.com,Bo,Ng,,,,\n")), Expect::Warns("holds control characters")),
        ("old.xls", "an Excel 97 workbook", [&[0xD0u8, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..], &[0u8; 600][..]].concat(), Expect::Fails(".xls")),
        ("latin1.csv", "Latin-1 text", [b"Employee ID,Email,First Name,Last Name\nE1,a@example.com,Ren\xe9,Lee\n".as_slice()].concat(), Expect::Fails("not UTF-8")),
        ("duplicate-headers.csv", "two Email columns", csv("Employee ID,Email,E-mail address,First Name,Last Name\nE1,a@example.com,b@example.com,Ann,Lee\n"), Expect::Fails("Two columns both give the Email")),
        ("missing-column.csv", "no Last Name column", csv("Employee ID,Email,First Name\nE1,a@example.com,Ann\n"), Expect::Fails("Last Name")),
        ("empty-header.csv", "an empty first row", csv(",,,\nE1,a@example.com,Ann,Lee\n"), Expect::Fails("first row is empty")),
        ("all-bad.csv", "no row importable", csv(&format!("{HEADER}\nE1,not-an-email,Ann,Lee,,,,\n,b@example.com,Bo,Ng,,,,\n")), Expect::Fails("None of the source's 2 records")),
        ("huge-cell.csv", "a 1 MB cell", csv(&huge_cell), Expect::Warns("longer than 256")),
        ("ragged.csv", "rows with too few and too many values", csv(&format!("{HEADER}\nE1,a@example.com,Ann,Lee,Dev,R&D,,Active\nE2,b@example.com,Bo\nE3,c@example.com,Cy,Oh,Dev,R&D,,Active,extra\n")), Expect::Warns("values but the header has 8")),
        // Everything after the open quote would be one value and its people would vanish.
        ("unterminated-quote.csv", "a quote that never closes", csv(&format!("{HEADER}\nE1,a@example.com,Ann,Lee,Dev,R&D,,Active\nE2,\"b@example.com,Bo,Ng,Dev,R&D,,Active\nE3,c@example.com,Cy,Oh,Dev,R&D,,Active\n")), Expect::Fails("a quoted value that is never closed (it opens on line 3)")),
        ("quoted-last-field.csv", "a quoted last value, closed", csv(&format!("{HEADER}\nE1,a@example.com,Ann,Lee,Dev,R&D,,Active\nE2,b@example.com,Bo,Ng,Dev,R&D,,\"Active\"\r\n")), Expect::Imports(2)),
        ("bad-emails.csv", "invalid and missing emails", csv(&format!("{HEADER}\nE1,a@example.com,Ann,Lee,,,,\nE2,bo at example.com,Bo,Ng,,,,\nE3,,Cy,Oh,,,,\n")), Expect::Warns("not a valid email")),
        ("duplicate-ids.csv", "an Employee ID twice", csv(&format!("{HEADER}\nE1,a@example.com,Ann,Lee,,,,\nE1,b@example.com,Bo,Ng,,,,\n")), Expect::Warns("Employee ID E1 appears again")),
        ("odd-status.csv", "a status that is neither", csv(&format!("{HEADER}\nE1,a@example.com,Ann,Lee,,,,Active\nE2,b@example.com,Bo,Ng,,,,Sabbatical\n")), Expect::Warns("neither active nor terminated")),
        ("control-chars.csv", "control characters in a name", csv(&format!("{HEADER}\nE1,a@example.com,Ann,Lee,,,,\nE2,b@example.com,B\u{1}o,Ng,,,,\n")), Expect::Warns("control characters")),
        ("formula-injection.csv", "a spreadsheet formula as an email", csv(&format!("{HEADER}\nE1,a@example.com,Ann,Lee,,,,\nE2,\"=HYPERLINK(\"\"http://x\"\")\",Bo,Ng,,,,\n")), Expect::Warns("not a valid email")),
        ("bom-semicolon.csv", "UTF-8 BOM, semicolons and quoted fields", csv("\u{feff}Employee ID;Email;First Name;Last Name;Job Title\r\nE1;a@example.com;Ann;Lee;\"Head; Research\"\r\nE2;b@example.com;Bo;\"Ng\";Dev\r\n"), Expect::Imports(2)),
        ("many-columns.csv", "3,000 columns", csv(&many_columns), Expect::Imports(1)),
        ("truncated.xlsx", "a workbook cut in half", truncated, Expect::Fails("could not be read")),
        // Found by fuzzing: the parser overflows on it (and panics where overflows are checked).
        ("calamine-overflow.xlsx", "a workbook with an absurd cell reference", include_bytes!("../../fuzz/seeds/source_file/calamine-overflow.xlsx").to_vec(), Expect::Fails("could not be read")),
        ("not-a-workbook.xlsx", "a zip signature and junk", not_a_workbook, Expect::Fails("could not be read")),
        ("empty-sheet.xlsx", "a workbook with an empty sheet", xlsx(&[]), Expect::Fails("is empty")),
        ("header-only.xlsx", "a workbook with only a header", xlsx(&good_rows()[..1]), Expect::Fails("holds no users")),
        ("formulas.xlsx", "formula cells, one without a cached value", formula, Expect::Warns("\"0\" is not a valid email")),
        ("renamed.csv", "a workbook named .csv", good_xlsx, Expect::Imports(2)),
    ]
}

#[tokio::test]
async fn every_malformed_file_ends_in_a_clear_status() {
    let db = TestDb::sqlite().await;
    let cases = corpus();
    assert!(cases.len() >= 25, "the corpus keeps at least 25 files");
    let mut failures = Vec::new();
    for (i, (name, what, bytes, expect)) in cases.into_iter().enumerate() {
        // One organisation per file, so each starts from an empty directory.
        let s = setup(&db.conn, &format!("Corpus {i}"), name).await;
        std::fs::write(&s.file, &bytes).unwrap();
        let run = sync_now(&db.conn, s.config).await;
        let log = logs(&db.conn, run.id).await;
        let text: Vec<&str> = log.iter().map(|l| l.message.as_str()).collect();
        let ok = match &expect {
            Expect::Fails(words) => {
                run.status == "data_load_failed"
                    && run.errors == 1
                    && log.len() == 1
                    && log[0].kind == "error"
                    && log[0].message.contains(words)
            }
            Expect::Warns(words) => {
                run.status == "needs_attention"
                    && run.warnings > 0
                    && log
                        .iter()
                        .any(|l| l.outcome == "warning" && l.message.contains(words))
            }
            Expect::Imports(n) => run.status == "success" && run.created == *n,
        };
        if !ok {
            failures.push(format!("{name} ({what}): status {} — {text:?}", run.status));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    db.cleanup().await;
}
