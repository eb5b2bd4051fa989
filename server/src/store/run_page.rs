//! The statement behind one page of the runs list, and behind the poll's read of the runs
//! changed since the page read them.
//!
//! A filter narrows the organisation's runs by status and configuration. Each status (or
//! configuration, or configuration in a status) the filter keeps is a *lane*, and an index
//! holds each lane's runs in (sort time, id) order:
//!
//! | lane                         | index                               |
//! |------------------------------|-------------------------------------|
//! | the whole organisation       | `ix_sync_runs_org_sort`             |
//! | a status                     | `ix_sync_runs_org_status_sort`      |
//! | a configuration              | `ix_sync_runs_config_sort`          |
//! | a configuration in a status  | `ix_sync_runs_config_status_sort`   |
//!
//! A page reads each lane's next page (one index seek, then at most `limit` entries) and
//! keeps the first `limit` of them all. So a page costs the filter's lanes times a page of
//! index entries, whether its runs are one in ten thousand or nine in ten, on the first
//! page or the thousandth. One `status IN (…)` over the organisation's index would instead
//! sort every match or walk past every non-match, and which of the two is cheaper depends
//! on how common the statuses are, which the planner cannot know.

use super::run_scope::Scope;
use app::domain::{Cursor, HeldRuns, RunStatus, SortOrder};
use sea_orm::{DatabaseBackend, Statement, Value};

/// The columns the table shows, in the order `ListedRun` reads them: the run as `r`, its
/// configuration as `c`. A reason is cut to what a row shows (`REASON_CHARS`, 160).
pub(super) const LISTED: &str =
    "r.id, r.status, r.queued_at_ms, r.started_at_ms, r.finished_at_ms, \
    r.progress_done, r.progress_total, r.created, r.updated, r.deactivated, r.reactivated, \
    r.unchanged, r.skipped, r.warnings, r.errors, r.planned_deactivations, r.version, \
    c.name AS configuration_name, c.source_kind, SUBSTR(r.status_reason, 1, 160)";

