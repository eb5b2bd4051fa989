//! The overview chart's counts: runs per day of the viewer's calendar and status.
//!
//! One grouped statement over the organisation's runs in the chart's window (at most 90
//! days). The index `ix_sync_runs_org_sort_stats` holds every column it reads, so the rows
//! are counted from the index alone, in time order, without visiting the table.

use super::db_err;
use super::runs::{configuration_named, matching, Scope};
use crate::db::entities::sync_run;
use crate::db::run_days::DAY_MS;
use app::domain::DayStatusCount;
use app::ports::{ListRuns, StoreError};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseConnection, EntityTrait, FromQueryResult, QuerySelect};

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
    let configuration_id = match &request.filter.configuration {
        None => None,
        Some(name) => match configuration_named(db, request.organisation_id, name).await? {
            Some(id) => Some(id),
            None => return Ok(None),
        },
    };
    let scope = Scope {
        request,
        configuration_id,
    };
    let day = day_expression(offsets);
    let rows = matching(
        sync_run::Entity::find(),
        &scope,
        request.since_ms,
        request.until_ms,
    )
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
    .map_err(db_err)?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date");
    rows.into_iter()
        .map(|r| {
            Ok(DayStatusCount {
                day: epoch
                    .checked_add_signed(chrono::Duration::days(r.day))
                    .ok_or_else(|| StoreError(format!("day {} is out of range", r.day)))?,
                status: r
                    .status
                    .parse()
                    .map_err(|e| StoreError(format!("chart: {e}")))?,
                runs: r.runs.max(0) as u64,
                duration_sum_ms: r.duration_sum_ms,
                finished: r.finished.max(0) as u64,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// SQL for a run's calendar day as days since 1970-01-01: its time shifted by the offset
/// in force then. The numbers are the server's own (never input), so they are inlined.
fn day_expression(offsets: &[(i64, i64)]) -> String {
    let offset = match offsets {
        [] => "0".to_string(),
        [(_, only)] => only.to_string(),
        [(_, first), rest @ ..] => {
            let mut case = String::from("CASE");
            let mut current = *first;
            for (from, next) in rest {
                case.push_str(&format!(" WHEN sort_at_ms < {from} THEN {current}"));
                current = *next;
            }
            case.push_str(&format!(" ELSE {current} END"));
            case
        }
    };
    format!("(sort_at_ms + {offset}) / {DAY_MS}")
}

#[cfg(test)]
mod tests {
    use super::day_expression;

    #[test]
    fn the_day_follows_each_offset_span() {
        assert_eq!(day_expression(&[]), "(sort_at_ms + 0) / 86400000");
        assert_eq!(
            day_expression(&[(5, 7_200_000)]),
            "(sort_at_ms + 7200000) / 86400000"
        );
        assert_eq!(
            day_expression(&[(5, 3_600_000), (100, 7_200_000), (200, 3_600_000)]),
            "(sort_at_ms + CASE WHEN sort_at_ms < 100 THEN 3600000 WHEN sort_at_ms < 200 THEN 7200000 ELSE 3600000 END) / 86400000"
        );
    }
}
