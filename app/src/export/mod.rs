//! Log files people download: CSV and Excel (XLSX), written by pure functions that return
//! bytes. The browser runs them to build a download; the server runs the same code for
//! API clients.

mod cells;
mod csv_file;
mod xlsx_file;

pub use cells::{action_label, neutralise, outcome_label, COLUMNS};
pub use csv_file::to_csv;
pub use xlsx_file::{to_xlsx, XLSX_MAX_ROWS};

use crate::domain::LogEntry;
use chrono::NaiveDateTime;

/// What a log file holds: the run it came from and its entries in order.
#[derive(Debug, Clone, Copy)]
pub struct LogSheet<'a> {
    /// The run's start in the viewer's time zone.
    pub run_started: NaiveDateTime,
    pub configuration: &'a str,
    pub entries: &'a [LogEntry],
}

#[derive(Debug, thiserror::Error)]
#[error("the log file could not be written: {0}")]
pub struct ExportError(pub String);
