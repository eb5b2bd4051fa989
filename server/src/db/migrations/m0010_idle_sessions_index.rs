//! Migration 10: sessions by their last use. Signing in sweeps the sessions that ended,
//! by their end time (`ix_sessions_expires`) or by an hour unused: without this index the
//! second half of that condition read every session there is.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct IdleSessionsIndex;

impl MigrationName for IdleSessionsIndex {
    fn name(&self) -> &str {
        "m0010_idle_sessions_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for IdleSessionsIndex {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("CREATE INDEX ix_sessions_last_seen ON sessions (last_seen_at_ms)")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX ix_sessions_last_seen")
            .await?;
        Ok(())
    }
}
