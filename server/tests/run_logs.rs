//! A run's log as the details page and the downloads read it: pages, search, scoping and
//! the audit record, on SQLite and PostgreSQL; and the two file writers read back.

mod common;

use app::domain::{LogAction, LogEntry, LogFormat, LogKind, LogOutcome};
use app::export::{header, to_csv, to_xlsx, FileOf, LogSheet, COLUMNS};
use app::ports::{LogRequest, RunStore};
use chrono::NaiveDate;
use common::sync::{people_csv, setup, sync_now};
use sea_orm::{DatabaseConnection, EntityTrait};
use server::db::entities::log_download;
use server::store::SeaStore;

on_both_backends!(pages_search_and_scope, log_pages);

async fn log_pages(db: &DatabaseConnection) {
    let s = setup(db, "Logs Org", "people.csv").await;
    std::fs::write(&s.file, people_csv(1..=120)).unwrap();
    let run = sync_now(db, s.config).await;
    let store = SeaStore::new(db.clone());

    // Another organisation never finds the run.
    assert!(store.run(s.org + 1000, run.id).await.unwrap().is_none());
    let found = store.run(s.org, run.id).await.unwrap().expect("own run");
    assert_eq!(found.row.configuration, "HR export");
    assert_eq!(found.threshold_count, Some(10));

    // Pages of 50: every entry exactly once, in order; the total comes with the first.
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let request = LogRequest {
            run_id: run.id,
            kind: LogKind::Results,
            after,
            limit: 50,
            search: None,
            outcomes: Vec::new(),
        };
        let (entries, total) = store.log_entries(&request).await.unwrap();
        assert_eq!(total.is_some(), after.is_none());
        if after.is_none() {
            assert_eq!(total, Some(120));
        }
        pages += 1;
        seen.extend(entries.iter().map(|e| e.sequence));
        if entries.len() < 50 {
            break;
        }
        after = entries.last().map(|e| e.sequence);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, (0..120).collect::<Vec<i32>>());

    // Search ignores case, and `%` / `_` are plain characters.
    let search = |text: &str| LogRequest {
        run_id: run.id,
        kind: LogKind::Results,
        after: None,
        limit: 50,
        search: Some(text.into()),
        outcomes: Vec::new(),
    };
    let (hits, total) = store.log_entries(&search("PERSON17@")).await.unwrap();
    assert_eq!(total, Some(1));
    assert_eq!(hits[0].email.as_deref(), Some("person17@example.com"));
    let (_, total) = store.log_entries(&search("person1")).await.unwrap();
    assert_eq!(
        total,
        Some(1 + 10 + 21),
        "person1, person10–19, person100–120"
    );
    for wildcard in ["%", "_", "person_7", "person%7"] {
        let (hits, total) = store.log_entries(&search(wildcard)).await.unwrap();
        assert_eq!(
            (hits.len(), total),
            (0, Some(0)),
            "{wildcard}: {:?}",
            hits.first()
        );
    }
    // A result-log request never returns error entries, and the reverse.
    let (errors, _) = store
        .log_entries(&LogRequest {
            kind: LogKind::Errors,
            ..search("person")
        })
        .await
        .unwrap();
    assert!(errors.is_empty());
    // By outcome: every entry of this run is OK; none is a warning or an error, and the
    // search still applies.
    let by_outcome = |outcome, text: Option<&str>| LogRequest {
        outcomes: vec![outcome],
        search: text.map(String::from),
        ..search("")
    };
    let (ok, total) = store
        .log_entries(&by_outcome(LogOutcome::Ok, None))
        .await
        .unwrap();
    assert_eq!((ok.len(), total), (50, Some(120)));
    assert!(ok.iter().all(|e| e.outcome == LogOutcome::Ok));
    let (_, total) = store
        .log_entries(&by_outcome(LogOutcome::Ok, Some("PERSON17@")))
        .await
        .unwrap();
    assert_eq!(total, Some(1));
    for other in [LogOutcome::Warning, LogOutcome::Error] {
        let (hits, total) = store.log_entries(&by_outcome(other, None)).await.unwrap();
        assert_eq!((hits.len(), total), (0, Some(0)), "{other:?}");
    }
    // Several outcomes at once (a run's problems): any of them.
    let (hits, total) = store
        .log_entries(&LogRequest {
            outcomes: vec![LogOutcome::Ok, LogOutcome::Error],
            ..search("")
        })
        .await
        .unwrap();
    assert_eq!((hits.len(), total), (50, Some(120)));

    // A search finds what the log shows (action, outcome and field names, old and new
    // values), never the words entries are stored with.
    let promoted = people_csv(1..=120).replacen(
        "E2,person2@example.com,First2,Last2,Engineer",
        "E2,person2@example.com,First2,Last2,Lead Engineer",
        1,
    );
    std::fs::write(&s.file, promoted).unwrap();
    let second = sync_now(db, s.config).await;
    let shown = |text: &str| LogRequest {
        run_id: second.id,
        ..search(text)
    };
    for (text, expected) in [
        ("Job Title", 1),
        ("lead", 1),
        ("Update", 1),
        ("unchanged", 119),
        ("OK", 120),
        ("first_name", 0),
        ("title", 1),
        ("\"old\"", 0),
        // As the log writes a change: "Changed: Job Title: Engineer → Lead Engineer".
        // "Changed" leads the changes; "Unchanged" entries changed nothing.
        ("Changed", 1),
        ("Engineer -> Lead", 1),
        ("Changed: Job Title", 1),
        ("Job Title: Engineer → Lead Engineer", 1),
        ("Engineer → Lead", 1),
        ("Job Title: Sales", 0),
        ("Department: Lead", 0),
    ] {
        let (hits, total) = store.log_entries(&shown(text)).await.unwrap();
        assert_eq!(total, Some(expected), "{text}: {:?}", hits.first());
        if expected == 1 {
            assert_eq!(hits[0].employee_id.as_deref(), Some("E2"), "{text}");
        }
    }

    store
        .record_download(run.id, 42, LogFormat::Xlsx)
        .await
        .unwrap();
    let audit = log_download::Entity::find().all(db).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].run_id, audit[0].user_id, audit[0].format.as_str()),
        (run.id, 42, "xlsx")
    );
}

