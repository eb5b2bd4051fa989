#![recursion_limit = "256"]
//! User Provisioning: the Leptos app, rendered on the server (`ssr`) and hydrated in
//! the browser (`hydrate`).

pub mod api;
pub mod browser;
pub mod components;
pub mod domain;
pub mod error;
pub mod export;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ports;

mod routes;
pub use routes::{shell, App};
