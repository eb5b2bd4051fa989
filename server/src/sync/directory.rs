//! The directory side of a run: reading the users a plan compares against, and writing a
//! plan's changes and its result log inside the caller's transaction.

use super::person::{Person, Text};
use super::plan::{Change, DirectoryUser, Plan};
use super::queue::{stmt, ClaimedRun};
use super::validate::Loaded;
use crate::db::entities::user;
use crate::db::search_key::search_key;
use app::domain::{FieldChange, LogAction, LogOutcome, Role};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect, Statement, Value,
};

/// Rows per multi-row insert: well under SQLite's and PostgreSQL's parameter limits.
const BATCH: usize = 500;

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    external_id: Option<String>,
    email: String,
    first_name: String,
    last_name: String,
    title: Option<String>,
    department: Option<String>,
    manager_external_id: Option<String>,
    active: bool,
    managed_by_configuration_id: Option<i64>,
    role: String,
}

/// The organisation's users, as the planner needs them.
pub async fn load(
    db: &impl ConnectionTrait,
    organisation_id: i64,
) -> Result<Vec<DirectoryUser>, DbErr> {
    let rows = user::Entity::find()
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::ExternalId,
            user::Column::Email,
            user::Column::FirstName,
            user::Column::LastName,
            user::Column::Title,
            user::Column::Department,
            user::Column::ManagerExternalId,
            user::Column::Active,
            user::Column::ManagedByConfigurationId,
            user::Column::Role,
        ])
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .into_model::<Row>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| DirectoryUser {
            id: r.id,
            external_id: r.external_id,
            email: r.email.to_lowercase(),
            first_name: r.first_name,
            last_name: r.last_name,
            title: r.title,
            department: r.department,
            manager_id: r.manager_external_id,
            active: r.active,
            managed_by: r.managed_by_configuration_id,
            role: r.role.parse().ok(),
        })
        .collect())
}

