//! The directory side of a run: reading the users a plan compares against, and writing a
//! plan's changes and its result log inside the caller's transaction.

use super::plan::{Action, Change, DirectoryUser, Plan};
use super::queue::stmt;
use super::validate::Loaded;
use crate::db::entities::{sync_log_entry, user};
use app::domain::Role;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use sea_orm::{ColumnTrait, FromQueryResult};

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
        })
        .collect())
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
    let creates: Vec<user::ActiveModel> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .filter_map(person)
        .map(|p| user::ActiveModel {
            organisation_id: Set(organisation_id),
            external_id: Set(Some(p.external_id.clone())),
            email: Set(p.email.clone()),
            first_name: Set(p.first_name.clone()),
            last_name: Set(p.last_name.clone()),
            title: Set(p.title.clone()),
            department: Set(p.department.clone()),
            manager_external_id: Set(p.manager_id.clone()),
            active: Set(true),
            role: Set(Role::BasicUser.slug().into()),
            sync_service_enrolled: Set(false),
            password_hash: Set(None),
            managed_by_configuration_id: Set(Some(configuration_id)),
            created_at_ms: Set(now_ms),
            updated_at_ms: Set(now_ms),
            ..Default::default()
        })
        .collect();
    let mut written = 0;
    for chunk in creates.chunks(BATCH) {
        user::Entity::insert_many(chunk.to_vec()).exec(db).await?;
        written += chunk.len();
        on_batch(written);
    }

    // A matched person's values replace the user's, whatever the action.
    for c in &plan.changes {
        let (Some(id), Some(p)) = (c.user_id, person(c)) else {
            continue;
        };
        if c.action == Action::Unchanged || c.action == Action::Skip {
            continue;
        }
        db.execute(stmt(
            db,
            "UPDATE users SET external_id = $1, email = $2, first_name = $3, last_name = $4, \
             title = $5, department = $6, manager_external_id = $7, active = $8, \
             managed_by_configuration_id = $9, updated_at_ms = $10 WHERE id = $11",
            vec![
                p.external_id.clone().into(),
                p.email.clone().into(),
                p.first_name.clone().into(),
                p.last_name.clone().into(),
                p.title.clone().into(),
                p.department.clone().into(),
                p.manager_id.clone().into(),
                p.active.into(),
                configuration_id.into(),
                now_ms.into(),
                id.into(),
            ],
        ))
        .await?;
        written += 1;
        if written % BATCH == 0 {
            on_batch(written);
        }
    }

    // Users no longer in the source: deactivated, and signed out everywhere.
    let gone: Vec<i64> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Deactivate)
        .filter_map(|c| c.user_id)
        .collect();
    for chunk in gone.chunks(BATCH) {
        let ids = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        db.execute(stmt(
            db,
            &format!(
                "UPDATE users SET active = FALSE, updated_at_ms = $1 WHERE id IN ({ids}) AND active = TRUE"
            ),
            vec![now_ms.into()],
        ))
        .await?;
        db.execute(stmt(
            db,
            &format!("DELETE FROM sessions WHERE user_id IN ({ids})"),
            vec![],
        ))
        .await?;
    }
    on_batch(written + gone.len());
    Ok(())
}

/// The run's result log: one entry per record, then one per user deactivated for being
/// absent from the source.
pub async fn write_log(
    db: &impl ConnectionTrait,
    run_id: i64,
    kind: &str,
    changes: &[Change],
) -> Result<(), DbErr> {
    let entries: Vec<sync_log_entry::ActiveModel> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| sync_log_entry::ActiveModel {
            run_id: Set(run_id),
            sequence: Set(i as i32),
            kind: Set(kind.into()),
            record_ref: Set(c.record.clone()),
            external_id: Set(c.external_id.clone()),
            email: Set(c.email.clone()),
            action: Set(c.action.slug().into()),
            outcome: Set(if c.warning { "warning" } else { "ok" }.into()),
            message: Set(c.message.clone()),
            changed_fields: Set((!c.changed.is_empty()).then(|| c.changed.join(", "))),
            ..Default::default()
        })
        .collect();
    for chunk in entries.chunks(BATCH) {
        sync_log_entry::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}

/// An error log entry: what stopped a run from loading its source.
pub async fn write_error(
    db: &impl ConnectionTrait,
    run_id: i64,
    message: &str,
) -> Result<(), DbErr> {
    sync_log_entry::Entity::insert(sync_log_entry::ActiveModel {
        run_id: Set(run_id),
        sequence: Set(0),
        kind: Set("error".into()),
        record_ref: Set(None),
        external_id: Set(None),
        email: Set(None),
        action: Set("load".into()),
        outcome: Set("error".into()),
        message: Set(message.into()),
        changed_fields: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}
