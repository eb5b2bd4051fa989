//! What only the browser can do: hand a file built in memory to the user, write log
//! files off the page's thread, wait, focus.

mod log_writer;

pub use log_writer::{FileBytes, LogFileWorker, LOG_WRITER_WORKER};

/// Why a file was not written or saved, with the browser's own words where it gave some
/// (they come as JavaScript values, so as text).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("The file could not be written: the file writer could not start ({0}).")]
    Start(String),
    #[error("The file could not be written: the file writer stopped ({0}).")]
    Stopped(String),
    #[error("The file could not be written: {0}")]
    Writer(String),
    #[error("The file could not be written: its entries could not be handed over ({0}).")]
    Entries(#[from] serde_json::Error),
    #[error("The browser did not save the file: {0}")]
    Save(String),
    #[error("Files are written and saved in the browser.")]
    NotInBrowser,
}

impl From<FileError> for crate::error::AppError {
    fn from(e: FileError) -> Self {
        crate::error::AppError::Validation(e.to_string())
    }
}

/// When `e` says the session has ended (signed out elsewhere, idle, expired), goes to
/// sign-in, which says so and leads back here, and answers true: the caller shows nothing.
pub fn signed_in_again(e: &crate::error::AppError) -> bool {
    let ended = matches!(e, crate::error::AppError::Unauthorized);
    if ended {
        go_to(&crate::domain::sign_in_path(Some("expired"), &here()));
    }
    ended
}

/// Offers `bytes` as a download named `name`, as if a link to the file had been clicked.
#[cfg(feature = "hydrate")]
pub fn save_file(bytes: &FileBytes, name: &str, mime: &str) -> Result<(), FileError> {
    use wasm_bindgen::JsCast;
    let fail = |e: wasm_bindgen::JsValue| FileError::Save(format!("{e:?}"));
    let parts = js_sys::Array::of1(bytes);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let document = leptos::prelude::document();
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(fail)?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Let the download take the blob before its address is given back.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}

/// Resolves after `ms` milliseconds (at once on the server, which never waits for a page).
#[cfg(feature = "hydrate")]
pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

#[cfg(not(feature = "hydrate"))]
pub async fn sleep(_ms: u32) {}

/// Server rendering never saves files.
#[cfg(not(feature = "hydrate"))]
pub fn save_file(_bytes: &FileBytes, _name: &str, _mime: &str) -> Result<(), FileError> {
    Err(FileError::NotInBrowser)
}

/// Whether the page is in a tab the user can see (polling pauses while it is not).
#[cfg(feature = "hydrate")]
pub fn page_visible() -> bool {
    leptos::prelude::document().visibility_state() == web_sys::VisibilityState::Visible
}

#[cfg(not(feature = "hydrate"))]
pub fn page_visible() -> bool {
    true
}

