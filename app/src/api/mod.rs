//! Server functions: thin verbs that take the store from context, call it and map errors.

pub mod alerts;
pub mod auth;
pub mod logs;
pub mod people;
pub mod runs;
#[cfg(feature = "ssr")]
pub mod session;

pub use alerts::{get_alert_setting, get_run_alert, set_alert_setting, SetAlertSetting};
pub use auth::{get_viewer, sign_in, sign_out, SignIn, SignOut};
pub use logs::{get_run, get_run_logs, start_log_download, StartLogDownload};
pub use people::{find_person, person_pulse, start_person_download, PersonDownload, PersonNow};
#[cfg(feature = "ssr")]
pub use runs::chart_request;
pub use runs::{list_configurations, list_sync_runs, poll_sync_runs, sync_runs_chart, MAX_CHANGES};
#[cfg(feature = "ssr")]
pub use session::HeadOnly;
