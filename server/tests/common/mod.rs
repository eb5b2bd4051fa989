//! Test databases: a fresh SQLite file, and a fresh PostgreSQL database when the server
//! at 127.0.0.1:5432 answers. Without PostgreSQL the PostgreSQL half of a test says
//! SKIPPED on stderr; under CI (or UP_REQUIRE_POSTGRES=1) a missing server fails the test.
#![allow(dead_code)]

pub mod api_peers;
pub mod hooks;
pub mod http;
pub mod process;
pub mod smtp;
pub mod sync;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use server::db;
use std::sync::atomic::{AtomicU32, Ordering};

pub const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct TestDb {
    pub conn: DatabaseConnection,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        Self::sqlite_with(db::Pool::default()).await
    }

    /// A fresh SQLite file opened with this pool.
    pub async fn sqlite_with(pool: db::Pool) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
        let conn = db::connect_with(&url, pool)
            .await
            .expect("sqlite connects and migrates");
        TestDb {
            conn,
            url,
            _dir: Some(dir),
            pg_name: None,
        }
    }

    /// A new, empty, migrated PostgreSQL database, or `None` (with a SKIPPED line) when
    /// no server answers and this is not CI.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let admin_url =
            std::env::var("UP_TEST_POSTGRES_URL").unwrap_or_else(|_| POSTGRES_ADMIN_URL.into());
        let admin = match tokio::time::timeout(
            std::time::Duration::from_secs(5),
            Database::connect(&admin_url),
        )
        .await
        {
            Ok(Ok(c)) => c,
            outcome => {
                let why = match outcome {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".into(),
                };
                if std::env::var_os("CI").is_some()
                    || std::env::var_os("UP_REQUIRE_POSTGRES").is_some()
                {
                    panic!("PostgreSQL is required here but {admin_url} is not reachable: {why}");
                }
                eprintln!("SKIPPED {test} on PostgreSQL: {admin_url} is not reachable ({why})");
                return None;
            }
        };
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "up_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            rand_suffix()
        );
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(&admin_url);
        let url = format!("{base}/{name}");
        let conn = db::connect(&url)
            .await
            .expect("postgres connects and migrates");
        Some(TestDb {
            conn,
            url,
            _dir: None,
            pg_name: Some(name),
        })
    }

    /// Drops a PostgreSQL test database (SQLite files go with their temp dir).
    pub async fn cleanup(self) {
        if let Some(name) = self.pg_name {
            let _ = self.conn.close().await;
            let admin_url =
                std::env::var("UP_TEST_POSTGRES_URL").unwrap_or_else(|_| POSTGRES_ADMIN_URL.into());
            if let Ok(admin) = Database::connect(&admin_url).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    }
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// Runs an async check against SQLite and, when available, PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $check:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = $crate::common::TestDb::sqlite().await;
                super::$check(&db.conn).await;
                db.cleanup().await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::common::TestDb::postgres(concat!(stringify!($name))).await
                {
                    super::$check(&db.conn).await;
                    db.cleanup().await;
                }
            }
        }
    };
}
