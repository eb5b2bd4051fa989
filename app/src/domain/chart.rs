//! The overview chart above the runs table: runs per day of the viewer's calendar,
//! stacked by status, with the average duration of the day's finished runs.
//!
//! The server counts (per day and status) and the page draws; both sides share the rules
//! here: which days a filter's chart covers, and what a click on a day or a legend entry
//! turns the filter into.

use super::filter::{DateRange, RunFilter};
use super::status::RunStatus;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// The most days one chart shows: a longer range shows its last this-many days.
pub const MAX_CHART_DAYS: i64 = 90;
/// Days shown for All Time: recent health, not the whole history.
pub const ALL_TIME_CHART_DAYS: i64 = 30;

/// The days (of the viewer's calendar, both ends inclusive) a chart covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartSpan {
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// The filter's range is longer than the chart: only its last days are drawn.
    pub clipped: bool,
}

impl ChartSpan {
    /// The span of the chart for a date range, `today` being the viewer's date. `None` when
    /// the range lies wholly in the future (there is nothing to draw yet).
    pub fn for_range(range: &DateRange, today: NaiveDate) -> Option<ChartSpan> {
        let days_back = |n: i64| today - Duration::days(n - 1);
        let (first, last) = match *range {
            DateRange::AllTime => (Some(days_back(ALL_TIME_CHART_DAYS)), today),
            // The rolling ranges start at this moment 7 (or 30) days ago: that day is drawn,
            // partly covered, so every run the table lists has its bar.
            DateRange::Last7Days => (Some(today - Duration::days(7)), today),
            DateRange::Last30Days => (Some(today - Duration::days(30)), today),
            DateRange::Custom { from, to } => (from, to.map_or(today, |t| t.min(today))),
        };
        let longest = last - Duration::days(MAX_CHART_DAYS - 1);
        let (first, clipped) = match first {
            Some(f) if f >= longest => (f, false),
            // An open start means "since the first run": the chart shows the recent part.
            Some(_) | None => (longest, matches!(range, DateRange::Custom { .. })),
        };
        (first <= last).then_some(ChartSpan {
            first,
            last,
            clipped,
        })
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        self.first.iter_days().take_while({
            let last = self.last;
            move |d| *d <= last
        })
    }

    pub fn len(&self) -> usize {
        ((self.last - self.first).num_days() + 1).max(0) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the store counts: the runs of one day in one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayStatusCount {
    pub day: NaiveDate,
    pub status: RunStatus,
    pub runs: u64,
    /// Sum and number of the durations of the finished runs among them.
    pub duration_sum_ms: i64,
    pub finished: u64,
}

/// One bar of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartDay {
    pub day: NaiveDate,
    /// Runs per status, in the order of [`RunStatus::ALL`]; statuses with none are left out.
    pub counts: Vec<(RunStatus, u64)>,
    /// Average duration of the day's finished runs.
    pub average_ms: Option<i64>,
}

/// The chart for one filter: every day of its span, with or without runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunChart {
    pub span: Option<ChartSpan>,
    pub days: Vec<ChartDay>,
}

impl ChartDay {
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    pub fn count(&self, status: RunStatus) -> u64 {
        self.counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }

    /// The day as the chart names it, e.g. "Mon 15 Jan 2024".
    pub fn label(&self) -> String {
        self.day.format("%a %-d %b %Y").to_string()
    }

    /// Everything the bar shows, in words: its tooltip and its accessible name.
    pub fn summary(&self) -> String {
        let total = self.total();
        let mut text = format!(
            "{}: {total} {}",
            self.label(),
            if total == 1 { "run" } else { "runs" }
        );
        if total > 0 {
            let parts: Vec<String> = self
                .counts
                .iter()
                .map(|(s, n)| format!("{n} {}", s.label()))
                .collect();
            text.push_str(&format!(" ({})", parts.join(", ")));
        }
        if let Some(ms) = self.average_ms {
            text.push_str(&format!(
                "; average duration {}",
                super::run::format_duration(ms)
            ));
        }
        text
    }
}

impl RunChart {
    /// Lays the store's counts out over every day of `span` (days without runs included).
    /// Counts outside the span are ignored.
    pub fn from_counts(span: Option<ChartSpan>, counts: &[DayStatusCount]) -> RunChart {
        let Some(span) = span else {
            return RunChart {
                span,
                days: Vec::new(),
            };
        };
        let mut days: Vec<ChartDay> = span
            .days()
            .map(|day| ChartDay {
                day,
                counts: Vec::new(),
                average_ms: None,
            })
            .collect();
        let mut durations = vec![(0i64, 0u64); days.len()];
        for c in counts.iter().filter(|c| c.runs > 0) {
            let Ok(i) = usize::try_from((c.day - span.first).num_days()) else {
                continue;
            };
            let Some(day) = days.get_mut(i) else { continue };
            day.counts.push((c.status, c.runs));
            durations[i].0 += c.duration_sum_ms;
            durations[i].1 += c.finished;
        }
        for (day, (sum, n)) in days.iter_mut().zip(durations) {
            day.counts.sort_by_key(|(s, _)| *s);
            day.average_ms = (n > 0).then(|| sum / n as i64);
        }
        RunChart {
            span: Some(span),
            days,
        }
    }

