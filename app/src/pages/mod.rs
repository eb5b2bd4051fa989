//! One page per file.

mod admin_home;
mod admin_layout;
mod bad_link;
mod help;
mod home_redirect;
mod live_view;
mod login;
mod not_found;
mod people;
mod per_query;
mod run_details;
mod run_log;
mod sync_list;
mod syncs;

pub use admin_home::AdminHome;
pub use admin_layout::{AdminLayout, LastList, ViewerResource};
pub use help::HelpPage;
pub use home_redirect::HomeRedirect;
pub use login::{LoginPage, RETRY_EMAIL_COOKIE};
pub use not_found::{AdminNotFound, NotFound};
pub use people::PeoplePage;
pub use run_details::RunDetailsPage;
pub use syncs::{syncs_url, SyncsPage, SYNCS_PATH};

/// On the server, the page's HTTP status (404 for an unknown run, 403 without access).
pub(crate) fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(res), Ok(code)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(_code),
    ) {
        res.set_status(code);
    }
}
