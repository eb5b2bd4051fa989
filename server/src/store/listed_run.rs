//! A run as the list statements select it, read into the row the page shows.

use app::domain::{RunCounts, SyncRunRow};
use app::ports::StoreError;
use sea_orm::FromQueryResult;

/// One row of the list query, its fields in the order `listed` selects them.
#[derive(Debug)]
pub(super) struct ListedRun {
    pub id: i64,
    pub status: String,
    pub queued_at_ms: i64,
    pub started_at_ms: Option<i64>,
    pub finished_at_ms: Option<i64>,
    pub progress_done: i32,
    pub progress_total: i32,
    pub created: i32,
    pub updated: i32,
    pub deactivated: i32,
    pub reactivated: i32,
    pub unchanged: i32,
    pub skipped: i32,
    pub warnings: i32,
    pub errors: i32,
    pub planned_deactivations: i32,
    pub version: i64,
    pub configuration_name: String,
    pub source_kind: String,
    pub reason: Option<String>,
}

/// Read by position, in `listed`'s order: a page of fifty rows holds about a thousand
/// values, and finding each by its column's name is a lookup per value.
impl FromQueryResult for ListedRun {
    fn from_query_result(row: &sea_orm::QueryResult, _pre: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(ListedRun {
            id: row.try_get_by_index(0)?,
            status: row.try_get_by_index(1)?,
            queued_at_ms: row.try_get_by_index(2)?,
            started_at_ms: row.try_get_by_index(3)?,
            finished_at_ms: row.try_get_by_index(4)?,
            progress_done: row.try_get_by_index(5)?,
            progress_total: row.try_get_by_index(6)?,
            created: row.try_get_by_index(7)?,
            updated: row.try_get_by_index(8)?,
            deactivated: row.try_get_by_index(9)?,
            reactivated: row.try_get_by_index(10)?,
            unchanged: row.try_get_by_index(11)?,
            skipped: row.try_get_by_index(12)?,
            warnings: row.try_get_by_index(13)?,
            errors: row.try_get_by_index(14)?,
            planned_deactivations: row.try_get_by_index(15)?,
            version: row.try_get_by_index(16)?,
            configuration_name: row.try_get_by_index(17)?,
            source_kind: row.try_get_by_index(18)?,
            reason: row.try_get_by_index(19)?,
        })
    }
}

pub(super) fn to_row(run: ListedRun) -> Result<SyncRunRow, StoreError> {
    let status = run
        .status
        .parse()
        .map_err(|e| StoreError::Failed(format!("run {}: {e}", run.id)))?;
    let source = run
        .source_kind
        .parse()
        .map_err(|e| StoreError::Failed(format!("run {}: {e}", run.id)))?;
    let duration_ms = run
        .started_at_ms
        .map(|s| run.finished_at_ms.unwrap_or_else(super::now_ms) - s);
    let n = |v: i32| v.max(0) as u32;
    Ok(SyncRunRow {
        id: run.id,
        configuration: run.configuration_name,
        source,
        status,
        queued_at_ms: run.queued_at_ms,
        started_at_ms: run.started_at_ms,
        finished_at_ms: run.finished_at_ms,
        start_display: String::new(),
        duration_ms,
        progress_done: n(run.progress_done),
        progress_total: n(run.progress_total),
        counts: RunCounts {
            created: n(run.created),
            updated: n(run.updated),
            deactivated: n(run.deactivated),
            reactivated: n(run.reactivated),
            unchanged: n(run.unchanged),
            skipped: n(run.skipped),
            warnings: n(run.warnings),
            errors: n(run.errors),
            planned_deactivations: n(run.planned_deactivations),
        },
        version: run.version,
        reason: run.reason,
    })
}
