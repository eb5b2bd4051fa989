//! A sync run as the Syncs page shows it, and the page of runs a list request returns.

use super::{source::SourceKind, status::RunStatus};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Record counts of a run; all zero until the run has planned its changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RunCounts {
    pub created: u32,
    pub updated: u32,
    pub deactivated: u32,
    pub reactivated: u32,
    pub unchanged: u32,
    pub skipped: u32,
    pub warnings: u32,
    pub errors: u32,
    pub planned_deactivations: u32,
}

/// One row of the runs table. Times are UTC epoch milliseconds; `start_display` is the
/// start already written in the viewer's time zone, so server and browser render alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRunRow {
    pub id: i64,
    pub configuration: String,
    pub source: SourceKind,
    pub status: RunStatus,
    pub queued_at_ms: i64,
    pub started_at_ms: Option<i64>,
    pub finished_at_ms: Option<i64>,
    pub start_display: String,
    pub duration_ms: Option<i64>,
    pub progress_done: u32,
    pub progress_total: u32,
    pub counts: RunCounts,
    pub version: i64,
    /// Why the run ended as it did, when it did not succeed: its first [`REASON_CHARS`]
    /// characters.
    pub reason: Option<String>,
}

/// How much of a run's reason a list row carries.
pub const REASON_CHARS: usize = 160;

impl SyncRunRow {
    /// One line that lets a finished run be triaged from the list: what went wrong (the
    /// first sentence of its reason), else its problems and changes. `None` while it runs.
    pub fn summary(&self) -> Option<String> {
        let c = &self.counts;
        let changes = || {
            let parts: Vec<String> = [
                (c.created, "created"),
                (c.updated, "updated"),
                (c.deactivated, "deactivated"),
                (c.reactivated, "reactivated"),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
            if parts.is_empty() {
                "no changes".to_string()
            } else {
                parts.join(", ")
            }
        };
        let first_sentence = |reason: &str| match reason.find(". ") {
            Some(i) => reason[..=i].to_string(),
            // Cut where the list cuts reasons (`reason`): the rest is on the details page.
            None if reason.chars().count() >= REASON_CHARS => format!("{}…", reason.trim_end()),
            None => reason.trim().to_string(),
        };
        match self.status {
            RunStatus::Queued | RunStatus::InProgress => None,
            RunStatus::Success => Some(capitalise(&changes())),
            RunStatus::NeedsAttention => {
                let mut problems = Vec::new();
                if c.errors > 0 {
                    problems.push(plural(c.errors, "error"));
                }
                if c.warnings > 0 {
                    problems.push(plural(c.warnings, "warning"));
                }
                if c.skipped > 0 {
                    problems.push(format!("{} skipped", c.skipped));
                }
                problems.push(changes());
                Some(capitalise(&problems.join(", ")))
            }
            RunStatus::DataLoadFailed
            | RunStatus::AboveDeactivationThreshold
            | RunStatus::Cancelled => self.reason.as_deref().map(first_sentence),
        }
    }

    /// What the list sorts and pages by: the start, or the queue time for a run not yet started.
    pub fn sort_at_ms(&self) -> i64 {
        self.started_at_ms.unwrap_or(self.queued_at_ms)
    }

    /// The keyset position just after this row.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            sort_at_ms: self.sort_at_ms(),
            id: self.id,
        }
    }
}

/// A page of runs and what is needed to ask for the next one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPage {
    pub runs: Vec<SyncRunRow>,
    pub next_cursor: Option<Cursor>,
    /// How many runs match the filter in all; given with the first page only.
    pub total: Option<u64>,
    /// The IANA time zone the start times are written in.
    pub time_zone: String,
    /// The organisation's count of changes to its runs, read before the first page's
    /// runs: the live view asks for the changes after it.
    pub changes_seen: Option<i64>,
    /// When the server answered (ms since the epoch): the rows' "… ago" are told from it
    /// until the page's own clock runs, so the server's page says them too, and hydration
    /// finds the same words.
    pub answered_at_ms: i64,
}

