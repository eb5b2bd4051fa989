//! A person's timeline: a page of the log entries their keys name, newest run first.

use super::KeyColumn;
use crate::store::run_page::Sql;
use app::domain::{Cursor, FieldChange, PersonEvent, RunStatus};
use app::ports::{FoundPerson, StoreError};
use sea_orm::{DatabaseBackend, QueryResult, Statement};

/// The columns a timeline row reads, in `to_event`'s order: the entry as `e`, its run as
/// `r` and the run's configuration as `c`.
const EVENT_COLUMNS: &str = "e.id, e.run_id, e.run_sort_ms, r.status, c.source_kind, c.name, \
    e.sequence, e.kind, e.record_ref, e.external_id, e.email, e.action, e.outcome, e.message, \
    e.changed_fields, e.field_changes";

/// A page of the person's entries: for each of their keys, the next `limit` entries of
/// that key's index range after the cursor (newest run first); then the first `limit` of
/// them all. An entry that carries two of the keys is read once.
pub(super) fn timeline_statement(
    backend: DatabaseBackend,
    organisation_id: i64,
    person: &FoundPerson,
    after: Option<Cursor>,
    limit: u32,
) -> Option<Statement> {
    let keys: Vec<(KeyColumn, &str)> = person
        .employee_key
        .iter()
        .map(|k| (KeyColumn::Employee, k.as_str()))
        .chain(
            person
                .email_keys
                .iter()
                .map(|k| (KeyColumn::Email, k.as_str())),
        )
        .collect();
    if keys.is_empty() {
        return None;
    }
    let mut sql = Sql::new(backend);
    sql.push("SELECT ").push(EVENT_COLUMNS).push(" FROM (");
    for (i, (column, key)) in keys.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ");
        }
        let c = column.column();
        sql.push("SELECT id FROM (SELECT k.id FROM sync_log_entries k WHERE k.organisation_id = ")
            .bind(organisation_id)
            .push(&format!(" AND k.{c} = "))
            .bind(key.to_string());
        if let Some(cursor) = after {
            sql.push(" AND (k.run_sort_ms, k.id) < (")
                .bind(cursor.sort_at_ms)
                .push(", ")
                .bind(cursor.id)
                .push(")");
        }
        sql.push(" ORDER BY k.run_sort_ms DESC, k.id DESC LIMIT ")
            .bind(i64::from(limit))
            .push(&format!(") t{i}"));
    }
    sql.push(
        ") picked JOIN sync_log_entries e ON e.id = picked.id \
         JOIN sync_runs r ON r.id = e.run_id AND r.organisation_id = ",
    )
    .bind(organisation_id)
    .push(
        " JOIN sync_configurations c ON c.id = r.configuration_id \
         ORDER BY e.run_sort_ms DESC, e.id DESC LIMIT ",
    )
    .bind(i64::from(limit));
    Some(sql.statement())
}

pub(super) fn to_event(r: &QueryResult) -> Result<PersonEvent, StoreError> {
    let failed = |e: sea_orm::DbErr| StoreError::Failed(e.to_string());
    let get_i64 = |i: usize| r.try_get_by_index::<i64>(i).map_err(failed);
    let get_str = |i: usize| r.try_get_by_index::<String>(i).map_err(failed);
    let get_opt = |i: usize| r.try_get_by_index::<Option<String>>(i).map_err(failed);
    let id = get_i64(0)?;
    let sort_at_ms = r
        .try_get_by_index::<Option<i64>>(2)
        .map_err(failed)?
        .unwrap_or_default();
    let status: RunStatus = get_str(3)?
        .parse()
        .map_err(|e| StoreError::Failed(format!("log entry {id}: {e}")))?;
    let source = get_str(4)?
        .parse()
        .map_err(|e| StoreError::Failed(format!("log entry {id}: {e}")))?;
    let kind = get_str(7)?;
    // Values an older entry did not keep, or could not be read, leave only the names.
    let changes: Vec<FieldChange> = get_opt(15)?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    let message = get_str(13)?;
    let applied = kind != "planned";
    let (action, outcome) = crate::store::run_logs::entry_words(&get_str(11)?, &get_str(12)?)?;
    Ok(PersonEvent {
        id,
        run_id: get_i64(1)?,
        run_started: String::new(),
        run_started_local: Default::default(),
        run_status: status,
        source,
        configuration: get_str(5)?,
        sequence: r.try_get_by_index::<i32>(6).map_err(failed)?,
        record: get_opt(8)?,
        employee_id: get_opt(9)?,
        email: get_opt(10)?,
        action,
        outcome,
        message: if applied {
            message
        } else {
            app::domain::not_applied_message(&message)
        },
        changed_fields: get_opt(14)?,
        changes,
        applied,
        cursor: Cursor { sort_at_ms, id },
    })
}
