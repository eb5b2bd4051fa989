//! The live part of the demo: an enabled configuration that reads a CSV from a local drop
//! folder every few minutes, and a task that keeps editing that file the way HR exports
//! change (hires, leavers, promotions, now and then a bad row or a broken export), so the
//! Syncs page shows real runs going Queued → In Progress → done on their own.

use crate::db::entities::{organisation, sync_configuration};
use anyhow::Context;
use rand::{rngs::StdRng, Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const CONFIG_NAME: &str = "HR export drop folder";
const PEOPLE: usize = 2_000;
const SCHEDULE: &str = "every 3m";

/// The live demo's settings (part of `serve --demo`).
#[derive(Debug, Clone, clap::Args)]
pub struct LiveDemo {
    /// Where the demo's HR export lands.
    #[arg(
        long = "demo-drop-dir",
        env = "UP_DEMO_DROP_DIR",
        value_name = "DIR",
        default_value = "data/demo-drop"
    )]
    pub drop_dir: PathBuf,
    /// How often the export changes, in seconds; 0 keeps the first one (for tests that
    /// need a known file).
    #[arg(
        long = "demo-evolve-secs",
        env = "UP_DEMO_EVOLVE_SECS",
        value_name = "SECS",
        default_value_t = 60
    )]
    pub evolve_secs: u64,
}

/// Makes sure the demo configuration and its file exist, then keeps the file changing.
pub async fn start(db: &DatabaseConnection, settings: &LiveDemo) -> anyhow::Result<()> {
    let dir = &settings.drop_dir;
    std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    let dir = dir
        .canonicalize()
        .with_context(|| dir.display().to_string())?;
    let file = dir.join("people.csv");
    let mut export = Export::new(0xD0D0);
    if !file.exists() {
        export.write(&file, Scenario::Normal)?;
    }
    ensure_configuration(db, &file)
        .await
        .context("demo configuration")?;
    let every = settings.evolve_secs;
    if every == 0 {
        return Ok(());
    }
    // The seeded runs still going play out too, as a worker would run them.
    tokio::spawn(super::tails::play(db.clone()));
    tokio::spawn(async move {
        let mut rng = StdRng::from_entropy();
        loop {
            tokio::time::sleep(Duration::from_secs(every)).await;
            export.evolve(&mut rng);
            let scenario = match rng.gen_range(0..100) {
                0..=64 => Scenario::Normal,
                65..=86 => Scenario::BadRows,
                87..=95 => Scenario::Broken,
                _ => Scenario::MassLeave,
            };
            if let Err(e) = export.write(&file, scenario) {
                tracing::warn!(error = format!("{e:#}"), "demo export not written");
            }
        }
    });
    Ok(())
}