/// A choice the viewer's browser keeps for the page's look (the chart folded, say): the
/// cookie's value, read from `document.cookie` in the browser and from the request on the
/// server, so both render the page alike.
pub fn preference(name: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    let cookies = {
        use wasm_bindgen::JsCast;
        leptos::prelude::document()
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
            .and_then(|d| d.cookie().ok())
            .unwrap_or_default()
    };
    #[cfg(not(feature = "hydrate"))]
    let cookies = leptos::prelude::use_context::<http::request::Parts>()
        .map(|parts| {
            parts
                .headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    cookies
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Keeps a choice for the page's look for a year (`value` is a plain word).
#[cfg(feature = "hydrate")]
pub fn keep_preference(name: &str, value: &str) {
    use wasm_bindgen::JsCast;
    if let Ok(d) = leptos::prelude::document().dyn_into::<web_sys::HtmlDocument>() {
        let _ = d.set_cookie(&format!(
            "{name}={value};path=/;max-age=31536000;samesite=lax"
        ));
    }
}

#[cfg(not(feature = "hydrate"))]
pub fn keep_preference(_name: &str, _value: &str) {}

/// A value this tab keeps across its page loads (`sessionStorage`: gone with the tab, and
/// never sent to the server); `None` on the server.
pub fn tab_value(name: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let storage = web_sys::window()?.session_storage().ok()??;
        storage.get_item(name).ok()?
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        None
    }
}

/// Keeps `value` for this tab's later page loads (see [`tab_value`]).
pub fn keep_tab_value(name: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.session_storage()) {
        let _ = storage.set_item(name, value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (name, value);
}

/// Closes the open `<details>` the event is handled on, and puts focus on its summary.
#[cfg(feature = "hydrate")]
pub fn fold_disclosure(ev: &web_sys::Event) {
    use wasm_bindgen::JsCast;
    let details = ev
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok());
    let Some(details) = details.filter(|d| d.open()) else {
        return;
    };
    ev.prevent_default();
    details.set_open(false);
    if let Ok(Some(summary)) = details.query_selector("summary") {
        if let Ok(summary) = summary.dyn_into::<web_sys::HtmlElement>() {
            let _ = summary.focus();
        }
    }
}

#[cfg(not(feature = "hydrate"))]
pub fn fold_disclosure(_ev: &leptos::web_sys::Event) {}

/// Closes `details` when the event (a click) happened outside it, as a menu closes.
#[cfg(feature = "hydrate")]
pub fn fold_unless_inside(details: &web_sys::HtmlDetailsElement, ev: &web_sys::Event) {
    use wasm_bindgen::JsCast;
    let inside = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
        .is_some_and(|n| details.contains(Some(&n)));
    if details.open() && !inside {
        details.set_open(false);
    }
}

/// Closes `details` when keyboard focus moves to something outside it (Tab past its last
/// choice).
#[cfg(feature = "hydrate")]
pub fn fold_when_focus_leaves(details: &web_sys::HtmlDetailsElement, ev: &web_sys::FocusEvent) {
    use wasm_bindgen::JsCast;
    let to = ev
        .related_target()
        .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
    // Focus going nowhere (the window losing focus), or to a focusable element around
    // the picker (a press on its labels or background hands focus to the page's `main`),
    // is not leaving: a click outside is handled as a click. Folding on that press would
    // also take the label from under the pointer (and crashes Chromium's renderer).
    let Some(to) = to else { return };
    let around = to.contains(Some(details.as_ref()));
    if details.open() && !around && !details.contains(Some(&to)) {
        details.set_open(false);
    }
}

#[cfg(not(feature = "hydrate"))]
pub fn fold_when_focus_leaves(
    _details: &leptos::web_sys::HtmlDetailsElement,
    _ev: &leptos::web_sys::FocusEvent,
) {
}

#[cfg(not(feature = "hydrate"))]
pub fn fold_unless_inside(
    _details: &leptos::web_sys::HtmlDetailsElement,
    _ev: &leptos::web_sys::Event,
) {
}

/// Opens the browser's own picker of the input `id` (its calendar, for a date): called
/// from a click, which the browser requires. `showPicker` through `Reflect`, as web-sys
/// holds it among its unstable APIs.
#[cfg(feature = "hydrate")]
pub fn show_picker(id: &str) {
    use wasm_bindgen::JsCast;
    let Some(input) = leptos::prelude::document().get_element_by_id(id) else {
        return;
    };
    let show = js_sys::Reflect::get(&input, &"showPicker".into()).ok();
    if let Some(show) = show.and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
        // Refused only without a click or for a hidden input: the field still takes typing.
        let _ = show.call0(&input);
    }
}

#[cfg(not(feature = "hydrate"))]
pub fn show_picker(_id: &str) {}

/// The time now, in milliseconds since the epoch: the browser's clock, or the server's
/// while it renders the page.
#[cfg(feature = "hydrate")]
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

#[cfg(not(feature = "hydrate"))]
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Whether the element with this id carries the class (false on the server).
#[cfg(feature = "hydrate")]
pub fn has_class(id: &str, class: &str) -> bool {
    leptos::prelude::document()
        .get_element_by_id(id)
        .is_some_and(|e| e.class_list().contains(class))
}

#[cfg(not(feature = "hydrate"))]
pub fn has_class(_id: &str, _class: &str) -> bool {
    false
}

/// Leaves the app for `path` with a full page load (after a session ended, say).
#[cfg(feature = "hydrate")]
pub fn go_to(path: &str) {
    let _ = leptos::prelude::window().location().assign(path);
}

#[cfg(not(feature = "hydrate"))]
pub fn go_to(_path: &str) {}

/// The page's path and query, as a path of this site.
#[cfg(feature = "hydrate")]
pub fn here() -> String {
    let location = leptos::prelude::window().location();
    let path = location.pathname().unwrap_or_default();
    let query = location.search().unwrap_or_default();
    format!("{path}{query}")
}

#[cfg(not(feature = "hydrate"))]
pub fn here() -> String {
    String::new()
}

/// Marks the element the address's `#fragment` names (`data-target`) and scrolls it into
/// view: after the app's own navigation, which changes the address without the browser's
/// `:target` and its scroll.
#[cfg(feature = "hydrate")]
pub fn show_target() {
    let hash = leptos::prelude::window()
        .location()
        .hash()
        .unwrap_or_default();
    let Some(id) = hash.strip_prefix('#').filter(|id| !id.is_empty()) else {
        return;
    };
    if let Some(el) = leptos::prelude::document().get_element_by_id(id) {
        let _ = el.set_attribute("data-target", "true");
        el.scroll_into_view();
    }
}

#[cfg(not(feature = "hydrate"))]
pub fn show_target() {}

/// Moves keyboard focus to the element with this id (an SVG element too), if it exists.
#[cfg(feature = "hydrate")]
pub fn focus_by_id(id: &str) {
    use wasm_bindgen::JsCast;
    let Some(el) = leptos::prelude::document().get_element_by_id(id) else {
        return;
    };
    // `focus` lives on HTMLElement and SVGElement alike; call it by name on either.
    if let Ok(f) = js_sys::Reflect::get(&el, &"focus".into()) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call0(&el);
        }
    }
}

#[cfg(not(feature = "hydrate"))]
pub fn focus_by_id(_id: &str) {}
