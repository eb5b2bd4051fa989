//! Log files people download: CSV and Excel (XLSX), written by pure functions that return
//! bytes. The browser runs them to build a download; the server runs the same code for
//! API clients.

mod cells;
mod csv_file;
mod xlsx_file;

pub use cells::{
    changed_fields_label, header, neutralise, write_changed_fields, write_entry_changes, COLUMNS,
};
pub use csv_file::to_csv;
pub use xlsx_file::{to_xlsx, XLSX_MAX_ROWS};

use crate::domain::{LogAction, LogEntry, LogFormat, LogOutcome};
use chrono::NaiveDateTime;

/// Whose entries a log file holds: a run's, or one person's across runs (each entry
/// naming its own run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FileOf {
    Run,
    Person,
}

impl FileOf {
    /// The worksheet's name: what the file holds, as the page calls it.
    pub fn sheet_name(self) -> &'static str {
        match self {
            FileOf::Run => "Sync logs",
            FileOf::Person => "Person history",
        }
    }
}

/// What a log file holds: the run it came from and its entries in order.
#[derive(Debug, Clone, Copy)]
pub struct LogSheet<'a> {
    pub of: FileOf,
    pub run_id: i64,
    /// The run's start in the viewer's time zone.
    pub run_started: NaiveDateTime,
    /// The IANA zone every start in the file is written in, named in the header.
    pub time_zone: &'a str,
    pub configuration: &'a str,
    pub entries: &'a [LogEntry],
}

/// What the browser's log-file writer is asked for, before the entries follow page by
/// page: the page sends it to the Web Worker that writes the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogFileJob {
    pub format: LogFormat,
    pub of: FileOf,
    pub run_id: i64,
    /// The run's start in the viewer's time zone.
    pub run_started: NaiveDateTime,
    /// The IANA zone the file's times are written in.
    pub time_zone: String,
    pub configuration: String,
}

/// The log file in `format`: what the browser's worker and the API's endpoint both write.
pub fn to_file(format: LogFormat, sheet: LogSheet<'_>) -> Result<Vec<u8>, ExportError> {
    match format {
        LogFormat::Csv => to_csv(sheet),
        LogFormat::Xlsx => to_xlsx(sheet),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the log file could not be written: {0}")]
pub struct ExportError(pub String);

/// `n` log entries like a large run's: mostly unchanged records, some updates with
/// changed fields, a few warnings; for benchmarks of the writers.
pub fn sample_entries(n: usize) -> Vec<LogEntry> {
    (0..n)
        .map(|i| {
            let (action, outcome, message, changed) = match i % 20 {
                0 => (
                    LogAction::Update,
                    LogOutcome::Ok,
                    "Updated.",
                    Some("title, department".to_string()),
                ),
                1 => (LogAction::Create, LogOutcome::Ok, "User created.", None),
                2 => (
                    LogAction::Skip,
                    LogOutcome::Warning,
                    "Invalid email address: skipped.",
                    None,
                ),
                _ => (LogAction::Unchanged, LogOutcome::Ok, "No changes.", None),
            };
            LogEntry {
                sequence: i as i32,
                record: Some(format!("line {}", i + 2)),
                employee_id: Some(format!("E{:06}", i)),
                email: Some(format!("person{i}@example.com")),
                action,
                outcome,
                applied: true,
                message: message.into(),
                changed_fields: changed,
                changes: Vec::new(),
                run: None,
            }
        })
        .collect()
}

/// Writes `entries` `rounds` times in each format after one warm-up, and returns the
/// best time of each in milliseconds, measured by `now` (milliseconds). The same code
/// runs natively and in wasm, so the two are compared on equal terms.
pub fn time_writers(entries: &[LogEntry], rounds: u32, now: impl Fn() -> f64) -> (f64, f64) {
    let sheet = LogSheet {
        of: FileOf::Run,
        run_id: 4711,
        run_started: chrono::NaiveDate::from_ymd_opt(2024, 1, 15)
            .and_then(|d| d.and_hms_opt(22, 30, 0))
            .unwrap_or_default(),
        time_zone: "Europe/Berlin",
        configuration: "Workday – Global HR",
        entries,
    };
    let best = |write: &dyn Fn() -> usize| {
        write();
        (0..rounds.max(1))
            .map(|_| {
                let start = now();
                std::hint::black_box(write());
                now() - start
            })
            .fold(f64::INFINITY, f64::min)
    };
    let csv = best(&|| to_csv(sheet).map(|b| b.len()).unwrap_or(0));
    let xlsx = best(&|| to_xlsx(sheet).map(|b| b.len()).unwrap_or(0));
    (csv, xlsx)
}
