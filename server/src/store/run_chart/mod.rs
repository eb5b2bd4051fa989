//! The overview chart's counts: runs per day of the viewer's calendar and status.
//!
//! A local day is the runs before its end minus the runs before its start, and the runs
//! before an instant are reached from the nearest UTC midnight: the UTC days before it
//! (`sync_run_status_days`), then at most two quarters of a day (`sync_run_quarters`), at
//! most three hours (`sync_run_hours`), and the half-hour or less left, run by run. So a
//! 90-day chart sums about as many rows in Kolkata, Kathmandu or Chatham as in London or
//! New York, and a day's cost does not grow with the runs in it. One statement reads all
//! four; the rest is arithmetic on a few hundred sums.

mod statement;

use super::db_err;
use super::run_scope::{configurations_in_scope, InScope, Scope};
use crate::db::run_buckets::{DAY_MS, HOURS, HOUR_MS, QUARTERS};
use app::domain::{DayStatusCount, RunStatus};
use app::ports::{ListRuns, ScopeProblem, StoreError};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};
use statement::{statement, sums_as_json, SumRow};
use std::collections::BTreeMap;

/// Runs, their summed duration and how many of them finished (have a duration).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sums {
    runs: i64,
    duration_sum_ms: i64,
    finished: i64,
}

impl Sums {
    fn add(&mut self, other: Sums, sign: i64) {
        self.runs += sign * other.runs;
        self.duration_sum_ms += sign * other.duration_sum_ms;
        self.finished += sign * other.finished;
    }
}

/// Sums per status.
type ByStatus = BTreeMap<RunStatus, Sums>;

