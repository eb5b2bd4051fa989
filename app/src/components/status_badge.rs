use crate::domain::RunStatus;
use leptos::prelude::*;

/// The status label with its meaning and recommended action on hover and focus.
#[component]
pub fn StatusBadge(status: RunStatus, #[prop(into)] id: String) -> impl IntoView {
    let tip_id = format!("status-tip-{id}");
    view! {
        <span class="status-cell">
            <span class=status.css_class() tabindex="0" aria-describedby=tip_id.clone()>
                {status.label()}
            </span>
            <span class="tooltip" role="tooltip" id=tip_id>
                {status.meaning()} " " <strong>{status.recommended_action()}</strong>
            </span>
        </span>
    }
}