/// What a poll of the live view returns, for the count of changes the page has seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RunChanges {
    /// No run of the organisation changed: the page holds what there is.
    Unchanged,
    /// Runs changed (their start already written in the viewer's zone).
    Changed {
        /// The organisation's count of changes now: the next poll asks for those after it.
        seen: i64,
        /// The filter's first page's rows that are new or changed.
        first: Vec<SyncRunRow>,
        /// The organisation's other changed runs: the page updates those it shows.
        others: Vec<SyncRunRow>,
        /// How many runs match the filter now.
        total: Option<u64>,
    },
    /// More runs changed than one answer carries (or the count is not one this server
    /// gave): the page reads its runs again.
    StartOver,
}

/// Keyset position: the sort time and id of the last row of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub sort_at_ms: i64,
    pub id: i64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.sort_at_ms, self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the page position is not valid")]
pub struct BadCursor;

impl FromStr for Cursor {
    type Err = BadCursor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (at, id) = s.split_once('.').ok_or(BadCursor)?;
        Ok(Cursor {
            sort_at_ms: at.parse().map_err(|_| BadCursor)?,
            id: id.parse().map_err(|_| BadCursor)?,
        })
    }
}

/// The runs a page holds, told by a poll so that only changes to runs it may show come
/// back: a page of 50 rows has no use for the hundreds of changes made meanwhile to runs
/// years down the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldRuns {
    /// Any run may be held or come onto the page: the page did not say (one from before
    /// polls said it), or it shows no rows, so a run may appear anywhere in it.
    Any,
    /// The rows from the top of the list down to `reach`, the sort instant of the row
    /// furthest down. A run moves only when it starts, and then from its queue time to its
    /// start, so a held run has its sort instant or its queue time on this side of `reach`.
    DownTo { newest_first: bool, reach: i64 },
}

impl HeldRuns {
    /// What a page holding `rows` in the order `sort` tells.
    pub fn of(rows: &[SyncRunRow], sort: super::SortOrder) -> HeldRuns {
        let newest_first = sort == super::SortOrder::NewestFirst;
        let instants = rows.iter().map(SyncRunRow::sort_at_ms);
        let reach = if newest_first {
            instants.min()
        } else {
            instants.max()
        };
        match reach {
            Some(reach) => HeldRuns::DownTo {
                newest_first,
                reach,
            },
            None => HeldRuns::Any,
        }
    }

    /// As a poll's `held` parameter: the reach in digits, or nothing.
    pub fn to_param(self) -> Option<String> {
        match self {
            HeldRuns::Any => None,
            HeldRuns::DownTo { reach, .. } => Some(reach.to_string()),
        }
    }

    /// A poll's `held` parameter read back for a list in the order `sort`.
    pub fn from_param(param: Option<&str>, sort: super::SortOrder) -> Result<HeldRuns, BadCursor> {
        let newest_first = sort == super::SortOrder::NewestFirst;
        let Some(text) = param.filter(|t| !t.is_empty()) else {
            return Ok(HeldRuns::Any);
        };
        // Digits as the page writes them, nothing else: `i64`'s parser also takes a `+`.
        let digits = text.strip_prefix('-').unwrap_or(text);
        if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadCursor);
        }
        let reach = text.parse().map_err(|_| BadCursor)?;
        Ok(HeldRuns::DownTo {
            newest_first,
            reach,
        })
    }

    /// Whether a run may be among the rows held.
    pub fn may_hold(self, run: &SyncRunRow) -> bool {
        match self {
            HeldRuns::Any => true,
            HeldRuns::DownTo {
                newest_first: true,
                reach,
            } => run.sort_at_ms() >= reach || run.queued_at_ms >= reach,
            HeldRuns::DownTo {
                newest_first: false,
                reach,
            } => run.sort_at_ms() <= reach || run.queued_at_ms <= reach,
        }
    }
}

/// A configuration as offered in the Configuration filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationSummary {
    pub name: String,
    pub source: SourceKind,
}

