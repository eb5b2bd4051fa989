//! Hostile but realistic HR exports, one case per file under `tests/corpus/strict/`, each
//! run through the real engine as a CSV file and as an XLSX workbook, on SQLite and on
//! PostgreSQL: the run's status, its warnings, and the directory row by row before and
//! after. A bad value must end in a logged decision, never a quiet change to a person.
//!
//! A case file (TOML) holds:
//! - `about`, and `formats` (default `["csv", "xlsx"]`);
//! - the configuration's record rules, if not the defaults: `blank_values`,
//!   `allow_rekey`, `required`;
//! - `before` and `after`: the directory as CSV with the columns
//!   `employee_id,email,first_name,last_name,title,department,manager_id,active`
//!   (every `before` user is managed by the case's configuration, unless a ninth cell
//!   names a role: then it is that role's account, managed by none);
//! - `crlf = true` for Windows line endings in the CSV file;
//! - `export`: the source file as CSV text. A line `{{people A..B}}` stands for the rows
//!   `E{n},person{n}@example.com,First{n},Last{n}` padded with empty cells; in a
//!   workbook, a cell that is exactly a spreadsheet error (`#N/A`…) becomes an error cell;
//! - `status`, `warnings` (the run's warning count), and `expect`: texts each found in
//!   one log entry, `@N` at the start naming its source line (CSV) or row (XLSX).

mod common;

use common::sync::{logs, setup, sync_now, users, Setup};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection};
use serde::Deserialize;
use server::db::entities::user;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    about: String,
    #[serde(default = "both")]
    formats: Vec<String>,
    blank_values: Option<String>,
    allow_rekey: Option<bool>,
    #[serde(default)]
    required: Vec<String>,
    /// Windows line endings (CRLF) in the CSV file.
    #[serde(default)]
    crlf: bool,
    #[serde(default)]
    before: String,
    export: String,
    status: String,
    warnings: i32,
    #[serde(default)]
    expect: Vec<String>,
    after: String,
}

fn both() -> Vec<String> {
    vec!["csv".into(), "xlsx".into()]
}

const DIRECTORY_COLUMNS: &str =
    "employee_id,email,first_name,last_name,title,department,manager_id,active";

