use crate::domain::{RunStatus, SyncRunRow};
use leptos::prelude::*;

/// How far an In Progress run has got. Until it has planned its changes it only knows how
/// many records it has read: the bar is indeterminate then, and says so.
#[component]
pub fn RunProgress(run: SyncRunRow) -> impl IntoView {
    (run.status == RunStatus::InProgress).then(|| {
        let (done, total) = (run.progress_done, run.progress_total);
        if total > 0 {
            view! {
                <progress class="progress" max=total value=done
                    aria-label=format!("{done} of {total} records")></progress>
            }
            .into_any()
        } else {
            let label = if done > 0 {
                format!("{done} records read")
            } else {
                "Reading records".to_string()
            };
            view! { <progress class="progress" aria-label=label></progress> }.into_any()
        }
    })
}
