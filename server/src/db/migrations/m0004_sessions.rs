//! Migration 4: sessions end after an hour without use as well as twelve hours after
//! sign-in, and wrong passwords are remembered a while so guessing can be throttled.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct SessionSchema;

impl MigrationName for SessionSchema {
    fn name(&self) -> &str {
        "m0004_sessions"
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    LastSeenAtMs,
    ExpiresAtMs,
}

#[derive(DeriveIden)]
enum SignInFailures {
    Table,
    Id,
    Email,
    AtMs,
}

#[async_trait::async_trait]
impl MigrationTrait for SessionSchema {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .add_column(
                    ColumnDef::new(Sessions::LastSeenAtMs)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await?;
        // Sessions open before this change count as last used when they began.
        m.get_connection()
            .execute_unprepared("UPDATE sessions SET last_seen_at_ms = created_at_ms")
            .await?;
        // Expired sessions are swept by their end time.
        m.create_index(
            Index::create()
                .name("ix_sessions_expires")
                .table(Sessions::Table)
                .col(Sessions::ExpiresAtMs)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SignInFailures::Table)
                .col(
                    ColumnDef::new(SignInFailures::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(SignInFailures::Email).string().not_null())
                .col(
                    ColumnDef::new(SignInFailures::AtMs)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sign_in_failures_email_at")
                .table(SignInFailures::Table)
                .col(SignInFailures::Email)
                .col(SignInFailures::AtMs)
                .to_owned(),
        )
        .await
    }
}