/// SQL text and the values it binds, in order: `$1, $2, …` for PostgreSQL, `?` for SQLite.
pub(super) struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DatabaseBackend) -> Self {
        Sql {
            backend,
            text: String::with_capacity(512),
            values: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        if self.backend == DatabaseBackend::Postgres {
            self.text.push('$');
            self.text.push_str(&self.values.len().to_string());
        } else {
            self.text.push('?');
        }
        self
    }

    pub fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// PostgreSQL's text for an array of numbers (`{1,2,3}`), bound as one parameter and cast
/// to `BIGINT[]`: a long list costs one parameter, not one each.
pub(super) fn bigint_array(values: impl Iterator<Item = i64>) -> String {
    let items: Vec<String> = values.map(|v| v.to_string()).collect();
    format!("{{{}}}", items.join(","))
}

/// The page's statement for the request in `scope`, within `[since, until)` (the cursor
/// already folded into the bound it moves, see `runs::page_window`).
pub(super) fn page_statement(
    scope: &Scope<'_>,
    since: Option<i64>,
    until: Option<i64>,
    backend: DatabaseBackend,
) -> Statement {
    let request = scope.request;
    let order = order_of(request.filter.sort).0;
    let mut sql = Sql::new(backend);
    sql.push("SELECT ")
        .push(LISTED)
        .push(" FROM (SELECT * FROM ");
    push_lanes(&mut sql, scope, since, until);
    // The lanes' runs drive the join: SQLite keeps the left side of a CROSS JOIN as the
    // outer loop (its documented way to fix a join's order). Left to choose, it may read
    // the organisation's runs through its index and look each up among the lanes' few.
    sql.push(
        ") AS p CROSS JOIN sync_runs AS r \
         LEFT JOIN sync_configurations AS c ON c.id = r.configuration_id \
         WHERE r.id = p.id AND r.organisation_id = ",
    )
    .bind(request.organisation_id)
    .push(&format!(
        " ORDER BY p.sort_at_ms {order}, p.id {order} LIMIT "
    ))
    .bind(i64::from(request.limit));
    sql.statement()
}

/// The SQL order of a sort, and the comparison that finds the runs past a cursor.
fn order_of(sort: SortOrder) -> (&'static str, &'static str) {
    match sort {
        SortOrder::NewestFirst => ("DESC", " < "),
        SortOrder::OldestFirst => ("ASC", " > "),
    }
}

/// One lane per configuration and status asked for, each the page's runs of its own
/// index range, joined by UNION ALL.
fn push_lanes(sql: &mut Sql, scope: &Scope<'_>, since: Option<i64>, until: Option<i64>) {
    let request = scope.request;
    // Every status chosen is the same as none: one lane instead of seven.
    let statuses: Vec<Option<&str>> = match request.filter.statuses.len() {
        0 => vec![None],
        n if n == RunStatus::ALL.len() => vec![None],
        _ => request
            .filter
            .statuses
            .iter()
            .map(|s| Some(s.slug()))
            .collect(),
    };
    let configurations: Vec<Option<i64>> = match scope.configuration_ids {
        None => vec![None],
        Some(ids) => ids.iter().copied().map(Some).collect(),
    };
    let (order, past) = order_of(request.filter.sort);
    let mut lane_number = 0;
    for &configuration in &configurations {
        for &status in &statuses {
            if lane_number > 0 {
                sql.push(" UNION ALL SELECT * FROM ");
            }
            lane_number += 1;
            // A configuration's lane names the configuration alone (the organisation is
            // checked on the rows kept, below): with the organisation too, the planner may
            // take the organisation's status lane and walk past every other
            // configuration's runs in that status.
            sql.push("(SELECT id, sort_at_ms FROM sync_runs WHERE ");
            match configuration {
                Some(id) => sql.push("configuration_id = ").bind(id),
                None => sql.push("organisation_id = ").bind(request.organisation_id),
            };
            if let Some(status) = status {
                sql.push(" AND status = ").bind(status);
            }
            if let Some(since) = since {
                sql.push(" AND sort_at_ms >= ").bind(since);
            }
            if let Some(until) = until {
                sql.push(" AND sort_at_ms < ").bind(until);
            }
            if let Some(Cursor { sort_at_ms, id }) = request.after {
                // The window already ends at the cursor's instant: past the cursor are
                // the runs before that instant, or at it and further on in id.
                sql.push(" AND (sort_at_ms")
                    .push(past)
                    .bind(sort_at_ms)
                    .push(" OR id")
                    .push(past)
                    .bind(id)
                    .push(")");
            }
            sql.push(&format!(" ORDER BY sort_at_ms {order}, id {order} LIMIT "))
                .bind(i64::from(request.limit))
                .push(&format!(") AS lane{lane_number}"));
        }
    }
}

/// The organisation's count of changes to its runs: the highest change number its runs
/// hold (see `db::migrations::m0011_change_feed`), read as one probe of the feed's index.
pub(super) fn change_count_statement(organisation_id: i64, backend: DatabaseBackend) -> Statement {
    let mut sql = Sql::new(backend);
    sql.push("SELECT change_seq FROM sync_runs WHERE organisation_id = ")
        .bind(organisation_id)
        .push(" ORDER BY change_seq DESC LIMIT 1");
    sql.statement()
}

/// How many of the organisation's runs changed after its count of changes was `since`,
/// counted up to `most`: the same range of `ix_sync_runs_changes` as the runs themselves,
/// read from the index alone.
pub(super) fn changed_count_statement(
    organisation_id: i64,
    since: i64,
    most: u32,
    backend: DatabaseBackend,
) -> Statement {
    let mut sql = Sql::new(backend);
    sql.push("SELECT COUNT(*) FROM (SELECT 1 FROM sync_runs WHERE organisation_id = ")
        .bind(organisation_id)
        .push(" AND change_seq > ")
        .bind(since)
        .push(" ORDER BY change_seq LIMIT ")
        .bind(i64::from(most))
        .push(") AS changed");
    sql.statement()
}

/// The organisation's runs changed after its count of changes was `since` (see
/// `db::migrations::m0011_change_feed`) that a page holding `held` may show, oldest change
/// first, at most `limit`: one range of `ix_sync_runs_changes`, as long as the changes
/// since and no longer. Only the runs the page may hold come back from the database
/// (`HeldRuns::may_hold`, in SQL).
pub(super) fn changed_since_statement(
    organisation_id: i64,
    since: i64,
    held: HeldRuns,
    limit: u32,
    backend: DatabaseBackend,
) -> Statement {
    let mut sql = Sql::new(backend);
    sql.push("SELECT ")
        .push(LISTED)
        .push(" FROM sync_runs AS r")
        .push(" LEFT JOIN sync_configurations AS c ON c.id = r.configuration_id")
        .push(" WHERE r.organisation_id = ")
        .bind(organisation_id)
        .push(" AND r.change_seq > ")
        .bind(since);
    match held {
        HeldRuns::Any => {}
        HeldRuns::DownTo {
            newest_first,
            reach,
        } => {
            let on_this_side = if newest_first { ">=" } else { "<=" };
            sql.push(&format!(" AND (r.sort_at_ms {on_this_side} "))
                .bind(reach)
                .push(&format!(" OR r.queued_at_ms {on_this_side} "))
                .bind(reach)
                .push(")");
        }
    }
    sql.push(" ORDER BY r.change_seq LIMIT ")
        .bind(i64::from(limit));
    sql.statement()
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::RunFilter;
    use app::ports::ListRuns;

    fn request(query: &str, after: Option<Cursor>) -> ListRuns {
        ListRuns {
            organisation_id: 7,
            filter: RunFilter::from_query(query).unwrap(),
            since_ms: None,
            until_ms: None,
            after,
            limit: 50,
        }
    }

    fn lanes(statement: &Statement) -> usize {
        statement
            .sql
            .matches("(SELECT id, sort_at_ms FROM sync_runs")
            .count()
    }

    #[test]
    fn one_lane_per_status_and_configuration() {
        let sqlite = DatabaseBackend::Sqlite;
        let all = request("", None);
        let scope = |request, ids| Scope {
            request,
            configuration_ids: ids,
        };
        assert_eq!(
            lanes(&page_statement(&scope(&all, None), None, None, sqlite)),
            1
        );
        let two = request("status=success,cancelled", None);
        let s = page_statement(&scope(&two, Some(&[3, 5, 8])), None, None, sqlite);
        assert_eq!(lanes(&s), 6);
        // Each lane binds its configuration, status and limit; then the organisation and
        // the limit.
        assert_eq!(s.values.as_ref().map(|v| v.0.len()), Some(6 * 3 + 2));
        let every = RunStatus::ALL.map(|s| s.slug()).join(",");
        let every = request(&format!("status={every}"), None);
        assert_eq!(
            lanes(&page_statement(&scope(&every, None), None, None, sqlite)),
            1
        );
    }

    #[test]
    fn placeholders_are_numbered_for_postgres_and_plain_for_sqlite() {
        let after = Some(Cursor {
            sort_at_ms: 5,
            id: 9,
        });
        let req = request("status=success", after);
        let scope = Scope {
            request: &req,
            configuration_ids: None,
        };
        let pg = page_statement(&scope, Some(1), Some(6), DatabaseBackend::Postgres);
        assert!(pg.sql.contains("$9"), "{}", pg.sql);
        assert!(!pg.sql.contains('?'));
        let lite = page_statement(&scope, Some(1), Some(6), DatabaseBackend::Sqlite);
        assert_eq!(lite.sql.matches('?').count(), 9, "{}", lite.sql);
        let changed = changed_since_statement(7, 40, HeldRuns::Any, 500, DatabaseBackend::Postgres);
        assert!(changed.sql.ends_with(
            "WHERE r.organisation_id = $1 AND r.change_seq > $2 ORDER BY r.change_seq LIMIT $3"
        ));
    }
}
