//! Reading sync history.

use super::{db_err, SeaStore};
use crate::db::entities::{sync_configuration, sync_run, sync_run_day};
use crate::db::run_buckets::DAY_MS;
use app::domain::{
    ConfigurationSummary, Cursor, DayStatusCount, LogEntry, LogFormat, RunCounts, RunStatus,
    SortOrder, SourceKind, SyncRunRow,
};
use app::ports::{ListRuns, LogRequest, RunFound, RunStore, RunsFound, ScopeProblem, StoreError};
use async_trait::async_trait;
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Statement,
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
        limit: u32,
    ) -> Result<Vec<SyncRunRow>, StoreError> {
        let statement = super::run_page::changed_since_statement(
            organisation_id,
            since,
            limit,
            self.db.get_database_backend(),
        );
        ListedRun::find_by_statement(statement)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_row)
            .collect()
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

/// A list request with its configuration and source resolved to the ids of the
/// organisation's configurations it covers (`None`: every one).
pub(super) struct Scope<'a> {
    pub request: &'a ListRuns,
    pub configuration_ids: Option<&'a [i64]>,
}

impl Scope<'_> {
    /// The condition that `column` (a configuration id) is one the scope covers: `= id`
    /// for one, so the index on (configuration, status, time) also gives the order.
    fn covers(&self, column: impl ColumnTrait) -> Option<SimpleExpr> {
        match self.configuration_ids? {
            &[id] => Some(column.eq(id)),
            ids => Some(column.is_in(ids.iter().copied())),
        }
    }
}

/// Which of the organisation's configurations a filter covers.
pub(super) enum InScope {
    /// No configuration or source is chosen.
    Every,
    /// These ones (none: no configuration imports from the source chosen).
    Only(Vec<i64>),
    /// The filter's configuration cannot be read as asked: an unknown name, or one that
    /// imports from another source than the filter's.
    Refused(ScopeProblem),
}

/// The ids of the configurations the request's filter covers, looked up once so that the
/// queries compare ids: then an index on (configuration, status, time) also gives the order.
pub(super) async fn configurations_in_scope(
    db: &DatabaseConnection,
    request: &ListRuns,
) -> Result<InScope, StoreError> {
    use sync_configuration::Column as C;
    let filter = &request.filter;
    if filter.configuration.is_none() && filter.source.is_none() {
        return Ok(InScope::Every);
    }
    let mut q = sync_configuration::Entity::find()
        .select_only()
        .columns([C::Id, C::SourceKind])
        .filter(C::OrganisationId.eq(request.organisation_id));
    if let Some(name) = &filter.configuration {
        q = q.filter(C::Name.eq(name.as_str()));
    } else if let Some(source) = filter.source {
        q = q.filter(C::SourceKind.eq(source.slug()));
    }
    let found: Vec<(i64, String)> = q.into_tuple().all(db).await.map_err(db_err)?;
    if filter.configuration.is_some() {
        // Names are unique within an organisation.
        let Some((id, kind)) = found.into_iter().next() else {
            return Ok(InScope::Refused(ScopeProblem::UnknownName));
        };
        return Ok(match filter.source {
            Some(source) if source.slug() != kind => {
                let kind: SourceKind = kind
                    .parse()
                    .map_err(|e| StoreError::Failed(format!("configuration {id}: {e}")))?;
                InScope::Refused(ScopeProblem::OtherSource(kind))
            }
            _ => InScope::Only(vec![id]),
        });
    }
    Ok(InScope::Only(found.into_iter().map(|(id, _)| id).collect()))
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
fn count_statement(scope: &Scope<'_>) -> SelectStatement {
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
async fn total_of(db: &DatabaseConnection, statement: Statement) -> Result<u64, StoreError> {
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
