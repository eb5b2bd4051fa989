//! A run's log, written beside its changes: one entry per record (or per load error).

use super::{insert_rows, opt_printable, printable};
use crate::db::search_key::search_key;
use crate::sync::person::Text;
use crate::sync::plan::Change;
use crate::sync::queue::ClaimedRun;
use app::domain::{FieldChange, LogAction, LogOutcome};
use sea_orm::{ConnectionTrait, DbErr, Value};

/// Where a run's log entries belong: what a person's history finds them by.
#[derive(Debug, Clone, Copy)]
pub struct LogPlace {
    pub run_id: i64,
    pub organisation_id: i64,
    /// The run's sort time (its start).
    pub sort_at_ms: i64,
}

impl From<&ClaimedRun> for LogPlace {
    fn from(run: &ClaimedRun) -> Self {
        LogPlace {
            run_id: run.id,
            organisation_id: run.organisation_id,
            sort_at_ms: run.sort_at_ms,
        }
    }
}

/// The columns every log entry is written with.
const LOG_COLUMNS: [&str; 15] = [
    "run_id",
    "sequence",
    "kind",
    "record_ref",
    "external_id",
    "email",
    "action",
    "outcome",
    "message",
    "changed_fields",
    "field_changes",
    "organisation_id",
    "run_sort_ms",
    "email_key",
    "external_key",
];

/// The run's result log: one entry per record, then one per user deactivated for being
/// absent from the source.
pub async fn write_log(
    db: &impl ConnectionTrait,
    place: LogPlace,
    kind: &str,
    changes: &[Change],
) -> Result<(), DbErr> {
    insert_rows(db, "sync_log_entries", &LOG_COLUMNS, changes.len(), |i| {
        let c = &changes[i];
        // Keys of what the entry shows: the same text, unprintable characters replaced.
        let key = |v: &Option<Text>| {
            Value::from(
                v.as_deref()
                    .map(|t| search_key(&printable(t)))
                    .filter(|k| !k.is_empty()),
            )
        };
        vec![
            place.run_id.into(),
            (i as i32).into(),
            kind.into(),
            Value::from(c.record.map(|r| r.to_string())),
            opt_printable(&c.external_id),
            opt_printable(&c.email),
            c.action.slug().into(),
            if c.warning {
                LogOutcome::Warning
            } else {
                LogOutcome::Ok
            }
            .slug()
            .into(),
            Value::from(printable(&c.message).as_ref()),
            Value::from((!c.changed.is_empty()).then(|| c.changed.join(", "))),
            Value::from(field_changes(&c.values)),
            place.organisation_id.into(),
            place.sort_at_ms.into(),
            key(&c.email),
            key(&c.external_id),
        ]
    })
    .await
}

/// An update's values as the log keeps them: JSON, unprintable characters replaced as in
/// the entry's other columns; `None` when it kept none.
fn field_changes(values: &[FieldChange]) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    let shown = |v: &Option<String>| v.as_deref().map(|v| printable(v).into_owned());
    let values: Vec<FieldChange> = values
        .iter()
        .map(|c| FieldChange {
            field: c.field.clone(),
            old: shown(&c.old),
            new: shown(&c.new),
        })
        .collect();
    serde_json::to_string(&values).ok()
}

/// An error log entry: what stopped a run from loading its source.
pub async fn write_error(
    db: &impl ConnectionTrait,
    place: LogPlace,
    message: &str,
) -> Result<(), DbErr> {
    insert_rows(
        db,
        "sync_log_entries",
        &[
            "run_id",
            "sequence",
            "kind",
            "action",
            "outcome",
            "message",
            "organisation_id",
            "run_sort_ms",
        ],
        1,
        |_| {
            vec![
                place.run_id.into(),
                0i32.into(),
                "error".into(),
                LogAction::Load.slug().into(),
                LogOutcome::Error.slug().into(),
                Value::from(printable(message).as_ref()),
                place.organisation_id.into(),
                place.sort_at_ms.into(),
            ]
        },
    )
    .await
}
