#![recursion_limit = "256"]
//! The browser entry point: hydrates the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

/// Benchmark entry (only with the `bench` feature): times the log-file writers in wasm
/// on `rows` sample entries; `server/benches/log_export.rs` runs it beside native code.
#[cfg(feature = "bench")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bench_log_writers(rows: u32, rounds: u32) -> String {
    let entries = app::export::sample_entries(rows as usize);
    let (csv, xlsx) = app::export::time_writers(&entries, rounds, js_sys::Date::now);
    format!("{csv} {xlsx}")
}
