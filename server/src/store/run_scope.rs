//! Which of an organisation's configurations a list, chart or count covers: resolved to
//! their ids once, so the queries compare ids and an index on (configuration, status,
//! time) also gives the order.

use super::db_err;
use crate::db::entities::sync_configuration;
use app::domain::SourceKind;
use app::ports::{ListRuns, ScopeProblem, StoreError};
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

/// A list request with its configuration and source resolved to the ids of the
/// organisation's configurations it covers (`None`: every one).
pub(super) struct Scope<'a> {
    pub request: &'a ListRuns,
    pub configuration_ids: Option<&'a [i64]>,
}

impl Scope<'_> {
    /// The condition that `column` (a configuration id) is one the scope covers: `= id`
    /// for one, so the index on (configuration, status, time) also gives the order.
    pub(super) fn covers(&self, column: impl ColumnTrait) -> Option<SimpleExpr> {
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
