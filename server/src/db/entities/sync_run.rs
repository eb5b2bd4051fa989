use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub configuration_id: i64,
    pub status: String,
    pub status_reason: Option<String>,
    pub queued_at_ms: i64,
    pub started_at_ms: Option<i64>,
    pub finished_at_ms: Option<i64>,
    /// Started time, else queued time: what the list sorts and pages by.
    pub sort_at_ms: i64,
    pub progress_done: i32,
    pub progress_total: i32,
    pub created: i32,
    pub updated: i32,
    pub deactivated: i32,
    pub reactivated: i32,
    pub unchanged: i32,
    pub skipped: i32,
    pub warnings: i32,
    pub errors: i32,
    pub planned_deactivations: i32,
    /// Bumped on every change so the live view can ask only for what changed.
    pub version: i64,
    pub heartbeat_at_ms: Option<i64>,
    pub worker_id: Option<String>,
    /// Set by an operator's cancel; the worker stops at its next checkpoint.
    pub cancel_requested: bool,
    /// "scheduled" or "manual".
    pub trigger: String,
    /// The schedule slot a scheduled run was queued for (unique per configuration).
    pub schedule_slot_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sync_configuration::Entity",
        from = "Column::ConfigurationId",
        to = "super::sync_configuration::Column::Id"
    )]
    Configuration,
}

impl Related<super::sync_configuration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Configuration.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
