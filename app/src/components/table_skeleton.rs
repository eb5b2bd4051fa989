//! Grey rows in the place of a table whose first rows are on the way.

use leptos::prelude::*;

#[component]
pub fn TableSkeleton(rows: usize) -> impl IntoView {
    view! {
        <div class="skeleton-table" aria-hidden="true">
            {(0..rows).map(|_| view! { <div class="skeleton skeleton--row"></div> }).collect_view()}
        </div>
    }
}