pub async fn count_run_days(
    db: &DatabaseConnection,
    request: &ListRuns,
    offsets: &[(i64, i64)],
) -> Result<Result<Vec<DayStatusCount>, ScopeProblem>, StoreError> {
    let configuration_ids = match configurations_in_scope(db, request).await? {
        InScope::Every => None,
        InScope::Only(ids) if ids.is_empty() => return Ok(Ok(Vec::new())),
        InScope::Only(ids) => Some(ids),
        InScope::Refused(problem) => return Ok(Err(problem)),
    };
    let scope = Scope {
        request,
        configuration_ids: configuration_ids.as_deref(),
    };
    let (Some(since), Some(until)) = (request.since_ms, request.until_ms) else {
        return Err(StoreError::Failed("a chart's window has two ends".into()));
    };
    let days = local_days(since, until, offsets);
    let mut points: Vec<i64> = days.iter().flat_map(|&(from, to, _)| [from, to]).collect();
    points.sort_unstable();
    points.dedup();
    if points.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let reaches: Vec<Reach> = points.iter().map(|&t| Reach::to(t)).collect();
    let statement = statement(&scope, &reaches, db.get_database_backend());
    let rows = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => sums_as_json(db, statement).await?,
        _ => SumRow::find_by_statement(statement)
            .all(db)
            .await
            .map_err(db_err)?,
    };
    let before = runs_before(&reaches, rows)?;
    let at = |t: i64| {
        &before[points
            .binary_search(&t)
            .expect("every day's end is a point")]
    };

    let mut merged: BTreeMap<(i64, RunStatus), Sums> = BTreeMap::new();
    for &(from, to, day) in &days {
        let (start, end) = (at(from), at(to));
        for (sign, sums) in [(1, end), (-1, start)] {
            for (&status, &s) in sums {
                merged.entry((day, status)).or_default().add(s, sign);
            }
        }
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date");
    merged
        .into_iter()
        .filter(|(_, sums)| sums.runs > 0)
        .map(|((day, status), sums)| {
            Ok(DayStatusCount {
                day: epoch
                    .checked_add_signed(chrono::Duration::days(day))
                    .ok_or_else(|| StoreError::Failed(format!("day {day} is out of range")))?,
                status,
                runs: sums.runs as u64,
                duration_sum_ms: sums.duration_sum_ms,
                finished: sums.finished.max(0) as u64,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Ok)
}

/// The viewer's days within `[since, until)`: spans of time, each with its day (days since
/// 1970-01-01 in the viewer's calendar). `offsets` are the viewer's UTC offsets, each in
/// force from its instant on (the first one from `since`).
fn local_days(since: i64, until: i64, offsets: &[(i64, i64)]) -> Vec<(i64, i64, i64)> {
    if since >= until {
        return Vec::new();
    }
    let offset_at = |t: i64| {
        offsets
            .iter()
            .rev()
            .find(|(from, _)| *from <= t)
            .or(offsets.first())
            .map_or(0, |&(_, offset)| offset)
    };
    let day_of = |t: i64| (t + offset_at(t)).div_euclid(DAY_MS);
    // Where the day may change: each local midnight, and each change of offset.
    let mut cuts = vec![since, until];
    let spans = offsets.len().max(1);
    for i in 0..spans {
        let (from, offset) = offsets.get(i).copied().unwrap_or((since, 0));
        let start = if i == 0 { since } else { from.max(since) };
        let end = offsets
            .get(i + 1)
            .map_or(until, |&(next, _)| next.min(until));
        cuts.push(start);
        let mut midnight = (start + offset).div_euclid(DAY_MS) * DAY_MS - offset;
        while midnight < end {
            cuts.push(midnight);
            midnight += DAY_MS;
        }
    }
    cuts.retain(|&t| since <= t && t <= until);
    cuts.sort_unstable();
    cuts.dedup();
    let mut days: Vec<(i64, i64, i64)> = Vec::new();
    for pair in cuts.windows(2) {
        let (from, to, day) = (pair[0], pair[1], day_of(pair[0]));
        match days.last_mut() {
            Some((_, end, last)) if *last == day && *end == from => *end = to,
            _ => days.push((from, to, day)),
        }
    }
    days
}

/// How the runs before an instant are summed: the UTC days before `day` (its nearest
/// midnight), then a signed span of quarters, one of hours, and one of runs (in each
/// table's own units; the runs' in milliseconds) that lead from that midnight to it.
#[derive(Debug, PartialEq, Eq)]
struct Reach {
    day: i64,
    /// Quarters, hours, runs: `(lo, hi, sign)`, summed over `[lo, hi)` with the sign.
    spans: [Option<(i64, i64, i64)>; 3],
}

impl Reach {
    fn to(t: i64) -> Reach {
        // Half-way rounds down: either way is as near.
        let nearest = |unit: i64| (t + unit / 2 - 1).div_euclid(unit);
        let day = nearest(DAY_MS);
        let quarter = nearest(QUARTERS.ms);
        let hour = nearest(HOURS.ms);
        let span = |from: i64, to: i64| match from.cmp(&to) {
            std::cmp::Ordering::Less => Some((from, to, 1)),
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => Some((to, from, -1)),
        };
        Reach {
            day,
            spans: [
                span(day * (DAY_MS / QUARTERS.ms), quarter),
                span(quarter * (QUARTERS.ms / HOURS.ms), hour),
                span(hour * HOUR_MS, t),
            ],
        }
    }
}

/// The runs before each reach's instant, by status. Reaches come in time order, so the
/// UTC days before each are a running sum.
fn runs_before(reaches: &[Reach], rows: Vec<SumRow>) -> Result<Vec<ByStatus>, StoreError> {
    let mut days = Vec::new();
    let mut spans: BTreeMap<i64, Vec<(RunStatus, Sums)>> = BTreeMap::new();
    for row in rows {
        let status: RunStatus = row
            .status
            .parse()
            .map_err(|e| StoreError::Failed(format!("chart: {e}")))?;
        let sums = Sums {
            runs: row.runs,
            duration_sum_ms: row.duration_sum_ms,
            finished: row.finished,
        };
        match row.level {
            0 => days.push((row.k, status, sums)),
            _ => spans.entry(row.k).or_default().push((status, sums)),
        }
    }
    days.sort_unstable_by_key(|&(day, _, _)| day);
    let mut days = days.into_iter().peekable();
    let mut running = ByStatus::new();
    let mut before = Vec::with_capacity(reaches.len());
    for (k, reach) in reaches.iter().enumerate() {
        while let Some((_, status, sums)) = days.next_if(|&(day, _, _)| day < reach.day) {
            running.entry(status).or_default().add(sums, 1);
        }
        let mut sums = running.clone();
        for &(status, span) in spans.get(&(k as i64)).into_iter().flatten() {
            sums.entry(status).or_default().add(span, 1);
        }
        before.push(sums);
    }
    Ok(before)
}

#[cfg(test)]
mod tests {
    use super::{local_days, Reach, DAY_MS, HOUR_MS};

    const MIN: i64 = 60_000;

    #[test]
    fn an_instant_is_reached_from_its_nearest_midnight_in_few_steps() {
        let day = 20_000 * DAY_MS;
        // A UTC midnight: the days alone.
        assert_eq!(
            Reach::to(day),
            Reach {
                day: 20_000,
                spans: [None, None, None]
            }
        );
        // Kolkata's midnight (18:30 UTC): back from the next midnight a quarter, forward
        // half an hour of runs.
        let t = day + 18 * HOUR_MS + 30 * MIN;
        assert_eq!(
            Reach::to(t),
            Reach {
                day: 20_001,
                spans: [
                    Some((80_003, 80_004, -1)),
                    None,
                    Some((day + 18 * HOUR_MS, t, 1))
                ]
            }
        );
        // Chatham's (11:15 UTC): two quarters on, an hour back, a quarter-hour on.
        let t = day + 11 * HOUR_MS + 15 * MIN;
        assert_eq!(
            Reach::to(t),
            Reach {
                day: 20_000,
                spans: [
                    Some((80_000, 80_002, 1)),
                    Some((480_011, 480_012, -1)),
                    Some((day + 11 * HOUR_MS, t, 1))
                ]
            }
        );
        // Every instant is within two quarters, three hours and half an hour of a
        // midnight.
        for minutes in (0..24 * 60).step_by(5) {
            let r = Reach::to(day + minutes * MIN);
            let width = |i: usize| r.spans[i].map_or(0, |(lo, hi, _)| hi - lo);
            assert!(
                width(0) <= 2 && width(1) <= 3 && width(2) <= 30 * MIN,
                "{minutes}: {r:?}"
            );
        }
    }

    #[test]
    fn local_days_follow_midnights_and_offset_changes() {
        let day = 20_000 * DAY_MS;
        let kolkata = 5 * HOUR_MS + 30 * MIN;
        // Two days and a bit in Kolkata, from 10:00 UTC.
        let since = day + 10 * HOUR_MS;
        let until = day + 2 * DAY_MS + 20 * HOUR_MS;
        let midnight = day + 18 * HOUR_MS + 30 * MIN;
        assert_eq!(
            local_days(since, until, &[(since, kolkata)]),
            vec![
                (since, midnight, 20_000),
                (midnight, midnight + DAY_MS, 20_001),
                (midnight + DAY_MS, midnight + 2 * DAY_MS, 20_002),
                (midnight + 2 * DAY_MS, until, 20_003),
            ]
        );
        // Clocks go forward at 02:00 UTC (21:00 to 22:00 local): the next midnight moves.
        let change = day + 2 * HOUR_MS;
        let (before, after) = (-5 * HOUR_MS, -4 * HOUR_MS);
        assert_eq!(
            local_days(day, day + 2 * DAY_MS, &[(day, before), (change, after)]),
            vec![
                (day, day + 4 * HOUR_MS, 19_999),
                (day + 4 * HOUR_MS, day + DAY_MS + 4 * HOUR_MS, 20_000),
                (day + DAY_MS + 4 * HOUR_MS, day + 2 * DAY_MS, 20_001),
            ]
        );
        assert_eq!(local_days(day, day, &[(day, 0)]), vec![]);
    }
}