    /// The busiest day's total, for the chart's scale.
    pub fn max_total(&self) -> u64 {
        self.days.iter().map(ChartDay::total).max().unwrap_or(0)
    }

    /// The longest average duration, for the trend's scale.
    pub fn max_average_ms(&self) -> Option<i64> {
        self.days.iter().filter_map(|d| d.average_ms).max()
    }

    /// Runs per status over the whole chart, for the legend.
    pub fn totals(&self) -> Vec<(RunStatus, u64)> {
        RunStatus::ALL
            .into_iter()
            .map(|s| (s, self.days.iter().map(|d| d.count(s)).sum()))
            .collect()
    }

    /// What the chart covers, in words: its heading's second line.
    pub fn caption(&self) -> String {
        match self.span {
            None => "No days to show: the date range is in the future.".into(),
            Some(span) => {
                let runs: u64 = self.days.iter().map(ChartDay::total).sum();
                let fmt = super::day_label;
                let mut text = format!(
                    "{} {} from {} to {}",
                    runs,
                    if runs == 1 { "run" } else { "runs" },
                    fmt(span.first),
                    fmt(span.last)
                );
                if span.clipped {
                    text.push_str(&format!(" (the last {MAX_CHART_DAYS} days of the range)"));
                }
                text
            }
        }
    }
}

