//! The Syncs page opened with a link whose filters cannot be used.

use super::syncs::{syncs_url, SYNCS_PATH};
use crate::domain::RunFilter;
use leptos::prelude::*;

/// What is wrong with the filters of the link the page was opened with, all of it, and
/// the ways out: keep the filters that can be used, or clear them all.
#[component]
pub(super) fn BadLink(problems: Vec<String>, kept: String) -> impl IntoView {
    let lead = match problems.len() {
        1 => "This link's filters cannot be used:".to_string(),
        n => format!("This link's filters have {n} problems:"),
    };
    // Links, so the ways out work before the app has hydrated too.
    let kept = RunFilter::from_query(&kept)
        .ok()
        .filter(|f| !f.is_default())
        .map(|f| syncs_url(&f.to_query()));
    view! {
        <div class="alert alert--error bad-link" role="alert">
            <p>{lead}</p>
            <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
            <p class="bad-link__ways">
                {kept.map(|href| view! {
                    <a class="button" href=href>"Keep the filters that work"</a>
                    " "
                })}
                <a class="button" href=SYNCS_PATH>"Clear filters"</a>
            </p>
        </div>
    }
}
