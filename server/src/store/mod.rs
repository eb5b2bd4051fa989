//! The app's ports implemented on SeaORM, for SQLite and PostgreSQL alike.

mod alerts;
mod auth;
mod listed_run;
mod people;
mod run_chart;
mod run_logs;
mod run_page;
mod run_scope;
mod run_total;
mod runs;

pub use runs::{list_statements, ListStatements};

use app::ports::{StoreError, Stores};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// The SeaORM-backed store.
#[derive(Clone)]
pub struct SeaStore {
    db: DatabaseConnection,
    /// Whether this server sends alert emails (it has an SMTP relay).
    email: bool,
}

impl SeaStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, email: false }
    }

    /// The store of a server that sends alert emails.
    pub fn with_email_alerts(mut self, email: bool) -> Self {
        self.email = email;
        self
    }

    pub fn into_stores(self) -> Stores {
        let shared = Arc::new(self);
        Stores {
            auth: shared.clone(),
            runs: shared.clone(),
            people: shared.clone(),
            alerts: shared.clone(),
            health: shared,
        }
    }
}

#[async_trait::async_trait]
impl app::ports::HealthStore for SeaStore {
    async fn ready(&self) -> Result<(), StoreError> {
        use sea_orm_migration::MigratorTrait;
        self.db.ping().await.map_err(db_err)?;
        let pending = crate::db::migrations::Migrator::get_pending_migrations(&self.db)
            .await
            .map_err(db_err)?;
        match pending.len() {
            0 => Ok(()),
            n => Err(StoreError::Failed(format!(
                "{n} database migrations not applied"
            ))),
        }
    }

    async fn metrics(&self) -> Result<String, StoreError> {
        crate::http::metrics::render(&self.db).await.map_err(db_err)
    }
}

/// A database failure as the app sees it: a pool that found no free connection in time
/// is the server being busy, which the page retries; anything else is a failure.
fn db_err(e: sea_orm::DbErr) -> StoreError {
    match e {
        sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) => StoreError::Busy,
        e => StoreError::Failed(e.to_string()),
    }
}

/// The one clock the server reads (the engine's), for the stores too.
pub(crate) use crate::sync::engine::now_ms;
