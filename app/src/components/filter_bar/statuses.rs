//! The Status control.

use crate::domain::{RunFilter, RunStatus};
use leptos::prelude::*;

/// The statuses, folded into one control so the bar stays one line on a wide screen: a
/// native disclosure, so it opens before the app runs too. Each box hands its status to
/// `on_toggle`.
#[component]
pub(super) fn StatusPicker(
    #[prop(into)] filter: Signal<RunFilter>,
    on_toggle: Callback<RunStatus>,
) -> impl IntoView {
    // What the Status control says while folded: the statuses chosen, or that all show.
    let chosen_statuses = move || {
        filter.with(|f| match f.statuses.len() {
            0 => "All".to_string(),
            1 => f
                .statuses
                .iter()
                .next()
                .map(|s| s.label().to_string())
                .unwrap_or_default(),
            n => format!("{n} chosen"),
        })
    };
    // A click elsewhere folds the statuses, as it closes a menu.
    let picker = NodeRef::<leptos::html::Details>::new();
    let outside = window_event_listener(leptos::ev::click, move |ev| {
        if let Some(details) = picker.get_untracked() {
            crate::browser::fold_unless_inside(&details, &ev);
        }
    });
    on_cleanup(move || outside.remove());
    // Escape folds the statuses and gives focus back to their control.
    let close_on_escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            crate::browser::fold_disclosure(&ev);
        }
    };
    view! {
        <details class="status-picker" node_ref=picker on:keydown=close_on_escape
            on:focusout=move |ev| {
                if let Some(details) = picker.get_untracked() {
                    crate::browser::fold_when_focus_leaves(&details, &ev);
                }
            }>
            <summary class="status-picker__button">
                "Status: " <span class="status-picker__chosen">{chosen_statuses}</span>
            </summary>
            <fieldset class="statuses">
                <legend>"Status"</legend>
                {RunStatus::ALL.into_iter().map(|s| {
                    let id = format!("filter-status-{}", s.slug());
                    let toggle = move |_| on_toggle.run(s);
                    view! {
                        <span class="check">
                            <input type="checkbox" id=id.clone() name="status" value=s.slug()
                                checked=filter.with_untracked(|f| f.statuses.contains(&s))
                                prop:checked=move || filter.get().statuses.contains(&s) on:change=toggle />
                            <label for=id>{s.label()}</label>
                        </span>
                    }
                }).collect_view()}
            </fieldset>
        </details>
    }
}
