//! The User Sync Service: loads users from a source, validates and maps them, plans the
//! directory's changes, guards against mass deactivation and applies the plan in one
//! transaction, recording each run with its counts and logs.

pub mod directory;
pub mod engine;
pub mod mapping;
pub mod person;
pub mod plan;
pub mod policy;
pub mod queue;
pub mod schedule;
pub mod secret;
pub mod settings;
pub mod source;
pub mod status_sql;
pub mod validate;
pub mod worker;
