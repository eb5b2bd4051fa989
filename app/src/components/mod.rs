//! One component per file.

mod filter_bar;
mod no_access;
mod runs_table;
mod status_badge;

pub use filter_bar::{FilterBar, FilterPills};
pub use no_access::NoAccess;
pub use runs_table::RunsTable;
pub use status_badge::StatusBadge;
