//! The first tables' and columns' names, as the migration writes them.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub(super) enum Organisations {
    Table,
    Id,
    Name,
    ProvisioningEnabled,
    CreatedAtMs,
}

#[derive(DeriveIden)]
pub(super) enum Users {
    Table,
    Id,
    OrganisationId,
    ExternalId,
    Email,
    FirstName,
    LastName,
    Title,
    Department,
    ManagerExternalId,
    Active,
    Role,
    SyncServiceEnrolled,
    PasswordHash,
    ManagedByConfigurationId,
    CreatedAtMs,
    UpdatedAtMs,
}

#[derive(DeriveIden)]
pub(super) enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    CreatedAtMs,
    ExpiresAtMs,
}

#[derive(DeriveIden)]
pub(super) enum SyncConfigurations {
    Table,
    Id,
    OrganisationId,
    Name,
    SourceKind,
    Settings,
    Schedule,
    ThresholdCount,
    ThresholdPercent,
    Enabled,
    CreatedAtMs,
}

#[derive(DeriveIden)]
pub(super) enum SyncRuns {
    Table,
    Id,
    OrganisationId,
    ConfigurationId,
    Status,
    StatusReason,
    QueuedAtMs,
    StartedAtMs,
    FinishedAtMs,
    SortAtMs,
    ProgressDone,
    ProgressTotal,
    Created,
    Updated,
    Deactivated,
    Reactivated,
    Unchanged,
    Skipped,
    Warnings,
    Errors,
    PlannedDeactivations,
    Version,
    HeartbeatAtMs,
    WorkerId,
}

#[derive(DeriveIden)]
pub(super) enum SyncLogEntries {
    Table,
    Id,
    RunId,
    Sequence,
    Kind,
    RecordRef,
    ExternalId,
    Email,
    Action,
    Outcome,
    Message,
    ChangedFields,
}

#[derive(DeriveIden)]
pub(super) enum LogDownloads {
    Table,
    Id,
    RunId,
    UserId,
    Format,
    DownloadedAtMs,
}
