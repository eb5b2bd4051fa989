use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_configurations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    pub source_kind: String,
    /// JSON settings of the source. Secrets appear only as references (`env:NAME`, `file:PATH`).
    pub settings: String,
    pub schedule: String,
    pub threshold_count: Option<i32>,
    pub threshold_percent: Option<i32>,
    pub enabled: bool,
    pub created_at_ms: i64,
    /// `keep` or `clear`: what a blank optional value does to a stored one.
    pub blank_values: String,
    pub allow_rekey: bool,
    /// Optional fields this configuration requires, as comma-separated field keys.
    pub required_fields: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::sync_run::Entity")]
    SyncRun,
}

impl Related<super::sync_run::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SyncRun.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
