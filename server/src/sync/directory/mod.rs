//! The directory side of a run: reading the users a plan compares against, and writing a
//! plan's changes and its result log inside the caller's transaction.

use super::person::{Person, Text};
use super::plan::DirectoryUser;
use crate::db::entities::user;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect, Statement, Value,
};

/// Rows per multi-row insert: well under SQLite's and PostgreSQL's parameter limits.
const BATCH: usize = 500;

mod log;
mod users;

pub use log::{write_error, write_log, LogPlace};
pub use users::apply;

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
