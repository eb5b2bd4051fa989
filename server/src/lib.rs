//! The User Provisioning server: configuration, database, stores, demo data and the router.

pub mod alerts;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod http;
pub mod operator;
pub mod store;
pub mod sync;
pub mod telemetry;