fn cases() -> Vec<(String, Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/strict");
    let mut cases: Vec<(String, Case)> = std::fs::read_dir(&dir)
        .expect("the strict corpus folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let case: Case =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_stem().unwrap().to_string_lossy().into_owned(), case)
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

/// The export's text with `{{people A..B}}` lines written out.
fn export_text(case: &Case) -> String {
    let width = case
        .export
        .lines()
        .filter(|l| people_range(l).is_none())
        .map(|l| l.split(',').count())
        .max()
        .unwrap_or(4);
    let mut out = String::new();
    for line in case.export.lines() {
        if let Some(range) = people_range(line) {
            for n in range {
                let mut cells = vec![
                    format!("E{n}"),
                    format!("person{n}@example.com"),
                    format!("First{n}"),
                    format!("Last{n}"),
                ];
                cells.resize(width.max(4), String::new());
                out.push_str(&cells.join(","));
                out.push('\n');
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if case.crlf {
        out = out.replace('\n', "\r\n");
    }
    out
}

fn rows(csv_text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn workbook(csv_text: &str) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows(csv_text).iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            if server::sync::person::spreadsheet_error(v).is_some() {
                // A formula whose cached result is the error: an error cell. The writer
                // marks only the classic errors as such; the newer ones (#SPILL!…) get a
                // formula the patch below turns into error cells too.
                let formula = rust_xlsxwriter::Formula::new("=ERRORCELL()").set_result(v.trim());
                sheet.write_formula(r as u32, c as u16, formula).unwrap();
            } else {
                sheet.write_string(r as u32, c as u16, v).unwrap();
            }
        }
    }
    error_cells(book.save_to_buffer().unwrap())
}

/// Rewrites the first sheet so that every `ERRORCELL()` formula is an error cell (`t="e"`),
/// whatever its error value, as Excel writes them.
fn error_cells(book: Vec<u8>) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(bytes).unwrap();
            let xml = xml.replace(
                r#" t="str"><f>ERRORCELL()</f>"#,
                r#" t="e"><f>ERRORCELL()</f>"#,
            );
            assert_eq!(
                xml.matches("<f>ERRORCELL()</f>").count(),
                xml.matches(r#" t="e"><f>ERRORCELL()</f>"#).count(),
                "every error formula is an error cell"
            );
            bytes = xml.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The directory as the case's CSV spells it, sorted by email.
fn directory_lines(users: &[user::Model]) -> Vec<String> {
    let mut lines: Vec<String> = users
        .iter()
        .map(|u| {
            [
                u.external_id.clone().unwrap_or_default(),
                u.email.clone(),
                u.first_name.clone(),
                u.last_name.clone(),
                u.title.clone().unwrap_or_default(),
                u.department.clone().unwrap_or_default(),
                u.manager_external_id.clone().unwrap_or_default(),
                u.active.to_string(),
            ]
            .join(",")
        })
        .collect();
    lines.sort_by_key(|l| l.split(',').nth(1).unwrap_or("").to_string());
    lines
}

/// A `{{people A..B}}` line's range.
fn people_range(line: &str) -> Option<std::ops::RangeInclusive<u32>> {
    let (a, b) = line
        .trim()
        .strip_prefix("{{people ")?
        .strip_suffix("}}")?
        .split_once("..")?;
    Some(a.parse().ok()?..=b.parse().ok()?)
}

/// A `before` or `after` table's rows, `{{people A..B}}` written out.
fn table_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line == DIRECTORY_COLUMNS {
            continue;
        }
        match people_range(line) {
            Some(range) => lines.extend(
                range.map(|n| format!("E{n},person{n}@example.com,First{n},Last{n},,,,true")),
            ),
            None => lines.push(line.to_string()),
        }
    }
    lines
}

/// The rows to compare, sorted by email; a role cell (an unmanaged account) is not one of
/// the compared columns.
fn expected_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = table_lines(text)
        .iter()
        .map(|l| l.splitn(9, ',').take(8).collect::<Vec<_>>().join(","))
        .collect();
    lines.sort_by_key(|l| l.split(',').nth(1).unwrap_or("").to_string());
    lines
}

async fn seed(db: &DatabaseConnection, s: &Setup, before: &str) {
    for line in table_lines(before) {
        let c: Vec<&str> = line.split(',').collect();
        assert!(
            (8..=9).contains(&c.len()),
            "a before row has 8 or 9 cells: {line}"
        );
        let role = c.get(8).copied();
        let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
        user::ActiveModel {
            organisation_id: Set(s.org),
            external_id: Set(opt(c[0])),
            email: Set(c[1].into()),
            first_name: Set(c[2].into()),
            last_name: Set(c[3].into()),
            title: Set(opt(c[4])),
            department: Set(opt(c[5])),
            manager_external_id: Set(opt(c[6])),
            active: Set(c[7] == "true"),
            role: Set(role.unwrap_or("basic_user").into()),
            sync_service_enrolled: Set(false),
            managed_by_configuration_id: Set(role.is_none().then_some(s.config)),
            created_at_ms: Set(0),
            updated_at_ms: Set(0),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
}

async fn set_rules(db: &DatabaseConnection, s: &Setup, case: &Case) {
    let required = case.required.join(",");
    db.execute(server::sync::queue::stmt(
        db,
        "UPDATE sync_configurations SET blank_values = $1, allow_rekey = $2, required_fields = $3 WHERE id = $4",
        vec![
            case.blank_values.clone().unwrap_or_else(|| "keep".into()).into(),
            case.allow_rekey.unwrap_or(true).into(),
            required.into(),
            s.config.into(),
        ],
    ))
    .await
    .unwrap();
}

/// Runs one case in one format; returns what went wrong, if anything.
async fn run_case(
    db: &DatabaseConnection,
    n: usize,
    name: &str,
    case: &Case,
    format: &str,
) -> Vec<String> {
    let s = setup(
        db,
        &format!("Strict {n} {format}"),
        &format!("{name}.{format}"),
    )
    .await;
    seed(db, &s, &case.before).await;
    set_rules(db, &s, case).await;
    let text = export_text(case);
    let bytes = match format {
        "csv" => text.into_bytes(),
        "xlsx" => workbook(&text),
        other => panic!("unknown format {other}"),
    };
    std::fs::write(&s.file, bytes).unwrap();
    let run = sync_now(db, s.config).await;
    let log = logs(db, run.id).await;
    let mut problems = Vec::new();
    if run.status != case.status {
        problems.push(format!("status {} (expected {})", run.status, case.status));
    }
    if run.warnings != case.warnings {
        problems.push(format!(
            "{} warnings (expected {})",
            run.warnings, case.warnings
        ));
    }
    let place = if format == "csv" { "line" } else { "row" };
    for want in &case.expect {
        let (record, words) = match want.strip_prefix('@') {
            Some(rest) => {
                let (n, words) = rest.split_once(' ').unwrap_or((rest, ""));
                (Some(format!("{place} {n}")), words.trim())
            }
            None => (None, want.as_str()),
        };
        let found = log.iter().any(|l| {
            record
                .as_ref()
                .is_none_or(|r| l.record_ref.as_deref() == Some(r.as_str()))
                && l.message.contains(words)
        });
        if !found {
            problems.push(format!("no log entry {record:?} with {words:?}"));
        }
    }
    let got = directory_lines(&users(db, s.org).await);
    let want = expected_lines(&case.after);
    if got != want {
        problems.push(format!(
            "directory after:\n  got  {got:#?}\n  want {want:#?}"
        ));
    }
    if !problems.is_empty() {
        let messages: Vec<String> = log
            .iter()
            .map(|l| {
                format!(
                    "{:?} {} {}: {}",
                    l.record_ref, l.action, l.outcome, l.message
                )
            })
            .collect();
        problems.push(format!("log: {messages:#?}"));
    }
    problems
}

async fn every_case_ends_in_a_logged_decision(db: &DatabaseConnection) {
    let cases = cases();
    assert!(
        cases.len() >= 15,
        "the strict corpus keeps at least 15 cases"
    );
    let mut failures = Vec::new();
    for (n, (name, case)) in cases.iter().enumerate() {
        for format in &case.formats {
            let problems = run_case(db, n, name, case, format).await;
            if !problems.is_empty() {
                failures.push(format!(
                    "{name}.{format} ({}):\n{}",
                    case.about,
                    problems.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

on_both_backends!(strict_corpus, every_case_ends_in_a_logged_decision);
