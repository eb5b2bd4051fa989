//! Reading sync history.

use super::{db_err, SeaStore};
use crate::db::entities::{sync_configuration, sync_run};
use app::domain::{ConfigurationSummary, Cursor, RunCounts, SortOrder, SyncRunRow};
use app::ports::{ListRuns, RunStore, RunsFound, StoreError};
use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

#[async_trait]
impl RunStore for SeaStore {
    async fn list_runs(&self, request: &ListRuns) -> Result<RunsFound, StoreError> {
        let matching = filtered(request);
        let total = matching.clone().count(&self.db).await.map_err(db_err)?;
        let newest_first = request.filter.sort == SortOrder::NewestFirst;
        let mut page = matching;
        if let Some(Cursor { sort_at_ms, id }) = request.after {
            use sync_run::Column::{Id, SortAtMs};
            page = page.filter(if newest_first {
                Condition::any()
                    .add(SortAtMs.lt(sort_at_ms))
                    .add(Condition::all().add(SortAtMs.eq(sort_at_ms)).add(Id.lt(id)))
            } else {
                Condition::any()
                    .add(SortAtMs.gt(sort_at_ms))
                    .add(Condition::all().add(SortAtMs.eq(sort_at_ms)).add(Id.gt(id)))
            });
        }
        let order = if newest_first {
            sea_orm::Order::Desc
        } else {
            sea_orm::Order::Asc
        };
        let rows = page
            .find_also_related(sync_configuration::Entity)
            .order_by(sync_run::Column::SortAtMs, order.clone())
            .order_by(sync_run::Column::Id, order)
            .limit(u64::from(request.limit))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let runs = rows
            .into_iter()
            .filter_map(|(run, config)| config.map(|c| to_row(run, c)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RunsFound { runs, total })
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
                        .map_err(|e| StoreError(format!("configuration {}: {e}", c.id)))?,
                    name: c.name,
                })
            })
            .collect()
    }
}

/// The organisation's runs that match the filter, joined to their configuration.
fn filtered(request: &ListRuns) -> Select<sync_run::Entity> {
    let mut q = sync_run::Entity::find()
        .filter(sync_run::Column::OrganisationId.eq(request.organisation_id));
    if let Some(since) = request.since_ms {
        q = q.filter(sync_run::Column::SortAtMs.gte(since));
    }
    if let Some(until) = request.until_ms {
        q = q.filter(sync_run::Column::SortAtMs.lt(until));
    }
    if !request.filter.statuses.is_empty() {
        q = q.filter(
            sync_run::Column::Status.is_in(request.filter.statuses.iter().map(|s| s.slug())),
        );
    }
    if let Some(name) = &request.filter.configuration {
        q = q.filter(
            sync_run::Column::ConfigurationId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(sync_configuration::Column::Id)
                    .from(sync_configuration::Entity)
                    .and_where(
                        sync_configuration::Column::OrganisationId.eq(request.organisation_id),
                    )
                    .and_where(sync_configuration::Column::Name.eq(name.as_str()))
                    .to_owned(),
            ),
        );
    }
    q
}

fn to_row(
    run: sync_run::Model,
    config: sync_configuration::Model,
) -> Result<SyncRunRow, StoreError> {
    let status = run
        .status
        .parse()
        .map_err(|e| StoreError(format!("run {}: {e}", run.id)))?;
    let source = config
        .source_kind
        .parse()
        .map_err(|e| StoreError(format!("configuration {}: {e}", config.id)))?;
    let duration_ms = run
        .started_at_ms
        .map(|s| run.finished_at_ms.unwrap_or_else(super::now_ms) - s);
    let n = |v: i32| v.max(0) as u32;
    Ok(SyncRunRow {
        id: run.id,
        configuration: config.name,
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
    })
}
