//! The web layer: the router and its middleware (`startup`), the security headers and
//! same-site checks (`security`), static files (`assets`), log files for API clients
//! (`log_files`) and `/metrics` with the counters it reads (`metrics`).

pub mod assets;
pub mod log_files;
pub mod metrics;
pub mod security;
pub mod startup;