async fn ensure_configuration(db: &DatabaseConnection, file: &Path) -> Result<(), DbErr> {
    let Some(acme) = organisation::Entity::find()
        .filter(organisation::Column::Name.eq("Acme"))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let exists = sync_configuration::Entity::find()
        .filter(sync_configuration::Column::OrganisationId.eq(acme.id))
        .filter(sync_configuration::Column::Name.eq(CONFIG_NAME))
        .one(db)
        .await?;
    if exists.is_some() {
        return Ok(());
    }
    let settings = serde_json::json!({"transport": "folder", "path": file.to_string_lossy()});
    sync_configuration::ActiveModel {
        organisation_id: Set(acme.id),
        name: Set(CONFIG_NAME.into()),
        source_kind: Set(app::domain::SourceKind::Sftp.slug().into()),
        settings: Set(settings.to_string()),
        schedule: Set(SCHEDULE.into()),
        threshold_count: Set(Some(100)),
        threshold_percent: Set(Some(5)),
        enabled: Set(true),
        created_at_ms: Set(chrono::Utc::now().timestamp_millis()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

#[derive(Clone, Copy)]
enum Scenario {
    Normal,
    /// A couple of rows an admin has to fix: Needs Attention.
    BadRows,
    /// A truncated export without its header: Data Load Failed.
    Broken,
    /// Half the company missing from the export: blocked by the threshold.
    MassLeave,
}

struct Employee {
    id: u32,
    first: &'static str,
    last: &'static str,
    title: &'static str,
    department: &'static str,
    manager: Option<u32>,
    active: bool,
}

struct Export {
    people: Vec<Employee>,
    next_id: u32,
}

const FIRST: [&str; 16] = [
    "Ava", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kira", "Liam",
    "Maya", "Noor", "Oscar", "Priya",
];
const LAST: [&str; 16] = [
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jones",
    "Khan", "Lopez", "Moreau", "Novak", "Okafor", "Patel",
];
const TITLES: [&str; 6] = [
    "Engineer",
    "Senior Engineer",
    "Analyst",
    "Designer",
    "Account Manager",
    "Team Lead",
];
const DEPARTMENTS: [&str; 5] = ["Engineering", "Finance", "Sales", "Design", "Operations"];

impl Export {
    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut e = Export {
            people: Vec::new(),
            next_id: 10_000,
        };
        for _ in 0..PEOPLE {
            e.hire(&mut rng);
        }
        e
    }

    fn hire(&mut self, rng: &mut StdRng) {
        let id = self.next_id;
        self.next_id += 1;
        let manager = (!self.people.is_empty())
            .then(|| self.people[rng.gen_range(0..self.people.len().min(40))].id);
        self.people.push(Employee {
            id,
            first: FIRST[rng.gen_range(0..FIRST.len())],
            last: LAST[rng.gen_range(0..LAST.len())],
            title: TITLES[rng.gen_range(0..TITLES.len())],
            department: DEPARTMENTS[rng.gen_range(0..DEPARTMENTS.len())],
            manager,
            active: true,
        });
    }

    /// A minute of HR: a hire or two, a promotion, sometimes a leaver.
    fn evolve(&mut self, rng: &mut StdRng) {
        for _ in 0..rng.gen_range(0..3) {
            self.hire(rng);
        }
        for _ in 0..rng.gen_range(0..4) {
            let i = rng.gen_range(40..self.people.len());
            self.people[i].title = TITLES[rng.gen_range(0..TITLES.len())];
        }
        if rng.gen_bool(0.4) {
            let i = rng.gen_range(40..self.people.len());
            self.people[i].active = !self.people[i].active;
        }
    }

    /// Writes the export atomically: a run never reads half a file.
    fn write(&self, path: &Path, scenario: Scenario) -> anyhow::Result<()> {
        let mut out = String::with_capacity(self.people.len() * 96);
        if !matches!(scenario, Scenario::Broken) {
            out.push_str(
                "Employee ID,Email,First Name,Last Name,Job Title,Department,Manager ID,Status\n",
            );
        }
        let shown = match scenario {
            Scenario::MassLeave => self.people.len() / 2,
            Scenario::Broken => 25,
            _ => self.people.len(),
        };
        for p in &self.people[..shown] {
            out.push_str(&format!(
                "E{},{}.{}.{}@acme.example,{},{},{},{},{},{}\n",
                p.id,
                p.first.to_lowercase(),
                p.last.to_lowercase(),
                p.id,
                p.first,
                p.last,
                p.title,
                p.department,
                p.manager.map(|m| format!("E{m}")).unwrap_or_default(),
                if p.active { "Active" } else { "Terminated" }
            ));
        }
        if matches!(scenario, Scenario::BadRows) {
            out.push_str("E99001,,Sam,Nomail,Engineer,Engineering,,Active\n");
            out.push_str("E99002,sam.typo@acme,Sam,Typo,Engineer,Engineering,E10000,Active\n");
        }
        let tmp = path.with_extension("csv.part");
        std::fs::write(&tmp, out).with_context(|| tmp.display().to_string())?;
        std::fs::rename(&tmp, path).with_context(|| path.display().to_string())
    }
}
