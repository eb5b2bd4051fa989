//! One page per file.

mod admin_home;
mod admin_layout;
mod help;
mod home_redirect;
mod live_view;
mod login;
mod not_found;
mod per_query;
mod run_details;
mod syncs;

pub use admin_home::AdminHome;
pub use admin_layout::{AdminLayout, LastList, ViewerResource};
pub use help::HelpPage;
pub use home_redirect::HomeRedirect;
pub use login::LoginPage;
pub use not_found::NotFound;
pub use run_details::RunDetailsPage;
pub use syncs::SyncsPage;
