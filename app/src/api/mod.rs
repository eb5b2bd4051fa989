//! Server functions: thin verbs that take the store from context, call it and map errors.

pub mod auth;
pub mod runs;
#[cfg(feature = "ssr")]
pub mod session;

pub use auth::{get_viewer, sign_in, sign_out, SignIn, SignOut};
pub use runs::{list_configurations, list_sync_runs};
