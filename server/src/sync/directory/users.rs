//! A plan's changes to the directory's users: the new ones inserted, the matched ones
//! given their people's values, the ones gone deactivated and signed out.

use super::{for_id_batches, insert_rows, person_values, BATCH};
use crate::sync::person::Person;
use crate::sync::plan::{Change, Plan};
use crate::sync::queue::stmt;
use crate::sync::validate::Loaded;
use app::domain::{LogAction, Role};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement, Value};

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
    insert_users(db, organisation_id, configuration_id, &creates, now_ms).await?;
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
                update_batch(db, chunk, configuration_id, now_ms).await?;
                written += chunk.len();
                on_batch(written);
            }
        }
        // SQLite runs in-process: one prepared statement per user is its fastest way.
        _ => {
            for &(id, p) in &updates {
                let adopted = adopted.contains(&id).then_some(configuration_id);
                update_one(db, id, p, adopted, now_ms).await?;
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

/// The source's new people, as users kept in sync by the configuration.
async fn insert_users(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    configuration_id: i64,
    creates: &[&Person],
    now_ms: i64,
) -> Result<(), DbErr> {
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
    .await
}

/// Matched users take their people's values, a batch in one statement (PostgreSQL).
async fn update_batch(
    db: &impl ConnectionTrait,
    chunk: &[(i64, &Person)],
    configuration_id: i64,
    now_ms: i64,
) -> Result<(), DbErr> {
    let mut rows = Vec::with_capacity(chunk.len());
    let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 9);
    for (id, p) in chunk {
        let b = values.len();
        let slots: Vec<String> = (1..=9).map(|k| format!("${}", b + k)).collect();
        rows.push(format!(
            "({}::bigint, {}, {}::boolean)",
            slots[0],
            slots[1..8].join(", "),
            slots[8]
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
    Ok(())
}

/// One matched user takes their person's values (SQLite). Only an adopted user's
/// managing configuration (`adopted_by`) changes; leaving that column out otherwise
/// spares a foreign-key check and an index write per user.
async fn update_one(
    db: &impl ConnectionTrait,
    id: i64,
    p: &Person,
    adopted_by: Option<i64>,
    now_ms: i64,
) -> Result<(), DbErr> {
    let mut values: Vec<Value> = person_values(p).into();
    values.extend([now_ms.into(), id.into()]);
    let sql = match adopted_by {
        Some(configuration_id) => {
            values.push(configuration_id.into());
            "UPDATE users SET external_id = $1, email = $2, first_name = $3, last_name = $4, \
             title = $5, department = $6, manager_external_id = $7, active = $8, \
             updated_at_ms = $9, managed_by_configuration_id = $11 WHERE id = $10"
        }
        None => {
            "UPDATE users SET external_id = $1, email = $2, first_name = $3, last_name = $4, \
             title = $5, department = $6, manager_external_id = $7, active = $8, \
             updated_at_ms = $9 WHERE id = $10"
        }
    };
    db.execute(stmt(db, sql, values)).await?;
    Ok(())
}
