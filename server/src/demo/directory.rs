//! The demo's directories: synthetic people for each configuration, with the names,
//! titles and departments their records and logs draw from.

use crate::db::entities::user;
use app::domain::Role;
use rand::{rngs::StdRng, Rng};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

const FIRST: [&str; 24] = [
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Gina", "Hugo", "Ines", "Jonas", "Kira",
    "Luis", "Maya", "Nils", "Oona", "Pedro", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wen", "Yusuf",
];
const LAST: [&str; 20] = [
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fox", "Garcia", "Hughes", "Ito", "Jensen", "Khan",
    "Lopez", "Moreau", "Nakamura", "Olsen", "Patel", "Rossi", "Silva", "Tanaka", "Weber",
];
pub(super) const DEPARTMENTS: [&str; 8] = [
    "Engineering",
    "Sales",
    "Finance",
    "People",
    "Marketing",
    "Support",
    "Operations",
    "Legal",
];
pub(super) const TITLES: [&str; 8] = [
    "Analyst",
    "Engineer",
    "Manager",
    "Specialist",
    "Coordinator",
    "Director",
    "Associate",
    "Lead",
];

/// A synthetic person of a directory: (external id, email).
pub(super) type Person = (String, String);

#[allow(clippy::too_many_arguments)]
pub(super) async fn insert_directory(
    db: &impl ConnectionTrait,
    org: i64,
    config_id: i64,
    prefix: &str,
    domain: &str,
    count: usize,
    rng: &mut StdRng,
    now_ms: i64,
) -> Result<Vec<Person>, DbErr> {
    let mut people = Vec::with_capacity(count);
    let mut rows = Vec::with_capacity(count);
    for i in 0..count {
        let (first, last) = (
            FIRST[rng.gen_range(0..FIRST.len())],
            LAST[rng.gen_range(0..LAST.len())],
        );
        let external_id = format!("{prefix}-{:05}", 10001 + i);
        let email = format!(
            "{}.{}.{}@{domain}",
            first.to_lowercase(),
            last.to_lowercase(),
            prefix.to_lowercase() + &i.to_string()
        );
        let manager =
            (i > 0).then(|| format!("{prefix}-{:05}", 10001 + rng.gen_range(0..i.min(20))));
        rows.push(user::ActiveModel {
            organisation_id: Set(org),
            external_id: Set(Some(external_id.clone())),
            email: Set(email.clone()),
            first_name: Set(first.into()),
            last_name: Set(last.into()),
            title: Set(Some(TITLES[rng.gen_range(0..TITLES.len())].into())),
            department: Set(Some(
                DEPARTMENTS[rng.gen_range(0..DEPARTMENTS.len())].into(),
            )),
            manager_external_id: Set(manager),
            active: Set(rng.gen_bool(0.97)),
            role: Set(Role::BasicUser.slug().into()),
            sync_service_enrolled: Set(false),
            password_hash: Set(None),
            managed_by_configuration_id: Set(Some(config_id)),
            created_at_ms: Set(now_ms),
            updated_at_ms: Set(now_ms),
            ..Default::default()
        });
        people.push((external_id, email));
    }
    for chunk in rows.chunks(500) {
        user::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(people)
}
