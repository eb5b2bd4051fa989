//! The app's ports implemented on SeaORM, for SQLite and PostgreSQL alike.

mod auth;
mod run_logs;
mod runs;

use app::ports::{StoreError, Stores};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// The SeaORM-backed store.
#[derive(Clone)]
pub struct SeaStore {
    db: DatabaseConnection,
}

impl SeaStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub fn into_stores(self) -> Stores {
        let shared = Arc::new(self);
        Stores {
            auth: shared.clone(),
            runs: shared,
        }
    }
}

fn db_err(e: sea_orm::DbErr) -> StoreError {
    StoreError(e.to_string())
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
