//! One component per file.

mod no_access;
mod runs_table;
mod status_badge;

pub use no_access::NoAccess;
pub use runs_table::RunsTable;
pub use status_badge::StatusBadge;
