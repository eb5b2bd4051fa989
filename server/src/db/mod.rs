//! The database: connecting, migrating, and the entities.

pub mod counters;
pub mod entities;
pub mod migrations;
pub mod run_buckets;
pub mod search_key;

use sea_orm::{sqlx, ConnectOptions, Database, DatabaseConnection, DbErr, TransactionTrait};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

/// The connection pool's size and how long a request waits for a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    /// Connections at most (`UP_DB_CONNECTIONS`; default 8 on SQLite, 20 on PostgreSQL).
    pub connections: Option<u32>,
    /// How long a request waits in line for a free connection before it is answered
    /// "busy, try again" (`UP_DB_WAIT_MS`, default 20 s). Requests beyond what the pool
    /// serves at once queue rather than fail: a crowd of viewers slows pages down, and
    /// only a wait this long turns into the clear retry.
    pub wait: Duration,
}

impl Default for Pool {
    fn default() -> Self {
        Pool {
            connections: None,
            wait: Duration::from_secs(20),
        }
    }
}

/// How much of a SQLite file is read through memory mapping (SQLite's own cap is 2 GB).
const MMAP_BYTES: u64 = 1 << 30;

/// Opens the database at `url` with the default pool and brings its schema up to date.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, Pool::default()).await
}

/// Opens the database at `url` and brings its schema up to date.
///
/// For SQLite the file's folder is created, and WAL with a busy timeout lets the page
/// read while a sync writes.
pub async fn connect_with(url: &str, pool: Pool) -> Result<DatabaseConnection, DbErr> {
    let is_sqlite = url.starts_with("sqlite:");
    if is_sqlite {
        if let Some(dir) =
            sqlite_path(url).and_then(|p| std::path::Path::new(&p).parent().map(|d| d.to_owned()))
        {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(&dir)
                    .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
            }
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(pool.connections.unwrap_or(if is_sqlite { 8 } else { 20 }))
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(pool.wait)
        .sqlx_logging(false);
    if is_sqlite {
        // Per-connection settings, so every pooled connection gets them.
        options.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                .create_if_missing(true)
                // Pages read through memory the connections share, not copied into each
                // connection's own 2 MB cache by a system call per page: a large history's
                // lookups and sums read many pages once.
                .pragma("mmap_size", MMAP_BYTES.to_string())
        });
    }
    if !is_sqlite {
        // No JIT: it compiles a statement whose estimate looks large (a chart's spans,
        // each a lookup of a few rows) for 15-25 ms, where running it takes 2-4 ms.
        // Prepared statements keep PostgreSQL's default plan caching: each statement reads
        // an index chosen by its shape (a lane, a span, an id), whatever its values, so a
        // generic plan is as good as one made for the values, and planning a page's
        // statements anew each time cost about 1 ms each, five times running one.
        options.map_sqlx_postgres_opts(|o| o.options([("jit", "off")]));
    }
    let db = Database::connect(options).await?;
    if is_sqlite {
        // SQLite's DDL is transactional but the migrator does not use a transaction there:
        // a process killed half way through a migration would leave tables that the next
        // start trips over. One transaction makes the pending migrations all or nothing.
        let txn = db.begin().await?;
        migrations::Migrator::up(&txn, None).await?;
        txn.commit().await?;
    } else {
        migrations::Migrator::up(&db, None).await?;
    }
    Ok(db)
}

/// The file path of a `sqlite:` URL, without its query.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_paths() {
        assert_eq!(
            super::sqlite_path("sqlite://data/up.db?mode=rwc").as_deref(),
            Some("data/up.db")
        );
        assert_eq!(
            super::sqlite_path("sqlite:/tmp/x.db").as_deref(),
            Some("/tmp/x.db")
        );
        assert_eq!(super::sqlite_path("sqlite::memory:"), None);
    }
}