/// What queued a run: its schedule or an operator. Stored by its slug in `sync_runs.trigger`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    Scheduled,
    Manual,
}

impl Trigger {
    pub fn slug(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::Manual => "manual",
        }
    }

    /// The trigger a stored word names; `None` for a word no version of the service wrote.
    pub fn from_slug(slug: &str) -> Option<Trigger> {
        [Trigger::Scheduled, Trigger::Manual]
            .into_iter()
            .find(|t| t.slug() == slug)
    }

    /// Who started the run, as its details page says: "The schedule", "An operator".
    pub fn started_by(trigger: Option<Trigger>) -> &'static str {
        match trigger {
            Some(Trigger::Scheduled) => "The schedule",
            Some(Trigger::Manual) => "An operator",
            None => "The service",
        }
    }
}

/// How long ago something happened, as people say it beside a date: "just now",
/// "5 min ago", "3 h ago", "2 days ago". A time a little ahead (another clock) is "just now".
pub fn time_ago(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match minutes {
        0 => "just now".into(),
        1..=59 => format!("{minutes} min ago"),
        60..=1439 => format!("{} h ago", minutes / 60),
        _ => {
            let days = minutes / 1440;
            format!("{days} {} ago", if days == 1 { "day" } else { "days" })
        }
    }
}

