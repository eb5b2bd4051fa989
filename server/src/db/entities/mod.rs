//! SeaORM entities, one per table of the migration.

pub mod log_download;
pub mod organisation;
pub mod person_search;
pub mod session;
pub mod sign_in_failure;
pub mod sync_configuration;
pub mod sync_log_entry;
pub mod sync_run;
pub mod sync_run_day;
pub mod user;
