#![recursion_limit = "256"]
//! The browser's two wasm modules, from one crate built twice:
//! - with `hydrate`, the page's module, which hydrates the server-rendered page;
//! - with `log-writer`, the log-file writer that a Web Worker loads when a download starts
//!   (`log_writer.rs`), so the page neither carries the writers nor pauses while they run.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

#[cfg(feature = "log-writer")]
mod log_writer;
#[cfg(feature = "log-writer")]
pub use log_writer::LogFileWriter;

/// Benchmark entry (only with the `bench` feature): times the log-file writers in wasm
/// on `rows` sample entries; `server/benches/log_export.rs` runs it beside native code.
#[cfg(feature = "bench")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bench_log_writers(rows: u32, rounds: u32) -> String {
    let entries = app::export::sample_entries(rows as usize);
    let (csv, xlsx) = app::export::time_writers(&entries, rounds, log_writer::now_ms);
    format!("{csv} {xlsx}")
}
