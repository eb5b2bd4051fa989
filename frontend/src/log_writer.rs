//! The log-file writer as the Web Worker runs it (`log-writer/worker.js`): the page sends
//! what the file is for, then the run's log entries page by page as they arrive, then asks
//! for the file. Everything crosses as JSON in the shapes `app::export` defines, so the
//! page and the worker read one contract.

use app::domain::LogEntry;
use app::export::{to_file, LogFileJob, LogSheet};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct LogFileWriter {
    job: LogFileJob,
    entries: Vec<LogEntry>,
}

#[wasm_bindgen]
impl LogFileWriter {
    /// `job`: a `LogFileJob` as JSON (format, the run's start, its configuration).
    #[wasm_bindgen(constructor)]
    pub fn new(job: &str) -> Result<LogFileWriter, JsError> {
        let job: LogFileJob = serde_json::from_str(job)
            .map_err(|e| JsError::new(&format!("the download's details are unreadable: {e}")))?;
        Ok(LogFileWriter {
            job,
            entries: Vec::new(),
        })
    }

    /// Adds one page of entries (a JSON array of `LogEntry`) and returns how many are held.
    pub fn add(&mut self, page: &str) -> Result<usize, JsError> {
        let page: Vec<LogEntry> = serde_json::from_str(page)
            .map_err(|e| JsError::new(&format!("a page of the log is unreadable: {e}")))?;
        self.entries.extend(page);
        Ok(self.entries.len())
    }

    /// Writes the file from every entry added, and lets the entries go.
    pub fn finish(&mut self) -> Result<Vec<u8>, JsError> {
        let entries = std::mem::take(&mut self.entries);
        let sheet = LogSheet {
            of: self.job.of,
            run_id: self.job.run_id,
            run_started: self.job.run_started,
            time_zone: &self.job.time_zone,
            configuration: &self.job.configuration,
            entries: &entries,
        };
        to_file(self.job.format, sheet).map_err(|e| JsError::new(&e.to_string()))
    }
}

/// `performance.now()`: sub-millisecond time in a worker, a page or Node.js.
#[cfg(feature = "bench")]
pub fn now_ms() -> f64 {
    use wasm_bindgen::JsCast;
    let now = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .and_then(|p| js_sys::Reflect::get(&p, &"now".into()).map(|f| (p, f)))
        .ok()
        .and_then(|(p, f)| {
            f.dyn_ref::<js_sys::Function>()
                .and_then(|f| f.call0(&p).ok())
                .and_then(|v| v.as_f64())
        });
    now.unwrap_or_else(js_sys::Date::now)
}
