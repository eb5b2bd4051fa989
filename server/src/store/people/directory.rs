//! The directory's side of a search: the users a person's keys name, as a search shows them.

use super::{statement, Newest};
use crate::db::search_key::search_key;
use app::domain::{DirectoryState, PersonMatch};
use app::ports::FoundPerson;
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult};

/// A directory user, as a search shows them.
#[derive(Debug, Clone)]
pub(super) struct DirectoryPerson {
    pub(super) external_id: Option<String>,
    pub(super) email: String,
    pub(super) first_name: String,
    pub(super) last_name: String,
    pub(super) active: bool,
    pub(super) managed_by: Option<i64>,
    pub(super) managed_by_name: Option<String>,
}

pub(super) fn from_directory(u: DirectoryPerson, newest: Option<Newest>) -> FoundPerson {
    let mut email_keys = vec![search_key(&u.email)];
    if let Some(logged) = newest.as_ref().and_then(|n| n.email.as_deref()) {
        let logged = search_key(logged);
        if !email_keys.contains(&logged) {
            email_keys.push(logged);
        }
    }
    let mut configuration_ids: Vec<i64> = u.managed_by.into_iter().collect();
    if let Some(n) = &newest {
        if !configuration_ids.contains(&n.configuration_id) {
            configuration_ids.push(n.configuration_id);
        }
    }
    let employee_id = u
        .external_id
        .clone()
        .or_else(|| newest.and_then(|n| n.external_id));
    let name = format!("{} {}", u.first_name.trim(), u.last_name.trim());
    FoundPerson {
        employee_key: employee_id.as_deref().map(search_key),
        email_keys,
        configuration_ids,
        person: PersonMatch {
            name: Some(name.trim().to_string()).filter(|n| !n.is_empty()),
            email: Some(u.email),
            employee_id,
            state: if u.active {
                DirectoryState::Active
            } else {
                DirectoryState::Deactivated
            },
            managed_by: u.managed_by_name,
        },
    }
}

const DIRECTORY_COLUMNS: &str = "u.external_id, u.email, u.first_name, u.last_name, u.active, \
    u.managed_by_configuration_id, c.name";

fn read_directory(r: &QueryResult) -> Result<DirectoryPerson, sea_orm::DbErr> {
    Ok(DirectoryPerson {
        external_id: r.try_get_by_index(0)?,
        email: r.try_get_by_index(1)?,
        first_name: r.try_get_by_index(2)?,
        last_name: r.try_get_by_index(3)?,
        active: r.try_get_by_index(4)?,
        managed_by: r.try_get_by_index(5)?,
        managed_by_name: r.try_get_by_index(6)?,
    })
}

/// The organisation's users with one of these Employee IDs (as written) or emails (keys).
pub(super) async fn directory_users(
    db: &DatabaseConnection,
    organisation_id: i64,
    ids: &[String],
    emails: &[String],
) -> Result<Vec<DirectoryPerson>, sea_orm::DbErr> {
    let mut users = Vec::new();
    for (column, values) in [("external_id", ids), ("email", emails)] {
        if values.is_empty() {
            continue;
        }
        let rows = db
            .query_all(statement(db, |sql| {
                sql.push(&format!(
                    "SELECT {DIRECTORY_COLUMNS} FROM users u \
                     LEFT JOIN sync_configurations c ON c.id = u.managed_by_configuration_id \
                     WHERE u.organisation_id = "
                ))
                .bind(organisation_id)
                .push(&format!(" AND u.{column} IN ("));
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind(v.clone());
                }
                sql.push(")");
            }))
            .await?;
        for r in &rows {
            users.push(read_directory(r)?);
        }
    }
    Ok(users)
}

/// A user of the directory whose email is the text or whose Employee ID is the text as
/// typed, in lower case or in upper case: someone no sync has logged yet.
pub(super) async fn directory_exact(
    db: &DatabaseConnection,
    organisation_id: i64,
    query: &str,
    key: &str,
) -> Result<Option<DirectoryPerson>, sea_orm::DbErr> {
    let query = query.trim();
    let mut ids = vec![query.to_string(), key.to_string(), key.to_ascii_uppercase()];
    ids.dedup();
    let users = directory_users(db, organisation_id, &ids, &[key.to_string()]).await?;
    Ok(users.into_iter().next())
}
