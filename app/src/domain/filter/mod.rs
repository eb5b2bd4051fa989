//! What the Syncs page is asked to show: the filter that lives in the URL query.
//!
//! A `RunFilter` that exists is valid: it is only made by parsing (or by code that
//! keeps the same rules), and it writes itself back to the same canonical query.

use super::source::SourceKind;
use super::status::RunStatus;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

mod day;
mod read;
pub use day::{day_label, day_slug, parse_day};
pub use read::{read_day, tidied_link};

/// Longest configuration name accepted in a filter; longer input is an error, not truncated.
pub const MAX_CONFIGURATION_LEN: usize = 200;
/// Longest query string accepted: anything longer is not something our UI produced.
pub const MAX_QUERY_LEN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DateRange {
    #[default]
    AllTime,
    Last7Days,
    Last30Days,
    /// Whole days in the viewer's time zone, both ends inclusive; either may be open.
    Custom {
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SortOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RunFilter {
    pub range: DateRange,
    pub sort: SortOrder,
    /// Only runs of configurations that import from this kind of source.
    pub source: Option<SourceKind>,
    pub configuration: Option<String>,
    pub statuses: BTreeSet<RunStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum FilterError {
    #[error("The filter link is too long.")]
    TooLong,
    #[error("\"{0}\" is not a date range. Choose All Time, Last 7 Days, Last 30 Days or Custom.")]
    UnknownRange(String),
    #[error("\"{0}\" is not a sort order. Choose Newest first or Oldest first.")]
    UnknownSort(String),
    #[error("\"{0}\" is not a source. Choose Google Workspace, Workday or SFTP Sync.")]
    UnknownSource(String),
    #[error("\"{0}\" is not a sync status.")]
    UnknownStatus(String),
    #[error("\"{value}\" is not a valid {field} date; write it as 15 Jan 2024.")]
    BadDate { field: String, value: String },
    #[error("The {field} date \"{value}\" is outside the years runs can have (1970 to 9999).")]
    DateOutOfRange { field: String, value: String },
    #[error("The From date ({}) is after the To date ({}).", day_label(*.from), day_label(*.to))]
    FromAfterTo { from: NaiveDate, to: NaiveDate },
    #[error("The configuration name is longer than {MAX_CONFIGURATION_LEN} characters.")]
    ConfigurationTooLong,
    #[error("A configuration name has no control characters (tabs, line breaks, NUL).")]
    ConfigurationControl,
    #[error("The filter \"{0}\" is given more than once.")]
    Repeated(String),
}

/// A value from a link as a problem quotes it: its first 40 characters, shown as
/// [`visible`] shows them.
fn quoted(v: &str) -> String {
    visible(&v.chars().take(40).collect::<String>())
}

/// Text from a link as a page may echo it: control and direction-changing characters
/// (which could hide or reorder the text around them, the page's own words included)
/// shown as U+FFFD.
pub fn visible(v: &str) -> String {
    v.chars()
        .map(|c| {
            let hidden = c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if hidden {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// A query read as far as it goes: its valid parts, and what is wrong with the rest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterReading {
    pub filter: RunFilter,
    pub problems: Vec<FilterError>,
}

impl FilterReading {
    /// The filter as the filter controls show it: the valid parts, and dates given From
    /// after To as they were given, so they can be mended where they are (the controls
    /// mark them with [`FilterReading::dates_problem`]). The filter in use has neither.
    pub fn controls(&self) -> RunFilter {
        let mut shown = self.filter.clone();
        if let Some(FilterError::FromAfterTo { from, to }) = self.dates_problem() {
            shown.range = DateRange::Custom {
                from: Some(*from),
                to: Some(*to),
            };
        }
        shown
    }

    /// What the link gives as the `field` ("From", "To") date where it cannot be read, as
    /// the page may echo it: the date field shows it again, to be mended where it was
    /// typed.
    pub fn typed_day(&self, field: &str) -> Option<&str> {
        self.problems.iter().find_map(|p| match p {
            FilterError::BadDate { field: f, value }
            | FilterError::DateOutOfRange { field: f, value }
                if f == field =>
            {
                Some(value.as_str())
            }
            _ => None,
        })
    }

    /// The problem the date controls themselves hold: From after To.
    pub fn dates_problem(&self) -> Option<&FilterError> {
        self.problems
            .iter()
            .find(|p| matches!(p, FilterError::FromAfterTo { .. }))
    }
}

/// One active filter, as shown in a pill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilterPart {
    Range,
    Sort,
    Source,
    Configuration,
    Status(RunStatus),
}

impl DateRange {
    pub fn slug(&self) -> &'static str {
        match self {
            DateRange::AllTime => "all",
            DateRange::Last7Days => "7d",
            DateRange::Last30Days => "30d",
            DateRange::Custom { .. } => "custom",
        }
    }

    pub fn label(&self) -> String {
        match self {
            DateRange::AllTime => "All Time".into(),
            DateRange::Last7Days => "Last 7 Days".into(),
            DateRange::Last30Days => "Last 30 Days".into(),
            DateRange::Custom { from, to } => match (from, to) {
                (Some(f), Some(t)) if f == t => day_label(*f),
                (Some(f), Some(t)) => format!("{} – {}", day_label(*f), day_label(*t)),
                (Some(f), None) => format!("From {}", day_label(*f)),
                (None, Some(t)) => format!("Until {}", day_label(*t)),
                (None, None) => "Custom".into(),
            },
        }
    }

    /// The half-open window `[since, until)` in UTC. `local_midnight` turns a day of the
    /// viewer's calendar into the instant it starts, so custom days follow their time zone.
    pub fn window(
        &self,
        now: DateTime<Utc>,
        local_midnight: impl Fn(NaiveDate) -> DateTime<Utc>,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        match *self {
            DateRange::AllTime => (None, None),
            DateRange::Last7Days => (Some(now - Duration::days(7)), None),
            DateRange::Last30Days => (Some(now - Duration::days(30)), None),
            DateRange::Custom { from, to } => (
                from.map(&local_midnight),
                to.and_then(|t| t.succ_opt()).map(&local_midnight),
            ),
        }
    }
}

impl SortOrder {
    pub fn slug(self) -> &'static str {
        match self {
            SortOrder::NewestFirst => "newest",
            SortOrder::OldestFirst => "oldest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortOrder::NewestFirst => "Newest first",
            SortOrder::OldestFirst => "Oldest first",
        }
    }
}

impl RunFilter {
    /// The canonical query string (no leading `?`); empty for the default filter.
    pub fn to_query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if self.range != DateRange::AllTime {
            q.append_pair("range", self.range.slug());
        }
        if let DateRange::Custom { from, to } = self.range {
            if let Some(f) = from {
                q.append_pair("from", &day_slug(f));
            }
            if let Some(t) = to {
                q.append_pair("to", &day_slug(t));
            }
        }
        if self.sort != SortOrder::NewestFirst {
            q.append_pair("sort", self.sort.slug());
        }
        if let Some(s) = self.source {
            q.append_pair("source", s.slug());
        }
        if let Some(c) = &self.configuration {
            q.append_pair("config", c);
        }
        if !self.statuses.is_empty() {
            let list: Vec<&str> = self.statuses.iter().map(|s| s.slug()).collect();
            q.append_pair("status", &list.join(","));
        }
        q.finish()
    }

    pub fn is_default(&self) -> bool {
        *self == RunFilter::default()
    }

    /// Whether a run in this status belongs to the filter: a run's status is the only part
    /// of it that the filter reads and that changes while the page shows it.
    pub fn admits_status(&self, status: RunStatus) -> bool {
        self.statuses.is_empty() || self.statuses.contains(&status)
    }

    /// The active filters, each as a pill: its part and its text.
    pub fn pills(&self) -> Vec<(FilterPart, String)> {
        let mut pills = Vec::new();
        if self.range != DateRange::AllTime {
            pills.push((
                FilterPart::Range,
                format!("Date range: {}", self.range.label()),
            ));
        }
        if self.sort != SortOrder::NewestFirst {
            pills.push((
                FilterPart::Sort,
                format!("Sort order: {}", self.sort.label()),
            ));
        }
        if let Some(s) = self.source {
            pills.push((FilterPart::Source, format!("Source: {}", s.display_name())));
        }
        if let Some(c) = &self.configuration {
            pills.push((FilterPart::Configuration, format!("Configuration: {c}")));
        }
        for s in &self.statuses {
            pills.push((FilterPart::Status(*s), format!("Status: {}", s.label())));
        }
        pills
    }

    /// This filter with one part reset to its default.
    pub fn without(&self, part: &FilterPart) -> RunFilter {
        let mut f = self.clone();
        match part {
            FilterPart::Range => f.range = DateRange::AllTime,
            FilterPart::Sort => f.sort = SortOrder::NewestFirst,
            FilterPart::Source => f.source = None,
            FilterPart::Configuration => f.configuration = None,
            FilterPart::Status(s) => {
                f.statuses.remove(s);
            }
        }
        f
    }
}

impl fmt::Display for RunFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_query())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_one_day_range_is_named_once() {
        let day = d("2026-12-01");
        let range = DateRange::Custom {
            from: Some(day),
            to: Some(day),
        };
        assert_eq!(range.label(), "1 Dec 2026");
    }

    #[test]
    fn a_day_that_cannot_be_read_is_kept_for_its_field() {
        let r = RunFilter::read("range=custom&from=15+Jnu+2024&to=1+Jan+20000");
        assert_eq!(r.typed_day("From"), Some("15 Jnu 2024"));
        assert_eq!(r.typed_day("To"), Some("1 Jan 20000"));
        assert_eq!(RunFilter::read("from=2024-01-01").typed_day("From"), None);
    }

    #[test]
    fn the_filter_forms_plain_link_is_tidied() {
        // The form without script names every field, empty or not.
        assert_eq!(
            tidied_link("range=all&from=&to=&sort=newest&source=&config="),
            Some(String::new())
        );
        assert_eq!(
            tidied_link("range=7d&from=&sort=oldest&config=HR&status=success&after=5.7"),
            Some("range=7d&sort=oldest&config=HR&status=success&after=5.7".to_string())
        );
        // Dates as the fields show them: written as links write them.
        assert_eq!(
            tidied_link("range=custom&from=5+Oct+2026&to=Oct+20%2C+2026&status=success"),
            Some("range=custom&from=2026-10-05&to=2026-10-20&status=success".to_string())
        );
        // The same filter said another way: the page's own words.
        for (asked, tidy) in [
            ("range=7d&from=2026-10-05", "range=7d"),
            ("status=Success", "status=success"),
            (
                "status=queued&status=in_progress",
                "status=queued%2Cin_progress",
            ),
            (
                "status=in_progress,queued,queued",
                "status=queued%2Cin_progress",
            ),
            ("sort=newest&after=5.7", "after=5.7"),
            ("range=all", ""),
            (
                "sort=Oldest&range=7D&source=Workday",
                "range=7d&sort=oldest&source=workday",
            ),
            ("sort=oldest&sort=oldest", "sort=oldest"),
            ("source=workday&source=Workday", "source=workday"),
            ("status=success&", "status=success"),
            ("&status=success&after=5.7", "status=success&after=5.7"),
        ] {
            assert_eq!(tidied_link(asked).as_deref(), Some(tidy), "{asked}");
        }
        // The page's own link, its keys in any order: left as it is. A problem: left for
        // the page to explain.
        assert_eq!(tidied_link("range=7d&status=success"), None);
        assert_eq!(tidied_link("status=success&sort=oldest&after=5.7"), None);
        assert_eq!(tidied_link("status=queued,in_progress"), None);
        assert_eq!(tidied_link(""), None);
        assert_eq!(tidied_link("range=custom&from=2026-10-05"), None);
        assert_eq!(tidied_link("range=custom&from=5+Octember+2026"), None);
        assert_eq!(tidied_link("range=soon&from="), None);
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn default_is_empty_query() {
        assert_eq!(RunFilter::from_query("").unwrap(), RunFilter::default());
        assert_eq!(RunFilter::from_query("?").unwrap(), RunFilter::default());
        assert_eq!(RunFilter::default().to_query(), "");
        assert!(RunFilter::default().pills().is_empty());
    }

    #[test]
    fn round_trips_every_part() {
        let mut statuses = BTreeSet::new();
        statuses.insert(RunStatus::NeedsAttention);
        statuses.insert(RunStatus::Success);
        let cases = [
            RunFilter {
                range: DateRange::Last7Days,
                ..Default::default()
            },
            RunFilter {
                range: DateRange::Last30Days,
                sort: SortOrder::OldestFirst,
                ..Default::default()
            },
            RunFilter {
                range: DateRange::Custom {
                    from: Some(d("2024-01-15")),
                    to: Some(d("2024-02-01")),
                },
                ..Default::default()
            },
            RunFilter {
                range: DateRange::Custom {
                    from: None,
                    to: Some(d("2024-02-01")),
                },
                ..Default::default()
            },
            RunFilter {
                range: DateRange::Custom {
                    from: None,
                    to: None,
                },
                ..Default::default()
            },
            RunFilter {
                configuration: Some("Workday – Global HR & Co = 100% ?#".into()),
                statuses: statuses.clone(),
                ..Default::default()
            },
            RunFilter {
                statuses: RunStatus::ALL.into_iter().collect(),
                ..Default::default()
            },
            RunFilter {
                source: Some(SourceKind::Workday),
                configuration: Some("HR".into()),
                ..Default::default()
            },
        ];
        let every_source = SourceKind::ALL.map(|source| RunFilter {
            source: Some(source),
            ..Default::default()
        });
        let cases = cases.into_iter().chain(every_source);
        for f in cases {
            let q = f.to_query();
            assert_eq!(RunFilter::from_query(&q).unwrap(), f, "query {q}");
            assert_eq!(RunFilter::from_query(&q).unwrap().to_query(), q);
        }
    }

    #[test]
    fn canonical_order_and_encoding() {
        let f = RunFilter::from_query(
            "status=success,queued&config=A%20B&source=sftp&sort=oldest&range=7d",
        )
        .unwrap();
        assert_eq!(
            f.to_query(),
            "range=7d&sort=oldest&source=sftp&config=A+B&status=queued%2Csuccess"
        );
        let repeated = RunFilter::from_query("status=success&status=queued,success").unwrap();
        assert_eq!(repeated.statuses.len(), 2);
    }

    #[test]
    fn rejects_bad_input_with_clear_messages() {
        let err = |q: &str| RunFilter::from_query(q).unwrap_err();
        assert_eq!(
            err("status=bogus"),
            FilterError::UnknownStatus("bogus".into())
        );
        assert_eq!(
            err("range=yesterday"),
            FilterError::UnknownRange("yesterday".into())
        );
        assert_eq!(
            err("sort=random"),
            FilterError::UnknownSort("random".into())
        );
        assert!(matches!(
            err("range=custom&from=2024-13-01"),
            FilterError::BadDate { .. }
        ));
        assert!(matches!(
            err("range=custom&from=15/01/2024"),
            FilterError::BadDate { .. }
        ));
        // Only the form the date fields send.
        for loose in ["2026-1-1", "%2B2026-11-01", "2026-11-1 ", "２026-11-01"] {
            assert!(
                matches!(err(&format!("from={loose}")), FilterError::BadDate { .. }),
                "{loose}"
            );
        }
        assert_eq!(
            err("from=0002-01-01"),
            FilterError::DateOutOfRange {
                field: "From".into(),
                value: "0002-01-01".into()
            }
        );
        assert_eq!(
            err("range=custom&from=2024-02-01&to=2024-01-01"),
            FilterError::FromAfterTo {
                from: d("2024-02-01"),
                to: d("2024-01-01")
            }
        );
        // The controls keep both dates, to be mended where they are; the filter in use
        // has neither, and keeps the rest of the link.
        for q in [
            "range=custom&from=2024-02-01&to=2024-01-01&sort=oldest",
            "from=2024-02-01&to=2024-01-01&sort=oldest",
        ] {
            let reading = RunFilter::read(q);
            assert!(reading.dates_problem().is_some(), "{q}");
            let controls = reading.controls();
            assert_eq!(
                controls.range,
                DateRange::Custom {
                    from: Some(d("2024-02-01")),
                    to: Some(d("2024-01-01"))
                },
                "{q}"
            );
            assert_eq!(controls.sort, SortOrder::OldestFirst);
            assert!(
                matches!(
                    reading.filter.range,
                    DateRange::AllTime
                        | DateRange::Custom {
                            from: None,
                            to: None
                        }
                ),
                "{q}"
            );
        }
        let fine = RunFilter::read("range=custom&from=2024-01-01&to=2024-02-01");
        assert_eq!(fine.dates_problem(), None);
        assert_eq!(fine.controls(), fine.filter);
        // The form's folded date fields, sent beside a named range, are left out.
        assert_eq!(
            RunFilter::from_query("range=7d&from=2024-02-01&to=2024-02-03")
                .unwrap()
                .to_query(),
            "range=7d"
        );
        // Whatever they hold: the form keeps what was typed in them.
        for folded in [
            "range=7d&from=2026-12-01&to=2026-11-01",
            "range=7d&from=1900-01-01",
            "range=all&to=2024-13-01",
            "range=30d&from=yesterday",
        ] {
            let reading = RunFilter::read(folded);
            assert_eq!(reading.problems, Vec::new(), "{folded}");
            assert!(!reading.filter.to_query().contains("from"), "{folded}");
        }
        assert_eq!(err("source=csv"), FilterError::UnknownSource("csv".into()));
        // Read in any case, as the page writes them or not.
        assert_eq!(
            RunFilter::from_query("source=Workday").unwrap().source,
            Some(SourceKind::Workday)
        );
        assert_eq!(
            err("source=workday&source=sftp"),
            FilterError::Repeated("source".into())
        );
        assert_eq!(
            err("sort=oldest&sort=newest"),
            FilterError::Repeated("sort".into())
        );
        assert_eq!(
            err(&format!("config={}", "x".repeat(201))),
            FilterError::ConfigurationTooLong
        );
        // Text a page echoes never reorders the page's own words around it.
        assert_eq!(
            visible("\u{202e}evil\u{2066}x\u{200f}"),
            "\u{fffd}evil\u{fffd}x\u{fffd}"
        );
        assert_eq!(visible("עברית HR"), "עברית HR");
        for bad in ["config=%00", "config=HR%0A", "config=%09HR"] {
            assert_eq!(err(bad), FilterError::ConfigurationControl, "{bad}");
        }
        assert_eq!(err(&"status=success&".repeat(400)), FilterError::TooLong);
        assert!(err("status=bogus")
            .to_string()
            .contains("is not a sync status"));
    }

    #[test]
    fn a_bad_link_is_read_as_far_as_it_goes() {
        let r = RunFilter::read(
            "status=bogus,success&range=custom&from=2024-13-01&to=2024-02-01&sort=oldest&source=csv&config=HR&status=maybe",
        );
        assert_eq!(
            r.problems,
            vec![
                FilterError::UnknownStatus("bogus".into()),
                FilterError::UnknownStatus("maybe".into()),
                FilterError::BadDate {
                    field: "From".into(),
                    value: "2024-13-01".into()
                },
                FilterError::UnknownSource("csv".into()),
            ]
        );
        // What was valid is kept, and writes itself as a link without problems.
        assert_eq!(
            r.filter.to_query(),
            "range=custom&to=2024-02-01&sort=oldest&config=HR&status=success"
        );
        assert_eq!(RunFilter::from_query(&r.filter.to_query()), Ok(r.filter));

        // A key given twice is not guessed at; dates in the wrong order are both dropped.
        let r = RunFilter::read("sort=oldest&sort=newest&sort=x&from=2024-02-01&to=2024-01-01");
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert_eq!(r.filter, RunFilter::default());
        // A range that is not one: the dates beside it still make a custom range.
        let r = RunFilter::read("range=yesterday&from=2024-01-15");
        assert_eq!(
            r.problems,
            vec![FilterError::UnknownRange("yesterday".into())]
        );
        assert_eq!(
            r.filter.range,
            DateRange::Custom {
                from: Some(d("2024-01-15")),
                to: None
            }
        );
        assert!(RunFilter::read("range=7d&sort=oldest").problems.is_empty());
        // What a problem quotes cannot hide or turn the text around it.
        assert_eq!(
            RunFilter::read("status=%E2%80%AEsuccess%00").problems,
            vec![FilterError::UnknownStatus("\u{fffd}success\u{fffd}".into())]
        );
    }

    #[test]
    fn dates_alone_imply_custom_and_unknown_keys_are_ignored() {
        let f = RunFilter::from_query("from=2024-01-15&utm_source=mail").unwrap();
        assert_eq!(
            f.range,
            DateRange::Custom {
                from: Some(d("2024-01-15")),
                to: None
            }
        );
        assert_eq!(f.to_query(), "range=custom&from=2024-01-15");
    }

    #[test]
    fn pills_and_removal() {
        let f = RunFilter::from_query(
            "range=30d&config=HR&status=success,cancelled&source=google_workspace",
        )
        .unwrap();
        let texts: Vec<String> = f.pills().into_iter().map(|p| p.1).collect();
        assert_eq!(
            texts,
            [
                "Date range: Last 30 Days",
                "Source: Google Workspace",
                "Configuration: HR",
                "Status: Success",
                "Status: Cancelled"
            ]
        );
        let f2 = f
            .without(&FilterPart::Status(RunStatus::Success))
            .without(&FilterPart::Source);
        assert_eq!(f2.to_query(), "range=30d&config=HR&status=cancelled");
        assert_eq!(
            f2.without(&FilterPart::Range)
                .without(&FilterPart::Configuration)
                .to_query(),
            "status=cancelled"
        );
    }

    #[test]
    fn windows() {
        let now = Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap();
        // A viewer two hours ahead of UTC: their midnight is 22:00 UTC the day before.
        let midnight = |day: NaiveDate| {
            Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap()) - Duration::hours(2)
        };
        assert_eq!(DateRange::AllTime.window(now, midnight), (None, None));
        assert_eq!(
            DateRange::Last7Days.window(now, midnight).0,
            Some(now - Duration::days(7))
        );
        let custom = DateRange::Custom {
            from: Some(d("2024-03-01")),
            to: Some(d("2024-03-01")),
        };
        let (since, until) = custom.window(now, midnight);
        assert_eq!(
            since,
            Some(Utc.with_ymd_and_hms(2024, 2, 29, 22, 0, 0).unwrap())
        );
        assert_eq!(
            until,
            Some(Utc.with_ymd_and_hms(2024, 3, 1, 22, 0, 0).unwrap())
        );
    }
}
