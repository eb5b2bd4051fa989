use sea_orm::entity::prelude::*;

/// Runs per organisation, UTC day and configuration, a column per status; kept by
/// triggers (migration 2).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_run_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub configuration_id: i64,
    pub queued: i64,
    pub in_progress: i64,
    pub success: i64,
    pub needs_attention: i64,
    pub data_load_failed: i64,
    pub above_deactivation_threshold: i64,
    pub cancelled: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
