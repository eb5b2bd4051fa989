//! The overview chart's counts: runs per day of the viewer's calendar and status.
//!
//! For a viewer whose UTC offset is a whole number of hours throughout the window (nearly
//! everyone), whole hours are summed from `sync_run_hours` (a few thousand rows for 90 days)
//! and only the partial hour at a window's start (Last 7 Days begins at this minute a week
//! ago) is counted run by run. Other offsets (India's half hour, Nepal's three quarters)
//! count every run in the window, from the index `ix_sync_runs_org_sort`, which holds every
//! column read, in time order.

use super::db_err;
use super::runs::{configurations_in_scope, matching, InScope, Scope};
use crate::db::entities::sync_run;
use crate::db::run_days::DAY_MS;
use crate::db::run_hours::HOUR_MS;
use crate::sync::queue::stmt;
use app::domain::DayStatusCount;
use app::ports::{ListRuns, StoreError};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseConnection, EntityTrait, FromQueryResult, QuerySelect, Value};
use std::collections::BTreeMap;

#[derive(Debug, FromQueryResult)]
struct DayRow {
    day: i64,
    status: String,
    runs: i64,
    duration_sum_ms: i64,
    finished: i64,
}

pub async fn count_run_days(
    db: &DatabaseConnection,
    request: &ListRuns,
    offsets: &[(i64, i64)],
) -> Result<Option<Vec<DayStatusCount>>, StoreError> {
    let configuration_ids = match configurations_in_scope(db, request).await? {
        InScope::Every => None,
        InScope::Only(ids) if ids.is_empty() => return Ok(Some(Vec::new())),
        InScope::Only(ids) => Some(ids),
        InScope::UnknownName => return Ok(None),
    };
    let scope = Scope {
        request,
        configuration_ids: configuration_ids.as_deref(),
    };
    let (since, until) = (request.since_ms, request.until_ms);
    let whole_hours = offsets
        .iter()
        .enumerate()
        .all(|(i, (from, offset))| offset % HOUR_MS == 0 && (i == 0 || from % HOUR_MS == 0));
    let rows = match (since, until) {
        (Some(since), Some(until)) if whole_hours => {
            // Whole hours from the table; the partial hours at either end run by run.
            let first_hour = since.div_euclid(HOUR_MS) + i64::from(since.rem_euclid(HOUR_MS) != 0);
            let end_hour = until.div_euclid(HOUR_MS);
            if first_hour >= end_hour {
                by_run(db, &scope, offsets, Some(since), Some(until)).await?
            } else {
                let mut rows = by_hour(db, &scope, offsets, first_hour, end_hour).await?;
                if since < first_hour * HOUR_MS {
                    rows.extend(
                        by_run(db, &scope, offsets, Some(since), Some(first_hour * HOUR_MS))
                            .await?,
                    );
                }
                if end_hour * HOUR_MS < until {
                    rows.extend(
                        by_run(db, &scope, offsets, Some(end_hour * HOUR_MS), Some(until)).await?,
                    );
                }
                rows
            }
        }
        _ => by_run(db, &scope, offsets, since, until).await?,
    };
    // One entry per day and status (the parts above may share one), none empty.
    let mut merged: BTreeMap<(i64, String), (i64, i64, i64)> = BTreeMap::new();
    for r in rows {
        let e = merged.entry((r.day, r.status)).or_default();
        e.0 += r.runs;
        e.1 += r.duration_sum_ms;
        e.2 += r.finished;
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date");
    merged
        .into_iter()
        .filter(|(_, (runs, _, _))| *runs > 0)
        .map(|((day, status), (runs, duration_sum_ms, finished))| {
            Ok(DayStatusCount {
                day: epoch
                    .checked_add_signed(chrono::Duration::days(day))
                    .ok_or_else(|| StoreError::Failed(format!("day {day} is out of range")))?,
                status: status
                    .parse()
                    .map_err(|e| StoreError::Failed(format!("chart: {e}")))?,
                runs: runs.max(0) as u64,
                duration_sum_ms,
                finished: finished.max(0) as u64,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Counts every matching run in `[since, until)`, by calendar day and status.
async fn by_run(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    offsets: &[(i64, i64)],
    since: Option<i64>,
    until: Option<i64>,
) -> Result<Vec<DayRow>, StoreError> {
    let day = day_expression("sort_at_ms", offsets);
    matching(sync_run::Entity::find(), scope, since, until)
        .select_only()
        .expr_as(Expr::cust(day.clone()), "day")
        .column(sync_run::Column::Status)
        .expr_as(Expr::cust("COUNT(*)"), "runs")
        // A run that never started (cancelled while queued) has no duration; nor has one
        // still running. SUM and COUNT of the difference skip both (it is NULL).
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(finished_at_ms - started_at_ms), 0) AS BIGINT)"),
            "duration_sum_ms",
        )
        .expr_as(
            Expr::cust("COUNT(finished_at_ms - started_at_ms)"),
            "finished",
        )
        .group_by(Expr::cust(day))
        .group_by(sync_run::Column::Status)
        .into_model::<DayRow>()
        .all(db)
        .await
        .map_err(db_err)
}

/// Sums the hours `[first_hour, end_hour)` of `sync_run_hours`, by calendar day and status.
async fn by_hour(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    offsets: &[(i64, i64)],
    first_hour: i64,
    end_hour: i64,
) -> Result<Vec<DayRow>, StoreError> {
    let request = scope.request;
    let mut values: Vec<Value> = vec![
        request.organisation_id.into(),
        first_hour.into(),
        end_hour.into(),
    ];
    let mut conditions = String::new();
    if !request.filter.statuses.is_empty() {
        let mut marks = Vec::new();
        for s in &request.filter.statuses {
            values.push(s.slug().into());
            marks.push(format!("${}", values.len()));
        }
        conditions.push_str(&format!(" AND status IN ({})", marks.join(", ")));
    }
    if let Some(ids) = scope.configuration_ids {
        let mut marks = Vec::new();
        for &id in ids {
            values.push(id.into());
            marks.push(format!("${}", values.len()));
        }
        conditions.push_str(&format!(" AND configuration_id IN ({})", marks.join(", ")));
    }
    let day = day_expression(&format!("hour * {HOUR_MS}"), offsets);
    let sql = format!(
        "SELECT {day} AS day, status, CAST(SUM(runs) AS BIGINT) AS runs, \
         CAST(SUM(duration_sum_ms) AS BIGINT) AS duration_sum_ms, \
         CAST(SUM(finished) AS BIGINT) AS finished \
         FROM sync_run_hours \
         WHERE organisation_id = $1 AND hour >= $2 AND hour < $3{conditions} \
         GROUP BY {day}, status"
    );
    DayRow::find_by_statement(stmt(db, &sql, values))
        .all(db)
        .await
        .map_err(db_err)
}

/// SQL for the calendar day (days since 1970-01-01) of the instant `at`: shifted by the
/// offset in force then. The numbers are the server's own (never input), so they are inlined.
fn day_expression(at: &str, offsets: &[(i64, i64)]) -> String {
    let offset = match offsets {
        [] => "0".to_string(),
        [(_, only)] => only.to_string(),
        [(_, first), rest @ ..] => {
            let mut case = String::from("CASE");
            let mut current = *first;
            for (from, next) in rest {
                case.push_str(&format!(" WHEN {at} < {from} THEN {current}"));
                current = *next;
            }
            case.push_str(&format!(" ELSE {current} END"));
            case
        }
    };
    format!("({at} + {offset}) / {DAY_MS}")
}

#[cfg(test)]
mod tests {
    use super::day_expression;

    #[test]
    fn the_day_follows_each_offset_span() {
        assert_eq!(
            day_expression("sort_at_ms", &[]),
            "(sort_at_ms + 0) / 86400000"
        );
        assert_eq!(
            day_expression("sort_at_ms", &[(5, 7_200_000)]),
            "(sort_at_ms + 7200000) / 86400000"
        );
        assert_eq!(
            day_expression("hour * 3600000", &[(5, 3_600_000), (100, 7_200_000), (200, 3_600_000)]),
            "(hour * 3600000 + CASE WHEN hour * 3600000 < 100 THEN 3600000 WHEN hour * 3600000 < 200 THEN 7200000 ELSE 3600000 END) / 86400000"
        );
    }
}
