//! The User Provisioning server: configuration, database, stores, demo data and the router.

pub mod alerts;
pub mod assets;
pub mod config;
pub mod db;
pub mod demo;
pub mod log_files;
pub mod metrics;
pub mod operator;
pub mod passwords;
pub mod security;
pub mod startup;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod throttle;