/// A multi-row `INSERT`, in chunks well under SQLite's and PostgreSQL's parameter limits.
/// Bulk writes are plain SQL: building an ORM model per log row cost more than the write.
async fn insert_rows(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    count: usize,
    row: impl Fn(usize) -> Vec<Value> + Sync,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for start in (0..count).step_by(BATCH) {
        let mut sql = head.clone();
        let mut values: Vec<Value> = Vec::with_capacity(BATCH * columns.len());
        for i in start..(start + BATCH).min(count) {
            sql.push_str(if i == start { "(" } else { ", (" });
            for c in 0..columns.len() {
                if c > 0 {
                    sql.push_str(", ");
                }
                match backend {
                    DatabaseBackend::Postgres => {
                        sql.push_str(&format!("${}", values.len() + c + 1))
                    }
                    _ => sql.push('?'),
                }
            }
            sql.push(')');
            values.extend(row(i));
        }
        db.execute(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// Runs `sql(ids)` for the ids in batches, `ids` written as a comma-separated list (they
/// are integers, so nothing is interpolated that could change the statement).
async fn for_id_batches(
    db: &impl ConnectionTrait,
    ids: &[i64],
    sql: impl Fn(&str) -> String,
) -> Result<(), DbErr> {
    for chunk in ids.chunks(BATCH) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        db.execute_unprepared(&sql(&list)).await?;
    }
    Ok(())
}

/// A log value as text any database stores: a damaged source value (a skipped record's
/// email, say) may hold control characters, and PostgreSQL refuses NUL in text. Each
/// control character shows as U+FFFD, so the entry still says which value was damaged.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(|c| c.is_control() && c != '\n') {
        s.chars()
            .map(|c| {
                if c.is_control() && c != '\n' {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

fn opt_printable(t: &Option<Text>) -> Value {
    match t {
        Some(t) => Value::from(printable(t).as_ref()),
        None => Value::from(None::<String>),
    }
}

fn text(t: &Text) -> Value {
    Value::from(t.as_str())
}
fn opt_text(t: &Option<Text>) -> Value {
    Value::from(t.as_deref())
}

/// The synced fields of a person, in the order the update statements use.
fn person_values(p: &Person) -> [Value; 8] {
    [
        text(&p.external_id),
        text(&p.email),
        text(&p.first_name),
        text(&p.last_name),
        opt_text(&p.title),
        opt_text(&p.department),
        opt_text(&p.manager_id),
        p.active.into(),
    ]
}

/// Writes every change of `plan`. Call inside a transaction: all of it lands or none.
/// `on_batch` is told how many changes are written so far.
pub async fn apply(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    configuration_id: i64,
    loaded: &Loaded,
    plan: &Plan,
    now_ms: i64,
    mut on_batch: impl FnMut(usize),
) -> Result<(), DbErr> {
    let person = |c: &Change| c.person.map(|i| &loaded.people[i]);
    let creates: Vec<&Person> = plan
        .changes
        .iter()
        .filter(|c| c.action == LogAction::Create)
        .filter_map(person)
        .collect();
    insert_rows(
        db,
        "users",
        &[
            "organisation_id",
            "external_id",
            "email",
            "first_name",
            "last_name",
            "title",
            "department",
            "manager_external_id",
            "active",
            "role",
            "sync_service_enrolled",
            "managed_by_configuration_id",
            "created_at_ms",
            "updated_at_ms",
        ],
        creates.len(),
        |i| {
            let p = creates[i];
            let mut row = Vec::with_capacity(14);
            row.push(organisation_id.into());
            row.extend(person_values(p));
            row.extend([
                Role::BasicUser.slug().into(),
                false.into(),
                configuration_id.into(),
                now_ms.into(),
                now_ms.into(),
            ]);
            row
        },
    )
    .await?;
    let mut written = creates.len();
    on_batch(written);

    // A matched person's values replace the user's, whatever the action.
    let updates: Vec<(i64, &Person)> = plan
        .changes
        .iter()
        .filter(|c| {
            !matches!(
                c.action,
                LogAction::Unchanged | LogAction::Skip | LogAction::Create
            )
        })
        .filter_map(|c| Some((c.user_id?, person(c)?)))
        .collect();
    let adopted: hashbrown::HashSet<i64> = plan
        .changes
        .iter()
        .filter(|c| c.changed.contains(&"managed_by"))
        .filter_map(|c| c.user_id)
        .collect();
    match db.get_database_backend() {
        // One statement per batch: a round trip per user would dominate on a server.
        DatabaseBackend::Postgres => {
            for chunk in updates.chunks(BATCH) {
                let mut rows = Vec::with_capacity(chunk.len());
                let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 9);
                for (id, p) in chunk {
                    let b = values.len();
                    rows.push(format!(
                        "(${}::bigint, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}::boolean)",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8,
                        b + 9
                    ));
                    values.push((*id).into());
                    values.extend(person_values(p));
                }
                values.extend([configuration_id.into(), now_ms.into()]);
                let n = values.len();
                let sql = format!(
                    "UPDATE users AS u SET external_id = v.e, email = v.m, first_name = v.f, \
                     last_name = v.l, title = v.t, department = v.d, manager_external_id = v.g, \
                     active = v.a, managed_by_configuration_id = ${}, updated_at_ms = ${} \
                     FROM (VALUES {}) AS v(id, e, m, f, l, t, d, g, a) WHERE u.id = v.id",
                    n - 1,
                    n,
                    rows.join(", ")
                );
                db.execute(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    sql,
                    values,
                ))
                .await?;
                written += chunk.len();
                on_batch(written);
            }
        }
        // SQLite runs in-process: one prepared statement per user is its fastest way.
        // Only an adopted user's managing configuration changes; leaving that column out
        // otherwise spares a foreign-key check and an index write per user.
        _ => {
            for (id, p) in &updates {
                let mut values: Vec<Value> = person_values(p).into();
                values.extend([now_ms.into(), (*id).into()]);
                let sql = if adopted.contains(id) {
                    values.push(configuration_id.into());
                    "UPDATE users SET external_id = $1, email = $2, first_name = $3, last_name = $4, \
                     title = $5, department = $6, manager_external_id = $7, active = $8, \
                     updated_at_ms = $9, managed_by_configuration_id = $11 WHERE id = $10"
                } else {
                    "UPDATE users SET external_id = $1, email = $2, first_name = $3, last_name = $4, \
                     title = $5, department = $6, manager_external_id = $7, active = $8, \
                     updated_at_ms = $9 WHERE id = $10"
                };
                db.execute(stmt(db, sql, values)).await?;
                written += 1;
                if written.is_multiple_of(BATCH) {
                    on_batch(written);
                }
            }
        }
    }

    // Users no longer in the source: deactivated.
    let gone: Vec<i64> = plan
        .changes
        .iter()
        .filter(|c| c.action == LogAction::Deactivate && c.person.is_none())
        .filter_map(|c| c.user_id)
        .collect();
    for_id_batches(db, &gone, |ids| {
        format!("UPDATE users SET active = FALSE, updated_at_ms = {now_ms} WHERE id IN ({ids}) AND active = TRUE")
    })
    .await?;
    // Terminated in the source or gone: no session of theirs stays open.
    let signed_out: Vec<i64> = plan
        .changes
        .iter()
        .filter(|c| c.action == LogAction::Deactivate)
        .filter_map(|c| c.user_id)
        .collect();
    for_id_batches(db, &signed_out, |ids| {
        format!("DELETE FROM sessions WHERE user_id IN ({ids})")
    })
    .await?;
    on_batch(written + gone.len());
    Ok(())
}

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
