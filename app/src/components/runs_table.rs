use crate::{
    components::{DownloadMenu, RunProgress, StatusBadge},
    domain::{format_duration, LogAvailability, SyncRunRow},
};
use leptos::prelude::*;

/// The runs table. Rows are keyed by id so updates keep the rest of the table in place.
#[component]
pub fn RunsTable(
    #[prop(into)] runs: Signal<Vec<SyncRunRow>>,
    #[prop(into)] time_zone: Signal<String>,
    /// Seconds since the page started; running syncs' durations tick with it.
    #[prop(optional)]
    clock: Option<RwSignal<i64>>,
) -> impl IntoView {
    view! {
        <table class="runs">
            <caption class="runs__caption">"Times are shown in " {move || time_zone.get()}</caption>
            <thead>
                <tr>
                    <th scope="col">"Start time"</th>
                    <th scope="col">"Source"</th>
                    <th scope="col">"Configuration"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Duration"</th>
                    <th scope="col">"Logs"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || runs.get() key=|r| (r.id, r.version) let:run>
                    <RunRow run clock />
                </For>
            </tbody>
        </table>
    }
}

#[component]
fn RunRow(run: SyncRunRow, clock: Option<RwSignal<i64>>) -> impl IntoView {
    // A running sync's duration was measured when the row arrived; it goes on from there.
    let arrived = clock.map(|c| c.get_untracked()).unwrap_or_default();
    let (duration_ms, active) = (run.duration_ms, run.status.is_active());
    let duration = move || match (duration_ms, active) {
        (Some(ms), false) => format_duration(ms),
        (Some(ms), true) => {
            let ticked = clock.map(|c| c.get() - arrived).unwrap_or_default();
            format!("{} so far", format_duration(ms + ticked * 1000))
        }
        (None, _) => "—".to_string(),
    };
    let progress = view! { <RunProgress run=run.clone() /> };
    let details = format!("/admin/user-provisioning/runs/{}", run.id);
    let logs = (run.status.logs() != LogAvailability::None)
        .then(|| view! { <DownloadMenu run_id=run.id /> }.into_any());
    view! {
        <tr data-run-id=run.id>
            <td class="runs__start">
                <a href=details aria-label=format!("Details of the run started {}", run.start_display)>
                    {run.start_display.clone()}
                </a>
            </td>
            <td>{run.source.display_name()}</td>
            <td>{run.configuration.clone()}</td>
            <td><StatusBadge status=run.status id=run.id.to_string() /> {progress}</td>
            <td class="runs__duration">{duration}</td>
            <td class="runs__logs">{logs}</td>
        </tr>
    }
    .into_any()
}