fn entries() -> Vec<LogEntry> {
    let entry = |sequence: i32, email: &str, action: &str, message: &str| LogEntry {
        sequence,
        record: Some(format!("line {}", sequence + 2)),
        employee_id: Some(format!("E{sequence}")),
        email: Some(email.into()),
        action: LogAction::from_slug(action).unwrap(),
        outcome: if action == "skip" {
            LogOutcome::Warning
        } else {
            LogOutcome::Ok
        },
        applied: true,
        message: message.into(),
        changed_fields: (action == "update").then(|| "title, department".into()),
        changes: Vec::new(),
        run: None,
    };
    vec![
        entry(0, "ana@acme.example", "create", "Created."),
        entry(
            1,
            "=HYPERLINK(\"http://x\")",
            "skip",
            "Invalid email: skipped.",
        ),
        entry(
            2,
            "björn@acme.example",
            "update",
            "+1 changed; \"quoted\", comma",
        ),
        entry(
            3,
            "@sum@acme.example",
            "deactivate",
            "-absent from the source",
        ),
        entry(4, "tab@acme.example", "unchanged", "\tstarts with a tab"),
        entry(5, "long@acme.example", "skip", &"x".repeat(40_000)),
    ]
}

fn sheet(entries: &[LogEntry]) -> LogSheet<'_> {
    LogSheet {
        of: FileOf::Run,
        run_id: 4711,
        run_started: NaiveDate::from_ymd_opt(2024, 1, 15)
            .unwrap()
            .and_hms_opt(22, 30, 0)
            .unwrap(),
        time_zone: "Asia/Calcutta",
        configuration: "Workday – Global HR",
        entries,
    }
}

#[test]
fn csv_reads_back_with_formulas_neutralised() {
    let entries = entries();
    let bytes = to_csv(sheet(&entries)).unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "UTF-8 byte-order mark"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let named = COLUMNS.map(|c| match c {
        // The zone the starts are written in, by its current name.
        "Run started" => "Run started (Asia/Kolkata)",
        c => c,
    });
    assert_eq!(reader.headers().unwrap(), named.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), entries.len());
    assert_eq!(&rows[0][0], "4711", "each row names its run");
    assert_eq!(&rows[0][1], "1");
    assert_eq!(&rows[0][2], "2024-01-15 22:30:00");
    assert_eq!(&rows[0][3], "Workday – Global HR");
    assert_eq!(&rows[0][7], "Create");
    assert_eq!(&rows[1][6], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&rows[1][8], "Warning");
    assert_eq!(&rows[2][6], "björn@acme.example");
    assert_eq!(&rows[2][9], "Job Title, Department");
    assert_eq!(&rows[2][10], "'+1 changed; \"quoted\", comma");
    assert_eq!(&rows[3][6], "'@sum@acme.example");
    assert_eq!(&rows[3][10], "'-absent from the source");
    assert_eq!(&rows[4][10], "'\tstarts with a tab");
    assert_eq!(rows[5][10].len(), 40_000, "CSV keeps long cells whole");
}