/// Duration in words short enough for a table cell: `45s`, `3m 05s`, `2h 03m`.
pub fn format_duration(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

fn plural(n: u32, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_read_back_from_what_the_queue_stores() {
        for t in [Trigger::Scheduled, Trigger::Manual] {
            assert_eq!(Trigger::from_slug(t.slug()), Some(t));
        }
        assert_eq!(Trigger::from_slug("schedule"), None);
        assert_eq!(
            Trigger::started_by(Trigger::from_slug("scheduled")),
            "The schedule"
        );
        assert_eq!(Trigger::started_by(None), "The service");
    }

    #[test]
    fn a_page_tells_how_far_down_it_holds_runs() {
        use crate::domain::SortOrder::{NewestFirst, OldestFirst};
        let run = |queued: i64, started: Option<i64>| SyncRunRow {
            id: queued,
            configuration: "HR".into(),
            source: SourceKind::Sftp,
            status: RunStatus::Success,
            queued_at_ms: queued,
            started_at_ms: started,
            finished_at_ms: None,
            start_display: String::new(),
            duration_ms: None,
            progress_done: 0,
            progress_total: 0,
            counts: RunCounts::default(),
            version: 1,
            reason: None,
        };
        let rows = [run(300, Some(310)), run(200, None), run(100, Some(150))];
        let newest = HeldRuns::of(&rows, NewestFirst);
        assert_eq!(
            newest,
            HeldRuns::DownTo {
                newest_first: true,
                reach: 150
            }
        );
        let oldest = HeldRuns::of(&rows, OldestFirst);
        assert_eq!(oldest.to_param().as_deref(), Some("310"));
        assert_eq!(HeldRuns::of(&[], NewestFirst), HeldRuns::Any);
        assert_eq!(HeldRuns::Any.to_param(), None);
        for held in [newest, oldest] {
            let sort = match held {
                HeldRuns::DownTo {
                    newest_first: true, ..
                } => NewestFirst,
                _ => OldestFirst,
            };
            let param = held.to_param();
            assert_eq!(HeldRuns::from_param(param.as_deref(), sort), Ok(held));
        }
        assert_eq!(HeldRuns::from_param(None, NewestFirst), Ok(HeldRuns::Any));
        assert_eq!(
            HeldRuns::from_param(Some(""), NewestFirst),
            Ok(HeldRuns::Any)
        );
        assert_eq!(
            HeldRuns::from_param(Some("-5"), OldestFirst),
            Ok(HeldRuns::DownTo {
                newest_first: false,
                reach: -5
            })
        );
        for bad in ["+5", "1.5", "-", "--5", "abc", " 5", "99999999999999999999"] {
            assert_eq!(
                HeldRuns::from_param(Some(bad), NewestFirst),
                Err(BadCursor),
                "{bad}"
            );
        }
        // Runs below the reach are not held, unless they were queued on this side of it
        // and have moved since, by starting.
        assert!(newest.may_hold(&run(160, None)));
        assert!(!newest.may_hold(&run(100, Some(140))));
        assert!(newest.may_hold(&run(100, Some(900))));
        assert!(oldest.may_hold(&run(300, Some(900))));
        assert!(!oldest.may_hold(&run(400, Some(500))));
        assert!(HeldRuns::Any.may_hold(&run(1, None)));
    }

    #[test]
    fn times_ago_read_as_people_say_them() {
        assert_eq!(time_ago(-90_000), "just now");
        assert_eq!(time_ago(30_000), "just now");
        assert_eq!(time_ago(5 * 60_000), "5 min ago");
        assert_eq!(time_ago(3 * 3_600_000 + 59_000), "3 h ago");
        assert_eq!(time_ago(86_400_000), "1 day ago");
        assert_eq!(time_ago(9 * 86_400_000), "9 days ago");
    }

    #[test]
    fn cursor_round_trip() {
        let c = Cursor {
            sort_at_ms: 1_705_357_800_000,
            id: 42,
        };
        assert_eq!(c.to_string().parse::<Cursor>(), Ok(c));
        assert_eq!(
            "-5.-1".parse::<Cursor>(),
            Ok(Cursor {
                sort_at_ms: -5,
                id: -1
            })
        );
        for bad in ["", "1", "a.b", "1.2.3", "1.", ".1"] {
            assert_eq!(bad.parse::<Cursor>(), Err(BadCursor), "{bad}");
        }
    }

    #[test]
    fn a_finished_row_says_in_one_line_what_happened() {
        let row = |status, counts, reason: Option<&str>| SyncRunRow {
            id: 1,
            configuration: "HR".into(),
            source: SourceKind::Sftp,
            status,
            queued_at_ms: 0,
            started_at_ms: Some(0),
            finished_at_ms: Some(1),
            start_display: String::new(),
            duration_ms: Some(1),
            progress_done: 0,
            progress_total: 0,
            counts,
            version: 1,
            reason: reason.map(String::from),
        };
        let counts = RunCounts {
            created: 5,
            updated: 3,
            deactivated: 2,
            warnings: 1,
            errors: 2,
            ..Default::default()
        };
        assert_eq!(
            row(RunStatus::Success, counts, None).summary().unwrap(),
            "5 created, 3 updated, 2 deactivated"
        );
        assert_eq!(
            row(RunStatus::Success, RunCounts::default(), None)
                .summary()
                .unwrap(),
            "No changes"
        );
        assert_eq!(
            row(RunStatus::NeedsAttention, counts, None)
                .summary()
                .unwrap(),
            "2 errors, 1 warning, 5 created, 3 updated, 2 deactivated"
        );
        let blocked =
            "140 deactivations planned; the threshold is 50 users or 10%. Nothing was changed.";
        assert_eq!(
            row(RunStatus::AboveDeactivationThreshold, counts, Some(blocked))
                .summary()
                .unwrap(),
            "140 deactivations planned; the threshold is 50 users or 10%."
        );
        let failed = "The SFTP server refused the key for user hr (acme.example:22)";
        assert_eq!(
            row(RunStatus::DataLoadFailed, counts, Some(failed))
                .summary()
                .unwrap(),
            failed
        );
        assert_eq!(row(RunStatus::DataLoadFailed, counts, None).summary(), None);
        let long = "x".repeat(REASON_CHARS);
        assert_eq!(
            row(RunStatus::DataLoadFailed, counts, Some(&long))
                .summary()
                .unwrap(),
            format!("{long}…")
        );
        assert_eq!(row(RunStatus::InProgress, counts, None).summary(), None);
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(45_999), "45s");
        assert_eq!(format_duration(185_000), "3m 05s");
        assert_eq!(format_duration(7_380_000), "2h 03m");
        assert_eq!(format_duration(-10), "0s");
    }
}
