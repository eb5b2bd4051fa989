use sea_orm::entity::prelude::*;

/// Who looked up whose history, and when: kept for audit like `log_downloads`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_searches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub user_id: i64,
    pub query: String,
    /// `csv` or `xlsx` for a download of the history, empty for a search.
    pub format: String,
    pub searched_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