/// The viewer's UTC offset over `[since_ms, until_ms)` as spans `(from_ms, offset_ms)`, the
/// first from `since_ms`: one span unless a daylight-saving change falls inside. With them
/// the store tells each run's calendar day as `(utc_ms + offset) / 86_400_000`.
///
/// `offset_at` gives the offset in force at an instant. Changes are looked for between the
/// window's local midnights (`midnights`, ascending) and pinned to the millisecond.
pub fn offset_spans(
    since_ms: i64,
    midnights: &[i64],
    offset_at: impl Fn(i64) -> i64,
) -> Vec<(i64, i64)> {
    let mut spans = vec![(since_ms, offset_at(since_ms))];
    let mut probes: Vec<i64> = midnights
        .iter()
        .copied()
        .filter(|m| *m > since_ms)
        .collect();
    probes.insert(0, since_ms);
    for pair in probes.windows(2) {
        let (before, after) = (pair[0], pair[1]);
        let (old, new) = (offset_at(before), offset_at(after));
        if old == new {
            continue;
        }
        // The first instant in (before, after] with the new offset.
        let (mut lo, mut hi) = (before, after);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if offset_at(mid) == old {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        spans.push((hi, new));
    }
    spans
}

impl RunFilter {
    /// This filter narrowed to one day of the viewer's calendar (a chart bar's click).
    pub fn on_day(&self, day: NaiveDate) -> RunFilter {
        RunFilter {
            range: DateRange::Custom {
                from: Some(day),
                to: Some(day),
            },
            ..self.clone()
        }
    }

    /// This filter with `status` shown or hidden (a chart legend entry's click). With no
    /// status chosen every status shows, so the first click shows that status alone.
    pub fn toggled(&self, status: RunStatus) -> RunFilter {
        let mut f = self.clone();
        if !f.statuses.remove(&status) {
            f.statuses.insert(status);
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn span(first: &str, last: &str, clipped: bool) -> Option<ChartSpan> {
        Some(ChartSpan {
            first: d(first),
            last: d(last),
            clipped,
        })
    }

    #[test]
    fn spans_follow_the_date_range() {
        let today = d("2024-03-10");
        assert_eq!(
            ChartSpan::for_range(&DateRange::AllTime, today),
            span("2024-02-10", "2024-03-10", false)
        );
        assert_eq!(
            ChartSpan::for_range(&DateRange::Last7Days, today),
            span("2024-03-03", "2024-03-10", false)
        );
        assert_eq!(
            ChartSpan::for_range(&DateRange::Last30Days, today)
                .unwrap()
                .len(),
            31
        );
        let custom = |from: Option<&str>, to: Option<&str>| DateRange::Custom {
            from: from.map(d),
            to: to.map(d),
        };
        assert_eq!(
            ChartSpan::for_range(&custom(Some("2024-01-01"), Some("2024-01-01")), today),
            span("2024-01-01", "2024-01-01", false)
        );
        // Longer than the chart: its last 90 days, and the caption says so.
        let long = ChartSpan::for_range(&custom(Some("2023-01-01"), Some("2023-12-31")), today);
        assert_eq!(long, span("2023-10-03", "2023-12-31", true));
        assert_eq!(long.unwrap().len(), 90);
        // A range running into the future stops today; one wholly in it has no days.
        assert_eq!(
            ChartSpan::for_range(&custom(Some("2024-03-09"), Some("2024-04-30")), today),
            span("2024-03-09", "2024-03-10", false)
        );
        assert_eq!(
            ChartSpan::for_range(&custom(Some("2024-04-01"), None), today),
            None
        );
        assert_eq!(
            ChartSpan::for_range(&custom(None, Some("2024-01-31")), today),
            span("2023-11-03", "2024-01-31", true)
        );
    }

    #[test]
    fn counts_fill_every_day_in_status_order() {
        let s = span("2024-03-01", "2024-03-04", false);
        let c = |day: &str, status, runs, sum, finished| DayStatusCount {
            day: d(day),
            status,
            runs,
            duration_sum_ms: sum,
            finished,
        };
        let chart = RunChart::from_counts(
            s,
            &[
                c("2024-03-02", RunStatus::Success, 3, 30_000, 3),
                c("2024-03-02", RunStatus::Queued, 1, 0, 0),
                c("2024-03-02", RunStatus::DataLoadFailed, 1, 90_000, 1),
                c("2024-03-04", RunStatus::InProgress, 2, 0, 0),
                // Outside the span (a partial edge the server did not trim): ignored.
                c("2024-02-28", RunStatus::Success, 9, 1, 1),
            ],
        );
        assert_eq!(chart.days.len(), 4);
        let day2 = &chart.days[1];
        assert_eq!(
            day2.counts,
            vec![
                (RunStatus::Queued, 1),
                (RunStatus::Success, 3),
                (RunStatus::DataLoadFailed, 1)
            ]
        );
        assert_eq!(day2.total(), 5);
        assert_eq!(day2.average_ms, Some(30_000));
        assert_eq!(chart.days[0].total(), 0);
        assert_eq!(chart.days[0].average_ms, None);
        assert_eq!(chart.days[3].average_ms, None);
        assert_eq!(chart.max_total(), 5);
        assert_eq!(chart.max_average_ms(), Some(30_000));
        assert_eq!(
            day2.summary(),
            "Sat 2 Mar 2024: 5 runs (1 Queued, 3 Success, 1 Data Load Failed); average duration 30s"
        );
        assert_eq!(chart.days[0].summary(), "Fri 1 Mar 2024: 0 runs");
        assert_eq!(chart.caption(), "7 runs from 1 Mar 2024 to 4 Mar 2024");
        let totals = chart.totals();
        assert_eq!(totals.len(), 7);
        assert!(totals.contains(&(RunStatus::InProgress, 2)));
        assert_eq!(RunChart::from_counts(None, &[]).days, vec![]);
    }

    #[test]
    fn offset_spans_find_daylight_saving_changes() {
        const H: i64 = 3_600_000;
        // UTC+1 until t = 100h, then UTC+2 (a spring change), over four days.
        let change = 100 * H + 17;
        let offset_at = |t: i64| if t < change { H } else { 2 * H };
        let midnights = [23 * H, 47 * H, 71 * H, 94 * H, 118 * H];
        assert_eq!(
            offset_spans(10 * H, &midnights, offset_at),
            vec![(10 * H, H), (change, 2 * H)]
        );
        // No change in the window: one span.
        assert_eq!(
            offset_spans(0, &midnights[..3], |_| -5 * H),
            vec![(0, -5 * H)]
        );
    }

    #[test]
    fn a_day_and_a_legend_entry_become_filters() {
        let f = RunFilter::from_query("range=30d&config=HR&status=success").unwrap();
        assert_eq!(
            f.on_day(d("2024-03-02")).to_query(),
            "range=custom&from=2024-03-02&to=2024-03-02&config=HR&status=success"
        );
        let shown = f.toggled(RunStatus::Cancelled);
        assert_eq!(
            shown.to_query(),
            "range=30d&config=HR&status=success%2Ccancelled"
        );
        assert_eq!(
            shown
                .toggled(RunStatus::Cancelled)
                .toggled(RunStatus::Success)
                .to_query(),
            "range=30d&config=HR"
        );
        assert_eq!(
            RunFilter::default()
                .toggled(RunStatus::DataLoadFailed)
                .to_query(),
            "status=data_load_failed"
        );
    }
}