#[test]
fn csv_of_many_rows_reads_back_row_for_row() {
    // Thousands of rows fill the writer's buffer many times over; quoted fields, long
    // fields and plain ones alternate, so both of the writer's paths take turns.
    let mut entries = app::export::sample_entries(5_000);
    for (i, e) in entries.iter_mut().enumerate() {
        match i % 7 {
            0 => e.message = format!("\"{i}\", with a comma\r\nand a line break"),
            1 => e.email = Some(format!("=cmd{i}")),
            2 => e.message = "é".repeat(20_000 + i),
            _ => {}
        }
    }
    let bytes = to_csv(sheet(&entries)).unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), entries.len());
    for (row, e) in rows.iter().zip(&entries) {
        assert_eq!(row[1], (e.sequence + 1).to_string());
        assert_eq!(row[5], *e.employee_id.as_deref().unwrap());
        let email = e.email.as_deref().unwrap();
        let shown = if email.starts_with('=') {
            format!("'{email}")
        } else {
            email.to_string()
        };
        assert_eq!(row[6], shown);
        assert_eq!(row[10], e.message);
    }
}

/// A person's history is its own file: its worksheet says so.
#[test]
fn a_persons_history_names_its_worksheet_so() {
    use calamine::{Reader, Xlsx};
    let entries = entries();
    let bytes = to_xlsx(LogSheet {
        of: FileOf::Person,
        ..sheet(&entries)
    })
    .unwrap();
    let book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec!["Person history".to_string()]);
}

#[test]
fn xlsx_reads_back_with_numbers_dates_and_neutralised_text() {
    use calamine::{Data, Reader, Xlsx};
    let entries = entries();
    let bytes = to_xlsx(sheet(&entries)).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec!["Sync logs".to_string()]);
    let range = book.worksheet_range("Sync logs").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), entries.len() + 1);
    let titles: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(titles, header("Asia/Calcutta").map(|c| c.into_owned()));
    assert_eq!(titles[2], "Run started (Asia/Kolkata)");
    assert_eq!(rows[1][0], Data::Float(4711.0), "each row names its run");
    assert_eq!(rows[1][1], Data::Float(1.0), "entry numbers stay numbers");
    match &rows[1][2] {
        // Excel's serial date: 15 Jan 2024 is day 45306, 22:30 is 0.9375 of a day.
        Data::DateTime(d) => assert!((d.as_f64() - 45306.9375).abs() < 1e-9, "{d:?}"),
        other => panic!("the run's start is a date, not {other:?}"),
    }
    assert_eq!(rows[2][6], Data::String("'=HYPERLINK(\"http://x\")".into()));
    assert_eq!(rows[3][6], Data::String("björn@acme.example".into()));
    assert_eq!(rows[4][10], Data::String("'-absent from the source".into()));
    let Data::String(long) = &rows[6][10] else {
        panic!("long message kept as text")
    };
    assert!(long.ends_with("… (truncated)") && long.encode_utf16().count() <= 32_767);
}

#[test]
fn xlsx_freezes_its_header_and_filters_its_columns() {
    use std::io::Read;
    let entries = entries();
    let bytes = to_xlsx(sheet(&entries)).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(
        xml.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        ),
        "{xml}"
    );
    assert!(xml.contains(r#"<autoFilter ref="A1:K7"/>"#), "{xml}");
    assert!(
        xml.contains(r#"<col min="11" max="11""#),
        "column widths are set"
    );
}

#[test]
fn an_empty_log_is_still_a_table() {
    use calamine::{Reader, Xlsx};
    let bytes = to_xlsx(sheet(&[])).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("Sync logs").unwrap();
    assert_eq!(range.rows().count(), 1, "header only");
    let csv = to_csv(sheet(&[])).unwrap();
    assert_eq!(csv.iter().filter(|b| **b == b'\n').count(), 1);
}
