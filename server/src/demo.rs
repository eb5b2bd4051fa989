//! Demo data: the organisations and accounts the README lists, a directory per
//! configuration, and months of sync runs in every status with their logs.
//! Deterministic (seeded), so every fresh start shows the same history shape.

use crate::db::entities::{organisation, sync_configuration, sync_log_entry, sync_run, user};
use crate::passwords::hash_password;
use app::domain::{Role, RunStatus, SourceKind};
use chrono::{DateTime, Duration, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, Set,
    TransactionTrait,
};

pub mod live;
pub mod tails;

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

const FIRST: [&str; 24] = [
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Gina", "Hugo", "Ines", "Jonas", "Kira",
    "Luis", "Maya", "Nils", "Oona", "Pedro", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wen", "Yusuf",
];
const LAST: [&str; 20] = [
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fox", "Garcia", "Hughes", "Ito", "Jensen", "Khan",
    "Lopez", "Moreau", "Nakamura", "Olsen", "Patel", "Rossi", "Silva", "Tanaka", "Weber",
];
const DEPARTMENTS: [&str; 8] = [
    "Engineering",
    "Sales",
    "Finance",
    "People",
    "Marketing",
    "Support",
    "Operations",
    "Legal",
];
const TITLES: [&str; 8] = [
    "Analyst",
    "Engineer",
    "Manager",
    "Specialist",
    "Coordinator",
    "Director",
    "Associate",
    "Lead",
];

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

/// A synthetic person of a directory: (external id, email).
type Person = (String, String);

