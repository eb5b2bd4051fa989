use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_log_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub sequence: i32,
    /// `result` for sync result logs, `error` for error logs.
    pub kind: String,
    pub record_ref: Option<String>,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub action: String,
    pub outcome: String,
    pub message: String,
    pub changed_fields: Option<String>,
    /// The run's organisation and sort time, and the entry's search keys: what one
    /// person's history reads (see `db::migrations::m0012_person_index`).
    pub organisation_id: Option<i64>,
    pub run_sort_ms: Option<i64>,
    pub email_key: Option<String>,
    pub external_key: Option<String>,
    /// An update's values, old and new: a JSON array of `app::domain::FieldChange`.
    pub field_changes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
