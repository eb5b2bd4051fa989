//! The page's side of the log-file writer. A Web Worker (`frontend/log-writer/worker.js`)
//! loads the writer's own wasm module when a download starts, takes the log entries page
//! by page as the page fetches them, and hands the finished file back: the page never
//! carries the writers' code and never pauses while a large file is written.

use super::FileError;
use crate::domain::LogEntry;
use crate::export::LogFileJob;

/// Where the server serves the worker's script (the build puts it there).
pub const LOG_WRITER_WORKER: &str = "/log-writer/worker.js";

/// A finished file as the browser holds it.
#[cfg(feature = "hydrate")]
pub type FileBytes = js_sys::Uint8Array;
#[cfg(not(feature = "hydrate"))]
pub type FileBytes = Vec<u8>;

/// One file being written by its own worker; the worker stops when this is dropped.
#[cfg(feature = "hydrate")]
pub struct LogFileWorker {
    worker: web_sys::Worker,
    /// Settles with the file's bytes, or with the reason it could not be written.
    done: js_sys::Promise,
    _on_message: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
    _ignore: wasm_bindgen::closure::Closure<dyn FnMut(wasm_bindgen::JsValue)>,
}

#[cfg(feature = "hydrate")]
impl LogFileWorker {
    /// Starts a worker for `job`; its module loads while the page fetches the entries.
    pub fn start(job: &LogFileJob) -> Result<Self, FileError> {
        use wasm_bindgen::{closure::Closure, JsCast, JsValue};
        let worker = web_sys::Worker::new(LOG_WRITER_WORKER)
            .map_err(|e| FileError::Start(format!("{e:?}")))?;
        let mut settle = None;
        let done = js_sys::Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        let (resolve, reject) = settle.ok_or(FileError::Start("no promise".into()))?;
        // The writer can fail while the page is still fetching entries, before `finish`
        // waits for `done`: the reason is kept for `finish`, and the browser is told that
        // the rejection is handled, so it does not report it as an uncaught error.
        let ignore = Closure::<dyn FnMut(JsValue)>::new(|_| {});
        let _ = done.catch(&ignore);
        let failed = reject.clone();
        let on_message = Closure::<dyn FnMut(_)>::new(move |ev: web_sys::MessageEvent| {
            let data = ev.data();
            let field = |name: &str| js_sys::Reflect::get(&data, &name.into()).ok();
            match field("type").and_then(|t| t.as_string()).as_deref() {
                Some("done") => {
                    let _ = resolve.call1(&JsValue::NULL, &field("bytes").unwrap_or_default());
                }
                _ => {
                    let message = field("message")
                        .and_then(|m| m.as_string())
                        .unwrap_or_else(|| "unknown error".into());
                    let _ = reject.call1(&JsValue::NULL, &message.into());
                }
            }
        });
        // A script that cannot load or a module that cannot start surfaces here.
        let on_error = Closure::<dyn FnMut(_)>::new(move |ev: web_sys::Event| {
            ev.prevent_default();
            let reason = ev
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "its code could not be loaded".into());
            let _ = failed.call1(&JsValue::NULL, &reason.into());
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let this = LogFileWorker {
            worker,
            done,
            _on_message: on_message,
            _on_error: on_error,
            _ignore: ignore,
        };
        this.post("start", serde_json::to_string(job)?)?;
        Ok(this)
    }

    /// Hands over one page of entries; the page keeps no copy.
    pub fn add(&self, entries: &[LogEntry]) -> Result<(), FileError> {
        self.post("entries", serde_json::to_string(entries)?)
    }

    /// Asks for the file and waits for it, without blocking the page.
    pub async fn finish(self) -> Result<FileBytes, FileError> {
        use wasm_bindgen::JsCast;
        self.post("finish", String::new())?;
        let result = wasm_bindgen_futures::JsFuture::from(self.done.clone()).await;
        match result {
            Ok(bytes) => bytes
                .dyn_into::<js_sys::Uint8Array>()
                .map_err(|_| FileError::Writer("the file writer returned no file".into())),
            Err(reason) => Err(FileError::Writer(
                reason.as_string().unwrap_or_else(|| format!("{reason:?}")),
            )),
        }
    }

    fn post(&self, kind: &str, json: String) -> Result<(), FileError> {
        let message = js_sys::Object::new();
        let set = |k: &str, v: wasm_bindgen::JsValue| js_sys::Reflect::set(&message, &k.into(), &v);
        set("type", kind.into())
            .and_then(|_| set("json", json.into()))
            .and_then(|_| self.worker.post_message(&message))
            .map_err(|e| FileError::Stopped(format!("{e:?}")))
    }
}

#[cfg(feature = "hydrate")]
impl Drop for LogFileWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Server rendering never writes files.
#[cfg(not(feature = "hydrate"))]
pub struct LogFileWorker;

#[cfg(not(feature = "hydrate"))]
impl LogFileWorker {
    pub fn start(_job: &LogFileJob) -> Result<Self, FileError> {
        Err(FileError::NotInBrowser)
    }

    pub fn add(&self, _entries: &[LogEntry]) -> Result<(), FileError> {
        Err(FileError::NotInBrowser)
    }

    pub async fn finish(self) -> Result<FileBytes, FileError> {
        Err(FileError::NotInBrowser)
    }
}
