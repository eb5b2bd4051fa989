//! The bare app: one page that lists items from a server function, and a select that
//! asks again with a filter. Its first interaction is the same as the dashboard's (a
//! filter changes the list), so both can be timed from navigation to that moment.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

/// Items whose names start with `prefix` (all when empty).
#[server(prefix = "/api", endpoint = "items")]
pub async fn items(prefix: String) -> Result<Vec<String>, ServerFnError> {
    Ok(["alpha", "beta", "gamma", "delta"]
        .into_iter()
        .filter(|i| i.starts_with(&prefix))
        .map(String::from)
        .collect())
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"Bare Leptos"</title>
                <HydrationScripts options/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    // As the dashboard does: mark the page once it has hydrated (effects run only in the
    // browser), for the first-load bench to see.
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Router>
            <Routes fallback=|| "Not found.">
                <Route path=path!("/") view=List/>
            </Routes>
        </Router>
    }
}

#[component]
fn List() -> impl IntoView {
    let prefix = RwSignal::new(String::new());
    let list = Resource::new(move || prefix.get(), items);
    view! {
        <label>
            "Starts with "
            <select on:change=move |e| prefix.set(event_target_value(&e))>
                <option value="">"any"</option>
                <option value="a">"a"</option>
                <option value="b">"b"</option>
            </select>
        </label>
        <Suspense fallback=|| "Loading…">
            <ul id="items">
                {move || {
                    list.get()
                        .map(|r| {
                            r.unwrap_or_default()
                                .into_iter()
                                .map(|i| view! { <li>{i}</li> })
                                .collect_view()
                        })
                }}
            </ul>
        </Suspense>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
