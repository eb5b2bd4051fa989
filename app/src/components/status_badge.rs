use crate::domain::RunStatus;
use leptos::prelude::*;

/// The status label with its meaning and recommended action on hover and focus.
#[component]
pub fn StatusBadge(status: RunStatus, #[prop(into)] id: String) -> impl IntoView {
    let tip_id = format!("status-tip-{id}");
    // Escape hides the tip until focus leaves (a tip must be dismissible without moving).
    let dismissed = RwSignal::new(false);
    view! {
        <span class="status-cell">
            <span
                class=status.css_class()
                class:status--tip-dismissed=move || dismissed.get()
                tabindex="0"
                aria-describedby=tip_id.clone()
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        dismissed.set(true);
                    }
                }
                on:blur=move |_| dismissed.set(false)
            >
                {status.label()}
            </span>
            <span class="tooltip" role="tooltip" id=tip_id>
                {status.meaning()} " " <strong>{status.recommended_action()}</strong>
            </span>
        </span>
    }
}
