//! Reading sync history.

use super::listed_run::{to_row, ListedRun};
use super::run_scope::{configurations_in_scope, InScope, Scope};
use super::run_total::{count_statement, total_of};
use super::{db_err, SeaStore};
use crate::db::entities::sync_configuration;
use app::domain::{
    ConfigurationSummary, Cursor, DayStatusCount, HeldRuns, LogEntry, LogFormat, SortOrder,
    SyncRunRow,
};
use app::ports::{ListRuns, LogRequest, RunFound, RunStore, RunsFound, ScopeProblem, StoreError};
use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, Statement,
};

#[async_trait]
impl RunStore for SeaStore {
    async fn list_runs(&self, request: &ListRuns) -> Result<RunsFound, StoreError> {
        let configuration_ids = match configurations_in_scope(&self.db, request).await? {
            InScope::Every => None,
            InScope::Only(ids) if ids.is_empty() => {
                return Ok(RunsFound {
                    runs: Vec::new(),
                    total: request.after.is_none().then_some(0),
                    scope_problem: None,
                })
            }
            InScope::Only(ids) => Some(ids),
            InScope::Refused(problem) => {
                return Ok(RunsFound {
                    runs: Vec::new(),
                    total: None,
                    scope_problem: Some(problem),
                })
            }
        };
        let statements = list_statements(
            request,
            configuration_ids.as_deref(),
            self.db.get_database_backend(),
        );
        let rows = ListedRun::find_by_statement(statements.page).all(&self.db);
        // The first page also counts the matches; the two statements run side by side on
        // two pooled connections (SQLite's readers do not block each other under WAL).
        // Later pages reuse the first page's total.
        let (rows, total) = match statements.total {
            Some(total) => {
                let (rows, total) = tokio::join!(rows, total_of(&self.db, total));
                (rows, Some(total?))
            }
            None => (rows.await, None),
        };
        let runs = rows
            .map_err(db_err)?
            .into_iter()
            .map(to_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RunsFound {
            runs,
            total,
            scope_problem: None,
        })
    }

    async fn count_run_days(
        &self,
        request: &ListRuns,
        offsets: &[(i64, i64)],
    ) -> Result<Result<Vec<DayStatusCount>, ScopeProblem>, StoreError> {
        super::run_chart::count_run_days(&self.db, request, offsets).await
    }

    async fn configurations(
        &self,
        organisation_id: i64,
    ) -> Result<Vec<ConfigurationSummary>, StoreError> {
        sync_configuration::Entity::find()
            .filter(sync_configuration::Column::OrganisationId.eq(organisation_id))
            .order_by_asc(sync_configuration::Column::Name)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|c| {
                Ok(ConfigurationSummary {
                    source: c
                        .source_kind
                        .parse()
                        .map_err(|e| StoreError::Failed(format!("configuration {}: {e}", c.id)))?,
                    name: c.name,
                })
            })
            .collect()
    }

    async fn change_count(&self, organisation_id: i64) -> Result<i64, StoreError> {
        let statement = super::run_page::change_count_statement(
            organisation_id,
            self.db.get_database_backend(),
        );
        // An organisation without runs has seen no change.
        match self.db.query_one(statement).await.map_err(db_err)? {
            Some(row) => row.try_get_by_index(0).map_err(db_err),
            None => Ok(0),
        }
    }

    async fn runs_changed_since(
        &self,
        organisation_id: i64,
        since: i64,
        held: HeldRuns,
        limit: u32,
    ) -> Result<Option<Vec<SyncRunRow>>, StoreError> {
        let backend = self.db.get_database_backend();
        // Told what the page holds, the runs it cannot show are counted, not read: each
        // row read costs more than the index entries counted.
        if held != HeldRuns::Any {
            let count = super::run_page::changed_count_statement(
                organisation_id,
                since,
                limit + 1,
                backend,
            );
            let changed: i64 = match self.db.query_one(count).await.map_err(db_err)? {
                Some(row) => row.try_get_by_index(0).map_err(db_err)?,
                None => 0,
            };
            if changed > i64::from(limit) {
                return Ok(None);
            }
            if changed == 0 {
                return Ok(Some(Vec::new()));
            }
        }
        let statement = super::run_page::changed_since_statement(
            organisation_id,
            since,
            held,
            limit + 1,
            backend,
        );
        let runs: Vec<SyncRunRow> = ListedRun::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_row)
            .collect::<Result<_, _>>()?;
        Ok((runs.len() <= limit as usize).then_some(runs))
    }

    async fn run(&self, organisation_id: i64, run_id: i64) -> Result<Option<RunFound>, StoreError> {
        super::run_logs::run(&self.db, organisation_id, run_id).await
    }

    async fn log_entries(
        &self,
        request: &LogRequest,
    ) -> Result<(Vec<LogEntry>, Option<u64>), StoreError> {
        super::run_logs::log_entries(&self.db, request).await
    }

    async fn record_download(
        &self,
        run_id: i64,
        user_id: i64,
        format: LogFormat,
    ) -> Result<(), StoreError> {
        super::run_logs::record_download(&self.db, run_id, user_id, format).await
    }
}

/// The statements behind one list request: the page, and for a first page the total.
pub struct ListStatements {
    pub page: Statement,
    pub total: Option<Statement>,
}

/// Builds the list request's statements for `backend`, its configuration and source
/// already resolved to `configuration_ids` (see [`configurations_in_scope`]). Kept apart
/// from running them, so the benchmark can send exactly these statements through sqlx as
/// its baseline.
pub fn list_statements(
    request: &ListRuns,
    configuration_ids: Option<&[i64]>,
    backend: DatabaseBackend,
) -> ListStatements {
    let scope = Scope {
        request,
        configuration_ids,
    };
    let (since, until) = page_window(request);
    let page = super::run_page::page_statement(&scope, since, until, backend);
    let total = request
        .after
        .is_none()
        .then(|| backend.build(&count_statement(&scope)));
    ListStatements { page, total }
}

/// The page's window `[since, until)` with the cursor folded into its bound, so the index
/// is sought by one range on sort time; the id only breaks ties at the cursor's instant.
fn page_window(request: &ListRuns) -> (Option<i64>, Option<i64>) {
    let (since, until) = (request.since_ms, request.until_ms);
    match request.after {
        None => (since, until),
        Some(Cursor { sort_at_ms, .. }) if request.filter.sort == SortOrder::NewestFirst => (
            since,
            Some(until.map_or(sort_at_ms + 1, |u| u.min(sort_at_ms + 1))),
        ),
        Some(Cursor { sort_at_ms, .. }) => {
            (Some(since.map_or(sort_at_ms, |s| s.max(sort_at_ms))), until)
        }
    }
}
