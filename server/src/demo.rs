//! Demo data: the organisations and accounts the README lists, a directory per
//! configuration, and months of sync runs in every status with their logs.
//! Deterministic (seeded), so every fresh start shows the same history shape.

use crate::auth::passwords::hash_password;
use crate::db::entities::{organisation, sync_configuration, sync_log_entry, user};
use app::domain::{Role, RunStatus, SourceKind};
use chrono::{DateTime, Utc};
use rand::{rngs::StdRng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, Set,
    TransactionTrait,
};

mod directory;
mod history;
pub mod live;
mod run_log;
mod skips;
pub mod tails;
mod wording;

use directory::insert_directory;
use history::insert_history;

pub const DEMO_PASSWORD: &str = "demo-password";

/// How much history and how large a directory to make.
#[derive(Debug, Clone)]
pub struct DemoSize {
    pub days: i64,
    /// Directory users per configuration are multiplied by this.
    pub directory_scale: f64,
}

impl DemoSize {
    /// What the run command loads: 90 days, hundreds to thousands of users per source.
    pub fn full() -> Self {
        Self {
            days: 90,
            directory_scale: 1.0,
        }
    }
    /// Small enough for tests, with every status still present.
    pub fn small() -> Self {
        Self {
            days: 21,
            directory_scale: 0.04,
        }
    }
}

struct Account {
    email: &'static str,
    first: &'static str,
    last: &'static str,
    role: Role,
    enrolled: bool,
}

const ACME_ACCOUNTS: [Account; 8] = [
    Account {
        email: "org.admin@acme.example",
        first: "Olivia",
        last: "Reyes",
        role: Role::OrganisationAdmin,
        enrolled: true,
    },
    Account {
        email: "people.admin@acme.example",
        first: "Priya",
        last: "Shah",
        role: Role::PeopleAdmin,
        enrolled: true,
    },
    Account {
        email: "support.admin@acme.example",
        first: "Sam",
        last: "Okafor",
        role: Role::SupportAdmin,
        enrolled: true,
    },
    Account {
        email: "group.admin@acme.example",
        first: "Grace",
        last: "Lindqvist",
        role: Role::GroupAdmin,
        enrolled: true,
    },
    Account {
        email: "content.creator@acme.example",
        first: "Carlos",
        last: "Mendes",
        role: Role::ContentCreator,
        enrolled: true,
    },
    Account {
        email: "content.moderator@acme.example",
        first: "Mia",
        last: "Novak",
        role: Role::ContentModerator,
        enrolled: true,
    },
    Account {
        email: "basic.user@acme.example",
        first: "Ben",
        last: "Carter",
        role: Role::BasicUser,
        enrolled: true,
    },
    Account {
        email: "people.admin.unenrolled@acme.example",
        first: "Uma",
        last: "Fischer",
        role: Role::PeopleAdmin,
        enrolled: false,
    },
];

struct Config {
    name: &'static str,
    kind: SourceKind,
    settings: &'static str,
    /// Hours between scheduled runs, and the hour of day of the first.
    every_hours: i64,
    offset_hours: i64,
    directory: usize,
    prefix: &'static str,
}

const ACME_CONFIGS: [Config; 3] = [
    Config {
        name: "Google Workspace – acme.example",
        kind: SourceKind::GoogleWorkspace,
        settings: r#"{"customer":"my_customer","admin_email":"it.admin@acme.example","service_account_key":"env:ACME_GOOGLE_KEY"}"#,
        every_hours: 6,
        offset_hours: 1,
        directory: 700,
        prefix: "GW",
    },
    Config {
        name: "Workday – Global HR",
        kind: SourceKind::Workday,
        settings: r#"{"host":"wd5-impl-services1.workday.com","tenant":"acme","owner":"ISU_Blink","report":"Blink_Workers","password":"env:ACME_WORKDAY_PASSWORD"}"#,
        every_hours: 24,
        offset_hours: 2,
        directory: 1500,
        prefix: "WD",
    },
    Config {
        name: "Contractors (SFTP)",
        kind: SourceKind::Sftp,
        settings: r#"{"host":"sftp.acme.example","port":22,"path":"/exports/contractors.csv","username":"blink","password":"env:ACME_SFTP_PASSWORD"}"#,
        every_hours: 24,
        offset_hours: 6,
        directory: 150,
        prefix: "CT",
    },
];

const GLOBEX_CONFIGS: [Config; 1] = [Config {
    name: "Globex HR export (SFTP)",
    kind: SourceKind::Sftp,
    settings: r#"{"host":"files.globex.example","port":22,"path":"/hr/people.xlsx","username":"blink","password":"env:GLOBEX_SFTP_PASSWORD"}"#,
    every_hours: 12,
    offset_hours: 3,
    directory: 300,
    prefix: "GX",
}];

const INITECH_CONFIGS: [Config; 1] = [Config {
    name: "Initech Google Workspace",
    kind: SourceKind::GoogleWorkspace,
    settings: r#"{"customer":"my_customer","admin_email":"admin@initech.example","service_account_key":"env:INITECH_GOOGLE_KEY"}"#,
    every_hours: 24,
    offset_hours: 4,
    directory: 120,
    prefix: "IN",
}];

