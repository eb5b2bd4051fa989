//! The box a page shows when something went wrong: what, and the way out.

use leptos::prelude::*;

/// An error in a box screen readers announce; `children` are the ways out (a link, a
/// button). `class` adds the place's own class (the chart's box keeps the chart's size).
#[component]
pub fn ErrorAlert(
    #[prop(into)] message: String,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let class = format!("{class} alert alert--error")
        .trim_start()
        .to_string();
    view! {
        <div class=class role="alert">
            <p>{message}</p>
            {children.map(|ways_out| ways_out())}
        </div>
    }
}

/// A load that failed, said with its reason, and a button that asks again.
#[component]
pub fn LoadFailed(
    #[prop(into)] message: String,
    #[prop(into)] retry: Callback<()>,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    view! {
        <ErrorAlert message class>
            <button type="button" class="button" on:click=move |_| retry.run(())>
                "Try again"
            </button>
        </ErrorAlert>
    }
}
