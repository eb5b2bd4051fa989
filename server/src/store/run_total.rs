//! How many runs match a list request: whole UTC days from `sync_run_days`, the window's
//! partial days counted run by run.

use super::db_err;
use super::run_scope::Scope;
use crate::db::entities::{sync_run, sync_run_day};
use crate::db::run_buckets::DAY_MS;
use app::domain::RunStatus;
use app::ports::StoreError;
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, Select, Statement,
};

/// `q` narrowed to the organisation's runs that match the filter in `[since, until)`.
pub(super) fn matching(
    mut q: Select<sync_run::Entity>,
    scope: &Scope<'_>,
    since: Option<i64>,
    until: Option<i64>,
) -> Select<sync_run::Entity> {
    let request = scope.request;
    q = q.filter(sync_run::Column::OrganisationId.eq(request.organisation_id));
    if let Some(since) = since {
        q = q.filter(sync_run::Column::SortAtMs.gte(since));
    }
    if let Some(until) = until {
        q = q.filter(sync_run::Column::SortAtMs.lt(until));
    }
    if !request.filter.statuses.is_empty() {
        q = q.filter(
            sync_run::Column::Status.is_in(request.filter.statuses.iter().map(|s| s.slug())),
        );
    }
    if let Some(covered) = scope.covers(sync_run::Column::ConfigurationId) {
        q = q.filter(covered);
    }
    q
}

/// How many runs match: whole UTC days from `sync_run_days`, partial days at the edges
/// of the window counted row by row; all in one statement, so one round trip.
pub(super) fn count_statement(scope: &Scope<'_>) -> SelectStatement {
    let request = scope.request;
    let (since, until) = (request.since_ms, request.until_ms);
    let first_day = since.map(|s| s.div_euclid(DAY_MS) + i64::from(s.rem_euclid(DAY_MS) != 0));
    let end_day = until.map(|u| u.div_euclid(DAY_MS));
    let mut parts: Vec<SelectStatement> = Vec::new();
    match (first_day, end_day) {
        // A window inside one day has no whole day: count its rows.
        (Some(first), Some(end)) if first >= end => parts.push(rows_counted(scope, since, until)),
        _ => {
            // The status columns are named by the statuses' slugs (a closed set, never input).
            let statuses: Vec<RunStatus> = if request.filter.statuses.is_empty() {
                RunStatus::ALL.to_vec()
            } else {
                request.filter.statuses.iter().copied().collect()
            };
            let columns: Vec<&str> = statuses.iter().map(|s| s.slug()).collect();
            let mut days = sync_run_day::Entity::find()
                .select_only()
                .expr(Expr::cust(format!(
                    "CAST(COALESCE(SUM({}), 0) AS BIGINT)",
                    columns.join(" + ")
                )))
                .filter(sync_run_day::Column::OrganisationId.eq(request.organisation_id));
            if let Some(first) = first_day {
                days = days.filter(sync_run_day::Column::Day.gte(first));
            }
            if let Some(end) = end_day {
                days = days.filter(sync_run_day::Column::Day.lt(end));
            }
            if let Some(covered) = scope.covers(sync_run_day::Column::ConfigurationId) {
                days = days.filter(covered);
            }
            parts.push(days.into_query());
            if let (Some(s), Some(first)) = (since, first_day) {
                if s < first * DAY_MS {
                    parts.push(rows_counted(scope, Some(s), Some(first * DAY_MS)));
                }
            }
            if let (Some(u), Some(end)) = (until, end_day) {
                if end * DAY_MS < u {
                    parts.push(rows_counted(scope, Some(end * DAY_MS), Some(u)));
                }
            }
        }
    }
    let sum = parts
        .into_iter()
        .map(|q| SimpleExpr::SubQuery(None, Box::new(q.into_sub_query_statement())))
        .reduce(|a, b| a.add(b))
        .expect("at least one part");
    Query::select().expr_as(sum, Alias::new("total")).to_owned()
}

/// Runs the total's statement.
pub(super) async fn total_of(
    db: &DatabaseConnection,
    statement: Statement,
) -> Result<u64, StoreError> {
    let row = db
        .query_one(statement)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::Failed("the total query returned no row".into()))?;
    let total: i64 = row.try_get("", "total").map_err(db_err)?;
    Ok(total.max(0) as u64)
}

/// `SELECT COUNT(*)` of the matching runs in `[since, until)`.
fn rows_counted(scope: &Scope<'_>, since: Option<i64>, until: Option<i64>) -> SelectStatement {
    matching(sync_run::Entity::find(), scope, since, until)
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .into_query()
}
