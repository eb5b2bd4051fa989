//! One run: its details, its log entries in pages, and the audit of log downloads.

use super::listed_run::{to_row, ListedRun};
use super::{db_err, now_ms};
use crate::db::entities::{log_download, sync_configuration, sync_log_entry, sync_run};
use app::domain::{LogAction, LogEntry, LogFormat, LogOutcome, LogSearch};
use app::ports::{LogRequest, RunFound, StoreError};
use sea_orm::sea_query::{Expr, Func, LikeExpr, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

pub async fn run(
    db: &DatabaseConnection,
    organisation_id: i64,
    run_id: i64,
) -> Result<Option<RunFound>, StoreError> {
    let found = sync_run::Entity::find_by_id(run_id)
        .filter(sync_run::Column::OrganisationId.eq(organisation_id))
        .find_also_related(sync_configuration::Entity)
        .one(db)
        .await
        .map_err(db_err)?;
    let Some((r, Some(c))) = found else {
        return Ok(None);
    };
    let row = to_row(ListedRun {
        id: r.id,
        status: r.status,
        queued_at_ms: r.queued_at_ms,
        started_at_ms: r.started_at_ms,
        finished_at_ms: r.finished_at_ms,
        progress_done: r.progress_done,
        progress_total: r.progress_total,
        created: r.created,
        updated: r.updated,
        deactivated: r.deactivated,
        reactivated: r.reactivated,
        unchanged: r.unchanged,
        skipped: r.skipped,
        warnings: r.warnings,
        errors: r.errors,
        planned_deactivations: r.planned_deactivations,
        version: r.version,
        configuration_name: c.name,
        source_kind: c.source_kind,
        reason: r.status_reason.clone(),
    })?;
    let positive = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok());
    Ok(Some(RunFound {
        row,
        status_reason: r.status_reason,
        trigger: app::domain::Trigger::from_slug(&r.trigger),
        threshold_count: positive(c.threshold_count),
        threshold_percent: positive(c.threshold_percent),
    }))
}

pub async fn log_entries(
    db: &DatabaseConnection,
    request: &LogRequest,
) -> Result<(Vec<LogEntry>, Option<u64>), StoreError> {
    use sync_log_entry::Column as L;
    let kind = request.kind.slug();
    let mut matching = sync_log_entry::Entity::find()
        .filter(L::RunId.eq(request.run_id))
        .filter(L::Kind.eq(kind));
    if let Some(text) = &request.search {
        matching = matching.filter(containing(&LogSearch::new(text, request.kind)));
    }
    if !request.outcomes.is_empty() {
        matching = matching.filter(L::Outcome.is_in(request.outcomes.iter().map(|o| o.slug())));
    }
    let mut page = matching.clone();
    if let Some(after) = request.after {
        page = page.filter(L::Sequence.gt(after));
    }
    let page = page
        .order_by_asc(L::Sequence)
        .limit(u64::from(request.limit))
        .all(db);
    let (rows, total) = match request.after {
        None => {
            let (rows, total) = tokio::join!(page, matching.count(db));
            (rows, Some(total.map_err(db_err)?))
        }
        Some(_) => (page.await, None),
    };
    let entries = rows
        .map_err(db_err)?
        .into_iter()
        .map(|e| {
            let (action, outcome) = entry_words(&e.action, &e.outcome)?;
            Ok(LogEntry {
                sequence: e.sequence,
                record: e.record_ref,
                employee_id: e.external_id,
                email: e.email,
                action,
                outcome,
                applied: true,
                message: e.message,
                changed_fields: e.changed_fields,
                // Values an older entry did not keep, or could not be read, leave the names.
                changes: e
                    .field_changes
                    .and_then(|json| serde_json::from_str(&json).ok())
                    .unwrap_or_default(),
                run: None,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((entries, total))
}

/// The entries a search finds (see [`LogSearch`]), ignoring case alike on SQLite and
/// PostgreSQL; `%` and `_` in the text are matched as themselves.
fn containing(search: &LogSearch) -> Condition {
    use sync_log_entry::Column as L;
    let like = |text: &str| {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        LikeExpr::new(format!("%{escaped}%")).escape('\\')
    };
    let lower = |c: L| -> SimpleExpr { Func::lower(Expr::col(c)).into() };
    let mut shown_as_stored = vec![L::RecordRef, L::ExternalId, L::Email, L::Message];
    if search.other_fields {
        shown_as_stored.push(L::ChangedFields);
    }
    if search.values {
        shown_as_stored.push(L::FieldChanges);
    }
    let mut any = shown_as_stored
        .into_iter()
        .fold(Condition::any(), |any, c| {
            any.add(Expr::expr(lower(c)).like(like(&search.text)))
        });
    if search.every_entry {
        any = any.add(L::RunId.is_not_null());
    }
    if !search.actions.is_empty() {
        any = any.add(L::Action.is_in(search.actions.iter().map(|a| a.slug())));
    }
    if !search.outcomes.is_empty() {
        any = any.add(L::Outcome.is_in(search.outcomes.iter().map(|o| o.slug())));
    }
    for key in &search.field_keys {
        any = any.add(L::ChangedFields.like(like(key)));
    }
    if search.any_change {
        any = any.add(Expr::col(L::ChangedFields).ne(""));
    }
    if let Some(change) = &search.change {
        let fields = change.field_keys.iter().fold(Condition::any(), |c, key| {
            c.add(L::ChangedFields.like(like(key)))
        });
        let values = change.values.iter().fold(Condition::all(), |c, v| {
            c.add(Expr::expr(lower(L::FieldChanges)).like(like(v)))
        });
        let mut all = Condition::all()
            .add(L::ChangedFields.is_not_null())
            .add(values);
        if !change.field_keys.is_empty() {
            all = all.add(fields);
        }
        any = any.add(all);
    }
    any
}

pub async fn record_download(
    db: &DatabaseConnection,
    run_id: i64,
    user_id: i64,
    format: LogFormat,
) -> Result<(), StoreError> {
    log_download::Entity::insert(log_download::ActiveModel {
        run_id: Set(run_id),
        user_id: Set(user_id),
        format: Set(format.extension().to_string()),
        downloaded_at_ms: Set(now_ms()),
        ..Default::default()
    })
    .exec(db)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// An entry's stored action and outcome. The service writes only the words it knows: any
/// other is a damaged row, reported rather than shown as something it is not.
pub(super) fn entry_words(
    action: &str,
    outcome: &str,
) -> Result<(LogAction, LogOutcome), StoreError> {
    let action = LogAction::from_slug(action)
        .ok_or_else(|| StoreError::Failed(format!("a log entry's action is \"{action}\"")))?;
    let outcome = LogOutcome::from_slug(outcome)
        .ok_or_else(|| StoreError::Failed(format!("a log entry's outcome is \"{outcome}\"")))?;
    Ok((action, outcome))
}
