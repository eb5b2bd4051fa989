//! Helpers for sync tests: an organisation with a drop-folder configuration, files to feed
//! it, and a way to run one queued run to its end.
#![allow(dead_code)]

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use server::db::entities::{organisation, sync_configuration, sync_log_entry, sync_run, user};
use server::sync::engine::{self, now_ms, EngineOptions};
use server::sync::queue;
use std::path::{Path, PathBuf};

pub struct Setup {
    pub org: i64,
    pub config: i64,
    pub file: PathBuf,
    pub _dir: tempfile::TempDir,
}

pub const HEADER: &str =
    "Employee ID,Email,First Name,Last Name,Job Title,Department,Manager ID,Status";

/// An organisation with one enabled, manual drop-folder configuration reading `file_name`.
pub async fn setup(db: &DatabaseConnection, org_name: &str, file_name: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(file_name);
    let org = organisation::ActiveModel {
        name: Set(org_name.into()),
        provisioning_enabled: Set(true),
        created_at_ms: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let config = add_config(db, org.id, "HR export", &file, Some(10), None).await;
    Setup {
        org: org.id,
        config,
        file,
        _dir: dir,
    }
}

pub async fn add_config(
    db: &DatabaseConnection,
    org: i64,
    name: &str,
    file: &Path,
    threshold_count: Option<i32>,
    threshold_percent: Option<i32>,
) -> i64 {
    let settings = serde_json::json!({"transport": "folder", "path": file.to_string_lossy()});
    sync_configuration::ActiveModel {
        organisation_id: Set(org),
        name: Set(name.into()),
        source_kind: Set("sftp".into()),
        settings: Set(settings.to_string()),
        schedule: Set("manual".into()),
        threshold_count: Set(threshold_count),
        threshold_percent: Set(threshold_percent),
        enabled: Set(true),
        created_at_ms: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

/// `E{n},person{n}@example.com,First{n},Last{n},Engineer,R&D,,Active` for each n.
pub fn people_csv(ids: impl IntoIterator<Item = u32>) -> String {
    let mut s = format!("{HEADER}\n");
    for n in ids {
        s.push_str(&format!(
            "E{n},person{n}@example.com,First{n},Last{n},Engineer,R&D,,Active\n"
        ));
    }
    s
}

/// Queues a run of `config`, claims it and runs it to the end.
pub async fn sync_now(db: &DatabaseConnection, config: i64) -> sync_run::Model {
    let id = queue::queue_now(db, config, now_ms()).await.unwrap();
    let run = queue::claim(db, "test-worker", now_ms())
        .await
        .unwrap()
        .expect("the queued run is claimed");
    assert_eq!(run.id, id);
    engine::execute(db, &run, &EngineOptions::new("test-worker"))
        .await
        .unwrap();
    run_row(db, id).await
}

pub async fn run_row(db: &DatabaseConnection, id: i64) -> sync_run::Model {
    sync_run::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

pub async fn logs(db: &DatabaseConnection, run: i64) -> Vec<sync_log_entry::Model> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    sync_log_entry::Entity::find()
        .filter(sync_log_entry::Column::RunId.eq(run))
        .order_by_asc(sync_log_entry::Column::Sequence)
        .all(db)
        .await
        .unwrap()
}

pub async fn users(db: &DatabaseConnection, org: i64) -> Vec<user::Model> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    user::Entity::find()
        .filter(user::Column::OrganisationId.eq(org))
        .order_by_asc(user::Column::Email)
        .all(db)
        .await
        .unwrap()
}
