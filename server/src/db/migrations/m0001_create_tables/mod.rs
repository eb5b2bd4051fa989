//! Migration 1: the tables. Times are UTC epoch milliseconds (`BIGINT`) so that SQLite and
//! PostgreSQL store, index and compare them the same way.

use super::columns::{big, big_null, fk, flag, id, int0, text, text_null};
use sea_orm_migration::prelude::*;

mod names;
use names::*;

pub struct CreateTables;

impl MigrationName for CreateTables {
    fn name(&self) -> &str {
        "m0001_create_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_organisations(m).await?;
        create_sync_configurations(m).await?;
        create_users(m).await?;
        create_sessions(m).await?;
        create_sync_runs(m).await?;
        create_sync_log_entries(m).await?;
        create_log_downloads(m).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            LogDownloads::Table.into_iden(),
            SyncLogEntries::Table.into_iden(),
            SyncRuns::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
            SyncConfigurations::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

/// The `organisations` table and its indexes.
async fn create_organisations(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Organisations::Table)
            .col(id(Organisations::Id))
            .col(text(Organisations::Name).unique_key().to_owned())
            .col(flag(Organisations::ProvisioningEnabled))
            .col(big(Organisations::CreatedAtMs))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The `sync_configurations` table and its indexes.
async fn create_sync_configurations(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(SyncConfigurations::Table)
            .col(id(SyncConfigurations::Id))
            .col(big(SyncConfigurations::OrganisationId))
            .col(text(SyncConfigurations::Name))
            .col(text(SyncConfigurations::SourceKind))
            .col(
                ColumnDef::new(SyncConfigurations::Settings)
                    .text()
                    .not_null(),
            )
            .col(text(SyncConfigurations::Schedule))
            .col(
                ColumnDef::new(SyncConfigurations::ThresholdCount)
                    .integer()
                    .null(),
            )
            .col(
                ColumnDef::new(SyncConfigurations::ThresholdPercent)
                    .integer()
                    .null(),
            )
            .col(flag(SyncConfigurations::Enabled))
            .col(big(SyncConfigurations::CreatedAtMs))
            .foreign_key(&mut fk(
                (
                    SyncConfigurations::Table,
                    SyncConfigurations::OrganisationId,
                ),
                (Organisations::Table, Organisations::Id),
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ux_sync_configurations_org_name")
            .table(SyncConfigurations::Table)
            .col(SyncConfigurations::OrganisationId)
            .col(SyncConfigurations::Name)
            .unique()
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The `users` table and its indexes.
async fn create_users(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Users::Table)
            .col(id(Users::Id))
            .col(big(Users::OrganisationId))
            .col(text_null(Users::ExternalId))
            .col(text(Users::Email))
            .col(text(Users::FirstName))
            .col(text(Users::LastName))
            .col(text_null(Users::Title))
            .col(text_null(Users::Department))
            .col(text_null(Users::ManagerExternalId))
            .col(flag(Users::Active))
            .col(text(Users::Role))
            .col(flag(Users::SyncServiceEnrolled))
            .col(text_null(Users::PasswordHash))
            .col(big_null(Users::ManagedByConfigurationId))
            .col(big(Users::CreatedAtMs))
            .col(big(Users::UpdatedAtMs))
            .foreign_key(&mut fk(
                (Users::Table, Users::OrganisationId),
                (Organisations::Table, Organisations::Id),
            ))
            .foreign_key(
                ForeignKey::create()
                    .from(Users::Table, Users::ManagedByConfigurationId)
                    .to(SyncConfigurations::Table, SyncConfigurations::Id)
                    .on_delete(ForeignKeyAction::SetNull),
            )
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ux_users_org_email")
            .table(Users::Table)
            .col(Users::OrganisationId)
            .col(Users::Email)
            .unique()
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ix_users_email")
            .table(Users::Table)
            .col(Users::Email)
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ix_users_managed_external")
            .table(Users::Table)
            .col(Users::ManagedByConfigurationId)
            .col(Users::ExternalId)
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The `sessions` table and its indexes.
async fn create_sessions(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Sessions::Table)
            .col(id(Sessions::Id))
            .col(text(Sessions::TokenHash).unique_key().to_owned())
            .col(big(Sessions::UserId))
            .col(big(Sessions::CreatedAtMs))
            .col(big(Sessions::ExpiresAtMs))
            .foreign_key(&mut fk(
                (Sessions::Table, Sessions::UserId),
                (Users::Table, Users::Id),
            ))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The `sync_runs` table and its indexes.
async fn create_sync_runs(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(SyncRuns::Table)
            .col(id(SyncRuns::Id))
            .col(big(SyncRuns::OrganisationId))
            .col(big(SyncRuns::ConfigurationId))
            .col(text(SyncRuns::Status))
            .col(ColumnDef::new(SyncRuns::StatusReason).text().null())
            .col(big(SyncRuns::QueuedAtMs))
            .col(big_null(SyncRuns::StartedAtMs))
            .col(big_null(SyncRuns::FinishedAtMs))
            .col(big(SyncRuns::SortAtMs))
            .col(int0(SyncRuns::ProgressDone))
            .col(int0(SyncRuns::ProgressTotal))
            .col(int0(SyncRuns::Created))
            .col(int0(SyncRuns::Updated))
            .col(int0(SyncRuns::Deactivated))
            .col(int0(SyncRuns::Reactivated))
            .col(int0(SyncRuns::Unchanged))
            .col(int0(SyncRuns::Skipped))
            .col(int0(SyncRuns::Warnings))
            .col(int0(SyncRuns::Errors))
            .col(int0(SyncRuns::PlannedDeactivations))
            .col(
                ColumnDef::new(SyncRuns::Version)
                    .big_integer()
                    .not_null()
                    .default(1),
            )
            .col(big_null(SyncRuns::HeartbeatAtMs))
            .col(text_null(SyncRuns::WorkerId))
            .foreign_key(&mut fk(
                (SyncRuns::Table, SyncRuns::OrganisationId),
                (Organisations::Table, Organisations::Id),
            ))
            .foreign_key(&mut fk(
                (SyncRuns::Table, SyncRuns::ConfigurationId),
                (SyncConfigurations::Table, SyncConfigurations::Id),
            ))
            .to_owned(),
    )
    .await?;
    // The list reads by organisation in sort-time order and pages by (sort time, id).
    m.create_index(
        Index::create()
            .name("ix_sync_runs_org_sort")
            .table(SyncRuns::Table)
            .col(SyncRuns::OrganisationId)
            .col(SyncRuns::SortAtMs)
            .col(SyncRuns::Id)
            .to_owned(),
    )
    .await?;
    // A configuration's runs in a status, in time order: finds its active run, and lets
    // a filter on one configuration and status seek straight to a time window.
    m.create_index(
        Index::create()
            .name("ix_sync_runs_config_status_sort")
            .table(SyncRuns::Table)
            .col(SyncRuns::ConfigurationId)
            .col(SyncRuns::Status)
            .col(SyncRuns::SortAtMs)
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The `sync_log_entries` table and its indexes.
async fn create_sync_log_entries(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(SyncLogEntries::Table)
            .col(id(SyncLogEntries::Id))
            .col(big(SyncLogEntries::RunId))
            .col(
                ColumnDef::new(SyncLogEntries::Sequence)
                    .integer()
                    .not_null(),
            )
            .col(text(SyncLogEntries::Kind))
            .col(text_null(SyncLogEntries::RecordRef))
            .col(text_null(SyncLogEntries::ExternalId))
            .col(text_null(SyncLogEntries::Email))
            .col(text(SyncLogEntries::Action))
            .col(text(SyncLogEntries::Outcome))
            .col(ColumnDef::new(SyncLogEntries::Message).text().not_null())
            .col(ColumnDef::new(SyncLogEntries::ChangedFields).text().null())
            .foreign_key(&mut fk(
                (SyncLogEntries::Table, SyncLogEntries::RunId),
                (SyncRuns::Table, SyncRuns::Id),
            ))
            .to_owned(),
    )
    .await?;
    m.create_index(
        Index::create()
            .name("ux_sync_log_entries_run_seq")
            .table(SyncLogEntries::Table)
            .col(SyncLogEntries::RunId)
            .col(SyncLogEntries::Sequence)
            .unique()
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The `log_downloads` table and its indexes.
async fn create_log_downloads(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(LogDownloads::Table)
            .col(id(LogDownloads::Id))
            .col(big(LogDownloads::RunId))
            .col(big(LogDownloads::UserId))
            .col(text(LogDownloads::Format))
            .col(big(LogDownloads::DownloadedAtMs))
            .foreign_key(&mut fk(
                (LogDownloads::Table, LogDownloads::RunId),
                (SyncRuns::Table, SyncRuns::Id),
            ))
            .foreign_key(&mut fk(
                (LogDownloads::Table, LogDownloads::UserId),
                (Users::Table, Users::Id),
            ))
            .to_owned(),
    )
    .await?;
    Ok(())
}