/// Loads the demo data into an empty database. Returns false (and changes nothing)
/// when the database already has organisations.
pub async fn seed(
    db: &DatabaseConnection,
    size: &DemoSize,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    if organisation::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let mut rng = StdRng::seed_from_u64(20240115);
    let txn = db.begin().await?;
    let now_ms = now.timestamp_millis();

    let acme = insert_org(&txn, "Acme", true, now_ms).await?;
    let globex = insert_org(&txn, "Globex", true, now_ms).await?;
    let initech = insert_org(&txn, "Initech", false, now_ms).await?;

    for a in &ACME_ACCOUNTS {
        insert_account(
            &txn, acme, a.email, a.first, a.last, a.role, a.enrolled, now_ms,
        )
        .await?;
    }
    insert_account(
        &txn,
        globex,
        "org.admin@globex.example",
        "Gus",
        "Hale",
        Role::OrganisationAdmin,
        true,
        now_ms,
    )
    .await?;
    insert_account(
        &txn,
        initech,
        "org.admin@initech.example",
        "Ivy",
        "Lumbergh",
        Role::OrganisationAdmin,
        true,
        now_ms,
    )
    .await?;

    for (org, configs, domain, days) in [
        (acme, &ACME_CONFIGS[..], "acme.example", size.days),
        (
            globex,
            &GLOBEX_CONFIGS[..],
            "globex.example",
            size.days * 2 / 3,
        ),
        (
            initech,
            &INITECH_CONFIGS[..],
            "initech.example",
            size.days / 3,
        ),
    ] {
        for (index, c) in configs.iter().enumerate() {
            let config_id = insert_config(&txn, org, c, now_ms).await?;
            let directory = ((c.directory as f64 * size.directory_scale).round() as usize).max(8);
            let people = insert_directory(
                &txn, org, config_id, c.prefix, domain, directory, &mut rng, now_ms,
            )
            .await?;
            // Acme's first two configurations end with runs that are still going.
            let tail = match (org == acme, index) {
                (true, 0) => Some(RunStatus::InProgress),
                (true, 1) => Some(RunStatus::Queued),
                _ => None,
            };
            insert_history(&txn, org, config_id, c, &people, days, tail, &mut rng, now).await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

async fn insert_org(
    db: &impl ConnectionTrait,
    name: &str,
    enabled: bool,
    now_ms: i64,
) -> Result<i64, DbErr> {
    let org = organisation::ActiveModel {
        name: Set(name.into()),
        provisioning_enabled: Set(enabled),
        created_at_ms: Set(now_ms),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(org.id)
}

#[allow(clippy::too_many_arguments)]
async fn insert_account(
    db: &impl ConnectionTrait,
    org: i64,
    email: &str,
    first: &str,
    last: &str,
    role: Role,
    enrolled: bool,
    now_ms: i64,
) -> Result<(), DbErr> {
    user::ActiveModel {
        organisation_id: Set(org),
        email: Set(email.into()),
        first_name: Set(first.into()),
        last_name: Set(last.into()),
        title: Set(Some(role.label().into())),
        active: Set(true),
        role: Set(role.slug().into()),
        sync_service_enrolled: Set(enrolled),
        password_hash: Set(Some(hash_password(DEMO_PASSWORD))),
        created_at_ms: Set(now_ms),
        updated_at_ms: Set(now_ms),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn insert_config(
    db: &impl ConnectionTrait,
    org: i64,
    c: &Config,
    now_ms: i64,
) -> Result<i64, DbErr> {
    let model = sync_configuration::ActiveModel {
        organisation_id: Set(org),
        name: Set(c.name.into()),
        source_kind: Set(c.kind.slug().into()),
        settings: Set(c.settings.into()),
        schedule: Set(format!("every {}h", c.every_hours)),
        threshold_count: Set(Some(50)),
        threshold_percent: Set(Some(10)),
        // Demo sources point at hosts this machine cannot reach: history only, never scheduled.
        enabled: Set(false),
        created_at_ms: Set(now_ms),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(model.id)
}

/// Demo entries with what a person's history finds them by (as the engine writes them).
pub(crate) fn indexed_for_people(
    entries: &mut [sync_log_entry::ActiveModel],
    organisation_id: i64,
    sort_at_ms: i64,
) {
    use crate::db::search_key::search_key;
    use sea_orm::ActiveValue;
    let key = |v: &ActiveValue<Option<String>>| match v {
        ActiveValue::Set(Some(t)) | ActiveValue::Unchanged(Some(t)) => {
            Some(search_key(t)).filter(|k| !k.is_empty())
        }
        _ => None,
    };
    for e in entries {
        e.organisation_id = Set(Some(organisation_id));
        e.run_sort_ms = Set(Some(sort_at_ms));
        e.email_key = Set(key(&e.email));
        e.external_key = Set(key(&e.external_id));
    }
}