#[allow(clippy::too_many_arguments)]
async fn insert_directory(
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

fn pick_status(rng: &mut StdRng) -> RunStatus {
    match rng.gen_range(0..100) {
        0..=73 => RunStatus::Success,
        74..=86 => RunStatus::NeedsAttention,
        87..=92 => RunStatus::DataLoadFailed,
        93..=96 => RunStatus::AboveDeactivationThreshold,
        _ => RunStatus::Cancelled,
    }
}

/// Typical run length by source, in seconds, for a directory of `n` people.
fn run_seconds(kind: SourceKind, n: usize, rng: &mut StdRng) -> i64 {
    let per_user = match kind {
        SourceKind::GoogleWorkspace => 0.35,
        SourceKind::Workday => 0.28,
        SourceKind::Sftp => 0.12,
    };
    (8.0 + n as f64 * per_user * rng.gen_range(0.7..1.5)) as i64
}

#[allow(clippy::too_many_arguments)]
async fn insert_history(
    db: &impl ConnectionTrait,
    org: i64,
    config_id: i64,
    c: &Config,
    people: &[Person],
    days: i64,
    tail: Option<RunStatus>,
    rng: &mut StdRng,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let start_day = (now - Duration::days(days))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let mut slot = start_day + Duration::hours(c.offset_hours);
    let mut slots = Vec::new();
    while slot < now - Duration::minutes(30) {
        slots.push(slot);
        slot += Duration::hours(c.every_hours);
    }
    let last = slots.len().saturating_sub(1);
    for (i, queued) in slots.into_iter().enumerate() {
        let status = match tail {
            Some(s) if i == last => s,
            _ => pick_status(rng),
        };
        let (queued, started, finished) = match status {
            RunStatus::Queued => (now - Duration::seconds(50), None, None),
            RunStatus::InProgress => {
                let started = now - Duration::seconds(rng.gen_range(90..200));
                (started - Duration::seconds(4), Some(started), None)
            }
            _ => {
                let started = queued + Duration::seconds(rng.gen_range(2..40));
                let mut secs = run_seconds(c.kind, people.len(), rng);
                if matches!(status, RunStatus::DataLoadFailed | RunStatus::Cancelled) {
                    secs = secs / 5 + 3;
                }
                (
                    queued,
                    Some(started),
                    Some(started + Duration::seconds(secs)),
                )
            }
        };
        let plan = Plan::for_status(status, people.len(), rng);
        let run = sync_run::ActiveModel {
            organisation_id: Set(org),
            configuration_id: Set(config_id),
            status: Set(status.slug().into()),
            status_reason: Set(plan.reason.clone()),
            queued_at_ms: Set(queued.timestamp_millis()),
            started_at_ms: Set(started.map(|t| t.timestamp_millis())),
            finished_at_ms: Set(finished.map(|t| t.timestamp_millis())),
            sort_at_ms: Set(started.unwrap_or(queued).timestamp_millis()),
            progress_done: Set(plan.progress_done),
            progress_total: Set(plan.progress_total),
            created: Set(plan.created),
            updated: Set(plan.updated),
            deactivated: Set(plan.deactivated),
            reactivated: Set(plan.reactivated),
            unchanged: Set(plan.unchanged),
            skipped: Set(plan.skipped),
            warnings: Set(plan.warnings),
            errors: Set(plan.errors),
            planned_deactivations: Set(plan.planned_deactivations),
            version: Set(1),
            heartbeat_at_ms: Set(started
                .filter(|_| status == RunStatus::InProgress)
                .map(|_| now.timestamp_millis())),
            worker_id: Set(
                (status == RunStatus::InProgress).then(|| tails::DEMO_WORKER.to_string())
            ),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let mut entries = plan.log_entries(run.id, c, people, rng);
        indexed_for_people(&mut entries, org, run.sort_at_ms);
        for chunk in entries.chunks(1000) {
            sync_log_entry::Entity::insert_many(chunk.to_vec())
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// The counts of one demo run, consistent with its status.
#[derive(Default)]
struct Plan {
    status: Option<RunStatus>,
    reason: Option<String>,
    progress_done: i32,
    progress_total: i32,
    created: i32,
    updated: i32,
    deactivated: i32,
    reactivated: i32,
    unchanged: i32,
    skipped: i32,
    warnings: i32,
    errors: i32,
    planned_deactivations: i32,
}

const LOAD_ERRORS: [&str; 4] = [
    "Could not connect to the source: the connection timed out after 30 seconds.",
    "The source rejected the credentials (401 Unauthorized). Check the integration account's password.",
    "The file /exports/contractors.csv was not found on the server.",
    "The file has no \"Email\" column; required columns are Employee ID and Email.",
];

/// Why a demo record was skipped, and the email its entry shows (the source's value, so
/// that an entry never contradicts its message): `None` keeps the person's own.
const WARNINGS: [(&str, Option<&str>); 4] = [
    ("Skipped: the record has no email address.", Some("")),
    (
        "Skipped: \"jo.bloggs@\" is not a valid email address.",
        Some("jo.bloggs@"),
    ),
    (
        "Skipped: the employee ID appears more than once in the source.",
        None,
    ),
    (
        "Skipped: the email address belongs to another user's record.",
        None,
    ),
];

impl Plan {
    fn for_status(status: RunStatus, n: usize, rng: &mut StdRng) -> Plan {
        let n = n as i32;
        let mut p = Plan {
            status: Some(status),
            ..Default::default()
        };
        match status {
            RunStatus::Queued => {}
            RunStatus::InProgress => {
                p.progress_total = n;
                p.progress_done = n * rng.gen_range(20..80) / 100;
            }
            RunStatus::Success | RunStatus::NeedsAttention => {
                p.progress_total = n;
                p.progress_done = n;
                p.created = rng.gen_range(0..=(n / 40).max(1));
                p.updated = rng.gen_range(0..=(n / 15).max(1));
                p.deactivated = rng.gen_range(0..=(n / 100).max(1));
                p.reactivated = rng.gen_range(0..=1);
                if status == RunStatus::NeedsAttention {
                    p.skipped = rng.gen_range(1..=(n / 50).clamp(1, 15));
                    p.warnings = p.skipped + rng.gen_range(0..3);
                }
                p.unchanged =
                    (n - p.created - p.updated - p.deactivated - p.reactivated - p.warnings).max(0);
            }
            RunStatus::DataLoadFailed => {
                p.errors = rng.gen_range(1..=2);
                p.reason = Some("User data could not be loaded from the source.".into());
            }
            RunStatus::AboveDeactivationThreshold => {
                p.progress_total = n;
                p.progress_done = n;
                p.planned_deactivations = (n / 5).max(51);
                p.reason = Some(format!(
                    "{} deactivations planned; the threshold is 50 users or 10%. Nothing was changed.",
                    p.planned_deactivations
                ));
            }
            RunStatus::Cancelled => {
                p.progress_total = n;
                p.progress_done = n * rng.gen_range(5..60) / 100;
                p.reason = Some("Cancelled by an operator. Nothing was changed.".into());
            }
        }
        p
    }

    /// Result logs (one per record) for completed runs, error logs for failed loads.
    fn log_entries(
        &self,
        run_id: i64,
        c: &Config,
        people: &[Person],
        rng: &mut StdRng,
    ) -> Vec<sync_log_entry::ActiveModel> {
        let entry = |seq: i32,
                     kind: &str,
                     person: Option<&Person>,
                     action: &str,
                     outcome: &str,
                     message: String,
                     changed: Option<String>| {
            sync_log_entry::ActiveModel {
                run_id: Set(run_id),
                sequence: Set(seq),
                kind: Set(kind.into()),
                record_ref: Set(person.map(|_| format!("row {}", seq + 2))),
                external_id: Set(person.map(|p| p.0.clone())),
                email: Set(person.map(|p| p.1.clone())),
                action: Set(action.into()),
                outcome: Set(outcome.into()),
                message: Set(message),
                changed_fields: Set(changed),
                ..Default::default()
            }
        };
        match self.status {
            Some(RunStatus::DataLoadFailed) => (0..self.errors)
                .map(|i| {
                    let msg = LOAD_ERRORS[rng.gen_range(0..LOAD_ERRORS.len())];
                    entry(
                        i,
                        "error",
                        None,
                        "load",
                        "error",
                        format!("{}: {msg}", c.kind.display_name()),
                        None,
                    )
                })
                .collect(),
            Some(RunStatus::Success | RunStatus::NeedsAttention) => {
                let mut actions = Vec::with_capacity(people.len());
                actions.extend(std::iter::repeat_n("create", self.created as usize));
                actions.extend(std::iter::repeat_n("update", self.updated as usize));
                actions.extend(std::iter::repeat_n("deactivate", self.deactivated as usize));
                actions.extend(std::iter::repeat_n("reactivate", self.reactivated as usize));
                actions.extend(std::iter::repeat_n("skip", self.warnings as usize));
                actions.resize(people.len(), "unchanged");
                actions
                    .into_iter()
                    .zip(people)
                    .enumerate()
                    .map(|(i, (action, person))| {
                        let mut source_email = None;
                        let (outcome, message, changed) = match action {
                            "create" => (
                                "ok",
                                "User created.".to_string(),
                                Some("email, first_name, last_name, title, department".to_string()),
                            ),
                            "update" => (
                                "ok",
                                "User updated.".to_string(),
                                Some(
                                    ["title", "department", "manager_id"][rng.gen_range(0..3)]
                                        .to_string(),
                                ),
                            ),
                            "deactivate" => (
                                "ok",
                                "User deactivated: no longer in the source.".to_string(),
                                Some("active".to_string()),
                            ),
                            "reactivate" => (
                                "ok",
                                "User reactivated: back in the source.".to_string(),
                                Some("active".to_string()),
                            ),
                            "skip" => {
                                let (message, email) = WARNINGS[rng.gen_range(0..WARNINGS.len())];
                                source_email = email;
                                ("warning", message.to_string(), None)
                            }
                            _ => ("ok", "No changes.".to_string(), None),
                        };
                        let mut e = entry(
                            i as i32,
                            "result",
                            Some(person),
                            action,
                            outcome,
                            message,
                            changed.clone(),
                        );
                        if let Some(email) = source_email {
                            e.email = Set((!email.is_empty()).then(|| email.to_string()));
                        }
                        // An update keeps its values, old → new, as the engine's do.
                        if action == "update" {
                            let values: &[&str] = match changed.as_deref() {
                                Some("department") => &DEPARTMENTS,
                                Some("title") => &TITLES,
                                _ => &["P-10002", "P-10007", "P-10011"],
                            };
                            // From the entry's place, not the generator: the demo's other
                            // draws stay as they were.
                            let old = i % values.len();
                            let new =
                                (old + 1 + i / values.len() % (values.len() - 1)) % values.len();
                            e.field_changes =
                                Set(serde_json::to_string(&[app::domain::FieldChange {
                                    field: changed.clone().unwrap_or_default(),
                                    old: Some(values[old].to_string()),
                                    new: Some(values[new].to_string()),
                                }])
                                .ok());
                        }
                        e
                    })
                    .collect()
            }
            // A blocked run keeps the deactivations it would have made, for the people
            // they concern (see a person's history).
            Some(RunStatus::AboveDeactivationThreshold) => people
                .iter()
                .take(self.planned_deactivations.max(0) as usize)
                .enumerate()
                .map(|(i, person)| {
                    entry(
                        i as i32,
                        "planned",
                        Some(person),
                        "deactivate",
                        "ok",
                        "User deactivated: no longer in the source.".to_string(),
                        Some("active".to_string()),
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Demo entries with what a person's history finds them by (as the engine writes them).
pub(crate) fn indexed_for_people(
    entries: &mut [sync_log_entry::ActiveModel],
    organisation_id: i64,
    sort_at_ms: i64,
) {
    use crate::db::person_index::search_key;
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
