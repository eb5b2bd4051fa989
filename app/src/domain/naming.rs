//! How times and log files are written for people.

use chrono::{NaiveDateTime, Timelike};

/// Which kind of file a log download produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LogFormat {
    Csv,
    Xlsx,
}

impl LogFormat {
    pub fn extension(self) -> &'static str {
        match self {
            LogFormat::Csv => "csv",
            LogFormat::Xlsx => "xlsx",
        }
    }

    /// The file's media type, for the browser's download and the API's `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            LogFormat::Csv => "text/csv; charset=utf-8",
            LogFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// `10.30pm`: 12-hour clock, no leading zero on the hour, am/pm in lower case.
fn clock(local: NaiveDateTime) -> String {
    let (pm, hour) = local.hour12();
    format!(
        "{hour}.{:02}{}",
        local.minute(),
        if pm { "pm" } else { "am" }
    )
}

/// The name of a log download, from the run's start in the viewer's time zone:
/// `Sync Logs - 15 Jan 2024 10.30pm.csv`. Days and hours are not zero-padded
/// (`5 Jan 2024 9.05am`), as people write them; minutes always have two digits.
pub fn log_file_name(started_local: NaiveDateTime, format: LogFormat) -> String {
    format!(
        "Sync Logs - {} {}.{}",
        started_local.format("%-d %b %Y"),
        clock(started_local),
        format.extension()
    )
}

/// The name of a download of one person's history, from who they are (their email, else
/// their Employee ID) and the time of the download in the viewer's time zone:
/// `Person History - jane@acme.example - 15 Jan 2024 10.30pm.csv`. Characters that file
/// systems refuse in a name become `_`.
pub fn person_file_name(who: &str, local: NaiveDateTime, format: LogFormat) -> String {
    let who: String = who
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    format!(
        "Person History - {} - {} {}.{}",
        who.trim(),
        local.format("%-d %b %Y"),
        clock(local),
        format.extension()
    )
}

/// The start time as the runs table shows it: `15 Jan 2024, 10:30pm`.
pub fn display_start(local: NaiveDateTime) -> String {
    let (pm, hour) = local.hour12();
    format!(
        "{}, {hour}:{:02}{}",
        local.format("%-d %b %Y"),
        local.minute(),
        if pm { "pm" } else { "am" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    #[test]
    fn a_person_history_is_named_after_the_person_and_the_download() {
        assert_eq!(
            person_file_name("jane@acme.example", at(2024, 1, 15, 22, 30), LogFormat::Csv),
            "Person History - jane@acme.example - 15 Jan 2024 10.30pm.csv"
        );
        assert_eq!(
            person_file_name("a/b\\c:d\n", at(2024, 1, 5, 9, 5), LogFormat::Xlsx),
            "Person History - a_b_c_d_ - 5 Jan 2024 9.05am.xlsx"
        );
    }

    #[test]
    fn the_documented_example() {
        assert_eq!(
            log_file_name(at(2024, 1, 15, 22, 30), LogFormat::Csv),
            "Sync Logs - 15 Jan 2024 10.30pm.csv"
        );
        assert_eq!(
            log_file_name(at(2024, 1, 15, 22, 30), LogFormat::Xlsx),
            "Sync Logs - 15 Jan 2024 10.30pm.xlsx"
        );
    }

    #[test]
    fn padding_midnight_and_noon() {
        assert_eq!(
            log_file_name(at(2024, 3, 5, 9, 5), LogFormat::Csv),
            "Sync Logs - 5 Mar 2024 9.05am.csv"
        );
        assert_eq!(
            log_file_name(at(2024, 12, 31, 0, 0), LogFormat::Csv),
            "Sync Logs - 31 Dec 2024 12.00am.csv"
        );
        assert_eq!(
            log_file_name(at(2024, 7, 1, 12, 0), LogFormat::Csv),
            "Sync Logs - 1 Jul 2024 12.00pm.csv"
        );
        assert_eq!(
            log_file_name(at(2024, 7, 1, 23, 59), LogFormat::Csv),
            "Sync Logs - 1 Jul 2024 11.59pm.csv"
        );
    }

    #[test]
    fn table_start_time() {
        assert_eq!(
            display_start(at(2024, 1, 15, 22, 30)),
            "15 Jan 2024, 10:30pm"
        );
        assert_eq!(display_start(at(2024, 1, 5, 0, 7)), "5 Jan 2024, 12:07am");
    }
}
