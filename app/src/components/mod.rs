//! One component per file.

mod alert_switch;
mod download_menu;
mod error_alert;
mod filter_bar;
mod find_person;
mod more_rows;
mod no_access;
mod run_alert;
mod run_progress;
mod runs_chart;
mod runs_table;
mod status_badge;
mod table_skeleton;

pub use alert_switch::AlertSwitch;
pub use download_menu::{DownloadMenu, Downloadable};
pub use error_alert::{ErrorAlert, LoadFailed};
pub use filter_bar::{FilterBar, FilterPills};
pub use find_person::{people_path, FindPerson, PEOPLE_PATH};
pub use more_rows::{after_of, query_after, MoreForm, MoreRows, ShowMore};
pub use no_access::NoAccess;
pub use run_alert::RunAlertPanel;
pub use run_progress::RunProgress;
pub use runs_chart::RunsChart;
pub use runs_table::RunsTable;
pub use status_badge::StatusBadge;
pub use table_skeleton::TableSkeleton;
